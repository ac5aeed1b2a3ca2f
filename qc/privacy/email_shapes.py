"""E-mail addresses the ASR broke past spelling, found by their spoken shape.

A dictated address is a short run of names joined by "dot" words that ends in a top-level
domain: "ion punct popescu arond gmail punct com". When Whisper mishears it ("Ion punct
popescu a cond mai il punct cum", "majl takska zom", "m6 -3artoutlook .com") no check can
rebuild the address, but the shape survives: a "dot" word (or a near miss of one) before
something that sounds like a top-level domain, next to a second "dot", a mail provider or
the word "e-mail". Those words are masked with a low score, as a guess; an address the
normaliser could rebuild (`qc.privacy.normalise_email`) is found with its checks instead.

Works on the transcript's words, in the five languages, and never masks a website
("www dot example dot com") or a sentence that merely has "punto" or "точка" in it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from qc.privacy.normalise_email import INTRO_WORDS
from qc.privacy.numbers_words import fold

_DOTS = {"dot", "точка", "punct", "tacka", "punto", "tocka"}
# Top-level domains as a listener would hear them, in Latin and as Cyrillic spells them.
_TLDS = {"com", "net", "org", "ru", "ro", "it", "rs", "uk", "eu", "de", "kom", "ком", "ру", "орг", "нет"}
_PROVIDERS = (
    "gmail", "yahoo", "outlook", "hotmail", "libero", "yandex", "icloud", "mail", "majl", "mejl",
    "eunet", "rambler", "почт", "мейл", "джимейл", "яндекс",
)  # fmt: skip
_ANNOUNCE = (
    "email", "e-mail", "mail", "adresa", "adresse", "address", "адрес", "почта", "почту", "мейл",
    "indirizzo", "mejl", "imejl", "majl",
)  # fmt: skip
# Words that introduce an address rather than belong to it.
_INTRO = INTRO_WORDS | {"it's", "è", "adresu"}
_WEB = {"www", "http", "https", "site", "website", "сайт", "sajt", "sito", "web"}
_SENTENCE_END = re.compile(r"[.!?]$")
_STRIP = ",.;:!?\"'«»()"
WINDOW = 8  # words from the first "dot" to the domain
BACK = 4  # words of the name before the first "dot"


def _folded(word: str, language: str) -> str:
    return fold(word.strip(_STRIP), language)


@lru_cache(maxsize=8192)
def _is_dot(word: str) -> bool:
    """A spoken "dot", or a near miss of one ("takska", "punctt"), or a glued ".com"."""
    if word in _DOTS:
        return True
    if len(word) < 5:
        return False
    # One letter off for a word of five ("taska"), two for a longer one ("takska"), so that
    # "точно" stays "exactly".
    allowed = 1 if len(word) == 5 else 2
    return any(len(dot) >= 5 and Levenshtein.distance(word, dot) <= allowed for dot in _DOTS)


@lru_cache(maxsize=8192)
def _is_tld(word: str) -> bool:
    """A top-level domain as heard: exact for two letters, one letter off for three ("cum")."""
    if word in _TLDS:
        return True
    if len(word) != 3 or not word.isalpha():
        return False
    return any(len(t) == 3 and Levenshtein.distance(word, t) <= 1 for t in _TLDS)


def _near_tld(folded: list[str], words: Sequence[str], n: int) -> bool:
    """A two-letter word one letter off a top-level domain ("id" for "it") that ends the
    phrase, as the domain ends an address: followed by a pause mark or nothing."""
    word = folded[n]
    if len(word) != 2 or not word.isalpha():
        return False
    if n + 1 < len(words) and not words[n].strip().endswith(tuple(",.;!?")):
        return False
    return any(len(t) == 2 and t.isascii() and Levenshtein.distance(word, t) == 1 for t in _TLDS)


def _has_provider(word: str) -> bool:
    return any(p in word for p in _PROVIDERS)


def _announces(word: str) -> bool:
    near = lambda a: len(word) >= 5 and Levenshtein.distance(word, a) <= 1  # noqa: E731
    return any(word.startswith(a) or near(a) for a in _ANNOUNCE)


def email_spans(words: Sequence[str], language: str) -> list[tuple[int, int]]:
    """(first, last) word indexes of addresses said aloud and misheard."""
    folded = [_folded(w, language) for w in words]
    ends_sentence = [bool(_SENTENCE_END.search(w.strip())) for w in words]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        first_dot = _first_dot(folded, words, i)
        if first_dot is None:
            break
        found = _address_from(folded, words, ends_sentence, first_dot)
        if found is None:
            i = first_dot + 1
            continue
        spans.append(found)
        i = found[1] + 1
    return spans


def _first_dot(folded: list[str], words: Sequence[str], i: int) -> int | None:
    for n in range(i, len(folded)):
        if _is_dot(folded[n]) or _glued_domain(words[n]) is not None:
            return n
    return None


def _glued_domain(word: str) -> str | None:
    """The domain of a word that carries the dot and the domain itself (".com", "3artoutlook.com")."""
    stripped = word.strip().rstrip(_STRIP.replace(".", ""))
    match = re.search(r"\.([^\W\d_]{2,3})$", stripped.rstrip("."))
    return match.group(1).lower() if match and _is_tld(match.group(1).lower()) else None


def _address_from(
    folded: list[str], words: Sequence[str], ends_sentence: list[bool], first_dot: int
) -> tuple[int, int] | None:
    dots, end, dots_to_end = 0, None, 0
    n = first_dot
    while n < len(folded) and n - first_dot <= WINDOW:
        word = folded[n]
        if _glued_domain(words[n]) is not None:
            dots, end = dots + 1, n
        elif _is_dot(word):
            dots += 1
            if n + 1 < len(folded) and (_is_tld(folded[n + 1]) or _near_tld(folded, words, n + 1)):
                end = n + 1
            elif any(_has_provider(w) for w in folded[first_dot:n]):
                end = n  # "libero punto" and the domain lost
        if end is not None and end >= n:
            dots_to_end = dots
        if ends_sentence[n] and n > first_dot:
            break
        n += 1
    if end is None:
        return None
    start = _name_start(folded, ends_sentence, first_dot)
    if any(w in _WEB for w in folded[max(0, start - 2) : end + 1]):
        return None  # a website, not a person's address
    provider = any(_has_provider(w) for w in folded[start : end + 1])
    announced = any(_announces(w) for w in folded[max(0, start - 10) : start])
    if dots_to_end >= 2 or provider or announced:
        return start, end
    return None


def _name_start(folded: list[str], ends_sentence: list[bool], first_dot: int) -> int:
    """The first word of the name before the first "dot": up to BACK words back, never
    past an introducing word ("my", "este") or the end of the previous sentence."""
    start = first_dot
    while start > 0 and first_dot - start < BACK:
        before = start - 1
        if ends_sentence[before] or folded[before] in _INTRO or not folded[before]:
            break
        start = before
    return start
