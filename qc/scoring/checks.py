"""The automatic checks: phrases said or not said, open questions, objections, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from qc.kit.timeutil import format_clock
from qc.scoring import lexicon
from qc.scoring.definitions import (
    Item,
    Metric,
    MetricCheck,
    ObjectionCheck,
    PhraseCheck,
    QuestionCheck,
    SpeakerRole,
    Status,
    Window,
)
from qc.scoring.matching import PhraseMatch
from qc.scoring.results import Evidence, ItemResult
from qc.scoring.transcript import CallText

FUZZY_PENALTY = 0.85
# Mono recordings cannot tell who spoke: speaker-specific verdicts go to a person.
MONO_CONFIDENCE_CAP = 0.45
MAX_EVIDENCE = 6


def run(item: Item, call: CallText, done: dict[str, ItemResult]) -> ItemResult:
    """The result of `item`'s check; `done` holds the items it may refer to."""
    check = item.check
    if isinstance(check, PhraseCheck):
        return _phrase(item, check, call, done)
    if isinstance(check, QuestionCheck):
        return _questions(item, check, call, done)
    if isinstance(check, ObjectionCheck):
        return _objection(item, check, call)
    assert isinstance(check, MetricCheck)
    return _metric(item, check, call)


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


def negated(call: CallText, match: PhraseMatch) -> bool:
    """A negation within a few tokens before the match, in the same clause."""
    words = lexicon.negations(call.language)
    segment = call.tokens[match.start].segment
    for index in range(match.start - 1, max(-1, match.start - 1 - lexicon.NEGATION_WINDOW), -1):
        token = call.tokens[index]
        if token.segment != segment or token.text in _CLAUSE_BREAKS:
            return False
        if token.canonical in words or token.surface in words:  # "nije" lemmatises to "biti"
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
    denied: list[Evidence] = []
    exceptions = _matches(call, f"{item.id}:except", speakers) if check.exceptions else []
    for match in _matches(call, item.id, speakers):
        covering = next((e for e in exceptions if e.start <= match.start and match.end <= e.end), None)
        if covering is not None:
            denied.append(
                _evidence(call, covering, "excepted", f'"{match.phrase}" inside "{covering.phrase}"')
            )
            continue
        if check.negation == "respect" and negated(call, match):
            denied.append(_evidence(call, match, "negated", f'"{match.phrase}" negated'))
            continue
        evidence = _evidence(call, match, "match", f'"{match.phrase}"')
        (inside if bounds.lo <= evidence.start <= bounds.hi else outside).append(evidence)
    where = f" {bounds.description}" if bounds.description else ""
    notes = "".join(f"; {n}" for n in bounds.notes)
    if check.mode == "said":
        return _said(item, check, call, bounds, inside, outside, denied, where, notes)
    return _not_said(item, check, call, bounds, inside, denied, where, notes)


def _said(
    item: Item,
    check: PhraseCheck,
    call: CallText,
    bounds: Bounds,
    inside: list[Evidence],
    outside: list[Evidence],
    denied: list[Evidence],
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
    elif denied:
        summary = "Only said in the negative or as an exception: " + ", ".join(
            f'"{e.text}"' for e in denied[:3]
        )
    else:
        needed = f"{check.min_count} times " if check.min_count > 1 else ""
        summary = f"Not said {needed}{where.strip() or 'in the call'}".rstrip()
    if inside:
        summary += f" (found {len(inside)} of {check.min_count})"
    evidence = [*inside, *[_as(e, "outside_window") for e in outside], *denied][:MAX_EVIDENCE]
    return ItemResult(item.id, Status.FAIL, _cap_for_mono(call, confidence), summary + notes, evidence)


def _not_said(
    item: Item,
    check: PhraseCheck,
    call: CallText,
    bounds: Bounds,
    inside: list[Evidence],
    denied: list[Evidence],
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
    if denied:
        summary += "; negated uses and exceptions ignored: " + ", ".join(f'"{e.text}"' for e in denied[:3])
    return ItemResult(item.id, Status.PASS, _cap_for_mono(call, confidence), summary + notes, denied)


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
    if not lexicon.question_openers(call.language) and not check.openers.get(call.language):
        return ItemResult(
            item.id,
            Status.NEEDS_REVIEW,
            0.0,
            f"No question words are known for {call.language!r}; add openers to the check",
        )
    openers = [m for m in call.matches if m.group == f"{item.id}:opener"]
    # With punctuation (Whisper writes it), a question ends with "?"; unpunctuated text
    # (some integrations) can only be judged by its first words.
    punctuated = any(t.text in {".", "?", "!"} for t in call.tokens)
    questions: list[Evidence] = []
    for start, end in sentences(call):
        if call.speaker_of(start) not in speakers:
            continue
        first, last = call.tokens[start], call.tokens[end - 1]
        if not bounds.lo <= first.start <= bounds.hi:
            continue
        opened = next((m for m in openers if start <= m.start < start + lexicon.OPENER_WINDOW), None)
        if opened is not None and indefinite(call, opened):
            opened = None  # "что-нибудь ещё?" asks for nothing in particular
        if opened is not None and (last.text == "?" or not punctuated):
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


def indefinite(call: CallText, opener: PhraseMatch) -> bool:
    """An interrogative turned indefinite pronoun: что-нибудь, ce-va, qualcosa..."""
    following = call.tokens[opener.end : opener.end + 2]
    return any(t.surface in lexicon.INDEFINITE_MARKERS for t in following)


def sentences(call: CallText) -> list[tuple[int, int]]:
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
    objections = [m for m in _matches(call, f"{item.id}:objection", {"customer"}) if not negated(call, m)]
    if not objections:
        return ItemResult(
            item.id, Status.NA, call.mean_probability({"customer"}), "The customer raised no objection"
        )
    handling = [m for m in _matches(call, f"{item.id}:handling", {"agent"}) if not negated(call, m)]
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
