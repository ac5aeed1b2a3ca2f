"""Queries over coaching sessions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session, selectinload

from qc.coaching.effect import Verdict
from qc.coaching.models import CoachingAction, CoachingFocus, CoachingSession, SessionStatus


def _full() -> Select[CoachingSession]:
    return select(CoachingSession).options(
        selectinload(CoachingSession.focus),
        selectinload(CoachingSession.actions),
        selectinload(CoachingSession.evaluations),
    )


def get(
    session: Session, session_id: int, *, for_update: bool = False, fresh: bool = False
) -> CoachingSession | None:
    """The session with its focus, actions and reviews; `fresh` overwrites what the
    session holds with the database's."""
    query = _full().where(CoachingSession.id == session_id)
    if for_update:
        query = query.with_for_update()
    if for_update or fresh:
        query = query.execution_options(populate_existing=True)
    return session.scalar(query)


def listed(
    session: Session,
    *,
    rep_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    statuses: Iterable[SessionStatus] | None = None,
    coach_id: int | None = None,
    limit: int = 200,
) -> list[CoachingSession]:
    """Sessions, the latest planned first."""
    query = _full()
    if rep_ids is not None:
        query = query.where(CoachingSession.rep_id.in_(list(rep_ids)))
    if team_ids is not None:
        query = query.where(CoachingSession.team_id.in_(list(team_ids)))
    if statuses is not None:
        query = query.where(CoachingSession.status.in_(list(statuses)))
    if coach_id is not None:
        query = query.where(CoachingSession.coach_id == coach_id)
    query = query.order_by(CoachingSession.scheduled_at.desc(), CoachingSession.id.desc()).limit(limit)
    return list(session.scalars(query))


def focus_sessions(session: Session, rep_ids: list[int], *, since: datetime) -> list[CoachingSession]:
    """The reps' sessions (not cancelled) planned or held since `since`, latest last: the
    latest session of a rep sets the moment its measuring counts from."""
    moment = func.coalesce(CoachingSession.held_at, CoachingSession.scheduled_at)
    query = (
        select(CoachingSession)
        .where(
            CoachingSession.rep_id.in_(rep_ids),
            CoachingSession.status != SessionStatus.CANCELLED,
            moment >= since,
        )
        .options(selectinload(CoachingSession.focus))
        .order_by(moment, CoachingSession.id)
    )
    return list(session.scalars(query))


def unmeasured(session: Session, *, closed_before: datetime, limit: int) -> list[CoachingSession]:
    """Sessions (not cancelled) whose effect windows have closed and that have a focus item
    without a stored effect."""
    moment = func.coalesce(CoachingSession.held_at, CoachingSession.scheduled_at)
    pending = select(CoachingFocus.session_id).where(CoachingFocus.effect.is_(None))
    query = (
        _full()
        .where(
            CoachingSession.status != SessionStatus.CANCELLED,
            moment < closed_before,
            CoachingSession.id.in_(pending),
        )
        .order_by(moment)
        .limit(limit)
    )
    return list(session.scalars(query))


def coached_on_item(
    session: Session,
    *,
    team_id: int,
    scorecard_id: str,
    item_id: str,
    since: datetime,
    until: datetime,
) -> set[int]:
    """Reps of the team with a session (not cancelled) on this item planned or held in
    [since, until)."""
    moment = func.coalesce(CoachingSession.held_at, CoachingSession.scheduled_at)
    query = (
        select(CoachingSession.rep_id)
        .join(CoachingFocus, CoachingFocus.session_id == CoachingSession.id)
        .where(
            CoachingSession.team_id == team_id,
            CoachingSession.status != SessionStatus.CANCELLED,
            CoachingFocus.scorecard_id == scorecard_id,
            CoachingFocus.item_id == item_id,
            moment >= since,
            moment < until,
        )
    )
    return set(session.scalars(query))


def due_actions(session: Session, today: date) -> list[tuple[CoachingAction, CoachingSession]]:
    """Action items due today or earlier, not done, whose notice has not gone out."""
    query = (
        select(CoachingAction, CoachingSession)
        .join(CoachingSession, CoachingSession.id == CoachingAction.session_id)
        .where(
            CoachingAction.done_at.is_(None),
            CoachingAction.due_date <= today,
            CoachingAction.due_notified_on.is_(None),
            CoachingSession.status != SessionStatus.CANCELLED,
        )
        .options(selectinload(CoachingSession.focus))
        .order_by(CoachingAction.due_date, CoachingAction.id)
        .limit(1000)
    )
    return [(action, coaching) for action, coaching in session.execute(query)]


def get_action(session: Session, action_id: int) -> tuple[CoachingAction, CoachingSession] | None:
    row = session.execute(
        select(CoachingAction, CoachingSession)
        .join(CoachingSession, CoachingSession.id == CoachingAction.session_id)
        .where(CoachingAction.id == action_id)
        .options(selectinload(CoachingSession.focus))
    ).first()
    return (row[0], row[1]) if row is not None else None


def stored_results(session: Session, *, team_id: int) -> list[tuple[int, int, int, int]]:
    """(coach, measured, improved, too few calls) over the stored effects of the team's
    sessions."""
    measured = CoachingFocus.effect_verdict == Verdict.MEASURED.value
    query = (
        select(
            CoachingSession.coach_id,
            func.sum(case((measured, 1), else_=0)),
            func.sum(case((and_(measured, CoachingFocus.effect_change > 0), 1), else_=0)),
            func.sum(case((CoachingFocus.effect_verdict == Verdict.TOO_FEW_CALLS.value, 1), else_=0)),
        )
        .join(CoachingFocus, CoachingFocus.session_id == CoachingSession.id)
        .where(
            CoachingSession.team_id == team_id,
            CoachingSession.status != SessionStatus.CANCELLED,
            CoachingFocus.effect_verdict.is_not(None),
        )
        .group_by(CoachingSession.coach_id)
    )
    return [(c, int(m or 0), int(i or 0), int(w or 0)) for c, m, i, w in session.execute(query)]
