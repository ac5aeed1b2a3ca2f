"""Read-model queries for the team and rep pages.

A view across domains: it joins the feedback, evaluation, call, dispute and coaching
tables, read-only, so one page costs a few queries instead of one per rep. Nothing here
writes; each domain keeps its own rules for changing its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.coaching.models import CoachingAction, CoachingSession, SessionStatus
from qc.evaluations.models import Evaluation, EvaluationAnswer
from qc.feedback.models import Dispute, DisputeStatus, Feedback
from qc.scoring.models import ScorecardVersion
from qc.training.models import AssignmentStatus, TrainingAssignment
from qc.users.models import Role, User


class ReviewRow(NamedTuple):
    evaluation_id: int
    call_id: int
    rep_id: int
    team_id: int
    call_started_at: datetime
    submitted_at: datetime
    final_score: float | None
    reviewer_id: int
    released_at: datetime | None
    acknowledged_at: datetime | None


def _reviews() -> Any:
    return (
        select(
            Feedback.evaluation_id,
            Feedback.call_id,
            Feedback.rep_id,
            Feedback.team_id,
            Call.started_at,
            Feedback.submitted_at,
            Evaluation.final_score,
            Feedback.reviewer_id,
            Feedback.released_at,
            Feedback.acknowledged_at,
        )
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .join(Call, Call.id == Feedback.call_id)
    )


class ScoreRow(NamedTuple):
    rep_id: int
    call_started_at: datetime
    final_score: float | None
    released_at: datetime | None


def scores(session: Session, *, team_id: int, since: datetime) -> list[ScoreRow]:
    """The team's reviewed calls since `since` with their review scores (what trends,
    averages and counts need), found through the team's reviews."""
    query = (
        select(Feedback.rep_id, Call.started_at, Evaluation.final_score, Feedback.released_at)
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .join(Call, Call.id == Feedback.call_id)
        .where(Feedback.team_id == team_id, Feedback.submitted_at >= since, Call.started_at >= since)
    )
    return [ScoreRow(*row) for row in session.execute(query)]


def reps_of_team(session: Session, team_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.team_id == team_id, User.role == Role.REP, User.is_active.is_(True))
            .order_by(User.name)
        )
    )


def reviews(
    session: Session,
    *,
    team_ids: Iterable[int] | None = None,
    rep_ids: Iterable[int] | None = None,
    since: datetime,
    until: datetime | None = None,
) -> list[ReviewRow]:
    """Submitted reviews of calls that started in [since, until), oldest call first."""
    # A review is submitted after its call: the submission bound is implied by the call's and
    # lets the (team, submitted) index find the few reviewed calls among all of them.
    query = _reviews().where(Call.started_at >= since, Feedback.submitted_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    if team_ids is not None:
        query = query.where(Feedback.team_id.in_(list(team_ids)))
    if rep_ids is not None:
        query = query.where(Feedback.rep_id.in_(list(rep_ids)))
    return [
        ReviewRow(*row) for row in session.execute(query.order_by(Call.started_at, Feedback.evaluation_id))
    ]


def review_page(session: Session, rep_id: int, *, offset: int, limit: int) -> tuple[list[ReviewRow], int]:
    """A rep's submitted reviews, newest call first, and how many there are."""
    base = _reviews().where(Feedback.rep_id == rep_id)
    rows = session.execute(
        base.order_by(Call.started_at.desc(), Feedback.evaluation_id.desc()).offset(offset).limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(Feedback).where(Feedback.rep_id == rep_id)) or 0
    return [ReviewRow(*row) for row in rows], int(total)


def _count_by_rep(session: Session, query: object) -> dict[int, int]:
    return {int(rep_id): int(n) for rep_id, n in session.execute(query)}  # type: ignore[call-overload]


def unacknowledged(session: Session, rep_ids: list[int]) -> dict[int, int]:
    return _count_by_rep(
        session,
        select(Feedback.rep_id, func.count())
        .where(
            Feedback.rep_id.in_(rep_ids),
            Feedback.released_at.is_not(None),
            Feedback.acknowledged_at.is_(None),
        )
        .group_by(Feedback.rep_id),
    )


def open_disputes(session: Session, rep_ids: list[int]) -> dict[int, int]:
    return _count_by_rep(
        session,
        select(Dispute.rep_id, func.count())
        .where(Dispute.rep_id.in_(rep_ids), Dispute.status == DisputeStatus.OPEN)
        .group_by(Dispute.rep_id),
    )


def open_coaching(session: Session, rep_ids: list[int]) -> dict[int, int]:
    return _count_by_rep(
        session,
        select(CoachingSession.rep_id, func.count())
        .where(
            CoachingSession.rep_id.in_(rep_ids),
            CoachingSession.status.in_([SessionStatus.SCHEDULED, SessionStatus.HELD]),
        )
        .group_by(CoachingSession.rep_id),
    )


def overdue_actions(session: Session, rep_ids: list[int], today: date) -> dict[int, int]:
    return _count_by_rep(
        session,
        select(CoachingSession.rep_id, func.count())
        .join(CoachingAction, CoachingAction.session_id == CoachingSession.id)
        .where(
            CoachingSession.rep_id.in_(rep_ids),
            CoachingSession.status != SessionStatus.CANCELLED,
            CoachingAction.done_at.is_(None),
            CoachingAction.due_date < today,
        )
        .group_by(CoachingSession.rep_id),
    )


def has_unreleased(session: Session, rep_id: int, since: datetime) -> bool:
    """Whether the rep has a submitted review not yet released to them since `since`."""
    query = select(Feedback.evaluation_id).where(
        Feedback.rep_id == rep_id, Feedback.released_at.is_(None), Feedback.submitted_at >= since
    )
    return session.scalar(query.limit(1)) is not None


def _open_training(session: Session, rep_ids: list[int], *where: Any) -> dict[int, int]:
    return _count_by_rep(
        session,
        select(TrainingAssignment.rep_id, func.count())
        .where(
            TrainingAssignment.rep_id.in_(rep_ids),
            TrainingAssignment.status.in_([AssignmentStatus.ASSIGNED, AssignmentStatus.STARTED]),
            *where,
        )
        .group_by(TrainingAssignment.rep_id),
    )


def open_training(session: Session, rep_ids: list[int]) -> dict[int, int]:
    return _open_training(session, rep_ids)


def overdue_training(session: Session, rep_ids: list[int], today: date) -> dict[int, int]:
    return _open_training(session, rep_ids, TrainingAssignment.due_date < today)


def answer_counts(
    session: Session, team_id: int, since: datetime, *, released_only: bool = False
) -> list[tuple[int, int, str, str, str | None, int]]:
    """(rep, scorecard revision, scorecard, item, answer, how many) over the team's submitted
    reviews of calls since `since`, found through the reviews (few) rather than the calls;
    `released_only`: the reviews their reps may read."""
    keys = (
        Feedback.rep_id,
        Evaluation.scorecard_version_id,
        ScorecardVersion.scorecard_id,
        EvaluationAnswer.item_id,
        EvaluationAnswer.answer,
    )
    query = (
        select(*keys, func.count())
        .select_from(Feedback)
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .join(Call, Call.id == Feedback.call_id)
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .join(EvaluationAnswer, EvaluationAnswer.evaluation_id == Evaluation.id)
        .where(Feedback.team_id == team_id, Feedback.submitted_at >= since, Call.started_at >= since)
        .group_by(*keys)
    )
    if released_only:
        query = query.where(Feedback.released_at.is_not(None))
    return [(r, v, sc, i, a, int(n)) for r, v, sc, i, a, n in session.execute(query)]


Window = tuple[datetime, datetime]


def released_score_windows(
    session: Session, *, team_id: int, windows: list[Window]
) -> dict[int, list[tuple[int, float | None]]]:
    """Per rep of the team, for each [start, end) window of call times: how many released
    reviews with a score, and their average. One grouped query, whatever the team's size."""
    since = min(start for start, _ in windows)
    columns: list[Any] = []
    for start, end in windows:
        inside = and_(Call.started_at >= start, Call.started_at < end)
        scored = case((inside, Evaluation.final_score))
        columns += [func.count(scored), func.avg(scored)]
    query = (
        select(Feedback.rep_id, *columns)
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .join(Call, Call.id == Feedback.call_id)
        .where(
            Feedback.team_id == team_id,
            Feedback.submitted_at >= since,
            Call.started_at >= since,
            Feedback.released_at.is_not(None),
        )
        .group_by(Feedback.rep_id)
    )
    result: dict[int, list[tuple[int, float | None]]] = {}
    for rep_id, *values in session.execute(query):
        pairs = zip(values[::2], values[1::2], strict=True)
        result[int(rep_id)] = [(int(n), float(avg) if avg is not None else None) for n, avg in pairs]
    return result
