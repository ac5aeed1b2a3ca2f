"""The manager's team page and a rep's page: reviews against target, scores and their trend,
the items reps miss most, and what is still open (acknowledgements, disputes, coaching).

Periods are the team's: weeks start on Monday in the team's time zone, and a review counts
in the week its call was made (as the daily queue counts it). Targets are the team's daily
review target times its working days so far in the period.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.coaching import access as coaching_access
from qc.coaching import service as coaching
from qc.coaching.effect import CoachSummary, FocusEffect
from qc.coaching.models import CoachingSession
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, NotFound
from qc.evaluations import outcomes
from qc.evaluations.outcomes import ItemOutcome, ItemTally
from qc.kit.pagination import Page, PageRequest
from qc.performance import ranking
from qc.performance import repository as repo
from qc.performance.ranking import RankView
from qc.performance.repository import ReviewRow, ScoreRow
from qc.reviews import service as reviews
from qc.reviews.policy import Policy
from qc.scoring import service as scoring
from qc.training import service as training
from qc.training.models import TrainingAssignment
from qc.users import service as users
from qc.users.models import Role, Team, User
from qc.users.schemas import Principal

TREND_WEEKS = 12
RECENT_DAYS = 30  # the window of "average score" and "most missed"
ITEM_DAYS = 90  # the window of the rep page's item pass rates
MOST_MISSED = 3


# Who sees what ---------------------------------------------------------------------------------------


def can_see_team(principal: Principal, team_id: int) -> bool:
    """Managers see the teams they supervise; QC leads and administrators every team."""
    if principal.role in (Role.ADMIN, Role.QC_LEAD):
        return True
    return principal.role is Role.MANAGER and team_id in principal.managed_team_ids


def visible_teams(session: Session, principal: Principal) -> list[Team]:
    if principal.role not in (Role.ADMIN, Role.QC_LEAD, Role.MANAGER):
        raise Forbidden("Team pages are for managers, QC leads and administrators")
    return users.list_visible_teams(session, principal)


def _team(session: Session, principal: Principal, team_id: int) -> Team:
    if not can_see_team(principal, team_id):
        if principal.role in (Role.ADMIN, Role.QC_LEAD, Role.MANAGER):
            raise NotFound(f"Team {team_id} does not exist or you do not supervise it")
        raise Forbidden("Team pages are for managers, QC leads and administrators")
    return users.get_team(session, team_id)


# Periods ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Periods:
    zone: ZoneInfo
    today: date

    @property
    def week_start(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    @property
    def month_start(self) -> date:
        return self.today.replace(day=1)

    def weeks(self, count: int) -> list[date]:
        """The Mondays of the last `count` weeks, oldest first (this week last)."""
        return [self.week_start - timedelta(weeks=count - 1 - i) for i in range(count)]

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def _periods(policy: Policy, now: datetime) -> Periods:
    zone = ZoneInfo(policy.timezone)
    return Periods(zone, now.astimezone(zone).date())


def _target(policy: Policy, start: date, today: date) -> int:
    days = (today - start).days + 1
    return policy.target * sum(policy.is_working_day(start + timedelta(days=i)) for i in range(days))


# The team page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Missed:
    key: str  # "scorecard:item"
    label: str
    failed: int
    total: int


@dataclass(frozen=True)
class RepRow:
    rep: User
    week_reviews: int
    week_target: int
    month_reviews: int
    month_target: int
    average: float | None  # of the last RECENT_DAYS
    reviewed_recently: int
    trend: list[float | None]  # weekly averages, oldest first
    missed: list[Missed]
    unacknowledged: int
    open_disputes: int
    open_coaching: int
    overdue_actions: int
    open_training: int
    overdue_training: int

    @property
    def behind(self) -> bool:
        return self.week_reviews < self.week_target


@dataclass(frozen=True)
class TeamView:
    team: Team
    policy: Policy
    periods: Periods
    rows: list[RepRow]
    weeks: list[date]
    team_trend: list[float | None]
    team_average: float | None
    team_missed: list[Missed]
    can_coach: bool
    coaching_results: list[tuple[str, CoachSummary]]  # per coach, name first


def _mean(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return round(statistics.fmean(found), 1) if found else None


def _weekly(rows: list[ScoreRow], weeks: list[date], periods: Periods) -> list[float | None]:
    by_week: dict[date, list[float | None]] = defaultdict(list)
    for row in rows:
        day = periods.local_day(row.call_started_at)
        by_week[day - timedelta(days=day.weekday())].append(row.final_score)
    return [_mean(by_week.get(week, [])) for week in weeks]


def _missed(found: Iterable[ItemTally], labels: dict[tuple[str, str], str], limit: int) -> list[Missed]:
    failed: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for tally in found:
        key = (tally.scorecard_id, tally.item_id)
        total[key] += tally.total
        failed[key] += tally.total - tally.passed
    ranked = sorted((k for k in failed if failed[k]), key=lambda k: (-failed[k], -failed[k] / total[k], k))
    return [Missed(f"{k[0]}:{k[1]}", labels.get(k, k[1]), failed[k], total[k]) for k in ranked[:limit]]


def team_view(
    session: Session, principal: Principal, team_id: int, *, settings: Settings, now: datetime | None = None
) -> TeamView:
    """Per rep: reviews this week and month against target, average score and its weekly
    trend, most-missed items, and what is open for them."""
    team = _team(session, principal, team_id)
    policy = reviews.team_policy(session, team.id, settings)
    periods = _periods(policy, now or utcnow())
    weeks = periods.weeks(TREND_WEEKS)
    reps = repo.reps_of_team(session, team.id)
    ids = [rep.id for rep in reps]
    since = min(periods.start_of(weeks[0]), periods.start_of(periods.month_start))
    rows = repo.scores(session, team_id=team.id, since=since)
    recent_since = (now or utcnow()) - timedelta(days=RECENT_DAYS)
    found = outcomes.tally_rows(session, repo.answer_counts(session, team.id, recent_since))
    labels = scoring.item_labels(session)
    by_rep: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in rows:
        by_rep[row.rep_id].append(row)
    tallies_by_rep: dict[int, list[ItemTally]] = defaultdict(list)
    for tally in found:
        tallies_by_rep[tally.rep_id].append(tally)
    counts = {
        "unacknowledged": repo.unacknowledged(session, ids),
        "open_disputes": repo.open_disputes(session, ids),
        "open_coaching": repo.open_coaching(session, ids),
        "overdue_actions": repo.overdue_actions(session, ids, periods.today),
        "open_training": repo.open_training(session, ids),
        "overdue_training": repo.overdue_training(session, ids, periods.today),
    }
    week_start, month_start = periods.start_of(periods.week_start), periods.start_of(periods.month_start)
    table = []
    for rep in reps:
        mine = by_rep.get(rep.id, [])
        recent = [r for r in mine if r.call_started_at >= recent_since]
        table.append(
            RepRow(
                rep=rep,
                week_reviews=sum(r.call_started_at >= week_start for r in mine),
                week_target=_target(policy, periods.week_start, periods.today),
                month_reviews=sum(r.call_started_at >= month_start for r in mine),
                month_target=_target(policy, periods.month_start, periods.today),
                average=_mean(r.final_score for r in recent),
                reviewed_recently=len(recent),
                trend=_weekly(mine, weeks, periods),
                missed=_missed(tallies_by_rep.get(rep.id, []), labels, MOST_MISSED),
                **{name: values.get(rep.id, 0) for name, values in counts.items()},
            )
        )
    return TeamView(
        team=team,
        policy=policy,
        periods=periods,
        rows=table,
        weeks=weeks,
        team_trend=_weekly(rows, weeks, periods),
        team_average=_mean(r.final_score for r in rows if r.call_started_at >= recent_since),
        team_missed=_missed(found, labels, 5),
        can_coach=coaching_access.can_coach_team(principal, team.id),
        coaching_results=_coaching_results(session, principal, team.id),
    )


def _coaching_results(session: Session, principal: Principal, team_id: int) -> list[tuple[str, CoachSummary]]:
    results = coaching.team_coaching_results(session, principal, team_id)
    names = users.names_of(session, set(results))
    return sorted(((names.get(c, "?"), s) for c, s in results.items()), key=lambda pair: pair[0])


# The rep page ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRate:
    key: str
    label: str
    passed: int
    total: int
    team_passed: int
    team_total: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    @property
    def team_rate(self) -> float | None:
        return self.team_passed / self.team_total if self.team_total else None


@dataclass(frozen=True)
class SessionSummary:
    coaching: CoachingSession
    effects: dict[str, FocusEffect]


@dataclass(frozen=True)
class RepView:
    rep: User
    team: Team | None
    periods: Periods
    weeks: list[date]
    trend: list[float | None]
    team_trend: list[float | None]
    average: float | None
    team_average: float | None
    items: list[ItemRate]
    reviews: Page[ReviewRow]
    reviewer_names: dict[int, str]
    sessions: list[SessionSummary]
    training: list[TrainingAssignment]
    today: date
    can_coach: bool
    own: bool  # the rep looking at their own page
    rank: RankView | None  # this month's, for the rep and the rep's managers only


def _rep(session: Session, principal: Principal, rep_id: int) -> User:
    if principal.role is Role.REP and principal.id != rep_id:
        raise NotFound(f"Rep {rep_id} does not exist or you cannot see them")
    rep = session.get(User, rep_id)
    if rep is None or rep.role is not Role.REP:
        raise NotFound(f"Rep {rep_id} does not exist or you cannot see them")
    if principal.role is not Role.REP and (rep.team_id is None or not can_see_team(principal, rep.team_id)):
        if principal.role is Role.REVIEWER:
            raise Forbidden("Rep pages are for the rep, their managers, QC leads and administrators")
        raise NotFound(f"Rep {rep_id} does not exist or you cannot see them")
    return rep


def rep_view(
    session: Session,
    principal: Principal,
    rep_id: int,
    *,
    settings: Settings,
    page: PageRequest,
    now: datetime | None = None,
) -> RepView:
    """Score by week against the team's, item pass rates against the team's, every review,
    and the coaching history with its effects."""
    now = now or utcnow()
    rep = _rep(session, principal, rep_id)
    team = users.get_team(session, rep.team_id) if rep.team_id is not None else None
    policy = reviews.team_policy(session, team.id, settings) if team else Policy(timezone=settings.timezone)
    periods = _periods(policy, now)
    weeks = periods.weeks(TREND_WEEKS)
    team_ids = [team.id] if team else []
    team_rows = repo.scores(session, team_id=team.id, since=periods.start_of(weeks[0])) if team else []
    mine = [r for r in team_rows if r.rep_id == rep.id]
    own = principal.role is Role.REP
    if own:  # a rep reads their reviews once released
        mine = [r for r in mine if r.released_at is not None]
    recent_since = now - timedelta(days=RECENT_DAYS)
    rows, total = repo.review_page(session, rep.id, offset=page.offset, limit=page.size)
    if own:
        rows = [r for r in rows if r.released_at is not None]
    sessions = coaching.sessions_of_rep(session, principal, rep.id)
    return RepView(
        rep=rep,
        team=team,
        periods=periods,
        weeks=weeks,
        trend=_weekly(mine, weeks, periods),
        team_trend=_weekly(team_rows, weeks, periods),
        average=_mean(r.final_score for r in mine if r.call_started_at >= recent_since),
        team_average=_mean(r.final_score for r in team_rows if r.call_started_at >= recent_since),
        items=_item_rates(session, rep, team_ids, now - timedelta(days=ITEM_DAYS), released_only=own),
        reviews=Page(rows, total, page),
        reviewer_names=users.names_of(session, {r.reviewer_id for r in rows}) if not own else {},
        sessions=[
            SessionSummary(s, coaching.effects(session, s, settings=settings, now=now)) for s in sessions
        ],
        training=training.assignments_of_rep(session, principal, rep.id),
        today=periods.today,
        can_coach=team is not None and coaching_access.can_coach_team(principal, team.id),
        own=own,
        rank=ranking.rank_of(session, principal, rep, now=now),
    )


def _item_rates(
    session: Session, rep: User, team_ids: list[int], since: datetime, *, released_only: bool
) -> list[ItemRate]:
    found = outcomes.tally_rows(session, repo.answer_counts(session, team_ids[0], since)) if team_ids else []
    if released_only and repo.has_unreleased(session, rep.id, since):
        # Rare (a release delay): count the rep's own answers one by one, released ones only.
        released = {
            r.evaluation_id for r in repo.reviews(session, rep_ids=[rep.id], since=since) if r.released_at
        }
        own = [
            o
            for o in outcomes.item_outcomes(session, rep_ids=[rep.id], since=since)
            if o.evaluation_id in released
        ]
        found = [t for t in found if t.rep_id != rep.id] + _tallied(own)
    labels = scoring.item_labels(session)
    tallies: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for tally in found:
        counts = tallies[(tally.scorecard_id, tally.item_id)]
        if tally.rep_id == rep.id:
            counts[0] += tally.passed
            counts[1] += tally.total
        counts[2] += tally.passed
        counts[3] += tally.total
    rates = [ItemRate(f"{k[0]}:{k[1]}", labels.get(k, k[1]), *t) for k, t in tallies.items() if t[1]]
    return sorted(rates, key=lambda r: (r.rate if r.rate is not None else 1.0, r.label))


def _tallied(found: list[ItemOutcome]) -> list[ItemTally]:
    counts: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for outcome in found:
        tally = counts[(outcome.rep_id, outcome.scorecard_id, outcome.item_id)]
        tally[0] += outcome.passed
        tally[1] += 1
    return [ItemTally(r, sc, i, p, t) for (r, sc, i), (p, t) in counts.items()]
