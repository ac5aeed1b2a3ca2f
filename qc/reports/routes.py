"""Reports: the daily QC coverage report as a page and through the API (JSON or CSV)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from qc.kit.web import DB, SettingsDep, render
from qc.reports import coverage, coverage_export, coverage_views
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["reports"])

MAX_ID = 2**31 - 1
DayText = Annotated[str | None, Query(max_length=20)]


@pages.get("/reports/coverage", name="reports:coverage")
def coverage_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    start: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    to: DayText = None,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sort: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    today = coverage.today_for(settings)
    first, last = coverage.parse_range(start, to, today=today)
    report = coverage.coverage_report(
        session, principal, start=first, end=last, settings=settings, team_id=team
    )
    reps, applied = coverage_views.sorted_reps(report.reps, sort)
    query: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat(), "sort": applied}
    if team is not None:
        query["team"] = team
    context = {
        "report": report,
        "reps": reps,
        "sort": applied,
        "quick": coverage_views.quick_ranges(today),
        "query": query,
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
        str | None, Query(alias="from", max_length=20, description="First day, YYYY-MM-DD (default: today)")
    ] = None,
    to: Annotated[str | None, Query(max_length=20, description="Last day (default: the first)")] = None,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One team")] = None,
    format: Annotated[Literal["json", "csv"], Query(description="csv: one row per rep-day")] = "json",
) -> Any:
    """The coverage report per rep, rep-day, team and reviewer, with totals. Dates are the
    teams' own (each rep-day is dated in its team's time zone). CSV has a header row and one
    row per rep-day: date, team, rep, calls, eligible, target, reviewed, missed, the missed
    reason's code, average score, critical fails, disputes opened and overturned, worked
    (the rep made calls: 1/0) and reached target (1/0)."""
    first, last = coverage.parse_range(start, to, today=coverage.today_for(settings))
    report = coverage.coverage_report(
        session, principal, start=first, end=last, settings=settings, team_id=team
    )
    if format == "csv":
        name = f"coverage-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            coverage_export.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(coverage_export.to_json(report))
