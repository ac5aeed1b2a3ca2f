"""Finding a scorecard's phrases in a transcript, tolerant to inflection and ASR errors.

Both sides are compared on canonical forms (lower-cased lemmas), so "звонке" matches
"звонок" and "calls" matches "call". Phrases marked exact (forbidden lists, where a
lemma would turn "you should have received" into "you should have") are compared on
lower-cased surface forms instead.

A transcript word that is not a phrase word may be mapped to the phrase word it is
within spaCy's FUZZY distance of (the `levenshtein_compare` the Matcher's FUZZY operator
uses: one edit for words of up to seven letters, FUZZY's 30% beyond; same first letter;
four letters at least), so "Acne" can count as "Acme". Only words the speech model was
unsure of, or words the language does not know, are mapped: a confidently heard real
word ("think", "дороге") stays what it is. A capitalised word in mid-sentence is a name
(`{name}` in phrases) unless it is close to one of the scorecard's own capitalised words.

With every token canonical, one PhraseMatcher pass finds all phrases: far faster than a
token Matcher with FUZZY patterns on a 5-minute call (bench/scoring.py).
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.matcher import PhraseMatcher
from spacy.matcher.levenshtein import levenshtein, levenshtein_compare
from spacy.tokens import Doc

from qc.scoring.nlp import LanguageTools, normalise

MIN_FUZZY_LENGTH = 4
SHORT_WORD = 7  # up to this length a word may differ by one edit; longer ones by FUZZY's default
UNSURE = 0.6  # words heard with less probability than this may be fuzzily mapped
NAME = "{name}"  # in a phrase: a person's name ("this is {name}")
EXACT = "\x1e"  # group-name suffix for phrases compared on surface forms
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class PhraseMatch:
    group: str
    phrase: str
    start: int  # token index in the doc
    end: int
    fuzzy: bool


@dataclass(frozen=True)
class Analysed:
    """One token of a transcript word: its text, surface form and canonical form."""

    text: str
    surface: str
    canonical: str
    fuzzy: bool


@dataclass
class PhraseIndex:
    """Every phrase of one scorecard in one language, grouped (one group per check list).

    `exact_groups` are matched on surface forms; the others on canonical forms.
    """

    language: LanguageTools
    groups: dict[str, list[str]]
    exact_groups: frozenset[str] = frozenset()
    known: set[str] = field(init=False, default_factory=set)
    proper: set[str] = field(init=False, default_factory=set)  # canonical forms written capitalised
    _lemma_matcher: PhraseMatcher = field(init=False)
    _exact_matcher: PhraseMatcher = field(init=False)
    _vocabulary: dict[int, dict[str, list[str]]] = field(init=False)
    _fuzzy: dict[tuple[str, bool], str | None] = field(init=False, default_factory=dict)
    _words: dict[tuple[str, bool, bool], tuple[Analysed, ...]] = field(init=False, default_factory=dict)
    _phrases: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        vocab = self.language.nlp.vocab
        self._lemma_matcher = PhraseMatcher(vocab, attr="NORM")
        self._exact_matcher = PhraseMatcher(vocab, attr="NORM")
        for group, phrases in self.groups.items():
            exact = group in self.exact_groups
            for number, phrase in enumerate(phrases):
                words, forms = self._pattern(phrase, exact=exact)
                if not words:
                    continue
                doc = self.language.doc(words, [True] * len(words))
                for token, form in zip(doc, forms, strict=True):
                    token.norm_ = form
                key = f"{group}\x1f{number}"
                self._phrases[key] = phrase
                (self._exact_matcher if exact else self._lemma_matcher).add(key, [doc])
        buckets: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for word in sorted(self.known):  # sorted: ties break the same way in every process
            if len(word) >= MIN_FUZZY_LENGTH and word.isalpha():
                buckets[len(word)][word[0]].append(word)
        self._vocabulary = buckets

    def _pattern(self, phrase: str, *, exact: bool) -> tuple[list[str], list[str]]:
        words: list[str] = []
        forms: list[str] = []
        for token, form in phrase_tokens(self.language, phrase, exact=exact):
            words.append(token)
            forms.append(form)
            if not exact and form != NAME:
                self.known.add(form)
                if token[:1].isupper():
                    self.proper.add(form)
        return words, forms

    # Transcript side ---------------------------------------------------------------------

    def analyse(self, word: str, *, sentence_start: bool, unsure: bool) -> tuple[Analysed, ...]:
        """A transcript word as tokens with surface and canonical forms (cached)."""
        key = (word, sentence_start, unsure)
        found = self._words.get(key)
        if found is None:
            pieces = []
            start = sentence_start
            for piece in self.language.tokens(word):
                canonical, fuzzy = self._canonical(piece, sentence_start=start, unsure=unsure)
                pieces.append(Analysed(piece, normalise(piece), canonical, fuzzy))
                start = piece in {".", "?", "!"}
            found = tuple(pieces)
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            self._words[key] = found
        return found

    def _canonical(self, token: str, *, sentence_start: bool, unsure: bool) -> tuple[str, bool]:
        form = self.language.canonical(token)
        if form in self.known or not token.isalpha():
            return form, False
        if token[:1].isupper() and (not sentence_start or self.language.looks_like_name(token)):
            close = self._closest(form, proper_only=True)
            return (close, True) if close else (NAME, False)
        if unsure or not self.language.is_known(normalise(token)):
            close = self._closest(form, proper_only=False)
            if close:
                return close, True
        return form, False

    def _closest(self, form: str, *, proper_only: bool) -> str | None:
        if len(form) < MIN_FUZZY_LENGTH:
            return None
        key = (form, proper_only)
        if key not in self._fuzzy:
            if len(self._fuzzy) >= _CACHE_LIMIT:
                self._fuzzy.clear()
            self._fuzzy[key] = self._search(form, proper_only)
        return self._fuzzy[key]

    def _search(self, form: str, proper_only: bool) -> str | None:
        best: tuple[int, str] | None = None
        for length in range(max(MIN_FUZZY_LENGTH, len(form) - 3), len(form) + 4):
            for word in self._vocabulary.get(length, {}).get(form[0], ()):
                if proper_only and word not in self.proper:
                    continue
                allowed = 1 if len(word) <= SHORT_WORD else -1
                if levenshtein_compare(form, word, allowed):
                    distance = int(levenshtein(form, word))
                    if best is None or distance < best[0]:
                        best = (distance, word)
        return best[1] if best else None

    def find(
        self, lemma_doc: Doc, surface_doc: Doc, fuzzy_tokens: set[int], segments: list[int]
    ) -> list[PhraseMatch]:
        """All phrase occurrences within one segment each; the longest of overlapping ones."""
        strings = self.language.nlp.vocab.strings
        found = []
        for matcher, doc in ((self._lemma_matcher, lemma_doc), (self._exact_matcher, surface_doc)):
            for match_id, start, end in matcher(doc):
                if segments[start] != segments[end - 1]:
                    continue
                key = strings[match_id]
                group, _ = key.split("\x1f", 1)
                fuzzy = any(i in fuzzy_tokens for i in range(start, end))
                found.append(PhraseMatch(group, self._phrases[key], start, end, fuzzy))
        return _longest_per_group(found)


def phrase_tokens(language: LanguageTools, phrase: str, *, exact: bool) -> list[tuple[str, str]]:
    """(token, the form it is matched on) of a phrase; `{name}` is ("NAME", NAME)."""
    found: list[tuple[str, str]] = []
    for number, piece in enumerate(phrase.split(NAME)):
        if number:
            found.append(("NAME", NAME))
        for token in language.tokens(piece.strip()):
            found.append((token, normalise(token) if exact else language.canonical(token)))
    return found


def could_be_fuzzy(word: str, sorted_forms: Sequence[str]) -> bool:
    """Whether a transcript form (of `sorted_forms`, in sorted order) is close enough to the
    phrase word `word` for the index to read it as `word`: the test `PhraseIndex._search`
    makes, without its other conditions, so a superset of what it may map."""
    if len(word) < MIN_FUZZY_LENGTH or not word.isalpha():
        return False
    allowed = 1 if len(word) <= SHORT_WORD else -1
    first = word[0]
    start = bisect.bisect_left(sorted_forms, first)
    for form in itertools.islice(sorted_forms, start, None):
        if not form.startswith(first):
            return False
        near = len(form) >= MIN_FUZZY_LENGTH and abs(len(form) - len(word)) <= 3
        if near and levenshtein_compare(form, word, allowed):
            return True
    return False


def _longest_per_group(matches: list[PhraseMatch]) -> list[PhraseMatch]:
    """Overlapping matches of one group count once: "too expensive" is not also "expensive"."""
    by_group: dict[str, list[PhraseMatch]] = defaultdict(list)
    for match in matches:
        by_group[match.group].append(match)
    kept: list[PhraseMatch] = []
    for group in by_group.values():
        taken: set[int] = set()
        for match in sorted(group, key=lambda m: (m.end - m.start, -m.start), reverse=True):
            span = range(match.start, match.end)
            if not taken.intersection(span):
                taken.update(span)
                kept.append(match)
    return sorted(kept, key=lambda m: (m.start, m.group))
