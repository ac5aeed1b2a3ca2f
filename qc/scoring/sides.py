"""Which channel is the agent's: a stereo call's declared sides checked against what each says.

Telephony exports often declare the agent on the wrong channel; then every check of the
agent fails (the "agent" never greeted) and the review is nonsense. The yardstick is the
scorecard's own agent script, in the call's language: its agent phrase checks (greeting,
company, own name, script phrases, closing) run once with the sides as declared and once
exchanged. Reading the transcript (tokens, lemmas, every phrase found) is the costly part
of scoring and is done once: matches do not depend on who spoke, so exchanging the sides
only relabels the segments and runs the checks again on the same matches.

Each side earns points:

- script: 1 for each agent phrase item the side says (where the item's window wants it) and
  the other side does not; an item both say ("hello", "thanks, bye") tells nothing;
- questions: 1 to the side asking at least `MIN_QUESTIONS` open questions and more than twice
  as many as the other (the agent asks most needs-discovery questions);
- opening: 1 to the side that opens with the script: the first turn holding phrases of two or
  more opening items (greeting and company, or greeting and own name). Who says "hello"
  first does not count: on an outbound call the customer answers with it.

The verdict: "swapped" when the side declared as the customer's leads by `SWAP_MARGIN` points,
at least `SCRIPT_LEAD` of them from the script (questions and the opening alone never swap
a call); "as declared" when the declared agent leads by `DECLARED_MARGIN`; else "unsure" (a
mono call, too little speech, no script phrases in the language, or too close to call).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qc.scoring import checks, engine, lexicon
from qc.scoring.definitions import PhraseCheck, Scorecard, SpeakerRole
from qc.scoring.results import ScoreResult
from qc.scoring.transcript import CallText, Segment, exchanged

# Swapping acts on the data, so it needs more than confirming the declared sides: the script's
# opening alone (greeting, company, own name) is 3 points; one stray phrase of a customer's
# ("thank you, bye") or a couple of their questions is not.
SWAP_MARGIN = 3
SCRIPT_LEAD = 2
DECLARED_MARGIN = 1
MIN_WORDS = 20  # both sides together: fewer is a call too short to judge
MIN_SCRIPT = 2  # script items the more agent-like side says: fewer tells nothing
MIN_QUESTIONS = 2
MAX_QUOTES = 3


class Verdict(enum.StrEnum):
    AS_DECLARED = "as_declared"
    SWAPPED = "swapped"
    UNSURE = "unsure"

    @property
    def label(self) -> str:
        """What the check found, worded so it never reads as if somebody had swapped the sides."""
        return {"as_declared": "as declared", "swapped": "look swapped", "unsure": "unsure"}[self.value]


@dataclass(frozen=True)
class Quote:
    """Something one side said, and when (the page seeks the audio there)."""

    text: str
    start: float
    end: float
    item_id: str = ""  # the script item it is a phrase of; "" for a question
    label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "label": self.label,
            "text": self.text,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
        }


@dataclass(frozen=True)
class Side:
    """What one side (as the transcript labels it) said of the agent's part."""

    script: list[Quote]  # the first phrase of each script item the side says
    questions: int  # open questions (any question when the scorecard knows no openers)
    examples: list[Quote]  # a few of those questions
    opened_at: float | None  # when the side opened with the script
    words: int
    points: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "script": [q.as_dict() for q in self.script],
            "questions": self.questions,
            "examples": [q.as_dict() for q in self.examples],
            "opened_at": self.opened_at,
            "words": self.words,
            "points": self.points,
        }


@dataclass(frozen=True)
class SideCheck:
    verdict: Verdict
    reason: str
    agent: Side
    customer: Side
    language: str
    scorecard_id: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "reason": self.reason,
            "agent": self.agent.as_dict(),
            "customer": self.customer.as_dict(),
            "language": self.language,
            "scorecard_id": self.scorecard_id,
        }


@dataclass(frozen=True)
class Judgement:
    """The check, and the call read and scored with its sides exchanged (what to store if
    the sides are to be swapped: nothing needs reading or scoring again)."""

    check: SideCheck
    exchanged: CallText
    exchanged_result: ScoreResult


def check_sides(
    card: Scorecard, *, language: str, segments: Iterable[Segment], duration_s: float = 0.0
) -> SideCheck:
    """Whether the transcript's agent is the side saying the agent's script of `card`."""
    call = engine.read_transcript(card, language=language, segments=list(segments), duration_s=duration_s)
    return judge(card, call, engine.score_read_call(card, call)).check


def judge(card: Scorecard, call: CallText, declared: ScoreResult) -> Judgement:
    """Check the sides of a call read and scored as declared: scores it once more, exchanged."""
    other = exchanged(call)
    other_result = engine.score_read_call(card, other, forms=declared.word_forms)
    return Judgement(compare(card, call, declared, other_result), other, other_result)


def compare(
    card: Scorecard, call: CallText, declared: ScoreResult, exchanged_result: ScoreResult
) -> SideCheck:
    """The verdict from the call's results as declared and with its sides exchanged."""
    script = _script_items(card, call.language)
    opening = _opening_items(card, script)
    agent = _side(call, "agent", _said(card, declared, script), opening)
    customer = _side(call, "customer", _said(card, exchanged_result, script), opening)
    agent, customer = _points(agent, customer)
    verdict, reason = _verdict(call, script, agent, customer)
    return SideCheck(verdict, reason, agent, customer, call.language, card.id)


# What each side says ----------------------------------------------------------------------------


def _script_items(card: Scorecard, language: str) -> list[str]:
    """The agent's script: phrase checks of what the agent must say, with phrases in `language`."""
    return [
        item.id
        for item in card.items
        if isinstance(item.check, PhraseCheck)
        and item.check.mode == "said"
        and item.check.speaker is SpeakerRole.AGENT
        and item.check.phrases.get(language)
    ]


def _opening_items(card: Scorecard, script: list[str]) -> set[str]:
    """Script items of the call's first seconds (or, without such windows, the first section's)."""
    windowed = {i for i in script if _check(card, i).within.first_seconds}
    return windowed or {item.id for item in card.sections[0].items if item.id in script}


def _check(card: Scorecard, item_id: str) -> PhraseCheck:
    check = card.item(item_id).check
    assert isinstance(check, PhraseCheck)
    return check


def _said(card: Scorecard, result: ScoreResult, script: list[str]) -> list[tuple[Quote, int | None]]:
    """The first in-window phrase of each script item the result's agent says, with its segment."""
    said = []
    for item in result.items:
        if item.item_id not in script:
            continue
        found = next((e for e in item.evidence if e.kind == "match"), None)
        if found is not None:
            quote = Quote(found.text, found.start, found.end, item.item_id, card.item(item.item_id).label)
            said.append((quote, found.segment))
    return said


def _side(call: CallText, speaker: str, said: list[tuple[Quote, int | None]], opening: set[str]) -> Side:
    asked = _questions(call, speaker)
    return Side(
        script=sorted((q for q, _ in said), key=lambda q: q.start),
        questions=len(asked),
        examples=asked[:MAX_QUOTES],
        opened_at=_opened_at(call, said, opening),
        words=call.metrics.words.get(speaker, 0),
    )


def _opened_at(call: CallText, said: list[tuple[Quote, int | None]], opening: set[str]) -> float | None:
    """When the side's first turn holding phrases of two or more opening items begins."""
    items_by_segment: dict[int, set[str]] = {}
    for quote, segment in said:
        if quote.item_id in opening and segment is not None:
            items_by_segment.setdefault(segment, set()).add(quote.item_id)
    scripted = [call.segments[s].start for s, items in items_by_segment.items() if len(items) >= 2]
    return min(scripted, default=None)


def _questions(call: CallText, speaker: str) -> list[Quote]:
    """The side's open questions: a sentence ending in "?" opened by a question word of the
    scorecard's question check; any question if the scorecard has no such check."""
    openers = [m for m in call.matches if m.group.endswith(":opener")]
    punctuated = any(t.text == "?" for t in call.tokens)
    found = []
    for start, end in checks.sentences(call):
        if call.speaker_of(start) != speaker:
            continue
        last = call.tokens[end - 1]
        if punctuated and last.text != "?":
            continue
        if openers or not punctuated:
            opened = next((m for m in openers if start <= m.start < start + lexicon.OPENER_WINDOW), None)
            if opened is None or checks.indefinite(call, opened):
                continue
        s, e, text, _ = call.span(start, end)
        found.append(Quote(text, s, e))
    return found


# The verdict ------------------------------------------------------------------------------------------


def _points(agent: Side, customer: Side) -> tuple[Side, Side]:
    a_items = {q.item_id for q in agent.script}
    c_items = {q.item_id for q in customer.script}
    a_points, c_points = len(a_items - c_items), len(c_items - a_items)
    if agent.questions >= MIN_QUESTIONS and agent.questions > 2 * customer.questions:
        a_points += 1
    if customer.questions >= MIN_QUESTIONS and customer.questions > 2 * agent.questions:
        c_points += 1
    opened = [
        (side.opened_at, name) for side, name in ((agent, "a"), (customer, "c")) if side.opened_at is not None
    ]
    if opened:
        first = min(opened)[1]
        a_points += first == "a"
        c_points += first == "c"
    return _with_points(agent, a_points), _with_points(customer, c_points)


def _with_points(side: Side, points: int) -> Side:
    return Side(side.script, side.questions, side.examples, side.opened_at, side.words, points)


def _verdict(call: CallText, script: list[str], agent: Side, customer: Side) -> tuple[Verdict, str]:
    unsure = _unsure(call, script, agent, customer)
    if unsure is not None:
        return Verdict.UNSURE, unsure
    a_items = {q.item_id for q in agent.script}
    c_items = {q.item_id for q in customer.script}
    lead = customer.points - agent.points
    script_lead = len(c_items - a_items) - len(a_items - c_items)
    if lead >= SWAP_MARGIN and script_lead >= SCRIPT_LEAD:
        return Verdict.SWAPPED, (
            f"The side declared as the customer's sounds like the agent: {_summary(customer, agent)}; "
            f"the declared agent: {_summary(agent, customer)} ({customer.points} points to {agent.points}; "
            f"swapping takes a lead of {SWAP_MARGIN}, {SCRIPT_LEAD} of them from the script)"
        )
    if -lead >= DECLARED_MARGIN:
        return Verdict.AS_DECLARED, (
            f"The declared agent says the agent's part: {_summary(agent, customer)} "
            f"({agent.points} points to {customer.points})"
        )
    return Verdict.UNSURE, (
        f"Too close to tell: the declared agent {_summary(agent, customer)}; the declared customer "
        f"{_summary(customer, agent)} ({agent.points} points to {customer.points})"
    )


def _unsure(call: CallText, script: list[str], agent: Side, customer: Side) -> str | None:
    if not call.speakers_separated:
        return "Mono recording: one channel holds both speakers, so there are no sides to check"
    if not script:
        return f"The scorecard has no phrases of the agent's script in {call.language!r}"
    if agent.words + customer.words < MIN_WORDS:
        return f"Too little speech to tell ({agent.words + customer.words} words; {MIN_WORDS} needed)"
    if max(len(agent.script), len(customer.script)) < MIN_SCRIPT:
        return f"Neither side says {MIN_SCRIPT} or more phrases of the agent's script"
    return None


def _summary(side: Side, other: Side) -> str:
    own = [q.label for q in side.script if q.item_id not in {o.item_id for o in other.script}]
    parts = [
        f"{len(own)} script item{'s' if len(own) != 1 else ''} the other side does not say"
        + (f" ({', '.join(own[:4])})" if own else ""),
        f"{side.questions} question{'s' if side.questions != 1 else ''}",
    ]
    if side.opened_at is not None:
        parts.append("opens with the script")
    return ", ".join(parts)


# Stored form ----------------------------------------------------------------------------------------------


def side_from_dict(data: dict[str, Any]) -> Side:
    def quotes(items: list[dict[str, Any]]) -> list[Quote]:
        return [
            Quote(q["text"], q["start"], q["end"], q.get("item_id", ""), q.get("label", "")) for q in items
        ]

    return Side(
        quotes(data.get("script", [])),
        int(data.get("questions", 0)),
        quotes(data.get("examples", [])),
        data.get("opened_at"),
        int(data.get("words", 0)),
        int(data.get("points", 0)),
    )


def from_dict(data: dict[str, Any]) -> SideCheck | None:
    """A stored check (transcript.side_check), None if it holds none."""
    if not data.get("verdict"):
        return None
    return SideCheck(
        Verdict(data["verdict"]),
        str(data.get("reason", "")),
        side_from_dict(data.get("agent", {})),
        side_from_dict(data.get("customer", {})),
        str(data.get("language", "")),
        str(data.get("scorecard_id", "")),
    )
