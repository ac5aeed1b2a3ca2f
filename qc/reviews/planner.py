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
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from qc.reviews.allocation import Group, Reviewer, allocate, may_review
from qc.reviews.models import PickReason, Shortfall
from qc.reviews.policy import LOW_ASR_CONFIDENCE, DayTimes, Part, Policy


class CallState(enum.StrEnum):
    SCORED = "scored"
    PROCESSING = "processing"
    FAILED = "failed"


@dataclass(frozen=True)
class CallFacts:
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
    reviewed_elsewhere: int = 0
    picked: int = 0
    assigned: int = 0
    reason: Shortfall | None = None


@dataclass
class Plan:
    picks: list[NewPick] = field(default_factory=list)
    outcomes: dict[int, RepOutcome] = field(default_factory=dict)


# Risk ---------------------------------------------------------------------------------------------


def risk_of(call: CallFacts, policy: Policy) -> tuple[float, list[str]]:
    """How much the automatic checks suggest something went wrong, and why."""
    risk, flags = 0.0, []
    if call.critical_failed:
        risk += 100
        flags.append("a critical item failed")
    if call.final_score is not None and call.final_score < policy.low_score:
        risk += (100 - call.final_score) / 2
        flags.append(f"score {call.final_score:.0f}")
    if call.needs_review:
        risk += 5 * min(call.needs_review, 6)
        flags.append(f"{call.needs_review} check{'s' if call.needs_review > 1 else ''} left to a person")
    if call.asr_confidence is not None and call.asr_confidence < LOW_ASR_CONFIDENCE:
        risk += (LOW_ASR_CONFIDENCE - call.asr_confidence) * 100
        flags.append(f"transcript confidence {call.asr_confidence:.0%}")
    return round(risk, 2), flags


# Slots --------------------------------------------------------------------------------------------


@dataclass
class _Slot:
    name: str
    part: Part
    risk: bool
    candidates: list[CallFacts]  # best first for risk slots
    reason: PickReason
    fallback: bool  # may take any remaining eligible call when its own candidates are gone


@dataclass
class _RepDay:
    source: RepDayInput
    outcome: RepOutcome
    eligible: list[CallFacts]
    slots: list[_Slot]
    risks: dict[int, tuple[float, list[str]]]


def _slot_layout(day: RepDayInput) -> list[tuple[str, Part, bool]]:
    policy = day.policy
    parts = day.times.parts(policy.target)
    layout_rng = random.Random(f"{day.seed}:{day.rep_id}:layout")
    risky = set(layout_rng.sample(range(len(parts)), policy.risk_slots))
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
        elif call.taken:
            outcome.reviewed_elsewhere += 1
        else:
            eligible.append(call)
    outcome.eligible = len(eligible)
    return eligible


def _prepare(day: RepDayInput, now: datetime) -> _RepDay:
    outcome = RepOutcome(rep_id=day.rep_id, target=day.policy.target)
    eligible = _count(day, outcome)
    risks = {c.id: risk_of(c, day.policy) for c in eligible}
    # A part is over only once its calls are through the pipeline (they might be picked).
    processing = [
        c for c in day.calls if c.state is CallState.PROCESSING and c.duration_s >= day.policy.min_duration_s
    ]
    flagged = sorted((c for c in eligible if risks[c.id][1]), key=lambda c: (-risks[c.id][0], c.id))
    critical = [c for c in flagged if c.critical_failed]
    slots = []
    for name, part, is_risk in _open_layout(day):
        in_part = [c for c in eligible if part.holds(c.started_at)]
        over = now >= part.draw_at and not any(part.holds(c.started_at) for c in processing)
        if is_risk and critical:
            slots.append(_Slot(name, part, True, critical, PickReason.RISK, day.draw_all))
        elif is_risk and (over or day.draw_all) and flagged:
            slots.append(_Slot(name, part, True, flagged, PickReason.RISK, day.draw_all))
        elif (over or day.draw_all) and in_part:
            slots.append(_Slot(name, part, False, in_part, PickReason.RANDOM, day.draw_all))
        elif day.draw_all and eligible:
            slots.append(_Slot(name, part, False, eligible, PickReason.FILL, True))
    return _RepDay(day, outcome, eligible, slots, risks)


def _reachable(slots: list[_Slot], eligible: list[CallFacts]) -> int:
    """How many slots can hold distinct calls at once (a small bipartite matching)."""
    owner: dict[int, int] = {}

    def place(index: int, seen: set[int]) -> bool:
        slot = slots[index]
        for call in eligible if slot.fallback else slot.candidates:
            if call.id in seen:
                continue
            seen.add(call.id)
            if call.id not in owner or place(owner[call.id], seen):
                owner[call.id] = index
                return True
        return False

    return sum(1 for index in range(len(slots)) if place(index, set()))


# Planning -----------------------------------------------------------------------------------------


def _group(call: CallFacts) -> Group:
    return Group(call.rep_id, call.team_id, call.language)


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
        pool = rep_day.eligible if any(s.fallback for s in rep_day.slots) else _candidates(rep_day)
        for call in pool:
            groups[_group(call)] += 1
    excluding = {d.team_id for d in days if d.policy.exclude_own_team}
    allocation = allocate(demand, dict(groups), reviewers, excluding_teams=excluding)
    plan = Plan()
    for rep_day in prepared:
        picks = _resolve(rep_day, allocation)
        plan.picks.extend(picks)
        plan.outcomes[rep_day.source.rep_id] = _outcome(rep_day, picks, reviewers, excluding)
    return plan


def _candidates(rep_day: _RepDay) -> list[CallFacts]:
    seen: dict[int, CallFacts] = {}
    for slot in rep_day.slots:
        for call in slot.candidates:
            seen.setdefault(call.id, call)
    return list(seen.values())


def _resolve(rep_day: _RepDay, allocation: dict[Group, list[int]]) -> list[NewPick]:
    """Fill the due slots with calls: first within the groups given reviewers, then the rest
    (those wait for a reviewer in the open pool)."""
    chosen: set[int] = set()
    picks: list[NewPick] = []
    pending = list(rep_day.slots)
    for with_reviewers in (True, False):
        still: list[_Slot] = []
        for slot in pending:
            call, reason = _draw(slot, rep_day, chosen, _has_reviewer(allocation) if with_reviewers else None)
            if call is None:
                still.append(slot)
                continue
            chosen.add(call.id)
            reviewer = allocation[_group(call)].pop() if with_reviewers else None
            picks.append(_pick(slot, call, reason, rep_day, reviewer))
        pending = still
    return picks


def _has_reviewer(allocation: dict[Group, list[int]]) -> Callable[[CallFacts], bool]:
    return lambda call: bool(allocation.get(_group(call)))


def _draw(
    slot: _Slot, rep_day: _RepDay, chosen: set[int], accept: Callable[[CallFacts], bool] | None
) -> tuple[CallFacts | None, PickReason]:
    """The slot's call: the riskiest for a risk slot, else a seeded uniform draw."""
    own = [c for c in slot.candidates if c.id not in chosen and (accept is None or accept(c))]
    reason = slot.reason
    if not own and slot.fallback:
        own = [c for c in rep_day.eligible if c.id not in chosen and (accept is None or accept(c))]
        reason = PickReason.FILL
    if not own:
        return None, reason
    if slot.risk and reason is PickReason.RISK:
        return own[0], reason
    rng = random.Random(f"{rep_day.source.seed}:{rep_day.source.rep_id}:{slot.name}")
    ordered = sorted(own, key=lambda c: c.id)
    return ordered[rng.randrange(len(ordered))], reason


def _pick(
    slot: _Slot, call: CallFacts, reason: PickReason, rep_day: _RepDay, reviewer: int | None
) -> NewPick:
    day = rep_day.source
    risk, flags = rep_day.risks[call.id]
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
        return f"Drawn at random from {_calls(len(slot.candidates))} of part {slot.part.index} of the day"
    return f"Drawn at random at the end of the day from the rep's {_calls(len(rep_day.eligible))}"


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
        (outcome.reviewed_elsewhere, 0, Shortfall.ALREADY_REVIEWED),
    ]
    count, _, reason = max(causes, key=lambda c: (c[0], c[1]))
    return reason if count else Shortfall.NO_CALLS
