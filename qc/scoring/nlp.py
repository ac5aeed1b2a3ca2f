"""Language pipelines for the checks: spaCy tokenisers and lookup lemmas.

`spacy.blank(lang)` tokenises; lemmas come from spacy-lookups-data tables (looked up
lower-cased: the tables are case-sensitive) or, for Russian and Ukrainian, from
pymorphy3. Each language is loaded once per process; nothing is downloaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language as SpacyLanguage
from spacy.tokens import Doc

from qc.transcription.spoken_numbers import Part, fold, morphemes

_PYMORPHY = {"ru", "uk"}


@dataclass(frozen=True)
class LanguageTools:
    code: str
    nlp: SpacyLanguage
    lemma: Callable[[str], str]
    _split: Callable[[str], tuple[str, ...]]
    _known: Callable[[str], bool]
    _name: Callable[[str], bool]
    _number: Callable[[str], str]

    def is_known(self, word: str) -> bool:
        """Is `word` (lower-cased) a word of the language, as far as its tables tell?"""
        return self._known(word)

    def looks_like_name(self, token: str) -> bool:
        """Is a capitalised `token` at the start of a sentence more likely a name than a word?"""
        return self._name(token)

    def tokens(self, text: str) -> tuple[str, ...]:
        """spaCy's tokens of `text` (cached: transcripts repeat the same words)."""
        return self._split(text)

    def canonical(self, token: str) -> str:
        """The form phrases are compared on: lower-cased, lemmatised, and a number word in
        digits ("two", "две", "două" -> "2"), since transcripts write spoken numbers in
        digits (qc.transcription.numbers) while phrases, and transcripts stored before
        that, spell them."""
        return self._number(self.lemma(normalise(token)))

    def doc(self, words: list[str], spaces: list[bool]) -> Doc:
        return Doc(self.nlp.vocab, words=words, spaces=spaces)


def normalise(token: str) -> str:
    return token.lower().replace("ё", "е").replace("’", "'")


def _table(code: str, name: str) -> Any:
    from spacy.lookups import load_lookups

    try:
        return load_lookups(code, [name]).get_table(name)
    except (ValueError, KeyError):
        return None


def _lookup_lemmatiser(code: str) -> Callable[[str], str]:
    table = _table(code, "lemma_lookup")
    if table is None:
        return lambda word: word

    @lru_cache(maxsize=100_000)
    def lemma(word: str) -> str:
        found = table.get(word)
        return str(found) if found else word

    return lemma


def _pymorphy_lemmatiser(code: str) -> Callable[[str], str]:
    import pymorphy3

    analyser = pymorphy3.MorphAnalyzer(lang=code)

    @lru_cache(maxsize=100_000)
    def lemma(word: str) -> str:
        if not word.isalpha():
            return word
        return normalise(str(analyser.parse(word)[0].normal_form))

    return lemma


# Serbian is written in both scripts and Whisper uses either; the lemma table is
# Cyrillic. Words are looked up in Cyrillic and compared in Latin.
_SR_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ"}
_SR_LATIN = dict(zip("abvgdđežzijklmnoprstćufhcčš", "абвгдђежзијклмнопрстћуфхцчш", strict=True))
_SR_TO_LATIN = {v: k for k, v in {**_SR_LATIN, **_SR_DIGRAPHS}.items()}


def _to_cyrillic(word: str) -> str:
    out, index = [], 0
    while index < len(word):
        pair = word[index : index + 2]
        if pair in _SR_DIGRAPHS:
            out.append(_SR_DIGRAPHS[pair])
            index += 2
            continue
        out.append(_SR_LATIN.get(word[index], word[index]))
        index += 1
    return "".join(out)


def _to_latin(word: str) -> str:
    return "".join(_SR_TO_LATIN.get(char, char) for char in word)


def _serbian_lemmatiser() -> Callable[[str], str]:
    cyrillic_lemma = _lookup_lemmatiser("sr")

    @lru_cache(maxsize=100_000)
    def lemma(word: str) -> str:
        return _to_latin(cyrillic_lemma(_to_cyrillic(word)))

    return lemma


def _known_words(code: str) -> Callable[[str], bool]:
    """Whether a lower-cased word is in the language's word lists (lemma tables; word
    frequencies for English; pymorphy3's dictionary for Russian and Ukrainian)."""
    if code in _PYMORPHY:
        import pymorphy3

        analyser = pymorphy3.MorphAnalyzer(lang=code)
        return lru_cache(maxsize=100_000)(lambda word: bool(analyser.word_is_known(word)))
    tables = [t for t in (_table(code, "lemma_lookup"), _table(code, "lexeme_prob")) if t is not None]
    if code == "sr":
        return lambda word: any(_to_cyrillic(word) in t or word in t for t in tables)
    return lambda word: any(word in t for t in tables)


def _name_test(code: str, known: Callable[[str], bool]) -> Callable[[str], bool]:
    """English word frequencies are case-sensitive: "Laura" is commoner than "laura", but
    "Thank" is rarer than "thank". Elsewhere, a word the language does not know."""
    frequencies = _table(code, "lexeme_prob")
    if frequencies is None:
        return lambda token: not known(normalise(token))

    def looks_like_name(token: str) -> bool:
        capitalised, lower = frequencies.get(token), frequencies.get(token.lower())
        if capitalised is None:
            return lower is None
        return lower is None or float(capitalised) > float(lower)

    return looks_like_name


_lock = threading.Lock()


@lru_cache(maxsize=32)
def _load(code: str) -> LanguageTools:
    try:
        nlp = spacy.blank(code)
    except (ImportError, KeyError, OSError):
        nlp = spacy.blank("xx")  # a language spaCy has no rules for: generic tokenisation
    if code in _PYMORPHY:
        lemma = _pymorphy_lemmatiser(code)
    elif code == "sr":
        lemma = _serbian_lemmatiser()
    else:
        lemma = _lookup_lemmatiser(code)
    known = _known_words(code)
    name = _name_test(code, known)

    @lru_cache(maxsize=200_000)
    def split(text: str) -> tuple[str, ...]:
        return tuple(t.text for t in nlp.tokenizer(text))

    return LanguageTools(
        code=code, nlp=nlp, lemma=lemma, _split=split, _known=known, _name=name, _number=_number_form(code)
    )


_NUMBER_PARTS = {Part.DIGIT, Part.TEEN, Part.TENS, Part.HUNDREDS}


def _number_form(code: str) -> Callable[[str], str]:
    """A word that is one number on its own ("two", "двадцать", "sute" is not) as its
    digits; any other word as it is."""

    @lru_cache(maxsize=100_000)
    def number_form(word: str) -> str:
        if not word.isalpha():
            return word
        parts = morphemes(fold(word, code), code)
        if len(parts) == 1 and parts[0].part in _NUMBER_PARTS:
            return str(parts[0].value)
        return word

    return number_form


def tools(code: str) -> LanguageTools:
    """The tokeniser and lemmatiser for `code`, loaded once per process."""
    with _lock:
        return _load(code)
