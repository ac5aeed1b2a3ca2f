"""Did the coaching work? Per focus item: the rep's pass rate in the N days before the
session against the N days after, minus the change on the same item for the team's reps
who were not coached on it in those days (the comparison group).

Pure functions over item outcomes, so the figures can be checked cell by cell in tests.
"Too few calls" until at least K of the rep's reviewed calls after the session answer the
item; "no baseline" when none before it did.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from qc.evaluations.outcomes import ItemOutcome


class Verdict(enum.StrEnum):
    MEASURED = "measured"
    TOO_FEW_CALLS = "too_few_calls"
    NO_BASELINE = "no_baseline"

    @property
    def label(self) -> str:
        return {
            "measured": "Measured",
            "too_few_calls": "Too few calls",
            "no_baseline": "No calls before",
        }[self.value]


@dataclass(frozen=True)
class Tally:
    passed: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def add(self, passed: bool) -> Tally:
        return Tally(self.passed + int(passed), self.total + 1)


@dataclass(frozen=True)
class Windows:
    """[start, moment) before and [moment, end) after; `end` is never past now."""

    start: datetime
    moment: datetime
    end: datetime

    @classmethod
    def around(cls, moment: datetime, days: int, now: datetime) -> Windows:
        return cls(moment - timedelta(days=days), moment, min(moment + timedelta(days=days), now))

    @property
    def closed(self) -> bool:
        """The after window is as long as the before one: its figures will not change."""
        return self.end - self.moment >= self.moment - self.start

    def side(self, at: datetime) -> str | None:
        if self.start <= at < self.moment:
            return "before"
        if self.moment <= at < self.end:
            return "after"
        return None


@dataclass(frozen=True)
class FocusEffect:
    scorecard_id: str
    item_id: str
    rep_before: Tally
    rep_after: Tally
    others_before: Tally
    others_after: Tally
    others: int  # reps in the comparison group with a reviewed call on the item
    min_calls: int
    final: bool  # the after window has closed: the figures will not change

    @property
    def verdict(self) -> Verdict:
        if self.rep_after.total < self.min_calls:
            return Verdict.TOO_FEW_CALLS
        if self.rep_before.total == 0:
            return Verdict.NO_BASELINE
        return Verdict.MEASURED

    @property
    def rep_change(self) -> float | None:
        return _change(self.rep_before, self.rep_after)

    @property
    def others_change(self) -> float | None:
        return _change(self.others_before, self.others_after)

    @property
    def effect(self) -> float | None:
        """The rep's change beyond the comparison group's (the rep's alone without one);
        None until measured."""
        if self.verdict is not Verdict.MEASURED or self.rep_change is None:
            return None
        return self.rep_change - (self.others_change or 0.0)

    @property
    def compared(self) -> bool:
        return self.others_change is not None

    @property
    def improved(self) -> bool | None:
        return None if self.effect is None else self.effect > 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FocusEffect:
        return cls(
            scorecard_id=str(data["scorecard_id"]),
            item_id=str(data["item_id"]),
            rep_before=Tally(**data["rep_before"]),
            rep_after=Tally(**data["rep_after"]),
            others_before=Tally(**data["others_before"]),
            others_after=Tally(**data["others_after"]),
            others=int(data["others"]),
            min_calls=int(data["min_calls"]),
            final=bool(data["final"]),
        )


def _change(before: Tally, after: Tally) -> float | None:
    if before.rate is None or after.rate is None:
        return None
    return after.rate - before.rate


def measure(
    *,
    rep_id: int,
    scorecard_id: str,
    item_id: str,
    windows: Windows,
    outcomes: Iterable[ItemOutcome],
    coached_on_item: set[int],
    min_calls: int,
) -> FocusEffect:
    """The effect for one focus item. `outcomes` are the team's (any items, any reps);
    `coached_on_item` are the reps coached on this item around the same time (left out
    of the comparison group; the rep is left out anyway)."""
    tallies = {("rep", "before"): Tally(), ("rep", "after"): Tally()}
    tallies |= {("others", "before"): Tally(), ("others", "after"): Tally()}
    others: set[int] = set()
    for outcome in outcomes:
        if (outcome.scorecard_id, outcome.item_id) != (scorecard_id, item_id):
            continue
        side = windows.side(outcome.call_started_at)
        if side is None:
            continue
        if outcome.rep_id == rep_id:
            who = "rep"
        elif outcome.rep_id in coached_on_item:
            continue
        else:
            who = "others"
            others.add(outcome.rep_id)
        tallies[(who, side)] = tallies[(who, side)].add(outcome.passed)
    return FocusEffect(
        scorecard_id,
        item_id,
        tallies[("rep", "before")],
        tallies[("rep", "after")],
        tallies[("others", "before")],
        tallies[("others", "after")],
        len(others),
        min_calls,
        final=windows.closed,
    )


@dataclass(frozen=True)
class CoachSummary:
    """Share of a coach's measured focus items that improved."""

    measured: int
    improved: int
    waiting: int  # focus items still short of calls

    @property
    def share(self) -> float | None:
        return self.improved / self.measured if self.measured else None


def summarise(effects: Iterable[FocusEffect]) -> CoachSummary:
    measured = improved = waiting = 0
    for effect in effects:
        if effect.effect is None:
            waiting += effect.verdict is Verdict.TOO_FEW_CALLS
            continue
        measured += 1
        improved += bool(effect.improved)
    return CoachSummary(measured, improved, waiting)
