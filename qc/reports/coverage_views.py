"""The coverage page's helpers: the picker's shortcuts and sorting the reps by a column."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from qc.reports.coverage import RepLine


def quick_ranges(today: date) -> list[tuple[str, date, date]]:
    """The picker's shortcuts: today, yesterday, this week (Monday to today), last week and
    this month (to today)."""
    monday = today - timedelta(days=today.weekday())
    return [
        ("Today", today, today),
        ("Yesterday", today - timedelta(days=1), today - timedelta(days=1)),
        ("This week", monday, today),
        ("Last week", monday - timedelta(days=7), monday - timedelta(days=1)),
        ("This month", today.replace(day=1), today),
    ]


# Sorting the reps ------------------------------------------------------------------------------------

SORTS: dict[str, Callable[[RepLine], Any]] = {
    "rep": lambda r: (r.rep.name.casefold(), r.rep.id),
    "team": lambda r: (r.team.name.casefold(), r.rep.name.casefold()),
    "calls": lambda r: r.figures.calls,
    "eligible": lambda r: r.figures.eligible,
    "target": lambda r: r.figures.target,
    "reviewed": lambda r: r.figures.reviewed,
    "missed": lambda r: r.figures.missed,
    "score": lambda r: (r.figures.average_score is not None, r.figures.average_score or 0.0),
    "critical": lambda r: r.figures.critical,
    "disputes": lambda r: r.figures.disputes,
    "overturned": lambda r: r.figures.overturned,
}


def sorted_reps(reps: list[RepLine], sort: str | None) -> tuple[list[RepLine], str]:
    """The reps ordered by a column (`-reviewed`: descending); unknown columns sort by team.
    Ties keep the team-and-name order. Returns the rows and the sort applied."""
    key = (sort or "").lstrip("-")
    if key not in SORTS:
        key, sort = "team", "team"
    base = sorted(reps, key=SORTS["team"])
    return sorted(base, key=SORTS[key], reverse=bool(sort and sort.startswith("-"))), sort or key
