"""The ranking of a team's reps by their average review score over the last 30 days.

Ranked are the reps with at least RANK_MIN_REVIEWS released reviews of the calls of the last
RANK_DAYS days: fewer say too little about a rep to place them. A rolling window rather than
the calendar month, so the ranking does not empty out on the 1st and stay empty for a week. Equal averages (to
one decimal) share a rank, and the next rank skips (1, 2, 2, 4). Released reviews only, so
a rank never moves on a review its rep cannot read yet.

Nobody sees the whole order: the wall board shows the top three only (PODIUM), and never
more than half of the ranked reps, because ranking everyone discourages the bottom half; a
rep's own page shows the rep's rank and the scores of the reps just above and below, not
their names, to the rep and the rep's managers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from qc.performance import repository as repo
from qc.reviews.policy import Policy, local_today, zone
from qc.users.models import Role, User
from qc.users.schemas import Principal

RANK_MIN_REVIEWS = 5  # released reviews in the window before a rep is ranked
RANK_DAYS = 30  # the window: calls of the last 30 days
PODIUM = 3  # the board shows at most the top three


@dataclass(frozen=True)
class Standing:
    rep_id: int
    rank: int
    average: float
    reviews: int


@dataclass(frozen=True)
class RankView:
    """A rep's place over the last RANK_DAYS days, as their own page shows it."""

    rank: int | None  # None: not ranked yet
    ranked: int  # how many reps are ranked
    reviews: int  # the rep's released reviews in the window
    needed: int  # released reviews a rep needs to be ranked
    average: float | None
    above: Standing | None  # the rep just above (a better rank)
    below: Standing | None  # the rep just below


def rank(scores: Mapping[int, tuple[int, float | None]], *, min_reviews: int | None = None) -> list[Standing]:
    """Standings of the reps with at least `min_reviews` (RANK_MIN_REVIEWS) scored reviews,
    best first, from {rep: (reviews, average)}. Ties (to one decimal) share a rank; the rep id
    breaks the order."""
    least = RANK_MIN_REVIEWS if min_reviews is None else min_reviews
    eligible = sorted(
        ((rep_id, round(avg, 1), n) for rep_id, (n, avg) in scores.items() if avg is not None and n >= least),
        key=lambda row: (-row[1], row[0]),
    )
    standings: list[Standing] = []
    for position, (rep_id, average, n) in enumerate(eligible, start=1):
        tied = standings and standings[-1].average == average
        standings.append(Standing(rep_id, standings[-1].rank if tied else position, average, n))
    return standings


def podium(standings: list[Standing]) -> list[Standing]:
    """The reps the board names: ranks 1 to 3 (ties included), and only while that leaves
    at least half of the ranked reps unnamed."""
    places = min(PODIUM, len(standings) // 2)
    return [s for s in standings if s.rank <= places]


def month_start(policy: Policy, now: datetime) -> datetime:
    """The first moment of the team's current month, in UTC."""
    first = local_today(policy, now).replace(day=1)
    return datetime.combine(first, time(0), tzinfo=zone(policy.timezone)).astimezone(UTC)


def window(now: datetime) -> tuple[datetime, datetime]:
    """The calls a ranking at `now` counts: [now - RANK_DAYS days, now)."""
    return now - timedelta(days=RANK_DAYS), now


def window_scores(session: Session, team_id: int, *, now: datetime) -> dict[int, tuple[int, float | None]]:
    """{rep: (released reviews with a score, their average)} over the window's calls."""
    found = repo.released_score_windows(session, team_id=team_id, windows=[window(now)])
    active = {rep.id for rep in repo.reps_of_team(session, team_id)}  # those who left are not ranked
    return {rep_id: windows[0] for rep_id, windows in found.items() if rep_id in active}


def team_standings(session: Session, team_id: int, *, now: datetime) -> list[Standing]:
    """The team's standings over the window (no permission check: callers decide who sees it)."""
    return rank(window_scores(session, team_id, now=now))


def can_see_rank(principal: Principal, rep: User) -> bool:
    """A rep's rank is for the rep and the managers of the rep's team."""
    if principal.role is Role.REP:
        return principal.id == rep.id
    return principal.role is Role.MANAGER and rep.team_id in principal.managed_team_ids


def rank_of(session: Session, principal: Principal, rep: User, *, now: datetime) -> RankView | None:
    """The rep's rank over the window with the neighbours' scores, or None for whoever may not see it."""
    if rep.team_id is None or not can_see_rank(principal, rep):
        return None
    scores = window_scores(session, rep.team_id, now=now)
    standings = rank(scores)
    reviews_done, average = scores.get(rep.id, (0, None))
    index = next((i for i, s in enumerate(standings) if s.rep_id == rep.id), None)
    if index is None:
        return RankView(None, len(standings), reviews_done, RANK_MIN_REVIEWS, average, None, None)
    return RankView(
        rank=standings[index].rank,
        ranked=len(standings),
        reviews=reviews_done,
        needed=RANK_MIN_REVIEWS,
        average=standings[index].average,
        above=standings[index - 1] if index > 0 else None,
        below=standings[index + 1] if index + 1 < len(standings) else None,
    )
