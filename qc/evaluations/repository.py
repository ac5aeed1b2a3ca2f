"""Queries over evaluations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from qc.calls.models import Call
from qc.evaluations.models import (
    CalibrationCall,
    CalibrationParticipant,
    CalibrationSession,
    Evaluation,
    EvaluationAnswer,
    EvaluationEdit,
    EvaluationKind,
    EvaluationStatus,
)
from qc.scoring.definitions import Status
from qc.scoring.models import ScorecardVersion
from qc.users.models import Role, User


def _full() -> Select[Evaluation]:
    return select(Evaluation).options(
        selectinload(Evaluation.answers),
        selectinload(Evaluation.comments),
        selectinload(Evaluation.scorecard_version),
        selectinload(Evaluation.reviewer),
    )


def get(session: Session, evaluation_id: int) -> Evaluation | None:
    return session.scalar(_full().where(Evaluation.id == evaluation_id))


def get_locked(session: Session, evaluation_id: int) -> Evaluation | None:
    """The evaluation with its row locked until the transaction ends, read afresh."""
    session.execute(select(Evaluation.id).where(Evaluation.id == evaluation_id).with_for_update())
    return session.scalar(
        _full().where(Evaluation.id == evaluation_id).execution_options(populate_existing=True)
    )


def open_reviews_of_call(session: Session, call_id: int) -> list[Evaluation]:
    """The call's review drafts with their rows locked until the transaction ends, read afresh."""
    ids = list(
        session.scalars(
            select(Evaluation.id)
            .where(
                Evaluation.call_id == call_id,
                Evaluation.kind == EvaluationKind.REVIEW,
                Evaluation.status == EvaluationStatus.DRAFT,
            )
            .order_by(Evaluation.id)
            .with_for_update()
        )
    )
    if not ids:
        return []
    query = _full().where(Evaluation.id.in_(ids)).order_by(Evaluation.id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def get_many(session: Session, evaluation_ids: Iterable[int]) -> dict[int, Evaluation]:
    ids = list(evaluation_ids)
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(_full().where(Evaluation.id.in_(ids)))}


def for_assignment(session: Session, assignment_id: int) -> Evaluation | None:
    return session.scalar(_full().where(Evaluation.assignment_id == assignment_id))


def for_calibration(session: Session, session_id: int) -> list[Evaluation]:
    return list(session.scalars(_full().where(Evaluation.calibration_session_id == session_id)))


def calibration_scoring(
    session: Session, session_id: int, call_id: int, reviewer_id: int
) -> Evaluation | None:
    return session.scalar(
        _full().where(
            Evaluation.calibration_session_id == session_id,
            Evaluation.call_id == call_id,
            Evaluation.reviewer_id == reviewer_id,
        )
    )


def reviews_of_calls(session: Session, call_ids: Iterable[int]) -> list[Evaluation]:
    ids = list(call_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Evaluation)
            .where(Evaluation.call_id.in_(ids), Evaluation.kind == EvaluationKind.REVIEW)
            .options(selectinload(Evaluation.reviewer))
        )
    )


def history(session: Session, evaluation_id: int) -> list[EvaluationEdit]:
    return list(
        session.scalars(
            select(EvaluationEdit)
            .where(EvaluationEdit.evaluation_id == evaluation_id)
            .options(selectinload(EvaluationEdit.user))
            .order_by(EvaluationEdit.created_at, EvaluationEdit.id)
        )
    )


def answers_against_checks(
    session: Session, scorecard_id: str, since: datetime | None
) -> list[tuple[str, Status | None, str | None, str | None, str | None, int, int, datetime | None]]:
    """(item, automatic status, suggested, answer, reason, evaluation, call, submitted) for
    every submitted review scored with any revision of the scorecard."""
    query = (
        select(
            EvaluationAnswer.item_id,
            EvaluationAnswer.auto_status,
            EvaluationAnswer.auto_answer,
            EvaluationAnswer.answer,
            EvaluationAnswer.override_reason,
            Evaluation.id,
            Evaluation.call_id,
            Evaluation.submitted_at,
        )
        .join(Evaluation, Evaluation.id == EvaluationAnswer.evaluation_id)
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .where(
            ScorecardVersion.scorecard_id == scorecard_id,
            Evaluation.kind == EvaluationKind.REVIEW,
            Evaluation.status == EvaluationStatus.SUBMITTED,
        )
        .order_by(Evaluation.submitted_at.desc(), Evaluation.id.desc())
    )
    if since is not None:
        query = query.where(Evaluation.submitted_at >= since)
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def scored_with(session: Session, evaluation_ids: list[int]) -> dict[int, int | None]:
    """The scorecard revision each evaluation was pre-filled from."""
    found: dict[int, int | None] = {}
    for start in range(0, len(evaluation_ids), 1000):
        rows = session.execute(
            select(Evaluation.id, Evaluation.scorecard_version_id).where(
                Evaluation.id.in_(evaluation_ids[start : start + 1000])
            )
        )
        found |= {evaluation_id: version_id for evaluation_id, version_id in rows}
    return found


def participant_ids(session: Session, session_id: int) -> list[int]:
    return list(
        session.scalars(
            select(CalibrationParticipant.user_id).where(CalibrationParticipant.session_id == session_id)
        )
    )


def calibration_call_ids(session: Session, session_id: int) -> list[int]:
    return list(
        session.scalars(
            select(CalibrationCall.call_id)
            .where(CalibrationCall.session_id == session_id)
            .order_by(CalibrationCall.position)
        )
    )


def calibration_sessions(session: Session, participant_id: int | None) -> list[CalibrationSession]:
    """Newest first; only those `participant_id` takes part in, unless None."""
    query = select(CalibrationSession).order_by(
        CalibrationSession.created_at.desc(), CalibrationSession.id.desc()
    )
    if participant_id is not None:
        mine = select(CalibrationParticipant.session_id).where(
            CalibrationParticipant.user_id == participant_id
        )
        query = query.where(CalibrationSession.id.in_(mine))
    return list(session.scalars(query))


def users_by_id(session: Session, user_ids: list[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}


def calls_by_id(session: Session, call_ids: list[int]) -> dict[int, Call]:
    if not call_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Call).where(Call.id.in_(call_ids)))}


def calibration_candidates(session: Session) -> list[User]:
    """Active people who can score in a calibration session."""
    return list(
        session.scalars(
            select(User)
            .where(User.role.in_([Role.REVIEWER, Role.QC_LEAD, Role.ADMIN]), User.is_active.is_(True))
            .order_by(User.name)
        )
    )


class AnswerRow(NamedTuple):
    evaluation_id: int
    call_id: int
    rep_id: int
    team_id: int
    started_at: datetime
    submitted_at: datetime
    scorecard_version_id: int
    scorecard_id: str
    item_id: str
    answer: str | None


def _answers() -> Any:
    columns = (
        Evaluation.id,
        Evaluation.call_id,
        Call.rep_id,
        Call.team_id,
        Call.started_at,
        Evaluation.submitted_at,
        Evaluation.scorecard_version_id,
        ScorecardVersion.scorecard_id,
        EvaluationAnswer.item_id,
        EvaluationAnswer.answer,
    )
    return (
        select(*columns)
        .join(Call, Call.id == Evaluation.call_id)
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .join(EvaluationAnswer, EvaluationAnswer.evaluation_id == Evaluation.id)
        .where(Evaluation.kind == EvaluationKind.REVIEW, Evaluation.status == EvaluationStatus.SUBMITTED)
    )


def review_answers(
    session: Session,
    *,
    rep_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    item_ids: Iterable[str] | None = None,
) -> list[AnswerRow]:
    """Answers of submitted reviews of calls that started in [since, until), oldest call
    first, for some reps or teams (and items)."""
    query = _answers()
    if rep_ids is not None:
        query = query.where(Call.rep_id.in_(list(rep_ids)))
    if team_ids is not None:
        query = query.where(Call.team_id.in_(list(team_ids)))
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    if item_ids is not None:
        query = query.where(EvaluationAnswer.item_id.in_(list(item_ids)))
    rows = session.execute(query.order_by(Call.started_at, Evaluation.id, EvaluationAnswer.position))
    return [AnswerRow(*row) for row in rows]


def last_reviews(session: Session, rep_id: int, limit: int) -> list[int]:
    """The ids of the rep's last `limit` submitted reviews, newest call first."""
    return list(
        session.scalars(
            select(Evaluation.id)
            .join(Call, Call.id == Evaluation.call_id)
            .where(
                Call.rep_id == rep_id,
                Evaluation.kind == EvaluationKind.REVIEW,
                Evaluation.status == EvaluationStatus.SUBMITTED,
            )
            .order_by(Call.started_at.desc(), Evaluation.id.desc())
            .limit(limit)
        )
    )


def answers_of(session: Session, evaluation_ids: Iterable[int]) -> list[AnswerRow]:
    """The answers of these submitted reviews, oldest call first."""
    ids = list(evaluation_ids)
    if not ids:
        return []
    query = _answers().where(Evaluation.id.in_(ids))
    return [
        AnswerRow(*row)
        for row in session.execute(query.order_by(Call.started_at, Evaluation.id, EvaluationAnswer.position))
    ]


def reviewed_call_times(
    session: Session, rep_ids: Iterable[int], since: datetime
) -> list[tuple[int, datetime]]:
    """(rep, call start) of each submitted review of these reps' calls since `since`."""
    query = (
        select(Call.rep_id, Call.started_at)
        .join(Evaluation, Evaluation.call_id == Call.id)
        .where(
            Call.rep_id.in_(list(rep_ids)),
            Call.started_at >= since,
            Evaluation.kind == EvaluationKind.REVIEW,
            Evaluation.status == EvaluationStatus.SUBMITTED,
        )
    )
    return [(rep_id, started_at) for rep_id, started_at in session.execute(query)]
