from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow
from qc.scoring.definitions import Status


class Origin(enum.StrEnum):
    """Where a revision came from: a file in `scorecards/` or a publish in the editor."""

    FILE = "file"
    EDITOR = "editor"


class ScorecardVersion(Base):
    """One revision of a scorecard. Editing its file, or publishing a draft, adds a
    revision; results keep the revision they were computed with."""

    __tablename__ = "scorecard_version"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "revision"),
        UniqueConstraint("scorecard_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[str] = mapped_column(String(60), index=True)
    revision: Mapped[int]
    label: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_file: Mapped[str] = mapped_column(String(300))  # "" for a card made in the editor
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    origin: Mapped[Origin] = mapped_column(str_enum(Origin), default=Origin.FILE)
    # Who published it from the editor, copied in (no foreign key: a revision outlives its
    # author's account, and reads the same for ever).
    published_by_id: Mapped[int | None]
    published_by: Mapped[str | None] = mapped_column(String(320))
    change_note: Mapped[str | None] = mapped_column(String(500))


class ScorecardDraft(Base):
    """The edits to a scorecard not yet published: one draft per scorecard, shared by the
    people who may edit it. `lock` grows with every save (optimistic concurrency)."""

    __tablename__ = "scorecard_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[str] = mapped_column(String(60), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_revision: Mapped[int | None]  # the published revision the draft started from
    lock: Mapped[int] = mapped_column(default=1)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeAction(enum.StrEnum):
    CREATED = "created"
    DRAFT_SAVED = "draft_saved"
    DRAFT_DISCARDED = "draft_discarded"
    PUBLISHED = "published"
    RESTORED = "restored"
    FILE_LOADED = "file_loaded"
    FILE_HELD_BACK = "file_held_back"
    VARIABLES_CHANGED = "variables_changed"

    @property
    def label(self) -> str:
        return {
            "created": "Created",
            "draft_saved": "Saved the draft",
            "draft_discarded": "Discarded the draft",
            "published": "Published",
            "restored": "Restored",
            "file_loaded": "Loaded from its file",
            "file_held_back": "File changed, not applied",
            "variables_changed": "Changed the variables",
        }[self.value]


class ScorecardChange(Base):
    """The scorecard audit log: every change to a scorecard, by whom and when. Rows are only
    ever added; names are copied in so a row reads the same for ever."""

    __tablename__ = "scorecard_change"
    __table_args__ = (Index("ix_scorecard_change_card_at", "scorecard_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    scorecard_id: Mapped[str] = mapped_column(String(60))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(320))  # "Name <email>", or "system"
    action: Mapped[ChangeAction] = mapped_column(str_enum(ChangeAction))
    revision: Mapped[int | None]
    content_hash: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class CallScore(Base):
    """The automatic checks of one call: one row per call, replaced on re-scoring."""

    __tablename__ = "call_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), unique=True)
    scorecard_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scorecard_version.id", ondelete="RESTRICT"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float | None]
    final_score: Mapped[float | None]
    critical_failed: Mapped[bool] = mapped_column(default=False)
    checks_total: Mapped[int] = mapped_column(default=0)
    checks_decided: Mapped[int] = mapped_column(default=0)  # pass or fail: what the score rests on
    checks_needs_review: Mapped[int] = mapped_column(default=0)  # left to a person
    note: Mapped[str | None] = mapped_column(String(500))
    # The transcript's word forms as the checks read them (surface and lemma, sorted): a draft
    # that only changes phrase lists is run again only on calls holding its words. None when
    # unknown (scored before this was kept, or the transcript was rewritten since).
    word_forms: Mapped[list[str] | None] = mapped_column(JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    scorecard_version: Mapped[ScorecardVersion | None] = relationship(lazy="raise")
    checks: Mapped[list[CheckResult]] = relationship(
        back_populates="call_score",
        lazy="raise",
        order_by="CheckResult.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def undecided(self) -> bool:
        """Most checks were left to a person: the score would rest on too little to show
        as a number (a critical fail still shows: it decides the call on its own)."""
        return not self.critical_failed and self.checks_decided * 2 < self.checks_total


class CheckResult(Base):
    """The automatic answer to one scorecard item, with the evidence behind it."""

    __tablename__ = "check_result"
    __table_args__ = (
        UniqueConstraint("call_score_id", "item_id"),
        Index("ix_check_result_item_status", "item_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_score_id: Mapped[int] = mapped_column(ForeignKey("call_score.id", ondelete="CASCADE"))
    position: Mapped[int]
    item_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[Status] = mapped_column(str_enum(Status))
    confidence: Mapped[float]
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    value: Mapped[float | None]

    call_score: Mapped[CallScore] = relationship(back_populates="checks", lazy="raise")


class ScorecardVariable(Base):
    """One value of an organisation-wide scorecard variable ({company}) in one language
    ("*": any language without its own); `names` holds one name or several."""

    __tablename__ = "scorecard_variable"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    names: Mapped[list[str]] = mapped_column(JSON)
