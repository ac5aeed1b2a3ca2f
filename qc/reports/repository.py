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

from sqlalchemy import and_, case, exists, func, select
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


class ReviewTally(NamedTuple):
    rep_id: int
    day: date
    team_id: int
    reviewer_id: int
    reviews: int
    scored: int  # reviews with a score (a scorecard of only n/a answers has none)
    score_sum: float
    critical: int
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
    return [RepDayRow(*row) for row in session.execute(query)]


def pick_tallies(
    session: Session, start: date, end: date, team_ids: Collection[int] | None
) -> list[PickTally]:
    """Per rep-day: picks counting for it, assigned to a reviewer, done and missed."""
    status = Assignment.status
    query = (
        select(
            Assignment.rep_id,
            Assignment.day,
            Assignment.team_id,
            func.count(),
            func.sum(case((Assignment.reviewer_id.is_not(None), 1), else_=0)),
            func.sum(case((status == AssignmentStatus.DONE, 1), else_=0)),
            func.sum(case((status == AssignmentStatus.MISSED, 1), else_=0)),
        )
        .where(Assignment.day >= start, Assignment.day <= end, _in(Assignment.team_id, team_ids))
        .group_by(Assignment.rep_id, Assignment.day, Assignment.team_id)
    )
    rows = session.execute(query)
    return [PickTally(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5]), int(r[6])) for r in rows]


def _done(start: date, end: date, team_ids: Collection[int] | None) -> tuple[Any, ...]:
    """Done picks counting for rep-days in the range."""
    return (
        Assignment.day >= start,
        Assignment.day <= end,
        Assignment.status == AssignmentStatus.DONE,
        _in(Assignment.team_id, team_ids),
    )


def _done_reviews(start: date, end: date, team_ids: Collection[int] | None) -> Any:
    """The reviews counting for rep-days in the range: done picks and their evaluations."""
    return (
        select(Evaluation.id)
        .join(Assignment, Assignment.id == Evaluation.assignment_id)
        .where(*_done(start, end, team_ids))
    )


def review_tallies(
    session: Session, start: date, end: date, team_ids: Collection[int] | None
) -> list[ReviewTally]:
    """Per rep-day and reviewer: reviews done, their scores, critical fails, and the disputes
    of those reviews (opened, and overturned: at least one item changed)."""
    disputes = (
        select(
            Dispute.evaluation_id,
            func.count().label("opened"),
            func.sum(case((_changed(), 1), else_=0)).label("overturned"),
        )
        .where(Dispute.evaluation_id.in_(_done_reviews(start, end, team_ids)))
        .group_by(Dispute.evaluation_id)
        .subquery()
    )
    query = (
        select(
            Assignment.rep_id,
            Assignment.day,
            Assignment.team_id,
            Evaluation.reviewer_id,
            func.count(),
            func.count(Evaluation.final_score),
            func.coalesce(func.sum(Evaluation.final_score), 0.0),
            func.sum(case((Evaluation.critical_failed.is_(True), 1), else_=0)),
            func.coalesce(func.sum(disputes.c.opened), 0),
            func.coalesce(func.sum(disputes.c.overturned), 0),
        )
        .join(Evaluation, Evaluation.assignment_id == Assignment.id)
        .outerjoin(disputes, disputes.c.evaluation_id == Evaluation.id)
        .where(*_done(start, end, team_ids))
        .group_by(Assignment.rep_id, Assignment.day, Assignment.team_id, Evaluation.reviewer_id)
    )
    return [
        ReviewTally(*r[:4], *(int(v) if i != 2 else float(v) for i, v in enumerate(r[4:])))
        for r in session.execute(query)
    ]


def _changed() -> Any:
    return exists().where(DisputeItem.dispute_id == Dispute.id, DisputeItem.decision == Decision.CHANGED)


def overrides_by_reviewer(
    session: Session, start: date, end: date, team_ids: Collection[int] | None
) -> dict[int, int]:
    """Per reviewer: answers of their reviews in the range that differ from the automatic one."""
    answer = EvaluationAnswer
    query = (
        select(Evaluation.reviewer_id, func.count())
        .join(answer, answer.evaluation_id == Evaluation.id)
        .where(
            Evaluation.id.in_(_done_reviews(start, end, team_ids)),
            and_(answer.auto_answer.is_not(None), answer.answer.is_not(None)),
            answer.answer != answer.auto_answer,
        )
        .group_by(Evaluation.reviewer_id)
    )
    return {reviewer_id: int(count) for reviewer_id, count in session.execute(query)}


def review_seconds(
    session: Session, start: date, end: date, team_ids: Collection[int] | None
) -> list[tuple[int, float]]:
    """(reviewer, seconds on task) of every review in the range, for the medians."""
    query = (
        select(Evaluation.reviewer_id, Evaluation.active_seconds)
        .join(Assignment, Assignment.id == Evaluation.assignment_id)
        .where(*_done(start, end, team_ids))
    )
    return [(reviewer_id, float(seconds or 0.0)) for reviewer_id, seconds in session.execute(query)]


def queue_dates(session: Session, start: date, end: date, team_ids: Collection[int] | None) -> list[date]:
    """The days in the range on which any of the teams had a queue (their working days)."""
    query = (
        select(QueueDay.day)
        .where(QueueDay.day >= start, QueueDay.day <= end, _in(QueueDay.team_id, team_ids))
        .distinct()
        .order_by(QueueDay.day)
    )
    return list(session.scalars(query))


def people(session: Session, user_ids: Collection[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(sorted(user_ids))))}


def teams(session: Session) -> dict[int, Team]:
    return {t.id: t for t in session.scalars(select(Team).order_by(Team.name))}
