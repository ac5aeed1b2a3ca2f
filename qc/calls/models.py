from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    rep: Mapped[User] = relationship(foreign_keys=[rep_id], lazy="raise")
    team: Mapped[Team] = relationship(lazy="raise")
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id], lazy="raise")
