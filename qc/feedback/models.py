"""Feedback: what happens to a submitted review on its way to the rep and back.

`Feedback` follows one submitted review (when it is released, whether the rep has
acknowledged it); `Dispute` is the rep questioning some of its items, decided item by
item; `FeedbackPolicy` holds a team's rules for both.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow


class DisputeResolver(enum.StrEnum):
    QC_LEAD = "qc_lead"  # any QC lead
    REVIEWER = "reviewer"  # the reviewer who wrote the evaluation

    @property
    def label(self) -> str:
        return {"qc_lead": "A QC lead", "reviewer": "The original reviewer"}[self.value]


class FeedbackPolicy(Base):
    """A team's rules for releasing, acknowledging and disputing reviews (defaults: settings)."""

    __tablename__ = "feedback_policy"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    release_delay_hours: Mapped[float] = mapped_column(default=0.0)
    acknowledge_within_days: Mapped[int] = mapped_column(default=3)
    dispute_window_days: Mapped[int] = mapped_column(default=7)
    dispute_max_items: Mapped[int] = mapped_column(default=5)
    dispute_resolver: Mapped[DisputeResolver] = mapped_column(
        str_enum(DisputeResolver), default=DisputeResolver.QC_LEAD
    )
    dispute_due_working_days: Mapped[int] = mapped_column(default=2)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Feedback(Base):
    """One submitted review on its way to the rep: released when due, then acknowledged."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_rep_released", "rep_id", "released_at"),
        Index("ix_feedback_submitted", "submitted_at"),
        Index("ix_feedback_team_submitted", "team_id", "submitted_at"),  # the team pages
        Index("ix_feedback_team_unacknowledged", "team_id", "acknowledged_at", "released_at"),
        Index(
            "ix_feedback_release_due",
            "release_due_at",
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation.id", ondelete="CASCADE"), primary_key=True
    )
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime]
    release_due_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"
    RESOLVED = "resolved"


class Decision(enum.StrEnum):
    KEPT = "kept"  # the reviewer's answer stands
    CHANGED = "changed"  # the answer was changed: the item is overturned


class DisputeCause(enum.StrEnum):
    REVIEWER_ERROR = "reviewer_error"
    AUTO_CHECK_WRONG = "auto_check_wrong"
    SCORECARD_UNCLEAR = "scorecard_unclear"
    REP_MISUNDERSTOOD = "rep_misunderstood"

    @property
    def label(self) -> str:
        return {
            "reviewer_error": "Reviewer error",
            "auto_check_wrong": "Automatic check wrong",
            "scorecard_unclear": "Scorecard unclear",
            "rep_misunderstood": "Rep misunderstood",
        }[self.value]


class Dispute(Base):
    """A rep questioning items of a released review; one open dispute per evaluation."""

    __tablename__ = "dispute"
    __table_args__ = (
        Index(
            "uq_dispute_open_evaluation",
            "evaluation_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_dispute_status_due", "status", "due_at"),
        Index("ix_dispute_rep_opened", "rep_id", "opened_at"),
        Index("ix_dispute_evaluation", "evaluation_id"),
        Index("ix_dispute_reviewer", "reviewer_id"),
        Index("ix_dispute_resolver", "resolver_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    scorecard_id: Mapped[str] = mapped_column(String(60))  # items are named within a scorecard
    resolver_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[DisputeStatus] = mapped_column(str_enum(DisputeStatus), default=DisputeStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]  # resolved or withdrawn
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    overdue_flagged_at: Mapped[datetime | None]
    score_before: Mapped[float | None]
    score_after: Mapped[float | None]

    items: Mapped[list[DisputeItem]] = relationship(
        lazy="raise",
        order_by="DisputeItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class DisputeItem(Base):
    """One questioned item: the rep's comment, and the resolver's decision with its reason."""

    __tablename__ = "dispute_item"
    __table_args__ = (UniqueConstraint("dispute_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    item_id: Mapped[str] = mapped_column(String(60))
    comment: Mapped[str] = mapped_column(Text)
    proposed_answer: Mapped[str | None] = mapped_column(String(8))
    answer_before: Mapped[str | None] = mapped_column(String(8))
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision))
    answer_after: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[DisputeCause | None] = mapped_column(str_enum(DisputeCause))
