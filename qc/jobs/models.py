"""The outbox: events written in the same transaction as the change that caused them,
and which handler has already handled which event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from qc.db import Base, utcnow

# Autoincrementing on SQLite (INTEGER PRIMARY KEY), 64-bit on PostgreSQL.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """A fact one domain recorded for others to react to (`evaluation.submitted`...)."""

    __tablename__ = "event"
    __table_args__ = (
        # The dispatcher's scan: only the few events not yet dispatched.
        Index(
            "ix_event_pending",
            "id",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
        Index("ix_event_type_created", "type", "created_at"),
        # Never reuse the id of a purged event: receivers and receipts key on it.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # idempotency key for receivers
    type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]


class EventHandled(Base):
    """One handler's receipt for one event, written in the handler's own transaction:
    an event is never handled twice by the same handler."""

    __tablename__ = "event_handled"

    event_id: Mapped[int] = mapped_column(
        EventId, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    handler: Mapped[str] = mapped_column(String(80), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
