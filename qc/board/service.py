"""The wall board's figures: per rep, today and this month, and the team's progress today.

Today is the team's review day as the daily queue counts it: a review counts for the rep-day
its call belongs to (the figures of the Coverage page), against the day's target from the
queue (the policy's, before the day is built). The month adds up the rep-days since the 1st
against the daily target times the working days so far, as the team page does. Scores, the
trend and the most-missed item come from released reviews only: the board is on the wall,
and shows nothing a rep could not read already.

The optional top three ranks the reps over the last 30 days (qc.performance.ranking).

The trend compares the average review score of the calls of the last TREND_DAYS days with
the TREND_DAYS before (a month against the last is mostly noise early in a month); it needs
TREND_MIN_REVIEWS reviews on each side, and a change under TREND_STEP points is level.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from qc.board import access, links
from qc.board import repository as repo
from qc.config import Settings
from qc.db import utcnow
from qc.evaluations import outcomes
from qc.evaluations.outcomes import ItemTally
from qc.performance import ranking
from qc.performance import repository as performance_repo
from qc.performance.ranking import Standing
from qc.reviews import service as reviews
from qc.reviews.policy import Policy, day_times, local_today
from qc.scoring import service as scoring
from qc.users import service as users
from qc.users.models import Team

TREND_DAYS = 7
TREND_MIN_REVIEWS = 3
TREND_STEP = 2.0  # points of average score
PAGE_SIZE = 24  # reps per screen: two columns of twelve; bigger teams rotate through pages
COLUMN_SIZE = PAGE_SIZE // 2


@dataclass(frozen=True)
class Trend:
    change: float  # points, last TREND_DAYS days against the TREND_DAYS before

    @property
    def direction(self) -> str:
        if self.change >= TREND_STEP:
            return "up"
        return "down" if self.change <= -TREND_STEP else "level"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "level": "▶"}[self.direction]

    @property
    def points(self) -> str:
        """The change in whole points, signed: "+4", "-3", "±0"."""
        whole = round(self.change)
        return f"{whole:+d}" if whole else "±0"


@dataclass(frozen=True)
class Missed:
    label: str
    failed: int
    total: int


@dataclass(frozen=True)
class BoardRow:
    rep_id: int
    name: str
    today_done: int
    today_target: int
    works_today: bool  # made a call in today's review day
    month_done: int
    month_target: int
    average: float | None  # this month
    trend: Trend | None
    missed: Missed | None  # this month's most-failed item

    @property
    def at_target(self) -> bool:
        return self.today_target > 0 and self.today_done >= self.today_target


@dataclass(frozen=True)
class Progress:
    reps_at_target: int
    reps_working: int
    done: int
    target: int

    @property
    def share(self) -> float:
        return min(1.0, self.done / self.target) if self.target else 0.0


@dataclass(frozen=True)
class Board:
    team: Team
    zone: str
    today: date
    working_day: bool
    rows: list[BoardRow]
    progress: Progress
    podium: list[tuple[Standing, str]]  # empty unless the ranking is shown
    refreshed_at: datetime
    show_ranking: bool = False  # the link shows the top three (the podium may still be empty)
    ranked: int = 0  # reps with enough reviews to be ranked

    @property
    def rank_needs(self) -> int:
        """Released reviews in the ranking's window a rep needs to be ranked."""
        return ranking.RANK_MIN_REVIEWS

    @property
    def pages(self) -> list[list[BoardRow]]:
        """The reps in pages of at most PAGE_SIZE, as even as they go (26 reps: 13 and 13)."""
        count = max(1, -(-len(self.rows) // PAGE_SIZE))
        size = -(-len(self.rows) // count) or 1
        return [self.rows[i : i + size] for i in range(0, len(self.rows), size)] or [[]]

    @property
    def column_size(self) -> int:
        return COLUMN_SIZE

    @property
    def columns(self) -> int:
        """Columns of reps on the fullest page: 1, or 2 past COLUMN_SIZE reps."""
        return 2 if max(len(page) for page in self.pages) > COLUMN_SIZE else 1

    @property
    def lines(self) -> int:
        """Rows in the fullest column of a page: the display sizes its type to fill the screen
        with them (a page of more than COLUMN_SIZE reps is split into two columns)."""
        return max(-(-len(page) // 2) if len(page) > COLUMN_SIZE else len(page) for page in self.pages)


def _trend(recent: tuple[int, float | None], before: tuple[int, float | None]) -> Trend | None:
    (n_recent, avg_recent), (n_before, avg_before) = recent, before
    if avg_recent is None or avg_before is None or min(n_recent, n_before) < TREND_MIN_REVIEWS:
        return None
    return Trend(round(avg_recent - avg_before, 1))


def _most_missed(tallies: list[ItemTally], labels: dict[tuple[str, str], str]) -> Missed | None:
    failed = [t for t in tallies if t.total > t.passed]
    if not failed:
        return None
    worst = min(failed, key=lambda t: (t.passed - t.total, t.passed / t.total, t.scorecard_id, t.item_id))
    return Missed(
        labels.get((worst.scorecard_id, worst.item_id), worst.item_id),
        worst.total - worst.passed,
        worst.total,
    )


def _working_days(policy: Policy, first: date, last: date) -> int:
    return sum(policy.is_working_day(first + timedelta(days=i)) for i in range((last - first).days + 1))


def _missed_by_rep(session: Session, team_id: int, since: datetime) -> dict[int, Missed]:
    """Each rep's most-failed item in the released reviews of calls since `since`."""
    tallies: dict[int, list[ItemTally]] = defaultdict(list)
    counts = performance_repo.answer_counts(session, team_id, since, released_only=True)
    for tally in outcomes.tally_rows(session, counts):
        tallies[tally.rep_id].append(tally)
    labels = scoring.item_labels(session)
    found = {rep_id: _most_missed(found, labels) for rep_id, found in tallies.items()}
    return {rep_id: missed for rep_id, missed in found.items() if missed is not None}


@dataclass(frozen=True)
class _Day:
    policy: Policy
    now: datetime
    today: date
    working: bool  # a working day with a target

    @property
    def month(self) -> datetime:
        return ranking.month_start(self.policy, self.now)


def _rows(
    session: Session, team: Team, day: _Day, scores: dict[int, list[tuple[int, float | None]]]
) -> list[BoardRow]:
    done = repo.done_picks(session, team.id, first_day=day.today.replace(day=1), today=day.today)
    targets = repo.day_targets(session, team.id, day.today)
    times = day_times(day.policy, day.today)
    working = repo.reps_with_calls(session, team.id, start=times.start, end=min(day.now, times.end))
    missed = _missed_by_rep(session, team.id, day.month)
    month_target = day.policy.target * _working_days(day.policy, day.today.replace(day=1), day.today)
    nothing: list[tuple[int, float | None]] = [(0, None)] * 3
    rows = []
    for rep in performance_repo.reps_of_team(session, team.id):
        (_, average), recent, before = scores.get(rep.id, nothing)[:3]
        today_done, month_done = done.get(rep.id, (0, 0))
        rows.append(
            BoardRow(
                rep_id=rep.id,
                name=rep.name,
                today_done=today_done,
                today_target=targets.get(rep.id, day.policy.target) if day.working else 0,
                works_today=rep.id in working,
                month_done=month_done,
                month_target=month_target,
                average=round(average, 1) if average is not None else None,
                trend=_trend(recent, before),
                missed=missed.get(rep.id),
            )
        )
    return rows


def build_board(
    session: Session, team: Team, *, settings: Settings, now: datetime, show_ranking: bool
) -> Board:
    """The team's board as of `now` (no permission check: the callers make it)."""
    policy = reviews.team_policy(session, team.id, settings)
    today = local_today(policy, now)
    day = _Day(policy, now, today, policy.is_working_day(today) and policy.target > 0)
    recent = now - timedelta(days=TREND_DAYS)
    windows = [(day.month, now), (recent, now), (recent - timedelta(days=TREND_DAYS), recent)]
    scores = performance_repo.released_score_windows(
        session, team_id=team.id, windows=[*windows, ranking.window(now)]
    )
    rows = _rows(session, team, day, scores)
    names = {row.rep_id: row.name for row in rows}
    standings = ranking.rank({rep_id: w[3] for rep_id, w in scores.items() if rep_id in names})
    podium = ranking.podium(standings) if show_ranking else []
    return Board(
        team=team,
        zone=policy.timezone,
        today=today,
        working_day=day.working,
        rows=rows,
        progress=_progress(rows),
        podium=[(s, names[s.rep_id]) for s in podium],
        refreshed_at=now,
        show_ranking=show_ranking,
        ranked=len(standings),
    )


def _progress(rows: list[BoardRow]) -> Progress:
    working = [row for row in rows if row.works_today and row.today_target]
    return Progress(
        reps_at_target=sum(row.at_target for row in working),
        reps_working=len(working),
        done=sum(row.today_done for row in rows),
        target=sum(row.today_target for row in working),
    )


def board_team(session: Session, principal: access.Principal, team_id: int) -> Team:
    """The team whose board `principal` asks for: NotFound for staff who do not supervise
    it (as the team pages answer), Forbidden for everyone else."""
    access.require_board(principal, team_id)
    return users.get_team(session, team_id)


@dataclass(frozen=True)
class BoardPage:
    board: Board
    links: list[links.LinkRow]
    can_manage: bool


def board_page(
    session: Session,
    principal: access.Principal,
    team_id: int,
    *,
    settings: Settings,
    show_ranking: bool = False,
    now: datetime | None = None,
) -> BoardPage:
    """The signed-in board page: the board and, for those who manage them, its display links."""
    team = board_team(session, principal, team_id)
    board = build_board(session, team, settings=settings, now=now or utcnow(), show_ranking=show_ranking)
    can_manage = access.can_manage_links(principal, team_id)
    return BoardPage(board, links.list_links(session, principal, team_id), can_manage)


def display(session: Session, token: str, *, settings: Settings, now: datetime | None = None) -> Board:
    """The board a display link opens, with the ranking if the link shows it; NotFound for an
    unknown or revoked token."""
    now = now or utcnow()
    link = links.open_link(session, token, now=now)
    team = users.get_team(session, link.team_id)
    return build_board(session, team, settings=settings, now=now, show_ranking=link.show_ranking)
