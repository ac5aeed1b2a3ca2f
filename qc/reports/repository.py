"""Read-model queries of the coverage report.

A view across domains: it reads the queue's rep-days and picks (reviews), the evaluations,
their answers and the disputes, read-only, each aggregated in the database per rep-day
(GROUP BY), so a month of a large floor costs a handful of queries and never one per rep
or per day. Nothing here writes; each domain keeps its own rules for changing its rows.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Integer, and_, case, cast, exists, func, select, text
from sqlalchemy.orm import Session

from qc.evaluations.models import Evaluation, EvaluationAnswer
from qc.feedback.models import Decision, Dispute, DisputeItem
from qc.reviews.models import Assignment, AssignmentStatus, QueueDay, RepDay, Shortfall
from qc.users.models import Team, User


class RepDayRow(NamedTuple):
    day: date
    rep_id: int
    team_id: int
    target: int
    calls: int
    eligible: int
    stored_reason: Shortfall | None
    closed: bool  # the team's queue for the day is closed


class PickTally(NamedTuple):
    rep_id: int
    day: date
    team_id: int
    picked: int
    assigned: int
    done: int
    missed: int
    before_build: int  # picked before the day's last build (which then no longer counted them)


class ReviewTally(NamedTuple):
    rep_id: int
    day: date
    team_id: int
    reviewer_id: int
    seconds: float  # time on task of each of these reviews
    reviews: int
    scored: int  # reviews with a score (a scorecard of only n/a answers has none)
    score_sum: float
    critical: int
    overrides: int
    disputes: int
    overturned: int


def _in(column: Any, values: Collection[int] | None) -> Any:
    return True if values is None else column.in_(sorted(values))


def rep_days(session: Session, start: date, end: date, team_ids: Collection[int] | None) -> list[RepDayRow]:
    """The queue's rep-days between `start` and `end` (inclusive) of the teams."""
    query = (
        select(
            RepDay.day,
            RepDay.rep_id,
            RepDay.team_id,
            RepDay.target,
            RepDay.calls,
            RepDay.eligible,
            RepDay.shortfall_reason,
            QueueDay.is_closed,
        )
        .join(QueueDay, QueueDay.id == RepDay.queue_day_id)
        .where(RepDay.day >= start, RepDay.day <= end, _in(RepDay.team_id, team_ids))
    )
    return [RepDayRow._make(row) for row in session.connection().execute(query)]


def pick_tallies(
    session: Session, start: date, end: date, team_ids: Collection[int] | None
) -> list[PickTally]:
    """Per rep-day: picks counting for it, assigned to a reviewer, done, missed, and those
    picked before the queue's last build of the day."""
    status = Assignment.status
    earlier = Assignment.picked_at < QueueDay.built_at
    query = (
        select(
            Assignment.rep_id,
            Assignment.day,
            Assignment.team_id,
            _int(func.count()),
            _int(func.sum(case((Assignment.reviewer_id.is_not(None), 1), else_=0))),
            _int(func.sum(case((status == AssignmentStatus.DONE, 1), else_=0))),
            _int(func.sum(case((status == AssignmentStatus.MISSED, 1), else_=0))),
            _int(func.sum(case((earlier, 1), else_=0))),
        )
        .outerjoin(QueueDay, and_(QueueDay.team_id == Assignment.team_id, QueueDay.day == Assignment.day))
        .where(Assignment.day >= start, Assignment.day <= end, _in(Assignment.team_id, team_ids))
        .group_by(Assignment.rep_id, Assignment.day, Assignment.team_id)
    )
    return [PickTally._make(row) for row in session.connection().execute(query)]


def _done(start: date, end: date, team_ids: Collection[int] | None) -> tuple[Any, ...]:
    """Done picks counting for rep-days in the range."""
    return (
        Assignment.day >= start,
        Assignment.day <= end,
        Assignment.status == AssignmentStatus.DONE,
        _in(Assignment.team_id, team_ids),
    )


def _per_review(model: type[Any], *where: Any) -> Any:
    """A count per evaluation, as a correlated subquery (one index lookup per review)."""
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def review_tallies(
    session: Session, start: date, end: date, team_ids: Collection[int] | None
) -> list[ReviewTally]:
    """Per rep-day, reviewer and time on task (so medians need no second read): reviews done,
    their scores, critical fails, overridden answers, and the disputes of those reviews
    (opened, and overturned: at least one item changed)."""
    answer = EvaluationAnswer
    overridden = _per_review(
        answer,
        answer.evaluation_id == Evaluation.id,
        answer.auto_answer.is_not(None),
        answer.answer.is_not(None),
        answer.answer != answer.auto_answer,
    )
    opened = _per_review(Dispute, Dispute.evaluation_id == Evaluation.id)
    overturned = _per_review(Dispute, Dispute.evaluation_id == Evaluation.id, _changed())
    keys = (
        Assignment.rep_id,
        Assignment.day,
        Assignment.team_id,
        Evaluation.reviewer_id,
        Evaluation.active_seconds,
    )
    query = (
        select(
            *keys,
            _int(func.count()),
            _int(func.count(Evaluation.final_score)),
            func.coalesce(func.sum(Evaluation.final_score), 0.0),
            _int(func.sum(case((Evaluation.critical_failed.is_(True), 1), else_=0))),
            _int(func.sum(overridden)),
            _int(func.sum(opened)),
            _int(func.sum(overturned)),
        )
        .join(Evaluation, Evaluation.assignment_id == Assignment.id)
        .where(*_done(start, end, team_ids))
        .group_by(*keys)
    )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # PostgreSQL would compile this query to machine code (its estimate is over the JIT
        # threshold) and spend longer on that than on running it: a month took 135 ms, 58 of
        # them JIT. For the rest of this read-only transaction only.
        connection.execute(text("SET LOCAL jit = off"))
    return [ReviewTally._make(row) for row in connection.execute(query)]


def _int(value: Any) -> Any:
    return cast(func.coalesce(value, 0), Integer)


def _changed() -> Any:
    return exists().where(DisputeItem.dispute_id == Dispute.id, DisputeItem.decision == Decision.CHANGED)


def queue_dates(session: Session, start: date, end: date, team_ids: Collection[int] | None) -> list[date]:
    """The days in the range on which any of the teams had a queue (their working days)."""
    query = (
        select(QueueDay.day)
        .where(QueueDay.day >= start, QueueDay.day <= end, _in(QueueDay.team_id, team_ids))
        .distinct()
        .order_by(QueueDay.day)
    )
    return list(session.scalars(query))


def last_closed_day(session: Session, before: date, team_ids: Collection[int] | None) -> date | None:
    """The latest day before `before` on which one of the teams' queues was closed."""
    query = select(func.max(QueueDay.day)).where(
        QueueDay.day < before, QueueDay.is_closed.is_(True), _in(QueueDay.team_id, team_ids)
    )
    return session.scalar(query)


def people(session: Session, user_ids: Collection[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(sorted(user_ids))))}


def teams(session: Session) -> dict[int, Team]:
    return {t.id: t for t in session.scalars(select(Team).order_by(Team.name))}
