"""Queries over people, teams, sessions and tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from qc.users.models import (
    AddressFailure,
    ApiToken,
    LoginFailure,
    Role,
    Team,
    User,
    UserSession,
    manager_team,
)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def get_user_by_external_id(session: Session, external_id: str) -> User | None:
    return session.scalar(select(User).where(User.external_id == external_id.strip()))


def get_user_by_reference(session: Session, reference: str) -> User | None:
    """A user by email (case-insensitive), else by the external id an integration knows."""
    return get_user_by_email(session, reference) or get_user_by_external_id(session, reference)


def blind_review_team_ids(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(select(Team.id).where(Team.blind_review)))


def rep_ids(session: Session) -> list[int]:
    """Every rep's id, former reps included (their calls keep them)."""
    return list(session.scalars(select(User.id).where(User.role == Role.REP).order_by(User.id)))


def get_team_by_name(session: Session, name: str) -> Team | None:
    return session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))


def list_teams(session: Session, team_ids: Iterable[int] | None = None) -> list[Team]:
    query = select(Team).order_by(Team.name)
    if team_ids is not None:
        query = query.where(Team.id.in_(list(team_ids)))
    return list(session.scalars(query))


def count_members(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(User.team_id, func.count()).where(User.team_id.is_not(None)).group_by(User.team_id)
    )
    return {team_id: count for team_id, count in rows if team_id is not None}


def list_users(
    session: Session,
    *,
    role: Role | None = None,
    team_ids: Iterable[int] | None = None,
    active_only: bool = False,
) -> list[User]:
    query = (
        select(User)
        .options(selectinload(User.team), selectinload(User.managed_teams))
        .order_by(User.name, User.id)
    )
    if role is not None:
        query = query.where(User.role == role)
    if team_ids is not None:
        query = query.where(User.team_id.in_(list(team_ids)))
    if active_only:
        query = query.where(User.is_active.is_(True))
    return list(session.scalars(query))


def managed_team_ids(session: Session, user_id: int) -> frozenset[int]:
    rows = session.scalars(select(manager_team.c.team_id).where(manager_team.c.manager_id == user_id))
    return frozenset(rows)


def get_session_by_hash(session: Session, token_hash: str) -> UserSession | None:
    return session.scalar(select(UserSession).where(UserSession.token_hash == token_hash))


def mark_session_seen(session: Session, *, session_id: int, now: datetime) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


def mark_token_used(session: Session, *, token_id: int, now: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def delete_session_by_hash(session: Session, token_hash: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == token_hash))


def delete_sessions_of(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


def delete_expired_sessions(session: Session, now: datetime) -> int:
    result = session.execute(delete(UserSession).where(UserSession.expires_at < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def login_failures_since(session: Session, email: str, since: datetime) -> tuple[int, datetime | None]:
    """How many failed sign-ins `email` had since `since`, and when the last was."""
    query = select(func.count(), func.max(LoginFailure.created_at)).where(
        LoginFailure.email == email, LoginFailure.created_at >= since
    )
    count, last = session.execute(query).one()
    return int(count or 0), last


def add_address_failure(session: Session, address: str, now: datetime, *, forget_before: datetime) -> None:
    """Count a failed sign-in from `address`, and drop every count too old to matter."""
    session.execute(delete(AddressFailure).where(AddressFailure.created_at < forget_before))
    session.add(AddressFailure(address=address, created_at=now))


def nth_latest_address_failure(session: Session, address: str, n: int, since: datetime) -> datetime | None:
    """When `address` failed for the n-th time counting back from now, if it did since `since`."""
    return session.scalar(
        select(AddressFailure.created_at)
        .where(AddressFailure.address == address, AddressFailure.created_at >= since)
        .order_by(AddressFailure.created_at.desc())
        .offset(n - 1)
        .limit(1)
    )


def forget_login_failures(session: Session, email: str, before: datetime | None = None) -> None:
    query = delete(LoginFailure).where(LoginFailure.email == email)
    if before is not None:
        query = query.where(LoginFailure.created_at < before)
    session.execute(query)


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at))
    )
