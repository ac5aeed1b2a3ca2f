"""Check a transcript against a scorecard: a pure function, no database, no audio.

Each item with a check gets a status (pass, fail, n/a, needs review), a confidence and
evidence pointing at moments of the call. Low ASR confidence on the words that
decided an item turns it into "needs review" rather than a wrong verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from qc.kit.timeutil import format_clock
from qc.scoring import lexicon, nlp
from qc.scoring.definitions import (
    Item,
    Metric,
    MetricCheck,
    ObjectionCheck,
    PhraseCheck,
    QuestionCheck,
    Scorecard,
    SpeakerRole,
    Status,
    Window,
    references,
)
from qc.scoring.matching import PhraseIndex, PhraseMatch
from qc.scoring.metrics import CallMetrics, Turn, merge, turns_of

LOW_CONFIDENCE = 0.5  # below this, the automatic answer is only a suggestion
CRITICAL_CONFIDENCE = 0.8  # a critical item fails the whole call only when this sure
FUZZY_PENALTY = 0.85
MONO_CONFIDENCE_CAP = 0.55
MAX_EVIDENCE = 6


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
        words = tuple(
            Word(
                float(get(w, "start")),
                float(get(w, "end")),
                str(get(w, "word")),
                float(get(w, "probability")),
            )
            for w in get(item, "words") or ()
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


@dataclass(frozen=True)
class Token:
    text: str
    canonical: str
    segment: int
    start: float
    end: float
    probability: float
    ends_word: bool


# Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    kind: str  # match, violation, negated, outside_window, objection, handling, unhandled, question, metric
    speaker: str
    start: float
    end: float
    text: str
    rule: str
    segment: int | None = None
    probability: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "speaker": self.speaker,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
            "rule": self.rule,
            "segment": self.segment,
            "probability": None if self.probability is None else round(self.probability, 3),
        }


@dataclass
class ItemResult:
    item_id: str
    status: Status
    confidence: float
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    value: float | None = None

    @property
    def anchor(self) -> float | None:
        """When the item happened: its first in-window evidence."""
        found = [e.start for e in self.evidence if e.kind in {"match", "question", "handling"}]
        return min(found) if found else None


@dataclass
class ScoreResult:
    scorecard_id: str
    language: str
    items: list[ItemResult]
    score: float | None
    critical_failed: list[str]
    speakers_separated: bool

    @property
    def final_score(self) -> float | None:
        return 0.0 if self.critical_failed else self.score


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
        probabilities = [
            t.probability
            for t in self.tokens
            if self.segments[t.segment].speaker in speakers and lo <= t.start <= hi and t.text.isalnum()
        ]
        return sum(probabilities) / len(probabilities) if probabilities else 1.0


def _tokens(
    language: nlp.LanguageTools, index: PhraseIndex, segments: list[Segment]
) -> tuple[list[Token], set[int]]:
    tokens: list[Token] = []
    fuzzy: set[int] = set()
    for number, segment in enumerate(segments):
        words = segment.words or _words_from_text(segment)
        for word in words:
            pieces = language.tokens(word.word)
            for position, piece in enumerate(pieces):
                canonical, was_fuzzy = index.canonical(piece)
                if was_fuzzy:
                    fuzzy.add(len(tokens))
                tokens.append(
                    Token(
                        piece,
                        canonical,
                        number,
                        word.start,
                        word.end,
                        word.probability,
                        ends_word=position == len(pieces) - 1,
                    )
                )
    return tokens, fuzzy


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
    tokens, fuzzy = _tokens(tools, index, segments)
    doc = tools.doc([t.text for t in tokens], [t.ends_word for t in tokens])
    for token, info in zip(doc, tokens, strict=True):
        token.norm_ = info.canonical
    matches = [m for m in index.find(doc, fuzzy) if tokens[m.start].segment == tokens[m.end - 1].segment]
    separated = any(s.speaker in {"agent", "customer"} for s in segments)
    speech: dict[str, list[tuple[float, float]]] = {}
    word_counts: dict[str, int] = {}
    for segment in segments:
        spans = [(w.start, w.end) for w in segment.words] or [(segment.start, segment.end)]
        speech.setdefault(segment.speaker, []).extend(spans)
        word_counts[segment.speaker] = word_counts.get(segment.speaker, 0) + len(
            segment.words or segment.text.split()
        )
    turns = turns_of([(s.speaker, s.start, s.end) for s in segments])
    metrics = CallMetrics(
        duration_s=max(duration_s, segments[-1].end if segments else 0.0),
        speech={speaker: merge(spans) for speaker, spans in speech.items()},
        words=word_counts,
        turns=turns,
    )
    return CallText(segments, tokens, matches, metrics, turns, separated, language)


@lru_cache(maxsize=64)
def _phrase_index(
    card_hash: str, language: str, groups: tuple[tuple[str, tuple[str, ...]], ...]
) -> PhraseIndex:
    return PhraseIndex(nlp.tools(language), {name: list(phrases) for name, phrases in groups})


def phrase_index(card: Scorecard, language: str) -> PhraseIndex:
    """The compiled phrases of `card` in `language`, built once per scorecard version."""
    groups: dict[str, tuple[str, ...]] = {}
    for item in card.items:
        check = item.check
        if isinstance(check, PhraseCheck):
            groups[item.id] = tuple(check.phrases.get(language, ()))
        elif isinstance(check, ObjectionCheck):
            groups[f"{item.id}:objection"] = tuple(check.objections.get(language, ()))
            groups[f"{item.id}:handling"] = tuple(check.handling.get(language, ()))
        elif isinstance(check, QuestionCheck):
            openers = (*lexicon.question_openers(language), *check.openers.get(language, ()))
            groups[f"{item.id}:opener"] = openers
    return _phrase_index(card.content_hash(), language, tuple(sorted(groups.items())))


# Scoring -------------------------------------------------------------------------------------


def score_transcript(
    card: Scorecard, *, language: str, segments: Sequence[Segment], duration_s: float = 0.0
) -> ScoreResult:
    """Run every check of `card` on a transcript in `language`."""
    call = read_call(card, language, list(segments), duration_s)
    results: dict[str, ItemResult] = {}
    for item in _dependency_order(card):
        if item.check is None:
            continue
        results[item.id] = _check_item(item, card, call, results)
    ordered = [results[i.id] for i in card.items if i.id in results]
    return ScoreResult(
        scorecard_id=card.id,
        language=language,
        items=ordered,
        score=_weighted_score(card, results),
        critical_failed=[
            i.id for i in card.items if i.critical and i.id in results and results[i.id].status is Status.FAIL
        ],
        speakers_separated=call.speakers_separated,
    )


def _dependency_order(card: Scorecard) -> list[Item]:
    """Items after the items their windows and n/a conditions refer to."""
    ordered: list[Item] = []
    placed: set[str] = set()
    pending = list(card.items)
    while pending:
        progressed = False
        for item in list(pending):
            if all(ref in placed for ref in references(item)):
                ordered.append(item)
                placed.add(item.id)
                pending.remove(item)
                progressed = True
        if not progressed:  # a cycle: keep file order for the rest
            ordered.extend(pending)
            break
    return ordered


def _weighted_score(card: Scorecard, results: dict[str, ItemResult]) -> float | None:
    earned = possible = 0.0
    for section in card.sections:
        section_total = sum(i.weight for i in section.items)
        for item in section.items:
            result = results.get(item.id)
            if result is None or result.status not in (Status.PASS, Status.FAIL):
                continue
            weight = section.weight * item.weight / section_total
            possible += weight
            earned += weight if result.status is Status.PASS else 0.0
    return round(100 * earned / possible, 1) if possible else None


def _check_item(item: Item, card: Scorecard, call: CallText, done: dict[str, ItemResult]) -> ItemResult:
    na = _not_applicable(item, call, done)
    if na is not None:
        return na
    check = item.check
    if isinstance(check, PhraseCheck | ObjectionCheck) and _missing_language(check, call.language):
        return ItemResult(
            item.id,
            Status.NEEDS_REVIEW,
            0.0,
            f"The scorecard has no phrases in {call.language!r} for this check",
        )
    if isinstance(check, PhraseCheck):
        result = _phrase(item, check, call, done)
    elif isinstance(check, QuestionCheck):
        result = _questions(item, check, call, done)
    elif isinstance(check, ObjectionCheck):
        result = _objection(item, check, call)
    else:
        assert isinstance(check, MetricCheck)
        result = _metric(item, check, call)
    if result.status in (Status.PASS, Status.FAIL) and result.confidence < LOW_CONFIDENCE:
        result.summary += f" (low transcript confidence: {result.confidence:.0%}; please listen)"
        result.status = Status.NEEDS_REVIEW
    elif item.critical and result.status is Status.FAIL and result.confidence < CRITICAL_CONFIDENCE:
        # A critical fail zeroes the call: only when the words are certain.
        result.summary += (
            f" (transcript confidence {result.confidence:.0%}; confirm before it fails the call)"
        )
        result.status = Status.NEEDS_REVIEW
    return result


def _missing_language(check: PhraseCheck | ObjectionCheck, language: str) -> bool:
    lists = [check.phrases] if isinstance(check, PhraseCheck) else [check.objections, check.handling]
    return any(language not in phrases for phrases in lists)


def _not_applicable(item: Item, call: CallText, done: dict[str, ItemResult]) -> ItemResult | None:
    rule = item.not_applicable_when
    if rule is None:
        return None
    if rule.call_shorter_than_s and call.metrics.duration_s < rule.call_shorter_than_s:
        return ItemResult(
            item.id, Status.NA, 1.0, f"The call is shorter than {rule.call_shorter_than_s:.0f} s"
        )
    if (
        rule.item_not_passed
        and done.get(rule.item_not_passed)
        and done[rule.item_not_passed].status is not Status.PASS
    ):
        return ItemResult(item.id, Status.NA, 1.0, f"Applies only when {rule.item_not_passed!r} passed")
    if rule.no_objection and not _objection_matches(call, done):
        return ItemResult(item.id, Status.NA, 1.0, "The customer raised no objection")
    return None


def _objection_matches(call: CallText, done: dict[str, ItemResult]) -> bool:
    """Did the customer raise any objection any objection check of the scorecard knows?"""
    customer = call.spoken_by(SpeakerRole.CUSTOMER)
    return any(
        m.group.endswith(":objection") and call.speaker_of(m.start) in customer and not _negated(call, m)
        for m in call.matches
    )


# Windows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    lo: float
    hi: float
    description: str
    notes: tuple[str, ...] = ()


def _bounds(window: Window, call: CallText, done: dict[str, ItemResult]) -> Bounds:
    lo, hi, parts, notes = 0.0, float("inf"), [], []
    if window.first_seconds:
        hi = min(hi, window.first_seconds)
        parts.append(f"in the first {window.first_seconds:.0f} s")
    if window.last_seconds:
        lo = max(lo, call.metrics.duration_s - window.last_seconds)
        parts.append(f"in the last {window.last_seconds:.0f} s")
    for reference, before in ((window.after, False), (window.before, True)):
        if not reference:
            continue
        anchor = done[reference].anchor if reference in done else None
        if anchor is None:
            notes.append(f"'{reference}' was not found, so its order was not checked")
            continue
        if before:
            hi = min(hi, anchor)
            parts.append(f"before '{reference}' ({format_clock(anchor)})")
        else:
            lo = max(lo, anchor)
            parts.append(f"after '{reference}' ({format_clock(anchor)})")
    return Bounds(lo, hi, " and ".join(parts), tuple(notes))


def _negated(call: CallText, match: PhraseMatch) -> bool:
    """A negation within a few tokens before the match, in the same clause."""
    words = lexicon.negations(call.language)
    segment = call.tokens[match.start].segment
    for index in range(match.start - 1, max(-1, match.start - 1 - lexicon.NEGATION_WINDOW), -1):
        token = call.tokens[index]
        if token.segment != segment or token.text in _CLAUSE_BREAKS:
            return False
        if token.canonical in words:
            return True
    return False


_CLAUSE_BREAKS = frozenset({".", ",", "?", "!", ";", ":", "—", "-"})


def _matches(call: CallText, group: str, speakers: set[str]) -> list[PhraseMatch]:
    return [m for m in call.matches if m.group == group and call.speaker_of(m.start) in speakers]


def _evidence(call: CallText, match: PhraseMatch, kind: str, rule: str) -> Evidence:
    start, end, text, probability = call.span(match.start, match.end)
    confidence = probability * (FUZZY_PENALTY if match.fuzzy else 1.0)
    if match.fuzzy:
        rule += f' (close to "{match.phrase}")'
    return Evidence(
        kind,
        call.speaker_of(match.start),
        start,
        end,
        text,
        rule,
        call.tokens[match.start].segment,
        confidence,
    )


def _cap_for_mono(call: CallText, confidence: float) -> float:
    return confidence if call.speakers_separated else min(confidence, MONO_CONFIDENCE_CAP)


# Checks ------------------------------------------------------------------------------------------


def _phrase(item: Item, check: PhraseCheck, call: CallText, done: dict[str, ItemResult]) -> ItemResult:
    speakers = call.spoken_by(check.speaker)
    bounds = _bounds(check.within, call, done)
    inside: list[Evidence] = []
    outside: list[Evidence] = []
    negated: list[Evidence] = []
    for match in _matches(call, item.id, speakers):
        if check.negation == "respect" and _negated(call, match):
            negated.append(_evidence(call, match, "negated", f'"{match.phrase}" negated'))
            continue
        evidence = _evidence(call, match, "match", f'"{match.phrase}"')
        (inside if bounds.lo <= evidence.start <= bounds.hi else outside).append(evidence)
    where = f" {bounds.description}" if bounds.description else ""
    notes = "".join(f"; {n}" for n in bounds.notes)
    if check.mode == "said":
        return _said(item, check, call, bounds, inside, outside, negated, where, notes)
    return _not_said(item, check, call, bounds, inside, negated, where, notes)


def _said(
    item: Item,
    check: PhraseCheck,
    call: CallText,
    bounds: Bounds,
    inside: list[Evidence],
    outside: list[Evidence],
    negated: list[Evidence],
    where: str,
    notes: str,
) -> ItemResult:
    if len(inside) >= check.min_count:
        confidence = max(e.probability or 0 for e in inside)
        said = ", ".join(f'"{e.text}" at {format_clock(e.start)}' for e in inside[:3])
        return ItemResult(
            item.id,
            Status.PASS,
            _cap_for_mono(call, confidence),
            f"Said {said}{notes}",
            inside[:MAX_EVIDENCE],
        )
    speakers = call.spoken_by(check.speaker)
    confidence = call.mean_probability(speakers, bounds.lo, bounds.hi)
    if outside:
        summary = f"Said only outside the window (needed{where}): " + ", ".join(
            f'"{e.text}" at {format_clock(e.start)}' for e in outside[:3]
        )
    elif negated:
        summary = "Only said in the negative: " + ", ".join(f'"{e.text}"' for e in negated[:3])
    else:
        needed = f"{check.min_count} times " if check.min_count > 1 else ""
        summary = f"Not said {needed}{where.strip() or 'in the call'}".rstrip()
    if inside:
        summary += f" (found {len(inside)} of {check.min_count})"
    evidence = [*inside, *[_as(e, "outside_window") for e in outside], *negated][:MAX_EVIDENCE]
    return ItemResult(item.id, Status.FAIL, _cap_for_mono(call, confidence), summary + notes, evidence)


def _not_said(
    item: Item,
    check: PhraseCheck,
    call: CallText,
    bounds: Bounds,
    inside: list[Evidence],
    negated: list[Evidence],
    where: str,
    notes: str,
) -> ItemResult:
    if inside:
        violations = [_as(e, "violation") for e in inside]
        confidence = max(e.probability or 0 for e in violations)
        said = ", ".join(f'"{e.text}" at {format_clock(e.start)}' for e in violations[:3])
        result = ItemResult(
            item.id, Status.FAIL, confidence, f"Said {said}{notes}", violations[:MAX_EVIDENCE]
        )
        if not call.speakers_separated and check.speaker is not SpeakerRole.ANY:
            result.status = Status.NEEDS_REVIEW
            result.summary += " (mono recording: it may have been the other speaker)"
        return result
    speakers = call.spoken_by(check.speaker)
    confidence = call.mean_probability(speakers, bounds.lo, bounds.hi)
    summary = f"None of the phrases was said{where}"
    if negated:
        summary += "; negated uses ignored: " + ", ".join(f'"{e.text}"' for e in negated[:3])
    return ItemResult(item.id, Status.PASS, _cap_for_mono(call, confidence), summary + notes, negated)


def _as(evidence: Evidence, kind: str) -> Evidence:
    return Evidence(
        kind,
        evidence.speaker,
        evidence.start,
        evidence.end,
        evidence.text,
        evidence.rule,
        evidence.segment,
        evidence.probability,
    )


def _questions(item: Item, check: QuestionCheck, call: CallText, done: dict[str, ItemResult]) -> ItemResult:
    speakers = call.spoken_by(check.speaker)
    bounds = _bounds(check.within, call, done)
    openers = [m for m in call.matches if m.group == f"{item.id}:opener"]
    questions: list[Evidence] = []
    for start, end in _sentences(call):
        if call.speaker_of(start) not in speakers:
            continue
        first, last = call.tokens[start], call.tokens[end - 1]
        if not bounds.lo <= first.start <= bounds.hi:
            continue
        opened = next((m for m in openers if start <= m.start < start + lexicon.OPENER_WINDOW), None)
        asks = last.text == "?" or opened is not None
        if asks and opened is not None:
            s, e, text, probability = call.span(start, end)
            questions.append(
                Evidence(
                    "question",
                    call.speaker_of(start),
                    s,
                    e,
                    text,
                    f'open question ("{opened.phrase}")',
                    first.segment,
                    probability,
                )
            )
    where = f" {bounds.description}" if bounds.description else ""
    notes = "".join(f"; {n}" for n in bounds.notes)
    if len(questions) >= check.min_open:
        confidence = sum(q.probability or 0 for q in questions) / len(questions)
        return ItemResult(
            item.id,
            Status.PASS,
            _cap_for_mono(call, confidence),
            f"Asked {len(questions)} open questions{where} (needed {check.min_open}){notes}",
            questions[:MAX_EVIDENCE],
            value=float(len(questions)),
        )
    confidence = call.mean_probability(speakers, bounds.lo, bounds.hi)
    return ItemResult(
        item.id,
        Status.FAIL,
        _cap_for_mono(call, confidence),
        f"Asked {len(questions)} open question{'s' if len(questions) != 1 else ''}{where}, "
        f"needed {check.min_open}{notes}",
        questions[:MAX_EVIDENCE],
        value=float(len(questions)),
    )


def _sentences(call: CallText) -> list[tuple[int, int]]:
    """Token ranges of sentences: split at . ? ! and at segment boundaries."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index, token in enumerate(call.tokens):
        last_of_segment = index + 1 == len(call.tokens) or call.tokens[index + 1].segment != token.segment
        if token.text in {".", "?", "!"} or last_of_segment:
            if index + 1 > start:
                spans.append((start, index + 1))
            start = index + 1
    return spans


def _objection(item: Item, check: ObjectionCheck, call: CallText) -> ItemResult:
    if not call.speakers_separated:
        return ItemResult(
            item.id,
            Status.NEEDS_REVIEW,
            0.0,
            "Speakers are not separated (mono), so objections and answers cannot be told apart",
        )
    objections = [m for m in _matches(call, f"{item.id}:objection", {"customer"}) if not _negated(call, m)]
    if not objections:
        return ItemResult(
            item.id, Status.NA, call.mean_probability({"customer"}), "The customer raised no objection"
        )
    handling = [m for m in _matches(call, f"{item.id}:handling", {"agent"}) if not _negated(call, m)]
    evidence: list[Evidence] = []
    unhandled = 0
    for objection in objections:
        said = _evidence(call, objection, "objection", f'objection "{objection.phrase}"')
        evidence.append(said)
        turn = _turn_index(call, objection.start)
        next_agent_turns = [i for i in range(turn + 1, len(call.turns)) if call.turns[i].speaker == "agent"]
        window = set(next_agent_turns[: check.within_turns])
        answer = next((h for h in handling if _turn_index(call, h.start) in window), None)
        if answer is None:
            unhandled += 1
            evidence.append(_as(said, "unhandled"))
        else:
            evidence.append(_evidence(call, answer, "handling", f'handled with "{answer.phrase}"'))
    confidence = min(e.probability or 0 for e in evidence)
    if unhandled:
        return ItemResult(
            item.id,
            Status.FAIL,
            confidence,
            f"{unhandled} of {len(objections)} objection(s) got no handling in the agent's next "
            f"{check.within_turns} turn(s)",
            evidence[:MAX_EVIDENCE],
        )
    return ItemResult(
        item.id,
        Status.PASS,
        confidence,
        f"Every objection ({len(objections)}) was answered",
        evidence[:MAX_EVIDENCE],
    )


def _turn_index(call: CallText, token: int) -> int:
    segment = call.tokens[token].segment
    return next(i for i, turn in enumerate(call.turns) if segment in turn.segments)


def _metric(item: Item, check: MetricCheck, call: CallText) -> ItemResult:
    metric = check.metric
    if metric.needs_speakers and not call.speakers_separated:
        return ItemResult(
            item.id,
            Status.NEEDS_REVIEW,
            0.0,
            f"{_metric_name(metric)} needs separated speakers (this is a mono recording)",
        )
    value = call.metrics.value(metric)
    limits = []
    if check.min is not None:
        limits.append(f"at least {check.min:g}")
    if check.max is not None:
        limits.append(f"at most {check.max:g}")
    ok = (check.min is None or value >= check.min) and (check.max is None or value <= check.max)
    summary = (
        f"{_metric_name(metric)}: {value:.0f} {metric.unit} (wanted {' and '.join(limits)} {metric.unit})"
    )
    evidence = []
    if metric is Metric.LONGEST_MONOLOGUE:
        turn = call.metrics.longest_agent_turn()
        if turn is not None:
            evidence.append(
                Evidence(
                    "metric",
                    "agent",
                    turn.start,
                    turn.end,
                    call.segments[turn.segments[0]].text[:200],
                    "longest agent monologue",
                    turn.segments[0],
                    None,
                )
            )
    return ItemResult(
        item.id, Status.PASS if ok else Status.FAIL, 1.0, summary, evidence, value=round(value, 2)
    )


def _metric_name(metric: Metric) -> str:
    return {
        Metric.TALK_RATIO: "Agent talk ratio",
        Metric.LONGEST_MONOLOGUE: "Longest agent monologue",
        Metric.SILENCE_SHARE: "Silence",
        Metric.OVERTALK: "Overtalk",
        Metric.WORDS_PER_MINUTE: "Agent speaking rate",
        Metric.CUSTOMER_TURNS: "Customer turns",
    }[metric]
