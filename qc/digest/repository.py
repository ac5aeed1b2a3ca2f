"""Queries of the digest's own tables: schedules, targets and deliveries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from qc.digest.models import DigestDelivery, DigestSchedule, DigestStatus, DigestTarget
from qc.kit import leases


def get_schedule(session: Session, team_id: int) -> DigestSchedule | None:
    return session.get(DigestSchedule, team_id)


def schedules(session: Session, team_ids: Iterable[int]) -> dict[int, DigestSchedule]:
    ids = list(team_ids)
    if not ids:
        return {}
    return {
        s.team_id: s for s in session.scalars(select(DigestSchedule).where(DigestSchedule.team_id.in_(ids)))
    }


def targets_of(session: Session, team_id: int) -> list[DigestTarget]:
    query = select(DigestTarget).where(DigestTarget.team_id == team_id).order_by(DigestTarget.id)
    return list(session.scalars(query))


def enabled_targets(session: Session) -> list[DigestTarget]:
    """Every enabled target of every team, by team."""
    query = select(DigestTarget).where(DigestTarget.enabled.is_(True))
    return list(session.scalars(query.order_by(DigestTarget.team_id, DigestTarget.id)))


def get_target(session: Session, target_id: int) -> DigestTarget | None:
    return session.get(DigestTarget, target_id)


def insert_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """New (target, day) deliveries with INSERT ... ON CONFLICT DO NOTHING: a pair that exists
    already is left as it is (whoever inserted it first, another worker included, wins).
    The ids of the rows inserted (RETURNING: a multi-row rowcount is -1 on psycopg)."""
    if not rows:
        return []
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(DigestDelivery).values(list(rows)).on_conflict_do_nothing().returning(DigestDelivery.id)
    )
    return [int(found) for found in session.scalars(statement)]


def deliveries_of_day(session: Session, team_id: int, day: date) -> list[DigestDelivery]:
    query = select(DigestDelivery).where(DigestDelivery.team_id == team_id, DigestDelivery.day == day)
    return list(session.scalars(query.order_by(DigestDelivery.target_id)))


def recent_deliveries(session: Session, team_id: int, limit: int) -> list[DigestDelivery]:
    query = (
        select(DigestDelivery)
        .where(DigestDelivery.team_id == team_id)
        .order_by(DigestDelivery.day.desc(), DigestDelivery.target_id)
        .limit(limit)
    )
    return list(session.scalars(query))


def _due(now: datetime) -> Any:
    """Pending, due, not held by a live claim, and for a target that is on (a target turned off
    keeps its pending digest until it is turned on again)."""
    enabled = select(DigestTarget.id).where(DigestTarget.enabled.is_(True))
    return and_(
        DigestDelivery.status == DigestStatus.PENDING,
        or_(DigestDelivery.next_attempt_at.is_(None), DigestDelivery.next_attempt_at <= now),
        or_(DigestDelivery.claimed_until.is_(None), DigestDelivery.claimed_until < now),
        DigestDelivery.target_id.in_(enabled),
    )


def claim_due(
    session: Session, *, now: datetime, token: str, until: datetime, only: Sequence[int] | None = None
) -> int | None:
    """Claim the most overdue delivery (among `only`, if given) for `token` with a conditional
    UPDATE, so two workers never hold the same one; counts the attempt. Its id, or None."""
    due = _due(now) if only is None else and_(_due(now), DigestDelivery.id.in_(list(only)))
    order = (DigestDelivery.next_attempt_at, DigestDelivery.id)
    return leases.claim_next(session, DigestDelivery, due=due, order_by=order, token=token, until=until)


def claimed(session: Session, delivery_id: int, token: str) -> DigestDelivery | None:
    """The delivery if `token` still holds it."""
    found: DigestDelivery | None = leases.held(session, DigestDelivery, delivery_id, token)
    return found


def deliveries_by_id(session: Session, delivery_ids: Sequence[int]) -> list[DigestDelivery]:
    query = (
        select(DigestDelivery).where(DigestDelivery.id.in_(list(delivery_ids))).order_by(DigestDelivery.id)
    )
    return list(session.scalars(query.execution_options(populate_existing=True)))
