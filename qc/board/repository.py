"""Queries of the wall board and its display links.

The board is a read-model: it counts the review queue's picks, rep-days and calls of one
team, read-only, in a few grouped queries (never one per rep). Display links are the
board's own rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from qc.board.models import DisplayLink
from qc.calls.models import Call
from qc.reviews.models import Assignment, AssignmentStatus, RepDay
from qc.users.models import Team, User


def done_picks(session: Session, team_id: int, *, first_day: date, today: date) -> dict[int, tuple[int, int]]:
    """{rep: (reviews done for today's rep-day, for the rep-days from `first_day` to today)}."""
    query = (
        select(Assignment.rep_id, func.sum(case((Assignment.day == today, 1), else_=0)), func.count())
        .where(
            Assignment.team_id == team_id,
            Assignment.day >= first_day,
            Assignment.day <= today,
            Assignment.status == AssignmentStatus.DONE,
        )
        .group_by(Assignment.rep_id)
    )
    return {int(rep): (int(on_day or 0), int(total)) for rep, on_day, total in session.execute(query)}


def day_targets(session: Session, team_id: int, day: date) -> dict[int, int]:
    """{rep: the day's target} as the queue built it (no row: not built yet)."""
    query = select(RepDay.rep_id, RepDay.target).where(RepDay.day == day, RepDay.team_id == team_id)
    return {int(rep): int(target) for rep, target in session.execute(query)}


def reps_with_calls(session: Session, team_id: int, *, start: datetime, end: datetime) -> set[int]:
    """The team's reps who made a call in [start, end)."""
    query = (
        select(Call.rep_id)
        .where(Call.team_id == team_id, Call.started_at >= start, Call.started_at < end)
        .distinct()
    )
    return {int(rep) for rep in session.scalars(query)}


def links_of_team(session: Session, team_id: int) -> list[tuple[DisplayLink, str | None]]:
    """The team's display links, newest first, with the name of who made each."""
    query = (
        select(DisplayLink, User.name)
        .outerjoin(User, User.id == DisplayLink.created_by_id)
        .where(DisplayLink.team_id == team_id)
        .order_by(DisplayLink.created_at.desc(), DisplayLink.id.desc())
    )
    return [(link, name) for link, name in session.execute(query)]


def link_by_hash(session: Session, token_hash: str) -> DisplayLink | None:
    return session.scalar(select(DisplayLink).where(DisplayLink.token_hash == token_hash))


def mark_link_seen(session: Session, *, link_id: int, now: datetime) -> None:
    session.execute(update(DisplayLink).where(DisplayLink.id == link_id).values(last_seen_at=now))


def find_team(session: Session, reference: str) -> Team | None:
    """A team by its id or its name (any case)."""
    wanted = reference.strip()
    if wanted.isascii() and wanted.isdigit() and int(wanted) < 2**31:
        return session.get(Team, int(wanted))
    return session.scalar(select(Team).where(func.lower(Team.name) == wanted.lower()))
