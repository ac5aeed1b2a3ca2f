"""The assignment rule as a pure function, so that it can be checked over any history.

A rule holds for a rep when item X failed in at least k of the rep's last n reviewed calls
(a reviewed call counts once, whichever items it answered; fewer than n calls are counted as
they are). Then the rule assigns its module, unless an assignment of that module is open
or one was completed less than the cooldown ago. When the rule no longer holds and says so,
the assignments it made that have not been started are withdrawn.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from qc.evaluations.outcomes import ItemOutcome
from qc.training.models import AssignmentStatus


class Action(enum.StrEnum):
    ASSIGN = "assign"
    WITHDRAW = "withdraw"
    NOTHING = "nothing"


@dataclass(frozen=True)
class RuleSpec:
    id: int
    scorecard_id: str
    item_id: str
    min_failed: int  # k
    last_reviews: int  # n
    cooldown_days: int
    withdraw_unmatched: bool


@dataclass(frozen=True)
class AssignmentState:
    """What the rule needs to know of one of the rep's assignments of the module."""

    id: int
    rule_id: int | None
    status: AssignmentStatus
    started: bool
    completed_at: datetime | None  # when the rep was done (cooldown counts from here)


@dataclass(frozen=True)
class Decision:
    action: Action
    failed: int  # the rep's recent calls that failed the item
    counted: int  # the recent calls counted
    withdraw: tuple[int, ...] = ()  # assignment ids, for WITHDRAW


def failures(spec: RuleSpec, outcomes: Iterable[ItemOutcome]) -> tuple[int, int]:
    """(failed, counted): how many of the rep's last n reviewed calls failed the item."""
    calls: dict[int, tuple[datetime, int, bool]] = {}
    for outcome in outcomes:
        failed = (outcome.scorecard_id, outcome.item_id) == (spec.scorecard_id, spec.item_id) and (
            not outcome.passed
        )
        moment, _id, before = calls.get(outcome.evaluation_id, (outcome.call_started_at, 0, False))
        calls[outcome.evaluation_id] = (moment, outcome.evaluation_id, before or failed)
    recent = sorted(calls.values(), key=lambda c: (c[0], c[1]), reverse=True)[: spec.last_reviews]
    return sum(failed for _at, _id, failed in recent), len(recent)


def holds(spec: RuleSpec, outcomes: Iterable[ItemOutcome]) -> bool:
    return failures(spec, outcomes)[0] >= spec.min_failed


def in_cooldown(spec: RuleSpec, assignments: Sequence[AssignmentState], now: datetime) -> bool:
    done = [a.completed_at for a in assignments if a.completed_at is not None]
    return bool(done) and now < max(done) + timedelta(days=spec.cooldown_days)


def decide(
    spec: RuleSpec,
    outcomes: Iterable[ItemOutcome],
    assignments: Sequence[AssignmentState],
    now: datetime,
) -> Decision:
    """What the rule does for one rep now, given the rep's recent item outcomes and every
    assignment of the rule's module the rep has had (by any rule or person)."""
    failed, counted = failures(spec, outcomes)
    open_ones = [a for a in assignments if a.status.is_open]
    if failed >= spec.min_failed:
        if open_ones or in_cooldown(spec, assignments, now):
            return Decision(Action.NOTHING, failed, counted)
        return Decision(Action.ASSIGN, failed, counted)
    if spec.withdraw_unmatched:
        waiting = tuple(a.id for a in open_ones if a.rule_id == spec.id and not a.started)
        if waiting:
            return Decision(Action.WITHDRAW, failed, counted, waiting)
    return Decision(Action.NOTHING, failed, counted)
