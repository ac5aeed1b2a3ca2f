"""The evening digest: when each team's digest goes out, where it is posted, and what
became of each day's post to each place.

`DigestTarget.url` is a secret (a Slack or Teams webhook URL, a Telegram bot token): it is
shown back masked and only its host is ever logged. (target, day) is unique, so a team's
day is posted at most once to each target whatever the number of workers and restarts.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from qc.db import Base, str_enum, utcnow

DEFAULT_SEND_MINUTE = 21 * 60  # 21:00 in the team's time zone


class DigestSchedule(Base):
    """When a team's digest is posted, in the team's time zone (that of its review policy).
    Teams without one post at 21:00."""

    __tablename__ = "digest_schedule"

    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    send_minute: Mapped[int] = mapped_column(default=DEFAULT_SEND_MINUTE)  # minutes after midnight
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TargetKind(enum.StrEnum):
    SLACK = "slack"  # Slack-compatible incoming webhook (Block Kit)
    TEAMS = "teams"  # Microsoft Teams Workflows webhook (Adaptive Card)
    TELEGRAM = "telegram"  # Telegram bot API sendMessage
    JSON = "json"  # a generic JSON webhook

    @property
    def label(self) -> str:
        return {"slack": "Slack", "teams": "Microsoft Teams", "telegram": "Telegram", "json": "JSON webhook"}[
            self.value
        ]


class DigestTarget(Base):
    """A chat a team's digest is posted to."""

    __tablename__ = "digest_target"
    __table_args__ = (Index("ix_digest_target_team", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    url: Mapped[str] = mapped_column(String(2000))  # secret
    chat_id: Mapped[str | None] = mapped_column(String(64))  # Telegram only
    label: Mapped[str] = mapped_column(String(120), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DigestStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"  # the target answered 2xx
    FAILED = "failed"  # every attempt failed; nothing more is tried

    @property
    def label(self) -> str:
        return self.value.capitalize()


TRIGGERS = {
    "schedule": "scheduled",
    "manual": "sent by hand",
    "api": "sent through the API",
    "command": "sent from the command line",
}


class DigestDelivery(Base):
    """One team-day's digest for one target. The payload is built once, at the first attempt,
    and kept: every retry posts the same message."""

    __tablename__ = "digest_delivery"
    __table_args__ = (
        UniqueConstraint("target_id", "day"),
        Index(
            "ix_digest_delivery_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_digest_delivery_team_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("digest_target.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    day: Mapped[date]
    trigger: Mapped[str] = mapped_column(String(20), default="schedule")  # schedule, manual, command
    status: Mapped[DigestStatus] = mapped_column(str_enum(DigestStatus), default=DigestStatus.PENDING)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def status_text(self) -> str:
        """The status as a person reads it: "Retrying: 2 attempts failed", not "Pending (2)"."""
        if self.status is DigestStatus.PENDING and self.attempts:
            return f"Retrying: {self.attempts} attempt{'s' if self.attempts != 1 else ''} failed"
        if self.status is DigestStatus.PENDING:
            return "Waiting to be posted"
        if self.status is DigestStatus.FAILED and self.attempts > 1:
            return f"Failed after {self.attempts} attempts"
        return self.status.label

    @property
    def trigger_text(self) -> str:
        """Who asked for it: the schedule, a person on the page, a script."""
        return TRIGGERS.get(self.trigger, self.trigger)
