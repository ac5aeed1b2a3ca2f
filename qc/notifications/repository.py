"""Queries of the notifications domain.

Besides its own tables, this module reads `call.started_at` (by call or by evaluation),
read-only, to name a call by its date in a notice: a notice is a view across domains and
the events it reacts to carry ids, not always dates. It never writes to those tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from qc.calls.models import Call
from qc.evaluations.models import Evaluation
from qc.kit import leases
from qc.kit.pagination import Page, PageRequest
from qc.notifications.models import DeliveryStatus, Notification, WebhookDelivery, WebhookEndpoint


def insert_ignoring_duplicates(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; the number of rows actually inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(insert(model).values(list(rows)).on_conflict_do_nothing())
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Notifications ------------------------------------------------------------------------------------

_UNREAD = (Notification.read_at.is_(None), Notification.cleared_at.is_(None))


def count_unread(session: Session, user_id: int) -> int:
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user_id, *_UNREAD)
    return int(session.scalar(query) or 0)


def list_page(session: Session, user_id: int, *, done: bool, page: PageRequest) -> Page[Notification]:
    """Open notices unread first, then newest first; or the cleared ones, newest first."""
    where = [
        Notification.user_id == user_id,
        Notification.cleared_at.is_not(None) if done else Notification.cleared_at.is_(None),
    ]
    total = int(session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0)
    order: list[ColumnElement[Any]] = [Notification.created_at.desc(), Notification.id.desc()]
    if not done:
        order.insert(0, Notification.read_at.is_not(None))  # False (unread) sorts first
    items = session.scalars(
        select(Notification).where(*where).order_by(*order).offset(page.offset).limit(page.size)
    )
    return Page(list(items), total, page)


def get_notification(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def clear(
    session: Session, *, kinds: Iterable[str], subject: str, now: datetime, user_id: int | None = None
) -> int:
    """Clear the open notices of `kinds` about `subject` (of one person, or of everybody)."""
    query = update(Notification).where(
        Notification.kind.in_(list(kinds)),
        Notification.subject == subject,
        Notification.cleared_at.is_(None),
    )
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    result = session.execute(query.values(cleared_at=now).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Read-only views of other domains' tables ---------------------------------------------------------


def call_started_at(
    session: Session, *, call_id: int | None = None, evaluation_id: int | None = None
) -> datetime | None:
    """When the call was, found by its id or else by the id of one of its evaluations."""
    found = None
    if call_id is not None:
        found = session.scalar(select(Call.started_at).where(Call.id == call_id))
    if found is None and evaluation_id is not None:
        found = session.scalar(
            select(Call.started_at)
            .join(Evaluation, Evaluation.call_id == Call.id)
            .where(Evaluation.id == evaluation_id)
        )
    return found


# Webhooks -----------------------------------------------------------------------------------------


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def enabled_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True)).order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def recent_deliveries(session: Session, endpoint_id: int, limit: int) -> list[WebhookDelivery]:
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def delivery_counts(session: Session) -> dict[tuple[int, DeliveryStatus], int]:
    """(endpoint id, status) -> how many deliveries, for the endpoints list."""
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    )
    return {(endpoint_id, status): count for endpoint_id, status, count in rows}


def purge_deliveries(session: Session, *, older_than: datetime) -> int:
    """Delete deliveries that are finished (delivered or failed) and older than `older_than`."""
    result = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.created_at < older_than, WebhookDelivery.status != DeliveryStatus.PENDING
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _due(now: datetime) -> Any:
    """Pending, due, not held by a live claim, and for an enabled endpoint (a disabled one's
    deliveries wait until it is enabled again; a test goes out regardless)."""
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
    return and_(
        WebhookDelivery.status == DeliveryStatus.PENDING,
        or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
        or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        or_(WebhookDelivery.event_type == "webhook.test", WebhookDelivery.endpoint_id.in_(enabled)),
    )


def claim_due_delivery(session: Session, *, now: datetime, token: str, until: datetime) -> int | None:
    """Claim the most overdue delivery for `token` with a conditional UPDATE, so two workers
    never hold the same one; counts the attempt. The claimed id, or None."""
    order = (WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    return leases.claim_next(
        session, WebhookDelivery, due=_due(now), order_by=order, token=token, until=until
    )


def claimed_delivery(session: Session, delivery_id: int, token: str) -> WebhookDelivery | None:
    """The delivery if `token` still holds it (its endpoint loaded with it)."""
    found: WebhookDelivery | None = leases.held(session, WebhookDelivery, delivery_id, token)
    return found
