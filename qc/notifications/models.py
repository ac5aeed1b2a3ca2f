"""Notifications: the in-app inbox of each person, and the organisation's outgoing webhooks.

A `Notification` is one notice to one person about one thing (`subject`, such as
"evaluation:12"); (user, kind, subject) is unique, so a person never gets the same notice
twice however often its event is handled. A `WebhookEndpoint` is a URL the organisation's
administrator registered; each event it wants becomes one `WebhookDelivery`, retried until
the receiver accepts it or the attempts run out.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from qc.db import Base, str_enum, utcnow
from qc.jobs.models import EventId


class Notification(Base):
    """A notice in one person's inbox; cleared once the thing it asks for is done."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject"),
        # The header badge's count, polled by every open page: only the unread rows.
        Index(
            "ix_notification_unread",
            "user_id",
            sqlite_where=text("read_at IS NULL AND cleared_at IS NULL"),
            postgresql_where=text("read_at IS NULL AND cleared_at IS NULL"),
        ),
        Index("ix_notification_user_created", "user_id", "created_at"),
        Index("ix_notification_subject", "subject", "kind"),  # clearing a subject for everybody
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(String(500))
    link_route: Mapped[str | None] = mapped_column(String(80))
    link_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link_anchor: Mapped[str | None] = mapped_column(String(80))
    # The event that caused it; no foreign key: dispatched events are purged after a while.
    event_id: Mapped[int | None] = mapped_column(EventId)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]

    @property
    def is_unread(self) -> bool:
        return self.read_at is None and self.cleared_at is None


class WebhookEndpoint(Base):
    """A receiver of the organisation's events. `url` and `secret` are secrets: the secret is
    shown once, when the endpoint is created, and only the host of the URL is ever logged."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.event_types


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # every attempt failed; nothing more is tried

    @property
    def label(self) -> str:
        return self.value.capitalize()


class WebhookDelivery(Base):
    """One event for one endpoint, with what the last attempt got. The payload is a snapshot:
    the delivery outlives the event it came from."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_delivery_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(EventId)
    event_key: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(60))
    event_created_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
