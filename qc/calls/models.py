from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow
from qc.errors import Conflict, Gone
from qc.users.models import Team, User


class CallStatus(enum.StrEnum):
    RECEIVED = "received"
    TRANSCRIBING = "transcribing"
    TRANSCRIBED = "transcribed"
    SCORING = "scoring"
    SCORED = "scored"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in {CallStatus.SCORED, CallStatus.FAILED}

    @property
    def has_transcript(self) -> bool:
        return self in {CallStatus.TRANSCRIBED, CallStatus.SCORING, CallStatus.SCORED}


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ChannelLayout(enum.StrEnum):
    """Which speaker is on which channel of the recording."""

    AGENT_LEFT = "agent-left"
    AGENT_RIGHT = "agent-right"
    MONO = "mono"

    @property
    def is_stereo(self) -> bool:
        return self is not ChannelLayout.MONO

    @property
    def label(self) -> str:
        return {
            "agent-left": "Stereo, agent on the left",
            "agent-right": "Stereo, agent on the right",
            "mono": "Mono (speakers mixed)",
        }[self.value]


class Call(Base):
    __tablename__ = "call"
    __table_args__ = (
        Index("ix_call_rep_started", "rep_id", "started_at"),
        Index("ix_call_team_started", "team_id", "started_at"),
        Index("ix_call_status_lease", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    started_at: Mapped[datetime]
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    channel_layout: Mapped[ChannelLayout] = mapped_column(str_enum(ChannelLayout))
    language: Mapped[str | None] = mapped_column(String(8))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    call_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)

    # The recording, content-addressed by its sha256.
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    storage_key: Mapped[str] = mapped_column(String(300))
    original_filename: Mapped[str] = mapped_column(String(300))
    container_format: Mapped[str] = mapped_column(String(40))
    codec: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[float]
    sample_rate: Mapped[int]
    channels: Mapped[int]

    # Pipeline state: the database is the source of truth; the queue only dispatches.
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), default=CallStatus.RECEIVED)
    failure_reason: Mapped[str | None] = mapped_column(String(1000))
    failed_stage: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    detected_language: Mapped[str | None] = mapped_column(String(8))
    transcribed_at: Mapped[datetime | None]
    # Personal data: the copy with personal data beeped out is what people hear; the
    # original (`storage_key`) only through granted, audited access (qc.privacy).
    redacted_storage_key: Mapped[str | None] = mapped_column(String(300))
    # Set when the retention policy deleted the original recording, and later the masked
    # recording and transcript (evaluations stay).
    original_deleted_at: Mapped[datetime | None]
    redacted_deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def playable(self) -> bool:
        return self.redacted_storage_key is not None and self.redacted_deleted_at is None

    def recording_to_play(self) -> str:
        """The storage key of the recording people hear: the copy with personal data beeped."""
        if self.redacted_deleted_at is not None:
            deleted = f"{self.redacted_deleted_at:%Y-%m-%d}"
            raise Gone(f"The recording was deleted under the retention policy on {deleted}")
        if self.redacted_storage_key is None:
            if self.status is CallStatus.FAILED:
                raise Conflict(
                    "This recording cannot be played: the call was not transcribed, so personal data in it "
                    "could not be masked. Retry the call, or ask an administrator for access to the original"
                )
            raise Conflict(
                "This recording plays once personal data in it has been masked, right after transcription; "
                "try again in a few minutes"
            )
        return self.redacted_storage_key

    def waveform_source(self) -> str:
        """The recording the waveform is drawn from: the original while it is kept (its
        loudness says nothing personal), then the masked copy."""
        return self.storage_key if self.original_deleted_at is None else self.recording_to_play()

    rep: Mapped[User] = relationship(foreign_keys=[rep_id], lazy="raise")
    team: Mapped[Team] = relationship(lazy="raise")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id], lazy="raise")
