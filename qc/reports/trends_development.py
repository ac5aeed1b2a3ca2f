"""The trends page's coaching and training charts: what was done about the reviews."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from qc.reports import trends_repository as repo
from qc.reports.trends_charts import Cell, Chart, Context, Line, Table, nice_top, rate
from qc.training.models import TrainingResult


def coaching_chart(session: Session, ctx: Context) -> Chart:
    """By month of the session: coached focus items measured, improved, still waiting."""
    found = {month: rest for month, *rest in repo.coaching_results(session, ctx.month_scope)}
    rows: list[list[Cell]] = []
    shares: list[float | None] = []
    for i, month in enumerate(ctx.months):
        measured, improved, waiting = found.get(i, (0, 0, 0))
        shares.append(rate(improved, measured))
        rows.append([month.strftime("%Y-%m"), measured, improved, shares[-1], waiting])
    labels = [month.strftime("%b %Y") for month in ctx.months]
    return Chart(
        "coaching",
        "Did coaching work? Improved focus items by month",
        "Per month of the session: of the coached items whose effect is measured (the weeks after the "
        "session are over), the share where the rep improved beyond teammates not coached on it.",
        "bars",
        labels,
        [Line("Improved", shares)],
        Table(["Month", "Measured", "Improved", "Improved %", "Too few calls yet"], rows),
        empty="No coaching effect measured yet in these months.",
        short="Coaching",
    )


def training_chart(session: Session, ctx: Context) -> Chart:
    """By week: assignments made, completed, overdue at the week's end, and the pass rate."""
    size = len(ctx.weeks)
    counts = [[0] * 5 for _ in range(size)]  # assigned, completed, overdue, passed, failed
    first = ctx.weeks[0]
    for row in repo.training_assignments(session, ctx.scope, first):
        assigned = row.assigned_at.astimezone(ctx.zone).date()
        withdrawn = row.withdrawn_at.astimezone(ctx.zone).date() if row.withdrawn_at else None
        for i, week in enumerate(ctx.weeks):
            end = week + timedelta(days=7)  # the next Monday
            _count_week(counts[i], row, assigned, withdrawn, week, min(end - timedelta(days=1), ctx.today))
    rows: list[list[Cell]] = [
        [week.isoformat(), *c, rate(c[3], c[3] + c[4])] for week, c in zip(ctx.weeks, counts, strict=True)
    ]
    lines = [
        Line(name, [float(c[i]) for c in counts])
        for i, name in enumerate(("Assigned", "Completed", "Overdue"))
    ]
    return Chart(
        "training",
        "Training: assigned, completed and overdue by week",
        "Assigned and completed in each week; overdue: still open on the week's last day (today, this "
        "week) and due before it. The pass rate is over completed modules with an assessment.",
        "lines",
        ctx.labels,
        lines if any(any(c[:3]) for c in counts) else [Line(n, [None] * size) for n in ("Assigned",)],
        Table(["Week", "Assigned", "Completed", "Overdue", "Passed", "Failed", "Pass rate"], rows),
        top=nice_top(v for c in counts for v in c[:3]),
        unit="",
        empty="No training assigned, completed or overdue in these weeks.",
        short="Training",
    )


def _count_week(
    cell: list[int], row: repo.AssignmentRow, assigned: date, withdrawn: date | None, start: date, last: date
) -> None:
    """Count one assignment in the week from `start` to `last` (Sunday, or today this week);
    overdue as the team page says it on `last`: still open then, and due before it."""
    if start <= assigned <= last:
        cell[0] += 1
    if row.completed_on is not None and start <= row.completed_on <= last:
        cell[1] += 1
        cell[3] += row.result is TrainingResult.PASSED
        cell[4] += row.result is TrainingResult.FAILED
    still_open = (row.completed_on is None or row.completed_on > last) and (
        withdrawn is None or withdrawn > last
    )
    if assigned <= last and still_open and row.due_date is not None and row.due_date < last:
        cell[2] += 1
