"""Coaching: a manager and a rep going through the rep's calls to fix what the reviews found.

A `CoachingSession` is for one rep, with the scorecard items it works on (`CoachingFocus`,
with how often the rep failed each when it was planned), the reviews it was built from,
notes the rep reads and notes only managers read, and action items the rep ticks off.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"  # it took place; the outcome is not written yet
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        return self in (SessionStatus.SCHEDULED, SessionStatus.HELD)


class CoachingSession(Base):
    __tablename__ = "coaching_session"
    __table_args__ = (
        Index("ix_coaching_session_rep_at", "rep_id", "scheduled_at"),
        Index("ix_coaching_session_team_status", "team_id", "status"),
        Index("ix_coaching_session_coach", "coach_id", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus), default=SessionStatus.SCHEDULED)
    scheduled_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=30)
    agenda: Mapped[str] = mapped_column(Text, default="")
    shared_notes: Mapped[str] = mapped_column(Text, default="")  # the rep reads these
    private_notes: Mapped[str] = mapped_column(Text, default="")  # never shown to the rep
    outcome: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    acknowledged_at: Mapped[datetime | None]  # the rep has read the plan
    held_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    focus: Mapped[list[CoachingFocus]] = relationship(
        lazy="raise", order_by="CoachingFocus.position", cascade="all, delete-orphan", passive_deletes=True
    )
    actions: Mapped[list[CoachingAction]] = relationship(
        lazy="raise", order_by="CoachingAction.position", cascade="all, delete-orphan", passive_deletes=True
    )
    evaluations: Mapped[list[CoachingEvaluation]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def measured_from(self) -> datetime:
        """The moment its effect is measured around: when it was held, else when planned."""
        return self.held_at or self.scheduled_at


class CoachingFocus(Base):
    """A scorecard item the session works on, with the rep's record on it when planned."""

    __tablename__ = "coaching_focus"
    __table_args__ = (
        UniqueConstraint("session_id", "scorecard_id", "item_id"),
        Index("ix_coaching_focus_item", "scorecard_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("coaching_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    scorecard_id: Mapped[str] = mapped_column(String(60))
    item_id: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    failed: Mapped[int] = mapped_column(default=0)  # of the rep's last `reviewed` reviewed calls
    reviewed: Mapped[int] = mapped_column(default=0)
    # The measured effect once its windows have closed (figures no longer change); until
    # then it is computed when asked.
    effect: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Its verdict and the effect itself, kept beside it so the team page counts them in SQL.
    effect_verdict: Mapped[str | None] = mapped_column(String(20))
    effect_change: Mapped[float | None]


class CoachingEvaluation(Base):
    """A review the session was built from (its evidence)."""

    __tablename__ = "coaching_evaluation"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_session.id", ondelete="CASCADE"), primary_key=True
    )
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation.id", ondelete="CASCADE"), primary_key=True
    )


class CoachingAction(Base):
    """Something the rep agreed to do, by a date; the rep ticks it off."""

    __tablename__ = "coaching_action"
    __table_args__ = (Index("ix_coaching_action_due", "due_date", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("coaching_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    due_date: Mapped[date | None]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    due_notified_on: Mapped[date | None]  # the day the "due" notice went out (once)

    def overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_date is not None and self.due_date < today
