"""Personal data: the original transcript kept apart from the masked one, who may open
originals, the audit log of every opening, and the retention policy with its runs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from qc.db import Base, str_enum, utcnow
from qc.users.models import User


class OriginalTranscript(Base):
    """What the recogniser heard before masking, kept for people granted original access.

    `segments` holds `{position, text, words}` of every segment that was changed;
    `findings` the masked spans `{position, first, last, kind, speaker, start, end}`.
    """

    __tablename__ = "original_transcript"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessGrant(Base):
    """An administrator's permission for a person, or everyone of a role, to open originals."""

    __tablename__ = "original_access_grant"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) != (role IS NULL)", name="one_grantee"),
        Index("ix_original_access_grant_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="raise")
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id], lazy="raise")

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditAction(enum.StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"
    OPEN_TRANSCRIPT = "open_transcript"
    OPEN_AUDIO = "open_audio"
    RETENTION_POLICY = "retention_policy"

    @property
    def label(self) -> str:
        return {
            "grant": "Granted original access",
            "revoke": "Revoked original access",
            "open_transcript": "Opened the original transcript",
            "open_audio": "Opened the original recording",
            "retention_policy": "Changed the retention policy",
        }[self.value]


class AuditEntry(Base):
    """One row per opening of an original, grant, revocation or policy change; never
    changed or deleted. Names are copied in so the row reads the same for ever; the call
    id has no foreign key for the same reason."""

    __tablename__ = "privacy_audit"
    __table_args__ = (
        Index("ix_privacy_audit_at", "at"),
        Index("ix_privacy_audit_actor_at", "actor_id", "at"),
        Index("ix_privacy_audit_call", "call_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    actor: Mapped[str] = mapped_column(String(320))  # "Name <email>", or "system"
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction))
    call_id: Mapped[int | None]
    grant_id: Mapped[int | None]
    subject: Mapped[str | None] = mapped_column(String(320))  # the grantee of a grant or revocation
    reason: Mapped[str] = mapped_column(Text)
    client_address: Mapped[str | None] = mapped_column(String(64))
    # An opening lets its author stream the original until `expires_at`, by this token's hash.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]


class AuditLogIsAppendOnly(RuntimeError):
    """Code tried to change or delete a row of the privacy audit log."""


@event.listens_for(Session, "before_flush")
def _audit_log_is_append_only(session: Session, _context: Any, _instances: Any) -> None:
    """No code path may rewrite history: a changed or deleted audit row fails the flush."""
    for entry in session.deleted:
        if isinstance(entry, AuditEntry):
            raise AuditLogIsAppendOnly(f"privacy audit entry {entry.id} cannot be deleted")
    for entry in session.dirty:
        if isinstance(entry, AuditEntry) and session.is_modified(entry):
            raise AuditLogIsAppendOnly(f"privacy audit entry {entry.id} cannot be changed")


class RetentionPolicy(Base):
    """The organisation's retention policy: one row (one install is one organisation)."""

    __tablename__ = "retention_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    original_audio_days: Mapped[int]
    redacted_days: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class RetentionRun(Base):
    """What one run of the retention job deleted (or, dry, would have deleted)."""

    __tablename__ = "retention_run"
    __table_args__ = (Index("ix_retention_run_started", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    dry_run: Mapped[bool] = mapped_column(default=False)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule, command
    original_audio_days: Mapped[int]
    redacted_days: Mapped[int]
    originals_deleted: Mapped[int] = mapped_column(default=0)
    redacted_deleted: Mapped[int] = mapped_column(default=0)
    held_dispute: Mapped[int] = mapped_column(default=0)
    held_calibration: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    errors: Mapped[str | None] = mapped_column(Text)
