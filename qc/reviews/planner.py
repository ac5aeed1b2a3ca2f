"""Which calls to review today: a pure function of the day's calls, picks and reviewers.

Each rep has `target` slots a day, one per equal part of the team's review hours, so
the picks are spread over the day. A share of the slots (placed in parts chosen at
random for each rep and day) go to the call the automatic checks flag most: critical
fails, low scores, checks left to a person, weak transcripts. The others are drawn
uniformly at random from the part's eligible calls once the part is over, so a rep
cannot tell which calls will be heard. A critical fail fills a risk slot as soon as it
is scored. When the day ends (or a QC lead asks for the picks now), every slot left is
filled from the remaining calls. Draws use a seed recorded with the day, so the same
data gives the same picks.
"""

from __future__ import annotations

import enum
import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from qc.reviews.allocation import Group, Reviewer, allocate, may_review
from qc.reviews.models import PickReason, Shortfall
from qc.reviews.policy import LOW_ASR_CONFIDENCE, DayTimes, Part, Policy


class CallState(enum.StrEnum):
    SCORED = "scored"
    PROCESSING = "processing"
    FAILED = "failed"


class CallFacts(NamedTuple):
    """What the planner knows of a call (a tuple: tens of thousands are read per build)."""

    id: int
    rep_id: int
    team_id: int
    started_at: datetime
    duration_s: float
    state: CallState
    language: str | None = None
    final_score: float | None = None
    critical_failed: bool = False
    needs_review: int = 0
    asr_confidence: float | None = None
    taken: bool = False  # already picked for review (any day)
    scorable: bool = True  # a scorecard applies, so a reviewer has something to score
    focus_hits: int = 0  # the rep's coaching focus items this call failed or left to a person

    @property
    def group(self) -> Group:
        return Group(self.rep_id, self.team_id, self.language)


@dataclass(frozen=True)
class ExistingPick:
    call_id: int
    slot: str
    reviewer_id: int | None


@dataclass(frozen=True)
class RepDayInput:
    rep_id: int
    team_id: int
    policy: Policy
    times: DayTimes
    seed: int
    draw_all: bool  # the day is over, or a QC lead asked for the picks now
    calls: Sequence[CallFacts]
    existing: Sequence[ExistingPick] = ()


@dataclass(frozen=True)
class NewPick:
    call_id: int
    rep_id: int
    team_id: int
    slot: str
    reason: PickReason
    detail: str
    risk: float
    language: str | None
    reviewer_id: int | None


@dataclass
class RepOutcome:
    rep_id: int
    target: int
    calls: int = 0
    eligible: int = 0
    too_short: int = 0
    processing: int = 0
    failed: int = 0
    no_scorecard: int = 0
    reviewed_elsewhere: int = 0
    picked: int = 0
    assigned: int = 0
    reason: Shortfall | None = None


@dataclass
class Plan:
    picks: list[NewPick] = field(default_factory=list)
    outcomes: dict[int, RepOutcome] = field(default_factory=dict)


# Risk ---------------------------------------------------------------------------------------------


def is_flagged(call: CallFacts, policy: Policy) -> bool:
    """Did the automatic checks raise anything a person should hear?"""
    return bool(
        call.critical_failed
        or (call.final_score is not None and call.final_score < policy.low_score)
        or call.needs_review
        or (call.asr_confidence is not None and call.asr_confidence < LOW_ASR_CONFIDENCE)
    )


def risk_of(call: CallFacts, policy: Policy) -> float:
    """How much the automatic checks suggest something went wrong (0 when nothing did)."""
    risk = 100.0 if call.critical_failed else 0.0
    if call.final_score is not None and call.final_score < policy.low_score:
        risk += (100 - call.final_score) / 2
    risk += 5 * min(call.needs_review, 6)
    if call.asr_confidence is not None and call.asr_confidence < LOW_ASR_CONFIDENCE:
        risk += (LOW_ASR_CONFIDENCE - call.asr_confidence) * 100
    return round(risk, 2)


def risk_flags(call: CallFacts, policy: Policy) -> list[str]:
    """Why a call is flagged, in words."""
    flags = []
    if call.critical_failed:
        flags.append("a critical item failed")
    if call.final_score is not None and call.final_score < policy.low_score:
        flags.append(f"score {call.final_score:.0f}")
    if call.needs_review:
        flags.append(f"{call.needs_review} check{'s' if call.needs_review > 1 else ''} left to a person")
    if call.asr_confidence is not None and call.asr_confidence < LOW_ASR_CONFIDENCE:
        flags.append(f"transcript confidence {call.asr_confidence:.0%}")
    if call.focus_hits:
        items = f"{call.focus_hits} coaching focus item{'s' if call.focus_hits > 1 else ''}"
        flags.append(f"{items} failed or left to a person (measuring the coaching)")
    return flags


def _stable(*parts: object) -> int:
    """A 64-bit number from the parts: the seeded draws, without building a random generator."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


# Slots --------------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """A slot due for a pick, with its candidates in tiers tried in turn: for a risk slot the
    flagged calls (riskiest first), then its part's calls; at the end of the day any call."""

    name: str
    part: Part
    tiers: list[tuple[PickReason, list[CallFacts]]]

    @cached_property
    def candidates(self) -> list[CallFacts]:
        seen: dict[int, CallFacts] = {}
        for _, calls in self.tiers:
            for call in calls:
                seen.setdefault(call.id, call)
        return list(seen.values())

    def tier(self, reason: PickReason) -> list[CallFacts]:
        return next((calls for r, calls in self.tiers if r is reason), [])


@dataclass
class _RepDay:
    source: RepDayInput
    outcome: RepOutcome
    eligible: list[CallFacts]
    slots: list[_Slot]
    risks: dict[int, float]


def _slot_layout(day: RepDayInput) -> list[tuple[str, Part, bool]]:
    policy = day.policy
    parts = day.times.parts(policy.target)
    order = sorted(range(len(parts)), key=lambda i: _stable(day.seed, day.rep_id, "layout", i))
    risky = set(order[: policy.risk_slots])
    return [(f"{'r' if i in risky else 'w'}{p.index}", p, i in risky) for i, p in enumerate(parts)]


def _open_layout(day: RepDayInput) -> list[tuple[str, Part, bool]]:
    """The slots not filled yet; picks of other kinds (chosen by a person) cover the last ones."""
    layout = _slot_layout(day)
    names = {name for name, _, _ in layout}
    filled = {p.slot for p in day.existing if p.slot in names}
    other = sum(1 for p in day.existing if p.slot not in names)
    open_slots = [entry for entry in layout if entry[0] not in filled]
    return open_slots[: max(0, len(open_slots) - other)]


def _count(day: RepDayInput, outcome: RepOutcome) -> list[CallFacts]:
    """Sort the rep's calls into eligible and the reasons the others are not."""
    eligible = []
    picked_here = {p.call_id for p in day.existing}
    for call in day.calls:
        outcome.calls += 1
        if call.id in picked_here:
            continue
        if call.duration_s < day.policy.min_duration_s:
            outcome.too_short += 1
        elif call.state is CallState.PROCESSING:
            outcome.processing += 1
        elif call.state is CallState.FAILED:
            outcome.failed += 1
        elif not call.scorable:
            outcome.no_scorecard += 1
        elif call.taken:
            outcome.reviewed_elsewhere += 1
        else:
            eligible.append(call)
    outcome.eligible = len(eligible)
    return eligible


def _prepare(day: RepDayInput, now: datetime) -> _RepDay:
    outcome = RepOutcome(rep_id=day.rep_id, target=day.policy.target)
    eligible = _count(day, outcome)
    # A call that touches the rep's coaching focus is worth hearing too: it measures the coaching.
    flagged_calls = [c for c in eligible if is_flagged(c, day.policy) or c.focus_hits]
    risks = {c.id: risk_of(c, day.policy) for c in flagged_calls}
    # A part is over only once its calls are through the pipeline (they might be picked).
    processing = [
        c for c in day.calls if c.state is CallState.PROCESSING and c.duration_s >= day.policy.min_duration_s
    ]
    # Critical fails first, then calls on the coaching focus, then the riskiest.
    flagged = sorted(
        flagged_calls, key=lambda c: (not c.critical_failed, not c.focus_hits, -risks[c.id], c.id)
    )
    critical = [c for c in flagged if c.critical_failed]
    slots = []
    for name, part, is_risk in _open_layout(day):
        over = day.draw_all or (now >= part.draw_at and not any(part.holds(c.started_at) for c in processing))
        tiers: list[tuple[PickReason, list[CallFacts]]] = []
        # A critical fail is picked at once; once its part is over, any flagged call will do.
        risky = flagged if over else critical
        if is_risk and risky:
            tiers.append((PickReason.RISK, risky))
        if over:
            tiers.append((PickReason.RANDOM, [c for c in eligible if part.holds(c.started_at)]))
        if day.draw_all:
            tiers.append((PickReason.FILL, eligible))
        if any(calls for _, calls in tiers):
            slots.append(_Slot(name, part, [(reason, calls) for reason, calls in tiers if calls]))
    return _RepDay(day, outcome, eligible, slots, risks)


def _reachable(slots: list[_Slot], eligible: list[CallFacts]) -> int:
    """How many slots can hold distinct calls at once (a small bipartite matching)."""
    owner: dict[int, int] = {}

    def place(index: int, seen: set[int]) -> bool:
        for call in slots[index].candidates:
            if call.id in seen:
                continue
            seen.add(call.id)
            if call.id not in owner or place(owner[call.id], seen):
                owner[call.id] = index
                return True
        return False

    return sum(1 for index in range(len(slots)) if place(index, set()))


# Planning -----------------------------------------------------------------------------------------


def plan_day(days: Sequence[RepDayInput], reviewers: Sequence[Reviewer], now: datetime) -> Plan:
    """New picks for every rep-day, with reviewers where capacity allows, and each rep's outcome."""
    prepared = [_prepare(day, now) for day in days]
    demand: dict[int, int] = {}
    groups: dict[Group, int] = defaultdict(int)
    for rep_day in prepared:
        reachable = _reachable(rep_day.slots, rep_day.eligible)
        if not reachable:
            continue
        demand[rep_day.source.rep_id] = reachable
        for call in _candidates(rep_day):
            groups[call.group] += 1
    excluding = {d.team_id for d in days if d.policy.exclude_own_team}
    allocation = allocate(demand, dict(groups), reviewers, excluding_teams=excluding)
    feasible = _feasible(groups, reviewers, excluding)
    plan = Plan()
    for rep_day in prepared:
        picks = _resolve(rep_day, allocation, feasible)
        plan.picks.extend(picks)
        plan.outcomes[rep_day.source.rep_id] = _outcome(rep_day, picks, reviewers, excluding)
    return plan


def _feasible(
    groups: dict[Group, int], reviewers: Sequence[Reviewer], excluding: set[int]
) -> frozenset[Group]:
    """Groups of calls some reviewer could take on a day they have room."""
    staff = [r for r in reviewers if r.capacity > 0]
    return frozenset(
        g for g in groups if any(may_review(r, g, exclude_own_team=g.team_id in excluding) for r in staff)
    )


def _candidates(rep_day: _RepDay) -> list[CallFacts]:
    seen: dict[int, CallFacts] = {}
    for slot in rep_day.slots:
        for call in slot.candidates:
            seen.setdefault(call.id, call)
    return list(seen.values())


def _resolve(
    rep_day: _RepDay, allocation: dict[Group, list[int]], feasible: frozenset[Group]
) -> list[NewPick]:
    """Fill the due slots with calls. Each slot draws its call first (uniformly, from the
    calls some reviewer could take) and takes a reviewer given to that call's group; if
    the group has none left, it draws again among the groups that do. Slots left over still
    get their call, which waits in the open pool for a reviewer."""
    chosen: set[int] = set()
    picks: list[NewPick] = []
    reviewable = _in(feasible)
    pending = []
    for slot in rep_day.slots:
        call, reason = _draw(slot, rep_day, chosen, reviewable)
        if call is None or not allocation.get(call.group):
            call, reason = _draw(slot, rep_day, chosen, _has_reviewer(allocation))
        if call is None:
            pending.append(slot)
            continue
        chosen.add(call.id)
        picks.append(_pick(slot, call, reason, rep_day, allocation[call.group].pop()))
    for slot in pending:
        call, reason = _draw(slot, rep_day, chosen, reviewable)
        if call is None:
            call, reason = _draw(slot, rep_day, chosen, None)
        if call is not None:
            chosen.add(call.id)
            picks.append(_pick(slot, call, reason, rep_day, None))
    return picks


def _in(groups: frozenset[Group]) -> Callable[[CallFacts], bool]:
    return lambda call: call.group in groups


def _has_reviewer(allocation: dict[Group, list[int]]) -> Callable[[CallFacts], bool]:
    return lambda call: bool(allocation.get(call.group))


def _draw(
    slot: _Slot, rep_day: _RepDay, chosen: set[int], accept: Callable[[CallFacts], bool] | None
) -> tuple[CallFacts | None, PickReason]:
    """The slot's call from its first tier with one left: the riskiest flagged call, or a
    seeded uniform draw."""
    for reason, calls in slot.tiers:
        own = [c for c in calls if c.id not in chosen and (accept is None or accept(c))]
        if not own:
            continue
        if reason is PickReason.RISK:
            return own[0], reason
        ordered = sorted(own, key=lambda c: c.id)
        return ordered[_stable(rep_day.source.seed, rep_day.source.rep_id, slot.name) % len(ordered)], reason
    return None, PickReason.FILL


def _pick(
    slot: _Slot, call: CallFacts, reason: PickReason, rep_day: _RepDay, reviewer: int | None
) -> NewPick:
    day = rep_day.source
    risk = rep_day.risks.get(call.id, 0.0)
    flags = risk_flags(call, day.policy) if reason is PickReason.RISK else []
    return NewPick(
        call_id=call.id,
        rep_id=day.rep_id,
        team_id=call.team_id,
        slot=slot.name,
        reason=reason,
        detail=_detail(reason, flags, slot, rep_day),
        risk=risk,
        language=call.language,
        reviewer_id=reviewer,
    )


def _detail(reason: PickReason, flags: list[str], slot: _Slot, rep_day: _RepDay) -> str:
    if reason is PickReason.RISK:
        return ("Flagged by the automatic checks: " + "; ".join(flags))[:300]
    if reason is PickReason.RANDOM:
        count = len(slot.tier(PickReason.RANDOM))
        return f"Drawn at random from {_calls(count)} of part {slot.part.index} of the day"
    return (
        f"Drawn at random from the rep's {_calls(len(rep_day.eligible))} of the day "
        f"(part {slot.part.index} had none left)"
    )


def _calls(count: int) -> str:
    return f"{count} eligible call{'s' if count != 1 else ''}"


def _outcome(
    rep_day: _RepDay,
    picks: list[NewPick],
    reviewers: Sequence[Reviewer],
    excluding: set[int],
) -> RepOutcome:
    outcome = rep_day.outcome
    day = rep_day.source
    outcome.picked = len(day.existing) + len(picks)
    outcome.assigned = sum(1 for p in day.existing if p.reviewer_id) + sum(1 for p in picks if p.reviewer_id)
    outcome.reason = shortfall_reason(outcome, draw_all=day.draw_all)
    if outcome.reason is None and outcome.assigned < outcome.target:
        unassigned = [p for p in picks if p.reviewer_id is None]
        nobody = any(not _anyone_may_review(p, reviewers, excluding) for p in unassigned)
        outcome.reason = Shortfall.NO_ELIGIBLE_REVIEWER if nobody else Shortfall.NO_REVIEWER_CAPACITY
    return outcome


def _anyone_may_review(pick: NewPick, reviewers: Sequence[Reviewer], excluding: set[int]) -> bool:
    group = Group(pick.rep_id, pick.team_id, pick.language)
    excludes = pick.team_id in excluding
    return any(r.capacity > 0 and may_review(r, group, exclude_own_team=excludes) for r in reviewers)


def shortfall_reason(outcome: RepOutcome, *, draw_all: bool) -> Shortfall | None:
    """Why fewer calls were picked than the target (None when enough were)."""
    if outcome.picked >= outcome.target:
        return None
    if not draw_all:
        return Shortfall.DAY_IN_PROGRESS
    if outcome.calls == 0:
        return Shortfall.NO_CALLS
    causes = [
        (outcome.processing, 3, Shortfall.STILL_PROCESSING),
        (outcome.failed, 2, Shortfall.CALLS_FAILED),
        (outcome.too_short, 1, Shortfall.CALLS_TOO_SHORT),
        (outcome.no_scorecard, 1, Shortfall.NO_SCORECARD),
        (outcome.reviewed_elsewhere, 0, Shortfall.ALREADY_REVIEWED),
    ]
    count, _, reason = max(causes, key=lambda c: (c[0], c[1]))
    return reason if count else Shortfall.FEW_CALLS
