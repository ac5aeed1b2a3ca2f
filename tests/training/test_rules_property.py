"""The assignment rule over random review histories (hypothesis): the rule assigns exactly
when it holds and nothing of the module is open or in its cooldown, never twice while one is
open, never within the cooldown after a completion, and withdraws only what it assigned and
was not started.

Each history is a stream of steps (a reviewed call that failed the item or not, the rep
starting or completing what is open, days passing); after each step the rule decides and
its decision is carried out, as the service does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from qc.evaluations.outcomes import ItemOutcome
from qc.training.models import AssignmentStatus
from qc.training.rules import Action, AssignmentState, RuleSpec, decide

START = datetime(2026, 1, 1, 9, tzinfo=UTC)
RULE_ID = 7


@dataclass(frozen=True)
class Step:
    kind: str  # "review", "start", "complete", "wait", "manual"
    failed: bool = False  # for a review: the item failed
    other_item_failed: bool = False
    days: int = 0


steps = st.one_of(
    st.builds(Step, kind=st.just("review"), failed=st.booleans(), other_item_failed=st.booleans()),
    st.builds(Step, kind=st.sampled_from(["start", "complete", "manual"])),
    st.builds(Step, kind=st.just("wait"), days=st.integers(1, 20)),
)
specs = st.builds(
    lambda n, k, cooldown, withdraw: RuleSpec(
        RULE_ID, "outbound-sales", "price", min(k, n), n, cooldown, withdraw
    ),
    n=st.integers(1, 6),
    k=st.integers(1, 6),
    cooldown=st.integers(0, 30),
    withdraw=st.booleans(),
)


def _review(number: int, at: datetime, failed: bool, other: bool) -> list[ItemOutcome]:
    """One reviewed call: the rule's item and another item."""
    return [
        ItemOutcome(number, number, 1, 1, at, "outbound-sales", "price", not failed),
        ItemOutcome(number, number, 1, 1, at, "outbound-sales", "greeting", not other),
    ]


def _holds(spec: RuleSpec, calls: list[tuple[datetime, bool]]) -> bool:
    """Computed apart from the code under test: failures among the last n calls."""
    return sum(failed for _at, failed in calls[-spec.last_reviews :]) >= spec.min_failed


@given(spec=specs, history=st.lists(steps, max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_rule_over_random_histories(spec: RuleSpec, history: list[Step]) -> None:
    now = START
    outcomes: list[ItemOutcome] = []
    calls: list[tuple[datetime, bool]] = []
    held: list[AssignmentState] = []
    ever_started: set[int] = set()
    for number, step in enumerate(history, start=1):
        now += timedelta(hours=1)
        if step.kind == "review":
            outcomes += _review(number, now, step.failed, step.other_item_failed)
            calls.append((now, step.failed))
        elif step.kind == "wait":
            now += timedelta(days=step.days)
        elif step.kind == "manual" and not any(a.status.is_open for a in held):
            held.append(AssignmentState(1000 + number, None, AssignmentStatus.ASSIGNED, False, None))
        else:
            held = [_advance(a, step.kind, now, ever_started) for a in held]
        decision = decide(spec, outcomes, held, now)
        open_before = [a for a in held if a.status.is_open]
        done = [a.completed_at for a in held if a.completed_at is not None]
        cooling = bool(done) and now < max(done) + timedelta(days=spec.cooldown_days)
        holds = _holds(spec, calls)
        # Assigned exactly when the rule holds, nothing is open and no cooldown runs.
        assert (decision.action is Action.ASSIGN) == (holds and not open_before and not cooling)
        if decision.action is Action.ASSIGN:
            held.append(AssignmentState(number, RULE_ID, AssignmentStatus.ASSIGNED, False, None))
        elif decision.action is Action.WITHDRAW:
            # Only when the rule no longer holds and says so; only its own, never started.
            assert not holds and spec.withdraw_unmatched
            targets = set(decision.withdraw)
            for a in held:
                if a.id in targets:
                    assert a.rule_id == RULE_ID and a.status is AssignmentStatus.ASSIGNED
                    assert not a.started and a.id not in ever_started
            held = [replace(a, status=AssignmentStatus.WITHDRAWN) if a.id in targets else a for a in held]
        # Never two open at once.
        assert sum(a.status.is_open for a in held) <= 1
        # Never assigned within the cooldown after a completion.
        if decision.action is Action.ASSIGN and done:
            assert now >= max(done) + timedelta(days=spec.cooldown_days)


def _advance(a: AssignmentState, kind: str, now: datetime, ever_started: set[int]) -> AssignmentState:
    """The rep starts or completes what is open."""
    if not a.status.is_open:
        return a
    if kind == "start" and not a.started:
        ever_started.add(a.id)
        return replace(a, status=AssignmentStatus.STARTED, started=True)
    if kind == "complete":
        ever_started.add(a.id)
        return replace(a, status=AssignmentStatus.COMPLETED, started=True, completed_at=now)
    return a


@given(spec=specs, failed=st.lists(st.booleans(), min_size=1, max_size=12))
def test_a_rep_with_nothing_assigned_is_assigned_exactly_when_the_rule_holds(
    spec: RuleSpec, failed: list[bool]
) -> None:
    outcomes = [o for i, f in enumerate(failed) for o in _review(i, START + timedelta(hours=i), f, False)]
    decision = decide(spec, reversed(outcomes), [], START + timedelta(days=1))
    expected = sum(failed[-spec.last_reviews :]) >= spec.min_failed
    assert (decision.action is Action.ASSIGN) == expected
    assert decision.failed == sum(failed[-spec.last_reviews :])
