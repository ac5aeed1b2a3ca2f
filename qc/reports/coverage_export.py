"""The coverage report as CSV (one row per rep-day), JSON (reps, rep-days, teams, reviewers,
totals) and a plain-text table for the `qc` command."""

from __future__ import annotations

import csv
import io
from typing import Any

from qc.reports.coverage import CoverageReport, Figures, RepDayLine
from qc.reports.coverage_reviewers import ReviewerLine

CSV_COLUMNS = (
    "date",
    "team_id",
    "team",
    "rep_id",
    "rep",
    "calls",
    "eligible",
    "target",
    "reviewed",
    "missed",
    "to_do",
    "missed_reason",
    "missed_reason_label",
    "average_score",
    "critical_fails",
    "disputes_opened",
    "disputes_overturned",
    "worked",
    "reached_target",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    """A name a spreadsheet would run as a formula is quoted with '."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _blank(value: Any) -> Any:
    return "" if value is None else value


def to_csv(report: CoverageReport) -> str:
    """One row per rep-day, with a header. `missed` counts only days whose queue is closed;
    on a day still open the shortfall is `to_do`. The reason (of either) is the code of
    `MissedReason`, and its label beside it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.rep_days:
        f = line.figures
        writer.writerow(
            [
                line.day.isoformat(),
                line.team.id,
                _safe(line.team.name),
                line.rep.id,
                _safe(line.rep.name),
                *((f.calls, f.eligible, f.target) if line.recorded else ("", "", "")),
                f.reviewed,
                f.missed,
                f.to_do,
                line.reason.value if line.reason else "",
                line.reason.label if line.reason else "",
                _blank(f.average_score),
                f.critical,
                f.disputes,
                f.overturned,
                f.worked,
                f.met,
            ]
        )
    return out.getvalue()


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "rep_days": figures.rep_days,
        "worked": figures.worked,
        "absent": figures.absent,
        "reached_target": figures.met,
        "calls": figures.calls,
        "eligible": figures.eligible,
        "target": figures.target,
        "reviewed": figures.reviewed,
        "missed": figures.missed,
        "missed_reasons": {reason.value: count for reason, count in sorted(figures.reasons.items())},
        "to_do": figures.to_do,
        "to_do_reasons": {reason.value: count for reason, count in sorted(figures.to_do_reasons.items())},
        "average_score": figures.average_score,
        "critical_fails": figures.critical,
        "disputes_opened": figures.disputes,
        "disputes_overturned": figures.overturned,
        "coverage": None if figures.coverage is None else round(figures.coverage, 4),
    }


def _rep_day_json(line: RepDayLine) -> dict[str, Any]:
    return {
        "date": line.day.isoformat(),
        "team_id": line.team.id,
        "rep_id": line.rep.id,
        "rep": line.rep.name,
        "recorded": line.recorded,
        "open": line.open,
        "missed_reason": line.reason.value if line.reason else None,
        **figures_json(line.figures),
    }


def _reviewer_json(line: ReviewerLine) -> dict[str, Any]:
    return {
        "reviewer_id": line.reviewer.id,
        "reviewer": line.reviewer.name,
        "reviews": line.reviews,
        "capacity": line.capacity,
        "median_minutes": line.median_minutes,
        "overrides": line.overrides,
        "overturned": line.overturned,
    }


def to_json(report: CoverageReport) -> dict[str, Any]:
    """The whole report: per rep (summed over the range), per rep-day, per team, per reviewer
    (absent for readers who may not see reviewers), and the totals."""
    return {
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "team_id": report.team_id,
        "queue_days": report.queue_days,
        "reps": [
            {"team_id": r.team.id, "team": r.team.name, "rep_id": r.rep.id, "rep": r.rep.name}
            | figures_json(r.figures)
            for r in report.reps
        ],
        "rep_days": [_rep_day_json(line) for line in report.rep_days],
        "teams": [
            {"team_id": t.team.id, "team": t.team.name} | figures_json(t.figures) for t in report.team_lines
        ],
        "reviewers": None if report.reviewers is None else [_reviewer_json(r) for r in report.reviewers],
        "totals": figures_json(report.totals),
    }


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def to_table(report: CoverageReport) -> str:
    """A plain-text table for a terminal: per rep, totals, then per reviewer."""
    head = f"{'rep':<24}{'team':<20}{'calls':>6}{'elig':>6}{'tgt':>5}{'done':>5}{'miss':>5}{'todo':>5}"
    head += f"{'avg':>7}{'crit':>5}{'disp':>5}{'ovt':>5}  missed because"
    lines = [f"Coverage {report.start} to {report.end}", head]
    for rep in report.reps:
        lines.append(_table_row(rep.rep.name, rep.team.name, rep.figures))
    lines.append(_table_row("Total", f"{len(report.reps)} reps", report.totals))
    t = report.totals
    lines.append(f"Coverage: {t.met} of {t.worked} rep-days worked reached the target")
    if t.to_do:
        lines.append(f"To do: {t.to_do} reviews of days still in progress (not missed)")
    if report.reviewers is not None:
        lines.append("")
        lines.append(
            f"{'reviewer':<24}{'reviews':>8}{'capacity':>9}{'median min':>11}"
            f"{'items overridden':>17}{'ovt':>5}"
        )
        for r in report.reviewers:
            lines.append(
                f"{r.reviewer.name[:23]:<24}{r.reviews:>8}{r.capacity:>9}{_cell(r.median_minutes):>11}"
                f"{r.overrides:>17}{r.overturned:>5}"
            )
    return "\n".join(lines) + "\n"


def _table_row(name: str, team: str, f: Figures) -> str:
    missed = [f"{n} x {reason.label.lower()}" for reason, n in sorted(f.reasons.items())]
    to_do = [f"{n} x to do: {reason.label.lower()}" for reason, n in sorted(f.to_do_reasons.items())]
    reasons = ", ".join(missed + to_do)
    return (
        f"{name[:23]:<24}{team[:19]:<20}{f.calls:>6}{f.eligible:>6}{f.target:>5}{f.reviewed:>5}{f.missed:>5}{f.to_do:>5}"
        f"{_cell(f.average_score):>7}{f.critical:>5}{f.disputes:>5}{f.overturned:>5}  {reasons}"
    )
