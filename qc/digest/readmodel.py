"""Read-model queries of the evening digest: one team's day across domains.

A view across domains: it reads the feedback, evaluation, dispute, coaching and training
tables, read-only, so a team's digest costs a handful of queries. Nothing here writes;
each domain keeps its own rules for changing its rows. Bounds are UTC instants (the
caller turns the team's local day into them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.coaching.models import CoachingAction, CoachingSession, SessionStatus
from qc.evaluations.models import Evaluation
from qc.feedback.models import Dispute, DisputeStatus, Feedback
from qc.training.models import AssignmentStatus, TrainingAssignment


class ReviewFact(NamedTuple):
    evaluation_id: int
    rep_id: int
    reviewer_id: int
    submitted_at: datetime
    final_score: float | None
    critical_failed: bool


def reviews_submitted(session: Session, team_id: int, start: datetime, end: datetime) -> list[ReviewFact]:
    """The team's reviews submitted in [start, end)."""
    query = (
        select(
            Feedback.evaluation_id,
            Feedback.rep_id,
            Feedback.reviewer_id,
            Feedback.submitted_at,
            Evaluation.final_score,
            Evaluation.critical_failed,
        )
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .where(Feedback.team_id == team_id, Feedback.submitted_at >= start, Feedback.submitted_at < end)
    )
    return [ReviewFact(*row) for row in session.execute(query)]


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def disputes(session: Session, team_id: int, start: datetime, end: datetime) -> tuple[int, int, int]:
    """(opened in [start, end), resolved in it, still open past their due time at `end`)."""
    base = select(func.count()).select_from(Dispute).where(Dispute.team_id == team_id)
    opened = _count(session, base.where(Dispute.opened_at >= start, Dispute.opened_at < end))
    resolved = _count(
        session,
        base.where(
            Dispute.status == DisputeStatus.RESOLVED, Dispute.closed_at >= start, Dispute.closed_at < end
        ),
    )
    overdue = _count(session, base.where(Dispute.status == DisputeStatus.OPEN, Dispute.due_at < end))
    return opened, resolved, overdue


def coaching_actions(session: Session, team_id: int, tomorrow: date) -> tuple[int, int]:
    """Open action items of the team's live sessions: (due `tomorrow`, due before it)."""
    query = (
        select(CoachingAction.due_date, func.count())
        .join(CoachingSession, CoachingSession.id == CoachingAction.session_id)
        .where(
            CoachingSession.team_id == team_id,
            CoachingSession.status != SessionStatus.CANCELLED,
            CoachingAction.done_at.is_(None),
            CoachingAction.due_date <= tomorrow,
        )
        .group_by(CoachingAction.due_date)
    )
    return _split(session.execute(query), tomorrow)


def training_assignments(session: Session, team_id: int, tomorrow: date) -> tuple[int, int]:
    """Open training assignments of the team: (due `tomorrow`, due before it)."""
    query = (
        select(TrainingAssignment.due_date, func.count())
        .where(
            TrainingAssignment.team_id == team_id,
            TrainingAssignment.status.in_([AssignmentStatus.ASSIGNED, AssignmentStatus.STARTED]),
            TrainingAssignment.due_date <= tomorrow,
        )
        .group_by(TrainingAssignment.due_date)
    )
    return _split(session.execute(query), tomorrow)


def _split(rows: Any, tomorrow: date) -> tuple[int, int]:
    due = overdue = 0
    for due_date, count in rows:
        if due_date == tomorrow:
            due += int(count)
        else:
            overdue += int(count)
    return due, overdue
