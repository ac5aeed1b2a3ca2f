"""The dictation heuristics of personal-data detection on top of the shared number parsing.

Spoken numbers themselves are parsed in `qc.transcription.spoken_numbers` (re-exported
here); what is privacy's own is reading what a caller dictates generously: a word one
letter off a digit word is that digit among digits ("noră" for "nouă"), and an e-mail
address said in Cyrillic is spelled in Latin letters.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from qc.transcription.spoken_numbers import (
    LEXICONS,
    SR_CYRILLIC,
    Group,
    Morpheme,
    Part,
    fold,
    morphemes,
    parse_numbers,
)

__all__ = [
    "Group",
    "Morpheme",
    "Part",
    "fold",
    "misheard_digit",
    "morphemes",
    "parse_numbers",
    "to_latin",
]


def _letters(cyrillic: str, latin: str) -> dict[str, str]:
    """Cyrillic letters to Latin spellings given as space-separated words ("-": none)."""
    return dict(zip(cyrillic, [s.strip("-") for s in latin.split()], strict=True))


_RU_LATIN = _letters(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya",
)


def to_latin(word: str) -> str:
    """Cyrillic letters spelled in Latin, for e-mail addresses said in Russian or Serbian."""
    text = word.lower()
    return "".join(SR_CYRILLIC.get(ch, _RU_LATIN.get(ch, ch)) for ch in text)


# Digits Whisper writes as another word ("free" for a "three" said without the th).
_SOUNDALIKES = {"en": {"free": 3, "tree": 3}}


@lru_cache(maxsize=4096)
def misheard_digit(folded: str, language: str, *, between_digits: bool = False) -> Morpheme | None:
    """The digit word of four letters or more that a word is one letter away from
    ("noră" for "nouă", "zeră" for "zero"), or sounds like: the ASR's slip inside a
    dictated number. With a digit on both sides, also a longer slip ("chase" for "șase").
    The nearest digit word wins; a tie between two digits is no digit."""
    if folded in _SOUNDALIKES.get(language, {}):
        return Morpheme(Part.DIGIT, _SOUNDALIKES[language][folded])
    if len(folded) < 4 or not folded.isalpha():
        return None
    close = [
        (Levenshtein.distance(folded, word), m.value)
        for word, m in LEXICONS.get(language, LEXICONS["en"]).items()
        if m.part is Part.DIGIT and _near(folded, word, loose=between_digits)
    ]
    nearest = {value for distance, value in close if distance == min(close)[0]} if close else set()
    return Morpheme(Part.DIGIT, nearest.pop()) if len(nearest) == 1 else None


def _near(heard: str, word: str, *, loose: bool = False) -> bool:
    """Close enough to be a slip: one letter off a digit word of four letters or more; one
    letter added to one of three ("dori" for "doi"); two letters off one of six or more
    ("šetili" for "četiri"); with `loose`, two letters off one of four or five when the
    heard word is a letter longer: a sound spelled with two letters ("chase" for "șase"),
    never a word of its own length ("цена" stays "price", not "одна")."""
    if (len(word) >= 6 and len(heard) >= 6) or (loose and len(word) >= 4 and len(heard) == len(word) + 1):
        return Levenshtein.distance(heard, word) <= 2
    if len(word) == 3:
        return len(heard) == 4 and _one_edit(heard, word)
    return len(word) >= 4 and _one_edit(heard, word)


def _one_edit(a: str, b: str) -> bool:
    """Whether two different words are one substitution, insertion or deletion apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]
