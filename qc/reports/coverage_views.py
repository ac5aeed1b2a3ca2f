"""The coverage page's helpers: the picker's shortcuts, sorting the tables by a column, and
the CSV's file name."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from qc.reports.coverage import CoverageReport, Figures, RepLine, TeamLine
from qc.reports.coverage_reviewers import ReviewerLine

Row = TypeVar("Row")


def quick_ranges(today: date, opened_on: date) -> list[tuple[str, date, date]]:
    """The picker's shortcuts: today, yesterday (or the last closed day the page opens on, when
    that is earlier), this week (Monday to today), last week and this month (to today)."""
    monday = today - timedelta(days=today.weekday())
    yesterday = today - timedelta(days=1)
    last = opened_on if opened_on < yesterday else yesterday
    return [
        ("Today", today, today),
        ("Yesterday" if last == yesterday else f"Last closed day ({last:%a %d %b})", last, last),
        ("This week", monday, today),
        ("Last week", monday - timedelta(days=7), monday - timedelta(days=1)),
        ("This month", today.replace(day=1), today),
    ]


def csv_name(report: CoverageReport) -> str:
    """The CSV's file name: the range, and the team's name when it is one team's."""
    team = next((t for t in report.teams if t.id == report.team_id), None)
    slug = re.sub(r"[^a-z0-9]+", "-", team.name.casefold()).strip("-") if team else ""
    scope = (slug or f"team-{team.id}") if team else "all-teams"
    return f"coverage-{scope}-{report.start.isoformat()}-{report.end.isoformat()}.csv"


# Sorting ---------------------------------------------------------------------------------------------


def _figure_sorts(figures: Callable[[Any], Figures]) -> dict[str, Callable[[Any], Any]]:
    return {
        "calls": lambda r: figures(r).calls,
        "eligible": lambda r: figures(r).eligible,
        "target": lambda r: figures(r).target,
        "reviewed": lambda r: figures(r).reviewed,
        "missed": lambda r: figures(r).missed,
        "to_do": lambda r: figures(r).to_do,
        "score": lambda r: (figures(r).average_score is not None, figures(r).average_score or 0.0),
        "critical": lambda r: figures(r).critical,
        "disputes": lambda r: figures(r).disputes,
        "overturned": lambda r: figures(r).overturned,
        "coverage": lambda r: (figures(r).coverage is not None, figures(r).coverage or 0.0),
    }


REP_SORTS: dict[str, Callable[[RepLine], Any]] = {
    "rep": lambda r: (r.rep.name.casefold(), r.rep.id),
    "team": lambda r: (r.team.name.casefold(), r.rep.name.casefold()),
    **_figure_sorts(lambda r: r.figures),
}
TEAM_SORTS: dict[str, Callable[[TeamLine], Any]] = {
    "team": lambda t: (t.team.name.casefold(), t.team.id),
    **_figure_sorts(lambda t: t.figures),
}
REVIEWER_SORTS: dict[str, Callable[[ReviewerLine], Any]] = {
    "reviewer": lambda r: (r.reviewer.name.casefold(), r.reviewer.id),
    "reviews": lambda r: r.reviews,
    "capacity": lambda r: r.capacity,
    "minutes": lambda r: (r.median_minutes is not None, r.median_minutes or 0.0),
    "overrides": lambda r: r.overrides,
    "overturned": lambda r: r.overturned,
}


def sort_rows(
    rows: Sequence[Row], sort: str | None, keys: dict[str, Callable[[Row], Any]], default: str
) -> tuple[list[Row], str]:
    """The rows ordered by a column (`-reviewed`: descending); unknown columns sort by
    `default`. Ties keep the `default` order. Returns the rows and the sort applied."""
    key = (sort or "").lstrip("-")
    if key not in keys:
        key, sort = default, default
    base = sorted(rows, key=keys[default])
    return sorted(base, key=keys[key], reverse=bool(sort and sort.startswith("-"))), sort or key


def sorted_reps(reps: list[RepLine], sort: str | None) -> tuple[list[RepLine], str]:
    """The reps ordered by a column; by team (then name) unless told."""
    return sort_rows(reps, sort, REP_SORTS, "team")
