"""Read-model queries for the trends page.

A view across domains: it joins the feedback, evaluation, call, dispute, coaching and
training tables, read-only; nothing here writes. Every figure is counted in SQL by
period: a CASE over the periods' UTC bounds (computed in the team's time zone in Python,
so daylight-saving weeks are right) numbers each row's week or month the same way on
SQLite and PostgreSQL. A page costs one query per chart, whatever the number of reps or
weeks. Reviews are found through feedback's (team, submitted) index, as the team pages
do: a review is submitted after its call, so the window's start bounds both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, case, distinct, func, literal, or_, select
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.coaching.effect import Verdict
from qc.coaching.models import CoachingFocus, CoachingSession, SessionStatus
from qc.evaluations.models import Evaluation, EvaluationAnswer
from qc.feedback.models import Decision, Dispute, DisputeItem, Feedback
from qc.scoring.definitions import Status
from qc.training.models import TrainingAssignment, TrainingResult


@dataclass(frozen=True)
class Scope:
    """One team (or one rep of it) over consecutive periods: `bounds` holds each period's
    UTC start and, last, the end of the last one."""

    team_id: int
    rep_id: int | None
    bounds: Sequence[datetime]

    @property
    def since(self) -> datetime:
        return self.bounds[0]

    @property
    def until(self) -> datetime:
        return self.bounds[-1]


def period_of(column: Any, bounds: Sequence[datetime], first: int = 0) -> ColumnElement[int]:
    """The index of the period a moment falls in (rows are already within the bounds): a
    CASE that halves the periods at each step, so a row of a year's 52 weeks is placed in six
    comparisons rather than up to 52."""
    inner = bounds[1:-1]  # where one period ends and the next begins
    if len(inner) <= 3:
        return (
            case(*[(column < bound, first + i) for i, bound in enumerate(inner)], else_=first + len(inner))
            if inner
            else literal(first)
        )
    middle = len(bounds) // 2
    return case(
        (column < bounds[middle], period_of(column, bounds[: middle + 1], first)),
        else_=period_of(column, bounds[middle:], first + middle),
    )


def _reviews(scope: Scope, *columns: Any) -> Any:
    """Submitted reviews of the team's (rep's) calls made within the scope."""
    query = (
        select(*columns)
        .select_from(Feedback)
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .join(Call, Call.id == Feedback.call_id)
        .where(
            Feedback.team_id == scope.team_id,
            Feedback.submitted_at >= scope.since,
            Call.started_at >= scope.since,
            Call.started_at < scope.until,
        )
    )
    return query.where(Feedback.rep_id == scope.rep_id) if scope.rep_id is not None else query


def busiest_team(session: Session, team_ids: Sequence[int], since: datetime) -> int | None:
    """Of the teams, the one with the most submitted reviews of calls made since `since`
    (ties: the first in `team_ids`); None when none has any."""
    query = (
        select(Feedback.team_id, func.count())
        .join(Call, Call.id == Feedback.call_id)
        .where(Feedback.team_id.in_(team_ids), Feedback.submitted_at >= since, Call.started_at >= since)
        .group_by(Feedback.team_id)
    )
    counts = {team_id: int(n) for team_id, n in session.execute(query)}
    return max(team_ids, key=lambda t: (counts.get(t, 0), -team_ids.index(t))) if counts else None


class ScoreCount(NamedTuple):
    week: int
    rep_id: int
    version_id: int
    reviews: int
    scored: int  # reviews with a score (a score may be missing when nothing was answered)
    score_sum: float


def score_counts(session: Session, scope: Scope) -> list[ScoreCount]:
    """Per week of the call, rep and scorecard revision: reviews, scored ones, their sum."""
    week = period_of(Call.started_at, scope.bounds)
    keys = (week, Feedback.rep_id, Evaluation.scorecard_version_id)
    query = _reviews(
        scope, *keys, func.count(), func.count(Evaluation.final_score), func.sum(Evaluation.final_score)
    ).group_by(*keys)
    return [
        ScoreCount(w, r, v, int(n), int(s), float(t or 0.0)) for w, r, v, n, s, t in session.execute(query)
    ]


class AnswerCount(NamedTuple):
    week: int
    version_id: int
    item_id: str
    answer: str | None
    auto_status: Status | None
    auto_answer: str | None
    times: int


def answer_counts(session: Session, scope: Scope) -> list[AnswerCount]:
    """Per week of the call, scorecard revision and item: each (answer, automatic verdict,
    suggested answer) and how often, over the scope's reviews: what both the failure rates
    and the agreement with the checks are counted from, in one pass over the answers."""
    keys = (
        period_of(Call.started_at, scope.bounds),
        Evaluation.scorecard_version_id,
        EvaluationAnswer.item_id,
        EvaluationAnswer.answer,
        EvaluationAnswer.auto_status,
        EvaluationAnswer.auto_answer,
    )
    query = (
        _reviews(scope, *keys, func.count())
        .join(EvaluationAnswer, EvaluationAnswer.evaluation_id == Evaluation.id)
        .group_by(*keys)
    )
    return [AnswerCount(w, v, i, a, s, g, int(n)) for w, v, i, a, s, g, n in session.execute(query)]


def _submitted(scope: Scope, *columns: Any) -> Any:
    """Reviews of the team's (rep's) calls submitted within the scope: the reviewers' work."""
    query = (
        select(*columns)
        .select_from(Feedback)
        .join(Evaluation, Evaluation.id == Feedback.evaluation_id)
        .where(
            Feedback.team_id == scope.team_id,
            Feedback.submitted_at >= scope.since,
            Feedback.submitted_at < scope.until,
        )
    )
    return query.where(Feedback.rep_id == scope.rep_id) if scope.rep_id is not None else query


def review_times(session: Session, scope: Scope) -> list[tuple[int, int, float]]:
    """(reviewer, week submitted, seconds on task) of each review submitted in the scope."""
    week = period_of(Feedback.submitted_at, scope.bounds)
    query = _submitted(scope, Feedback.reviewer_id, week, Evaluation.active_seconds)
    return [(int(r), int(w), float(s or 0.0)) for r, w, s in session.execute(query)]


def disputed_reviews(session: Session, scope: Scope) -> dict[int, tuple[int, int]]:
    """Per reviewer, of the reviews submitted in the scope: how many were disputed, and how
    many had an answer changed when the dispute was resolved (overturned)."""
    changed = case((DisputeItem.decision == Decision.CHANGED, Feedback.evaluation_id))
    query = (
        _submitted(
            scope,
            Feedback.reviewer_id,
            func.count(distinct(Feedback.evaluation_id)),
            func.count(distinct(changed)),
        )
        .join(Dispute, Dispute.evaluation_id == Feedback.evaluation_id)
        .outerjoin(DisputeItem, DisputeItem.dispute_id == Dispute.id)
        .group_by(Feedback.reviewer_id)
    )
    return {int(r): (int(d), int(o)) for r, d, o in session.execute(query)}


def coaching_results(session: Session, scope: Scope) -> list[tuple[int, int, int, int]]:
    """(month, measured, improved, too few calls) over the stored effects of the focus items
    of sessions held (or, not yet held, planned) in each month of the scope."""
    moment = func.coalesce(CoachingSession.held_at, CoachingSession.scheduled_at)
    measured = CoachingFocus.effect_verdict == Verdict.MEASURED.value
    month = period_of(moment, scope.bounds)
    query = (
        select(
            month,
            func.sum(case((measured, 1), else_=0)),
            func.sum(case((and_(measured, CoachingFocus.effect_change > 0), 1), else_=0)),
            func.sum(case((CoachingFocus.effect_verdict == Verdict.TOO_FEW_CALLS.value, 1), else_=0)),
        )
        .select_from(CoachingSession)
        .join(CoachingFocus, CoachingFocus.session_id == CoachingSession.id)
        .where(
            CoachingSession.team_id == scope.team_id,
            CoachingSession.status != SessionStatus.CANCELLED,
            CoachingFocus.effect_verdict.is_not(None),
            moment >= scope.since,
            moment < scope.until,
        )
        .group_by(month)
    )
    if scope.rep_id is not None:
        query = query.where(CoachingSession.rep_id == scope.rep_id)
    return [(int(m), int(a or 0), int(b or 0), int(c or 0)) for m, a, b, c in session.execute(query)]


class AssignmentRow(NamedTuple):
    assigned_at: datetime
    due_date: date | None
    completed_on: date | None
    withdrawn_at: datetime | None
    result: TrainingResult | None


def training_assignments(session: Session, scope: Scope, first_day: date) -> list[AssignmentRow]:
    """The team's (rep's) assignments that were open at some time within the scope."""
    query = select(
        TrainingAssignment.assigned_at,
        TrainingAssignment.due_date,
        TrainingAssignment.completed_on,
        TrainingAssignment.withdrawn_at,
        TrainingAssignment.result,
    ).where(
        TrainingAssignment.team_id == scope.team_id,
        TrainingAssignment.assigned_at < scope.until,
        or_(TrainingAssignment.completed_on.is_(None), TrainingAssignment.completed_on >= first_day),
        or_(TrainingAssignment.withdrawn_at.is_(None), TrainingAssignment.withdrawn_at >= scope.since),
    )
    if scope.rep_id is not None:
        query = query.where(TrainingAssignment.rep_id == scope.rep_id)
    return [AssignmentRow(*row) for row in session.execute(query)]
