from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qc.db import Base, str_enum, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    QC_LEAD = "qc_lead"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    REP = "rep"

    @property
    def label(self) -> str:
        return {"qc_lead": "QC lead"}.get(self.value, self.value.capitalize())


manager_team = Table(
    "manager_team",
    Base.metadata,
    Column("manager_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    # Blind review: reviewers see an alias for the team's reps (set on the team's review policy;
    # kept here because who may know whom is decided where a person is signed in).
    blind_review: Mapped[bool] = mapped_column(default=False)
    # Calls whose declared agent channel says the customer's part get their sides swapped by
    # the platform (qc.scoring.sides); otherwise they are only flagged.
    swap_sides: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(
        back_populates="team", lazy="raise", foreign_keys="User.team_id"
    )
    managers: Mapped[list[User]] = relationship(
        secondary=manager_team, back_populates="managed_teams", lazy="raise"
    )


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team | None] = relationship(back_populates="members", lazy="raise", foreign_keys=[team_id])
    managed_teams: Mapped[list[Team]] = relationship(
        secondary=manager_team, back_populates="managers", lazy="raise"
    )


class UserSession(Base):
    """A browser login. Only the hash of the cookie's token is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(Base):
    """A bearer token for a system integration, acting as its user."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AddressFailure(Base):
    """A failed sign-in from a client address, counted by the address throttle when no
    Redis is configured: every web process of one server sees the same counts."""

    __tablename__ = "login_address_failure"
    __table_args__ = (Index("ix_login_address_failure_address_created", "address", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LoginFailure(Base):
    """A failed sign-in, kept for a while to slow down password guessing."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_email_created", "email", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
