"""Finding a scorecard's phrases in a transcript, tolerant to inflection and ASR errors.

Both sides are compared on canonical forms (lower-cased lemmas), so "звонке" matches
"звонок" and "calls" matches "call". A transcript word that is not a phrase word is
then mapped to the phrase word it is within spaCy's FUZZY distance of (the same
`levenshtein_compare` the Matcher's FUZZY operator uses, as FUZZY1 for words of up to
seven letters and FUZZY, up to 30% of the length, for longer ones; words must share
their first letter and be at least four letters long), so ASR misspellings such as
"acne" for "Acme" still count while "help" does not become "hello". With every token canonical, one
PhraseMatcher pass finds all phrases: that is ~300x faster than a token Matcher with
FUZZY patterns on a 5-minute call (bench/scoring.py), and gives the same matches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from spacy.matcher import PhraseMatcher
from spacy.matcher.levenshtein import levenshtein, levenshtein_compare
from spacy.tokens import Doc

from qc.scoring.nlp import LanguageTools

MIN_FUZZY_LENGTH = 4
# In a phrase, `{name}` stands for a person's name: a capitalised word, not at the
# start of a sentence, that is not one of the scorecard's own words ("this is {name}").
NAME = "{name}"
SHORT_WORD = 7  # up to this length a word may differ by one edit; longer ones by FUZZY's default


@dataclass(frozen=True)
class PhraseMatch:
    group: str
    phrase: str
    start: int  # token index in the doc
    end: int
    fuzzy: bool


@dataclass
class PhraseIndex:
    """Every phrase of one scorecard in one language, grouped (one group per check list)."""

    language: LanguageTools
    groups: dict[str, list[str]]
    matcher: PhraseMatcher = field(init=False)
    vocabulary: dict[int, dict[str, list[str]]] = field(init=False)  # length -> first letter -> words
    known: set[str] = field(init=False)
    _fuzzy_cache: dict[str, str | None] = field(init=False, default_factory=dict)
    _words: dict[tuple[str, bool], tuple[tuple[str, str, bool], ...]] = field(
        init=False, default_factory=dict
    )
    _phrases: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.matcher = PhraseMatcher(self.language.nlp.vocab, attr="NORM")
        self.known = set()
        for group, phrases in self.groups.items():
            for number, phrase in enumerate(phrases):
                words, canonical = self._pattern(phrase)
                if not words:
                    continue
                self.known.update(c for c in canonical if c != NAME)
                doc = self.language.doc(words, [True] * len(words))
                for token, norm in zip(doc, canonical, strict=True):
                    token.norm_ = norm
                self._phrases[f"{group}\x1f{number}"] = phrase
                self.matcher.add(f"{group}\x1f{number}", [doc])
        buckets: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for word in self.known:
            if len(word) >= MIN_FUZZY_LENGTH and word.isalpha():
                buckets[len(word)][word[0]].append(word)
        self.vocabulary = buckets

    def _pattern(self, phrase: str) -> tuple[list[str], list[str]]:
        words: list[str] = []
        canonical: list[str] = []
        for number, piece in enumerate(phrase.split(NAME)):
            if number:
                words.append("NAME")
                canonical.append(NAME)
            tokens = self.language.tokens(piece)
            words += tokens
            canonical += [self.language.canonical(t) for t in tokens]
        return words, canonical

    def canonical(self, token: str, *, sentence_start: bool = False) -> tuple[str, bool]:
        """The canonical form of a transcript token, and whether it was fuzzily mapped."""
        form = self.language.canonical(token)
        if form in self.known:
            return form, False
        if len(form) >= MIN_FUZZY_LENGTH and form.isalpha():
            if form not in self._fuzzy_cache:
                self._fuzzy_cache[form] = self._closest(form)
            closest = self._fuzzy_cache[form]
            if closest:
                return closest, True
        if token[:1].isupper() and token.isalpha() and not sentence_start:
            return NAME, False
        return form, False

    def analyse(self, word: str, *, sentence_start: bool) -> tuple[tuple[str, str, bool], ...]:
        """A transcript word as (token, canonical form, fuzzily mapped) triples, cached."""
        key = (word, sentence_start)
        found = self._words.get(key)
        if found is None:
            pieces = []
            start = sentence_start
            for piece in self.language.tokens(word):
                canonical, fuzzy = self.canonical(piece, sentence_start=start)
                pieces.append((piece, canonical, fuzzy))
                start = piece in {".", "?", "!"}
            found = tuple(pieces)
            if len(self._words) < 500_000:
                self._words[key] = found
        return found

    def _closest(self, form: str) -> str | None:
        best: tuple[int, str] | None = None
        for length in range(max(MIN_FUZZY_LENGTH, len(form) - 3), len(form) + 4):
            for word in self.vocabulary.get(length, {}).get(form[0], ()):
                allowed = 1 if len(word) <= SHORT_WORD else -1
                if levenshtein_compare(form, word, allowed):
                    distance = int(levenshtein(form, word))
                    if best is None or distance < best[0]:
                        best = (distance, word)
        return best[1] if best else None

    def find(self, doc: Doc, fuzzy_tokens: set[int]) -> list[PhraseMatch]:
        """All phrase occurrences in `doc` (whose NORMs are canonical forms)."""
        strings = self.language.nlp.vocab.strings
        found = []
        for match_id, start, end in self.matcher(doc):
            key = strings[match_id]
            group, _ = key.split("\x1f", 1)
            fuzzy = any(i in fuzzy_tokens for i in range(start, end))
            found.append(PhraseMatch(group, self._phrases[key], start, end, fuzzy))
        return _longest_per_group(found)


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
