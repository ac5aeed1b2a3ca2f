"""Reports: the daily QC coverage report as a page and through the API (JSON or CSV)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from qc.errors import InvalidInput
from qc.kit.timeutil import Day
from qc.kit.web import DB, SettingsDep, render
from qc.reports import coverage, coverage_export, coverage_views
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["reports"])

MAX_ID = 2**31 - 1
DayText = Annotated[str | None, Query(max_length=20)]


SortText = Annotated[str | None, Query(max_length=20)]


@pages.get("/reports/coverage", name="reports:coverage")
def coverage_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: DayText = None,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sort: SortText = None,
    team_sort: SortText = None,
    reviewer_sort: SortText = None,
) -> Response:
    today = coverage.today_for(settings)
    teams = coverage.readable_teams(session, principal)  # refuses reps and reviewers first
    opened_on = coverage.default_day(session, principal, today)
    context: dict[str, Any] = {"teams": teams, "quick": coverage_views.quick_ranges(today, opened_on)}
    try:
        first, last = coverage.parse_range(start, to, today=opened_on)
    except InvalidInput as exc:
        # The form again, with what was typed and the error beside the dates; no tables.
        form = {"from": start or "", "to": to or "", "team": team}
        context |= {"report": None, "error": exc, "form": form, "query": {}, "sort": ""}
        return render(request, "reports/coverage.html", context, status_code=exc.status_code)
    report = coverage.coverage_report(
        session, principal, start=first, end=last, settings=settings, team_id=team
    )
    query: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat()}
    if team is not None:
        query["team"] = team
    reps, sort = coverage_views.sorted_reps(report.reps, sort)
    team_lines, team_sort = coverage_views.sort_rows(
        report.team_lines, team_sort, coverage_views.TEAM_SORTS, "team"
    )
    reviewers, reviewer_sort = coverage_views.sort_rows(
        report.reviewers or [], reviewer_sort, coverage_views.REVIEWER_SORTS, "reviewer"
    )
    query |= {"sort": sort, "team_sort": team_sort, "reviewer_sort": reviewer_sort}
    form = {"from": query["from"], "to": query["to"], "team": team}
    context |= {
        "report": report,
        "reps": reps,
        "team_lines": team_lines,
        "reviewers": reviewers,
        "sort": sort,
        "team_sort": team_sort,
        "reviewer_sort": reviewer_sort,
        "form": form,
        "query": query,
        "today": today,
    }
    return render(request, "reports/coverage.html", context)


@api.get(
    "/reports/coverage",
    name="api:reports_coverage",
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with `format=csv`"}},
)
def coverage_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    start: Annotated[
        Day | None,
        Query(
            alias="from",
            description="First day, YYYY-MM-DD (default: the last day a queue was closed, as the page)",
        ),
    ] = None,
    to: Annotated[
        Day | None, Query(description="Last day (default: the first); at most a year after the first")
    ] = None,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One team")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: one row per rep-day")] = "json",
) -> Any:
    """The coverage report per rep, rep-day, team and reviewer, with totals. Dates are the
    teams' own (each rep-day is dated in its team's time zone). CSV has a header row and one
    row per rep-day: date, team, rep, calls, eligible, target, reviewed, missed (days whose
    queue is closed), to do (the shortfall of a day still open), the reason's code and its
    label, average score, critical fails, disputes opened and overturned, worked
    (the rep made calls: 1/0) and reached target (1/0)."""
    opened_on = coverage.default_day(session, principal, coverage.today_for(settings))
    first, last = coverage.day_range(start, to, today=opened_on)
    report = coverage.coverage_report(
        session, principal, start=first, end=last, settings=settings, team_id=team
    )
    if format == "csv":
        name = coverage_views.csv_name(report)
        return Response(
            coverage_export.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(coverage_export.to_json(report))
