"""The daily review queue: team policies, reviewers, queue days, rep quotas and picks."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.calls.models import Call
from qc.db import Base, str_enum, utcnow
from qc.users.models import Team, User


class ReviewPolicy(Base):
    """How a team's calls are sampled for review. Teams without one use the defaults."""

    __tablename__ = "review_policy"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    target_per_rep: Mapped[int]
    working_days: Mapped[str] = mapped_column(String(20))  # ISO weekdays, "1,2,3,4,5"
    timezone: Mapped[str] = mapped_column(String(64))
    day_start_minute: Mapped[int]  # review hours in the team's time zone: picks are spread over them
    day_end_minute: Mapped[int]
    min_duration_s: Mapped[float]
    risk_share: Mapped[float]  # share of the picks that go to calls the checks flag
    low_score: Mapped[float]  # an automatic score below this flags a call
    exclude_own_team: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReviewerProfile(Base):
    """A reviewer's daily capacity and languages. Reviewers without one use the defaults."""

    __tablename__ = "reviewer_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    daily_capacity: Mapped[int]
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: any language
    is_available: Mapped[bool] = mapped_column(default=True)
    # Set by a QC lead or administrator: the reviewer then sees these settings but may not change them.
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class QueueMode(enum.StrEnum):
    SPREAD = "spread"  # picks drawn as each part of the day ends
    NOW = "now"  # every remaining pick drawn from the calls already in


class QueueDay(Base):
    """One team's queue for one working day: open while the day lasts, then closed."""

    __tablename__ = "queue_day"
    __table_args__ = (UniqueConstraint("team_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    day: Mapped[date]
    seed: Mapped[int] = mapped_column(BigInteger)  # recorded so the draws can be reproduced
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)  # the policy the day was built with
    mode: Mapped[QueueMode] = mapped_column(str_enum(QueueMode), default=QueueMode.SPREAD)
    is_closed: Mapped[bool] = mapped_column(default=False)
    builds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    built_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship(lazy="raise")


class Shortfall(enum.StrEnum):
    """Why a rep got fewer reviews than the target."""

    NO_CALLS = "no_calls"
    FEW_CALLS = "few_calls"  # every call was picked, and there were fewer than the target
    CALLS_TOO_SHORT = "calls_too_short"
    STILL_PROCESSING = "still_processing"
    CALLS_FAILED = "calls_failed"
    NO_SCORECARD = "no_scorecard"
    ALREADY_REVIEWED = "already_reviewed"
    DAY_IN_PROGRESS = "day_in_progress"
    NO_REVIEWER_CAPACITY = "no_reviewer_capacity"
    NO_ELIGIBLE_REVIEWER = "no_eligible_reviewer"

    @property
    def label(self) -> str:
        return {
            "no_calls": "No calls",
            "few_calls": "Fewer calls than the target",
            "calls_too_short": "Calls too short",
            "still_processing": "Calls still processing",
            "calls_failed": "Calls failed to process",
            "no_scorecard": "No scorecard applies to the calls",
            "already_reviewed": "Calls already reviewed",
            "day_in_progress": "Day in progress",
            "no_reviewer_capacity": "No reviewer capacity",
            "no_eligible_reviewer": "No eligible reviewer",
        }[self.value]


class RepDay(Base):
    """A rep's review quota for a day and, when it is not met, why."""

    __tablename__ = "rep_day"
    __table_args__ = (UniqueConstraint("day", "rep_id"), Index("ix_rep_day_queue_day", "queue_day_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_day_id: Mapped[int] = mapped_column(ForeignKey("queue_day.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    day: Mapped[date]
    target: Mapped[int]
    calls: Mapped[int] = mapped_column(default=0)
    eligible: Mapped[int] = mapped_column(default=0)
    too_short: Mapped[int] = mapped_column(default=0)
    processing: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    no_scorecard: Mapped[int] = mapped_column(default=0)
    reviewed_elsewhere: Mapped[int] = mapped_column(default=0)
    shortfall_reason: Mapped[Shortfall | None] = mapped_column(str_enum(Shortfall))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PickReason(enum.StrEnum):
    RISK = "risk"  # flagged by the automatic checks
    RANDOM = "random"  # drawn at random from a part of the day
    FILL = "fill"  # drawn from the whole day for a slot its own part of the day could not fill
    MANUAL = "manual"  # a reviewer or QC lead chose the call

    @property
    def label(self) -> str:
        return {"risk": "Flagged", "random": "Random", "fill": "Whole day", "manual": "Chosen"}[self.value]


class AssignmentStatus(enum.StrEnum):
    OPEN = "open"  # waiting: for its reviewer, or for anyone (no reviewer)
    IN_REVIEW = "in_review"  # claimed: its reviewer is scoring it
    DONE = "done"
    MISSED = "missed"  # not reviewed after rolling over once

    @property
    def label(self) -> str:
        return {"open": "To do", "in_review": "In review", "done": "Done", "missed": "Missed"}[self.value]


class Assignment(Base):
    """A call picked for review: why, for which rep-day, and who holds it."""

    __tablename__ = "review_assignment"
    __table_args__ = (
        Index("ix_review_assignment_queue", "queue_date", "reviewer_id"),
        Index("ix_review_assignment_rep_day", "day", "rep_id"),
        # A team's picks over a range of days: the coverage report, the wall board.
        Index("ix_review_assignment_team_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]  # the rep-day the review counts for
    queue_date: Mapped[date]  # the day it sits in a queue (the next one after a rollover)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum(AssignmentStatus), default=AssignmentStatus.OPEN
    )
    reason: Mapped[PickReason] = mapped_column(str_enum(PickReason))
    reason_detail: Mapped[str] = mapped_column(String(300))
    slot: Mapped[str] = mapped_column(String(20))
    risk: Mapped[float] = mapped_column(default=0.0)
    language: Mapped[str | None] = mapped_column(String(8))
    overdue: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[datetime]
    picked_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    call: Mapped[Call] = relationship(lazy="raise")
    rep: Mapped[User] = relationship(foreign_keys=[rep_id], lazy="raise")
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id], lazy="raise")
    team: Mapped[Team] = relationship(lazy="raise")
