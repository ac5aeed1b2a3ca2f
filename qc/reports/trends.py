"""Trends of a team (or of one rep in it) over the last 12, 26 or 52 weeks: review scores,
where the script breaks, how far reviewers agree with the automatic checks, reviewer
throughput and overturned reviews, coaching outcomes and training completion.

Weeks are the team's: they start on Monday in the team's time zone, and a review counts in
the week its call was made (as the team page counts it); a reviewer's work counts in the
week it was submitted. Each chart is a `Chart` whose table is both the numbers under it
and its CSV, so the two cannot disagree.

Managers see their teams, QC leads and administrators every team; reps see their own trend
on their rep page and reviewers their work in the queue, so both are refused here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, InvalidInput, NotFound
from qc.performance import service as performance
from qc.performance.service import Periods
from qc.reports import trends_charts as charts
from qc.reports import trends_development as development
from qc.reports import trends_repository as repo
from qc.reports.trends_charts import Chart, Table
from qc.reviews import access as queue_access
from qc.reviews import service as reviews
from qc.users import service as users
from qc.users.models import Role, Team, User
from qc.users.schemas import Principal

PERIOD_WEEKS = (12, 26, 52)
VIEWERS = (Role.ADMIN, Role.QC_LEAD, Role.MANAGER)
ChartName = Literal["score", "reps", "items", "agreement", "reviewers", "coaching", "training"]
CHARTS: tuple[str, ...] = get_args(ChartName)
_MAX_ID = 2**31 - 1


def sees_trends(principal: Principal | None) -> bool:
    """Whether the navigation offers the trends page."""
    return principal is not None and principal.role in VIEWERS


def sees_reviewers(principal: Principal) -> bool:
    """Reviewers' throughput and overturned reviews are the queue managers' business (QC
    leads and administrators), as on the coverage report; managers see their reps."""
    return principal.role in queue_access.QUEUE_MANAGERS


@dataclass(frozen=True)
class TrendsQuery:
    """The page's filters as given: ids as text, so an empty choice means "none"."""

    team: str = ""
    rep: str = ""
    weeks: int = PERIOD_WEEKS[0]
    scorecard: str = ""


@dataclass(frozen=True)
class TrendsView:
    team: Team
    teams: list[Team]  # the teams the viewer may choose from
    rep: User | None
    reps: list[User]
    weeks: list[date]
    period_weeks: tuple[int, ...]
    zone: str
    scorecards: list[tuple[str, str]]  # (id, title) of the scorecards the team's reviews used
    scorecard: str  # the chosen one ("" for all)
    item_scorecard: str  # the one the item charts show
    charts: dict[str, Chart] = field(default_factory=dict)
    note: str = ""  # a filter that was dropped, and why

    @property
    def query(self) -> dict[str, str | int]:
        """The filters as URL parameters (for the CSV links)."""
        params: dict[str, str | int] = {"team": self.team.id, "weeks": len(self.weeks)}
        if self.rep is not None:
            params["rep"] = self.rep.id
        if self.scorecard:
            params["scorecard"] = self.scorecard
        return params


# Who sees what --------------------------------------------------------------------------------------


def _number(value: str, name: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= _MAX_ID:
        raise InvalidInput(f"{name} must be a {name}'s id; choose one from the list", field=name)
    return int(value)


def _team(
    session: Session, principal: Principal, reference: str, since: datetime
) -> tuple[Team, list[Team], str]:
    """The chosen team, the teams to choose from, and a note when the page chose for the
    reader: of several teams, the one with the most reviews of calls made `since`."""
    if principal.role not in VIEWERS:
        raise Forbidden(
            "Trends are for managers, QC leads and administrators; a rep's own trend is on their page"
        )
    teams = performance.visible_teams(session, principal)
    team_id = _number(reference, "team")
    if team_id is None:
        if not teams:
            raise NotFound("You supervise no team yet: ask an administrator to give you one")
        if len(teams) == 1:
            return teams[0], teams, ""
        busiest = repo.busiest_team(session, [t.id for t in teams], since)
        chosen = next((t for t in teams if t.id == busiest), teams[0])
        why = (
            "the team with the most reviews in these weeks"
            if busiest
            else "no team has reviews in these weeks"
        )
        return chosen, teams, f"Showing {chosen.name} ({why}); choose another team above."
    if not performance.can_see_team(principal, team_id):
        raise NotFound(f"Team {team_id} does not exist or you do not supervise it")
    return users.get_team(session, team_id), teams, ""


def _reps(session: Session, principal: Principal, team: Team) -> list[User]:
    people = users.list_people(session, principal, role=Role.REP)
    return sorted((p for p in people if p.team_id == team.id and p.is_active), key=lambda p: p.name)


def _rep(reps: list[User], reference: str, team: Team) -> tuple[User | None, str]:
    """The chosen rep if they are an active rep of `team`; otherwise none, and a note (the
    team was changed with a rep of another team still chosen)."""
    rep_id = _number(reference, "rep")
    if rep_id is None:
        return None, ""
    found = next((rep for rep in reps if rep.id == rep_id), None)
    if found is None:
        return None, f"The rep chosen is not an active rep of {team.name}: showing the whole team."
    return found, ""


# The periods ----------------------------------------------------------------------------------------


def _months(periods: Periods, first: date) -> list[date]:
    """The first days of the months from `first`'s to this one."""
    months = [first.replace(day=1)]
    while months[-1] < periods.month_start:
        months.append((months[-1] + timedelta(days=32)).replace(day=1))
    return months


def _bounds(periods: Periods, starts: list[date], end: date) -> list[datetime]:
    return [periods.start_of(day) for day in [*starts, end]]


def _context(
    session: Session, principal: Principal, query: TrendsQuery, settings: Settings, now: datetime | None
) -> charts.Context:
    if query.weeks not in PERIOD_WEEKS:
        raise InvalidInput(f"Choose {', '.join(map(str, PERIOD_WEEKS))} weeks", field="weeks")
    moment = now or utcnow()
    team, teams, chosen = _team(session, principal, query.team, moment - timedelta(weeks=query.weeks))
    reps = _reps(session, principal, team)
    rep, dropped = _rep(reps, query.rep, team)
    zone = ZoneInfo(reviews.team_policy(session, team.id, settings).timezone)
    periods = Periods(zone, moment.astimezone(zone).date())
    weeks = periods.weeks(query.weeks)
    months = _months(periods, weeks[0])
    next_month = (periods.month_start + timedelta(days=32)).replace(day=1)
    return charts.Context(
        team=team,
        teams=teams,
        rep=rep,
        reps=reps,
        weeks=weeks,
        months=months,
        zone=zone,
        scope=repo.Scope(team.id, rep.id if rep else None, _bounds(periods, weeks, weeks[-1] + timedelta(7))),
        month_scope=repo.Scope(team.id, rep.id if rep else None, _bounds(periods, months, next_month)),
        scorecard=query.scorecard.strip(),
        today=periods.today,
        note=" ".join(n for n in (chosen, dropped) if n),
    )


# The page, the API and the CSV -----------------------------------------------------------------------


def trends_view(
    session: Session,
    principal: Principal,
    query: TrendsQuery,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> TrendsView:
    """Every chart of the team's (or rep's) trends over the chosen weeks."""
    ctx = _context(session, principal, query, settings, now)
    reviewed = charts.review_charts(session, ctx)
    answered = charts.item_charts(session, ctx)
    found = {**reviewed.charts, **answered.charts}
    if sees_reviewers(principal):
        found["reviewers"] = charts.reviewer_chart(session, ctx)
    found["coaching"] = development.coaching_chart(session, ctx)
    found["training"] = development.training_chart(session, ctx)
    return TrendsView(
        team=ctx.team,
        teams=ctx.teams,
        rep=ctx.rep,
        reps=ctx.reps,
        weeks=ctx.weeks,
        period_weeks=PERIOD_WEEKS,
        zone=ctx.zone.key,
        scorecards=sorted({**reviewed.scorecards, **answered.scorecards}.items(), key=lambda p: p[1]),
        scorecard=ctx.scorecard,
        item_scorecard=answered.scorecard,
        charts={key: found[key] for key in CHARTS if key in found},
        note=ctx.note,
    )


def chart_table(
    session: Session,
    principal: Principal,
    query: TrendsQuery,
    chart: str,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Table:
    """One chart's numbers (what its CSV holds), counting only what that chart needs."""
    if chart not in CHARTS:
        raise InvalidInput(f"chart must be one of {', '.join(CHARTS)}", field="chart")
    ctx = _context(session, principal, query, settings, now)
    if chart == "reviewers" and not sees_reviewers(principal):
        raise Forbidden("Reviewer figures are for QC leads and administrators")
    if chart in ("score", "reps"):
        return charts.review_charts(session, ctx).charts[chart].table
    if chart in ("items", "agreement"):
        return charts.item_charts(session, ctx).charts[chart].table
    build = {
        "reviewers": charts.reviewer_chart,
        "coaching": development.coaching_chart,
        "training": development.training_chart,
    }[chart]
    return build(session, ctx).table


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # A name a spreadsheet would run as a formula is quoted; negative numbers stay numbers.
    if text.startswith(_FORMULA_START) and not isinstance(value, int | float):
        return "'" + text
    return text


def to_csv(table: Table) -> str:
    """The table as CSV with its header; an empty cell is a figure with nothing to count."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def as_json(view: TrendsView) -> dict[str, Any]:
    """The view as the API gives it: the filters applied and each chart's table."""
    return {
        "team": {"id": view.team.id, "name": view.team.name},
        "rep": {"id": view.rep.id, "name": view.rep.name} if view.rep else None,
        "weeks": [week.isoformat() for week in view.weeks],
        "time_zone": view.zone,
        "scorecard": view.scorecard or None,
        "note": view.note or None,
        "item_scorecard": view.item_scorecard or None,
        "charts": {
            key: {"title": c.title, "note": c.note, "columns": c.table.columns, "rows": c.table.rows}
            for key, c in view.charts.items()
        },
    }
