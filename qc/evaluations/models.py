"""Evaluations: a person's answers to a call's scorecard, their comments and edit history;
calibration sessions where several reviewers score the same calls."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.calls.models import Call
from qc.db import Base, str_enum, utcnow
from qc.scoring.definitions import Status
from qc.scoring.models import ScorecardVersion
from qc.users.models import User


class EvaluationKind(enum.StrEnum):
    REVIEW = "review"  # the call's QC review, from the daily queue or chosen by hand
    CALIBRATION = "calibration"  # one of several scorings of a call in a calibration session


class EvaluationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Evaluation(Base):
    __tablename__ = "evaluation"
    __table_args__ = (
        # One review per call comes from the assignment; a calibration session holds one
        # scoring per call and reviewer.
        UniqueConstraint("calibration_session_id", "call_id", "reviewer_id"),
        Index("ix_evaluation_call", "call_id"),
        Index("ix_evaluation_reviewer_submitted", "reviewer_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EvaluationKind] = mapped_column(str_enum(EvaluationKind))
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_assignment.id", ondelete="SET NULL"), unique=True
    )
    calibration_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("calibration_session.id", ondelete="CASCADE")
    )
    scorecard_version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_version.id", ondelete="RESTRICT"))
    status: Mapped[EvaluationStatus] = mapped_column(
        str_enum(EvaluationStatus), default=EvaluationStatus.DRAFT
    )
    score: Mapped[float | None]
    final_score: Mapped[float | None]
    critical_failed: Mapped[bool] = mapped_column(default=False)
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    active_seconds: Mapped[float] = mapped_column(default=0.0)  # time on task
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    # When the rep may read it: at submission, or after the team's delay (never for calibration).
    released_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    edits: Mapped[int] = mapped_column(default=0)

    call: Mapped[Call] = relationship(lazy="raise")
    reviewer: Mapped[User] = relationship(lazy="raise")
    scorecard_version: Mapped[ScorecardVersion] = relationship(lazy="raise")
    answers: Mapped[list[EvaluationAnswer]] = relationship(
        back_populates="evaluation",
        lazy="raise",
        order_by="EvaluationAnswer.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    comments: Mapped[list[EvaluationComment]] = relationship(
        lazy="raise",
        order_by="EvaluationComment.at_s, EvaluationComment.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class EvaluationAnswer(Base):
    """The answer to one scorecard item, next to what the automatic check said."""

    __tablename__ = "evaluation_answer"
    _OVERRIDDEN = "auto_answer IS NOT NULL AND answer IS NOT NULL AND answer != auto_answer"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "item_id"),
        # The coverage report counts each review's overrides: only these few rows are indexed.
        Index(
            "ix_evaluation_answer_overridden",
            "evaluation_id",
            sqlite_where=text(_OVERRIDDEN),
            postgresql_where=text(_OVERRIDDEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    position: Mapped[int]
    item_id: Mapped[str] = mapped_column(String(60))
    answer: Mapped[str | None] = mapped_column(String(8))  # yes, no, na, 1-5; None: not answered yet
    auto_status: Mapped[Status | None] = mapped_column(str_enum(Status))
    auto_answer: Mapped[str | None] = mapped_column(String(8))  # what the check suggested
    override_reason: Mapped[str | None] = mapped_column(String(500))
    # How the call's re-scoring reached this answer of a draft (qc.evaluations.rescored):
    # "updated" (it followed the new check), "kept" (the reviewer's own answer stayed while
    # the check under it changed); None while the checks have not changed.
    auto_change: Mapped[str | None] = mapped_column(String(8))

    evaluation: Mapped[Evaluation] = relationship(back_populates="answers", lazy="raise")

    @property
    def overridden(self) -> bool:
        return self.auto_answer is not None and self.answer is not None and self.answer != self.auto_answer


class EvaluationComment(Base):
    """A remark pinned to a moment of the call (or to the call as a whole)."""

    __tablename__ = "evaluation_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    at_s: Mapped[float | None]
    item_id: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationEdit(Base):
    """The audit trail: submissions and every change made after submitting."""

    __tablename__ = "evaluation_edit"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(20))  # submitted, edited, dispute
    reason: Mapped[str | None] = mapped_column(String(500))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")


class CalibrationSession(Base):
    """A QC lead's exercise: chosen reviewers score the same calls without seeing each other."""

    __tablename__ = "calibration_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    is_closed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    created_by: Mapped[User] = relationship(lazy="raise")


class CalibrationCall(Base):
    __tablename__ = "calibration_call"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_session.id", ondelete="CASCADE"), primary_key=True
    )
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class CalibrationParticipant(Base):
    __tablename__ = "calibration_participant"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("calibration_session.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
