"""The trends page, its numbers as JSON, and each chart's numbers as CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from qc.kit.web import DB, SettingsDep, render
from qc.reports import trends
from qc.reports.trends import TrendsQuery
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/reports", tags=["reports"])


def _filters(
    team: Annotated[str, Query(max_length=12, description="Team id (default: your first team)")] = "",
    rep: Annotated[str, Query(max_length=12, description="One rep of the team (default: all)")] = "",
    weeks: Annotated[int, Query(description="12, 26 or 52 weeks up to this one")] = 12,
    scorecard: Annotated[str, Query(max_length=60, description="Scorecard id (default: all)")] = "",
) -> TrendsQuery:
    return TrendsQuery(team=team, rep=rep, weeks=weeks, scorecard=scorecard)


Filters = Annotated[TrendsQuery, Depends(_filters)]
MAX_ID = 2**31 - 1


def _api_filters(
    team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Team id (default: your first)")] = None,
    rep: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="One rep of the team (default: all)")
    ] = None,
    weeks: Annotated[
        int, Query(description="Weeks up to this one", json_schema_extra={"enum": list(trends.PERIOD_WEEKS)})
    ] = 12,
    scorecard: Annotated[
        str, Query(pattern=r"^([a-z0-9][a-z0-9_-]{0,59})?$", description="Scorecard id (default: all)")
    ] = "",
) -> TrendsQuery:
    """The page's filters, typed: the API has no empty "all" choice to send."""
    return TrendsQuery(team=str(team or ""), rep=str(rep or ""), weeks=weeks, scorecard=scorecard)


ApiFilters = Annotated[TrendsQuery, Depends(_api_filters)]


@pages.get("/reports/trends", name="reports:trends")
def trends_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, query: Filters
) -> Response:
    view = trends.trends_view(session, principal, query, settings=settings)
    return render(request, "reports/trends.html", {"view": view})


@api.get("/trends", name="api:reports_trends")
def trends_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, query: ApiFilters
) -> dict[str, Any]:
    """Every chart of the trends page as its table: columns and rows (weeks as the ISO date
    of their Monday in the team's time zone; rates and scores in percent)."""
    return trends.as_json(trends.trends_view(session, principal, query, settings=settings))


@api.get(
    "/trends.csv",
    name="api:reports_trends_csv",
    responses={200: {"content": {"text/csv": {}}, "description": "The chart's table"}},
)
def trends_csv(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    query: ApiFilters,
    chart: Annotated[trends.ChartName, Query(description="Which chart's table")],
) -> Response:
    """One chart's numbers as CSV, the same table as under the chart on the page."""
    table = trends.chart_table(session, principal, query, chart, settings=settings)
    return Response(
        trends.to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="trends-{chart}.csv"'},
    )
