"""The transcript as the checks read it: tokens with canonical forms, timings and
ASR confidence, phrase matches and conversation metrics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy
from spacy.attrs import NORM
from spacy.tokens import Doc

from qc.scoring import lexicon, nlp
from qc.scoring.definitions import (
    ObjectionCheck,
    PhraseCheck,
    QuestionCheck,
    Scorecard,
    SpeakerRole,
)
from qc.scoring.matching import UNSURE, PhraseIndex, PhraseMatch
from qc.scoring.metrics import CallMetrics, Turn, merge, turns_of

# Transcript input ------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    speaker: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...]


def segments_from(items: Iterable[Any]) -> list[Segment]:
    """Segments from ORM rows, API models or plain dicts of the transcript JSON shape."""

    def get(obj: Any, name: str) -> Any:
        return obj[name] if isinstance(obj, dict) else getattr(obj, name)

    result = []
    for item in items:
        if isinstance(item, dict):  # stored JSON: the common path, read in bulk by the backtest
            result.append(_segment_of(item))
            continue
        # Whisper's words carry their leading space (" morning"): a phrase of several words
        # only matches words without it.
        words = tuple(
            Word(
                float(get(w, "start")),
                float(get(w, "end")),
                str(get(w, "word")).strip(),
                float(get(w, "probability")),
            )
            for w in get(item, "words") or ()
            if str(get(w, "word")).strip()
        )
        speaker = get(item, "speaker")
        result.append(
            Segment(
                str(getattr(speaker, "value", speaker)),
                float(get(item, "start")),
                float(get(item, "end")),
                str(get(item, "text")),
                words,
            )
        )
    return sorted(result, key=lambda s: (s.start, s.end))


def _segment_of(item: dict[str, Any]) -> Segment:
    words = []
    for w in item.get("words") or ():
        text = str(w["word"]).strip()
        if text:
            words.append(Word(float(w["start"]), float(w["end"]), text, float(w["probability"])))
    speaker = item["speaker"]
    return Segment(
        str(getattr(speaker, "value", speaker)),
        float(item["start"]),
        float(item["end"]),
        str(item["text"]),
        tuple(words),
    )


@dataclass(slots=True)  # not frozen: a 5-minute call makes ~1,000 of these, and speed counts
class Token:
    text: str
    surface: str
    canonical: str
    segment: int
    start: float
    end: float
    probability: float
    ends_word: bool


# The call as the checks see it -----------------------------------------------------------


@dataclass
class CallText:
    segments: list[Segment]
    tokens: list[Token]
    matches: list[PhraseMatch]
    metrics: CallMetrics
    turns: list[Turn]
    speakers_separated: bool
    language: str

    def speaker_of(self, token: int) -> str:
        return self.segments[self.tokens[token].segment].speaker

    def span(self, start: int, end: int) -> tuple[float, float, str, float]:
        """Start, end, text and the weakest word probability of tokens start..end."""
        tokens = self.tokens[start:end]
        text = "".join(t.text + (" " if t.ends_word else "") for t in tokens).strip()
        probability = min(t.probability for t in tokens)
        return tokens[0].start, tokens[-1].end, text, probability

    def spoken_by(self, role: SpeakerRole) -> set[str]:
        if role is SpeakerRole.ANY or not self.speakers_separated:
            return {"agent", "customer", "unknown"}
        return {role.value}

    def mean_probability(self, speakers: set[str], lo: float = 0.0, hi: float = float("inf")) -> float:
        """Mean ASR confidence of the words `speakers` said between `lo` and `hi` seconds."""
        total = count = 0.0
        for speaker, start, probability in self._words:
            if speaker in speakers and lo <= start <= hi:
                total += probability
                count += 1
        return total / count if count else 1.0

    @cached_property
    def _words(self) -> list[tuple[str, float, float]]:
        return [
            (self.segments[t.segment].speaker, t.start, t.probability)
            for t in self.tokens
            if t.text.isalnum()
        ]


def _tokens(index: PhraseIndex, segments: list[Segment]) -> tuple[list[Token], set[int]]:
    tokens: list[Token] = []
    fuzzy: set[int] = set()
    for number, segment in enumerate(segments):
        sentence_start = True
        for word in segment.words or _words_from_text(segment):
            pieces = index.analyse(word.word, sentence_start=sentence_start, unsure=word.probability < UNSURE)
            for position, piece in enumerate(pieces):
                if piece.fuzzy:
                    fuzzy.add(len(tokens))
                tokens.append(
                    Token(
                        piece.text,
                        piece.surface,
                        piece.canonical,
                        number,
                        word.start,
                        word.end,
                        word.probability,
                        position == len(pieces) - 1,
                    )
                )
            if pieces:
                sentence_start = pieces[-1].text in {".", "?", "!"}
    return tokens, fuzzy


def _doc(tools: nlp.LanguageTools, tokens: list[Token], forms: list[str]) -> Doc:
    """A spaCy doc of the tokens whose NORM attribute holds `forms`."""
    doc = tools.doc([t.text for t in tokens], [t.ends_word for t in tokens])
    if tokens:
        strings = tools.nlp.vocab.strings
        norms = numpy.array([[strings.add(form)] for form in forms], dtype="uint64")
        doc.from_array([NORM], norms)  # type: ignore[arg-type]
    return doc


def _words_from_text(segment: Segment) -> tuple[Word, ...]:
    """Segments without word timings (e.g. POST /api/score): spread the words evenly."""
    words = segment.text.split()
    if not words:
        return ()
    step = (segment.end - segment.start) / len(words)
    return tuple(
        Word(segment.start + i * step, segment.start + (i + 1) * step, w, 1.0) for i, w in enumerate(words)
    )


def read_call(card: Scorecard, language: str, segments: list[Segment], duration_s: float) -> CallText:
    tools = nlp.tools(language)
    index = phrase_index(card, language)
    tokens, fuzzy = _tokens(index, segments)
    lemma_doc = _doc(tools, tokens, [t.canonical for t in tokens])
    surface_doc = _doc(tools, tokens, [t.surface for t in tokens]) if index.exact_groups else lemma_doc
    matches = index.find(lemma_doc, surface_doc, fuzzy, [t.segment for t in tokens])
    separated = any(s.speaker in {"agent", "customer"} for s in segments)
    metrics = _metrics(segments, duration_s)
    return CallText(segments, tokens, matches, metrics, metrics.turns, separated, language)


def _metrics(segments: list[Segment], duration_s: float) -> CallMetrics:
    speech: dict[str, list[tuple[float, float]]] = {}
    word_counts: dict[str, int] = {}
    for segment in segments:
        spans = [(w.start, w.end) for w in segment.words] or [(segment.start, segment.end)]
        speech.setdefault(segment.speaker, []).extend(spans)
        word_counts[segment.speaker] = word_counts.get(segment.speaker, 0) + len(
            segment.words or segment.text.split()
        )
    return CallMetrics(
        duration_s=max(duration_s, max((s.end for s in segments), default=0.0)),
        speech={speaker: merge(spans) for speaker, spans in speech.items()},
        words=word_counts,
        turns=turns_of([(s.speaker, s.start, s.end) for s in segments]),
        word_spans=speech,
    )


OTHER_SIDE = {"agent": "customer", "customer": "agent"}


def exchanged(call: CallText) -> CallText:
    """The same call with the agent's and the customer's segments swapped. Tokens and phrase
    matches do not depend on who spoke, so nothing is read again: only who said what, the
    turns and the per-speaker metrics change."""
    segments = [replace(s, speaker=OTHER_SIDE.get(s.speaker, s.speaker)) for s in call.segments]
    metrics = _metrics(segments, call.metrics.duration_s)
    return CallText(
        segments, call.tokens, call.matches, metrics, metrics.turns, call.speakers_separated, call.language
    )


@lru_cache(maxsize=64)
def _phrase_index(
    card_hash: str, language: str, groups: tuple[tuple[str, tuple[str, ...]], ...], exact: frozenset[str]
) -> PhraseIndex:
    return PhraseIndex(nlp.tools(language), {name: list(phrases) for name, phrases in groups}, exact)


def phrase_index(card: Scorecard, language: str) -> PhraseIndex:
    """The compiled phrases of `card` in `language`, built once per scorecard version."""
    known = _indexes.get((id(card), language))
    if known is not None and known[0] is card:
        return known[1]
    if len(_indexes) > 64:
        _indexes.clear()
    groups, exact = phrase_groups(card, language)
    index = _phrase_index(card.content_hash(), language, tuple(sorted(groups.items())), frozenset(exact))
    _indexes[(id(card), language)] = (card, index)
    return index


def phrase_groups(card: Scorecard, language: str) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """The phrase lists of `card` in `language` as the index groups them, and the groups
    matched on the words as written."""
    groups: dict[str, tuple[str, ...]] = {}
    exact: set[str] = set()
    for item in card.items:
        check = item.check
        if isinstance(check, PhraseCheck):
            groups[item.id] = tuple(check.phrases.get(language, ()))
            if check.exceptions.get(language):
                groups[f"{item.id}:except"] = tuple(check.exceptions[language])
            if check.match == "exact":
                exact |= {item.id, f"{item.id}:except"}
        elif isinstance(check, ObjectionCheck):
            groups[f"{item.id}:objection"] = tuple(check.objections.get(language, ()))
            groups[f"{item.id}:handling"] = tuple(check.handling.get(language, ()))
        elif isinstance(check, QuestionCheck):
            openers = (*lexicon.question_openers(language), *check.openers.get(language, ()))
            groups[f"{item.id}:opener"] = openers
    return groups, exact


# Per scorecard object (kept alive here, so its id is not reused): no hashing per call.
_indexes: dict[tuple[int, str], tuple[Scorecard, PhraseIndex]] = {}
