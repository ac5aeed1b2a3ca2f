"""Training: a catalogue of modules reps work through, who was assigned what, and rules that
assign a module to a rep whose reviews keep failing the items it teaches.

A `TrainingModule` is known by its versions (`TrainingModuleVersion`): editing a module
writes a new version, so an assignment always points at the text the rep actually worked
through. An assignment keeps its version once started; one not yet started moves to the
newest version when the rep starts it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow


class TrainingModule(Base):
    __tablename__ = "training_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))  # the newest version's, for lists
    latest_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[TrainingModuleVersion]] = relationship(
        lazy="raise",
        order_by="TrainingModuleVersion.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def current(self) -> TrainingModuleVersion:
        return next(v for v in self.versions if v.version == self.latest_version)


class TrainingModuleVersion(Base):
    """What a module said at one time; never changed once written."""

    __tablename__ = "training_module_version"
    __table_args__ = (UniqueConstraint("module_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    material_url: Mapped[str | None] = mapped_column(String(2000))
    material_text: Mapped[str] = mapped_column(Text, default="")
    items: Mapped[list[str]] = mapped_column(JSON, default=list)  # "scorecard:item" keys
    expected_minutes: Mapped[int] = mapped_column(default=30)
    has_assessment: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[int | None]  # a score out of 100 to pass; None: the assessment is pass/fail
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class AssignmentStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    STARTED = "started"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_open(self) -> bool:
        return self in (AssignmentStatus.ASSIGNED, AssignmentStatus.STARTED)


class TrainingResult(enum.StrEnum):
    DONE = "done"  # reading material, no assessment
    PASSED = "passed"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class TrainingAssignment(Base):
    """A module for one rep: by a person (`assigned_by_id`) or by a rule (`rule_id`)."""

    __tablename__ = "training_assignment"
    __table_args__ = (
        Index("ix_training_assignment_rep_module", "rep_id", "module_id"),
        Index("ix_training_assignment_team_status", "team_id", "status"),
        Index("ix_training_assignment_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id", ondelete="RESTRICT"))
    version_id: Mapped[int] = mapped_column(ForeignKey("training_module_version.id", ondelete="RESTRICT"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("training_rule.id", ondelete="SET NULL"))
    status: Mapped[AssignmentStatus] = mapped_column(
        str_enum(AssignmentStatus), default=AssignmentStatus.ASSIGNED
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_date: Mapped[date | None]
    started_at: Mapped[datetime | None]
    completed_on: Mapped[date | None]  # the day it was done, as recorded
    recorded_at: Mapped[datetime | None]  # when the completion was recorded
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    result: Mapped[TrainingResult | None] = mapped_column(str_enum(TrainingResult))
    score: Mapped[float | None]
    withdrawn_at: Mapped[datetime | None]
    withdraw_reason: Mapped[str] = mapped_column(Text, default="")
    overdue_notified_at: Mapped[datetime | None]  # the "overdue" event went out (once)
    # The training effect per "scorecard:item" once its windows have closed.
    effect: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    version: Mapped[TrainingModuleVersion] = relationship(lazy="raise")

    def overdue(self, today: date) -> bool:
        return self.status.is_open and self.due_date is not None and self.due_date < today


class TrainingRule(Base):
    """ "Failed `item_id` in at least `min_failed` of the last `last_reviews` reviewed calls"
    assigns the module, once while an assignment of it is open and not again within
    `cooldown_days` of a completion."""

    __tablename__ = "training_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    module_id: Mapped[int] = mapped_column(ForeignKey("training_module.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))  # None: all
    scorecard_id: Mapped[str] = mapped_column(String(60))
    item_id: Mapped[str] = mapped_column(String(60))
    min_failed: Mapped[int] = mapped_column(default=2)  # k
    last_reviews: Mapped[int] = mapped_column(default=5)  # n
    cooldown_days: Mapped[int] = mapped_column(default=30)
    due_days: Mapped[int] = mapped_column(default=14)  # the due date of what it assigns
    withdraw_unmatched: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def item_key(self) -> str:
        return f"{self.scorecard_id}:{self.item_id}"
