"""Queries of the privacy domain.

`held_by_dispute` and `held_by_calibration` read the feedback and evaluations tables,
read-only, as a read-model does: retention must know which calls people are still
working on, and never writes there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from qc.calls.models import Call
from qc.evaluations.models import CalibrationCall, CalibrationSession
from qc.feedback.models import Dispute, DisputeStatus
from qc.privacy.models import AccessGrant, AuditAction, AuditEntry, RetentionPolicy, RetentionRun

POLICY_ID = 1


def policy(session: Session) -> RetentionPolicy | None:
    return session.get(RetentionPolicy, POLICY_ID)


def held_by_dispute(session: Session) -> set[int]:
    return set(session.scalars(select(Dispute.call_id).where(Dispute.status == DisputeStatus.OPEN)))


def held_by_calibration(session: Session) -> set[int]:
    query = (
        select(CalibrationCall.call_id)
        .join(CalibrationSession, CalibrationSession.id == CalibrationCall.session_id)
        .where(CalibrationSession.is_closed.is_(False))
    )
    return set(session.scalars(query))


def originals_due(session: Session, *, received_before: datetime) -> Sequence[Call]:
    """Calls received before the cut-off whose original recording is still kept."""
    query = select(Call).where(Call.created_at < received_before, Call.original_deleted_at.is_(None))
    return session.scalars(query.order_by(Call.id)).all()


def masked_due(session: Session, *, received_before: datetime) -> Sequence[Call]:
    """Calls received before the cut-off whose masked recording and transcript are kept."""
    query = select(Call).where(Call.created_at < received_before, Call.redacted_deleted_at.is_(None))
    return session.scalars(query.order_by(Call.id)).all()


def grants(session: Session) -> Sequence[AccessGrant]:
    query = select(AccessGrant).options(selectinload(AccessGrant.user), selectinload(AccessGrant.granted_by))
    return session.scalars(query.order_by(AccessGrant.created_at.desc(), AccessGrant.id.desc())).all()


def active_grants_for(session: Session, *, user_id: int, role: str, now: datetime) -> Sequence[AccessGrant]:
    query = select(AccessGrant).where(
        or_(AccessGrant.user_id == user_id, AccessGrant.role == role),
        AccessGrant.revoked_at.is_(None),
        or_(AccessGrant.expires_at.is_(None), AccessGrant.expires_at > now),
    )
    return session.scalars(query.order_by(AccessGrant.id)).all()


def opening(session: Session, *, token_hash: str) -> AuditEntry | None:
    return session.scalar(select(AuditEntry).where(AuditEntry.token_hash == token_hash))


def audit_query(
    *,
    actor_id: int | None = None,
    call_id: int | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    query = select(AuditEntry)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if call_id is not None:
        query = query.where(AuditEntry.call_id == call_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def runs(session: Session, *, limit: int) -> Sequence[RetentionRun]:
    query = select(RetentionRun).order_by(RetentionRun.started_at.desc(), RetentionRun.id.desc())
    return session.scalars(query.limit(limit)).all()
