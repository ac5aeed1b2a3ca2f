from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow


class Speaker(enum.StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"agent": "Agent", "customer": "Customer", "unknown": "Speaker"}[self.value]


class Transcript(Base):
    """The one transcript of a call; re-transcribing replaces it."""

    __tablename__ = "transcript"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    language_probability: Mapped[float | None]
    model: Mapped[str] = mapped_column(String(200))
    speakers_separated: Mapped[bool]
    audio_duration_s: Mapped[float]
    speech_duration_s: Mapped[float]
    processing_s: Mapped[float]
    mean_word_probability: Mapped[float | None]
    # When personal data was masked in the segments (qc.privacy); until then nobody reads them.
    redacted_at: Mapped[datetime | None]
    # What transcription found about a stereo call's channels (qc.transcription.channels):
    # {"identical": bool, "similarity": float, "echo_words": int, ...}; None for mono uploads.
    channel_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Which channel says the agent's script (qc.scoring.sides), written when the call is scored.
    side_check: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    segments: Mapped[list[TranscriptSegment]] = relationship(
        back_populates="transcript",
        lazy="raise",
        order_by="TranscriptSegment.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class TranscriptSegment(Base):
    """One utterance by one speaker; `words` holds `{start, end, word, probability}` dicts."""

    __tablename__ = "transcript_segment"
    __table_args__ = (UniqueConstraint("transcript_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcript.id", ondelete="CASCADE"))
    position: Mapped[int]
    speaker: Mapped[Speaker] = mapped_column(str_enum(Speaker))
    start: Mapped[float]
    end: Mapped[float]
    text: Mapped[str] = mapped_column(Text)
    avg_logprob: Mapped[float | None]
    no_speech_prob: Mapped[float | None]
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    transcript: Mapped[Transcript] = relationship(back_populates="segments", lazy="raise")
