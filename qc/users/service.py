"""People: teams, users, logins and API tokens."""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.db import utcnow, write_aside
from qc.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from qc.kit.languages import clean_language
from qc.kit.security import hash_password, new_token, token_hash, verify_password
from qc.users import access, identity
from qc.users import repository as repo
from qc.users.models import ApiToken, LoginFailure, Role, Team, User, UserSession
from qc.users.schemas import Principal
from qc.users.throttle import AddressThrottle

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
LOGIN_FREE_FAILURES = 5  # wrong passwords in a row before each attempt waits (2 s, 4 s, 8 s...)
LOGIN_MAX_DELAY = timedelta(minutes=15)
LOGIN_FAILURE_MEMORY = timedelta(hours=24)  # failures older than this no longer count
TOUCH_EVERY = timedelta(minutes=5)  # how often a session's or token's last use is written
API_TOKEN_PREFIX = "qc_"  # noqa: S105 - a prefix, not a secret

signin_log = structlog.get_logger("qc.users.signin")


def principal_for(session: Session, user: User, *, via_token: bool = False) -> Principal:
    """The access-checking view of `user`."""
    managed = repo.managed_team_ids(session, user.id) if user.role is Role.MANAGER else frozenset()
    return Principal(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        team_id=user.team_id,
        managed_team_ids=managed,
        via_token=via_token,
        blind_team_ids=identity.blind_team_ids(session, user.role),
    )


# Teams ---------------------------------------------------------------------


def create_team(session: Session, *, name: str, language: str | None = None) -> Team:
    """Create a team; names are unique regardless of case."""
    name = require_text(name, field="name", label="Team name", max_length=120)
    if repo.get_team_by_name(session, name):
        raise Conflict(f"A team named {name!r} already exists", field="name")
    team = Team(name=name, language=clean_language(language))
    session.add(team)
    session.flush()
    return team


def names_of(session: Session, user_ids: set[int]) -> dict[int, str]:
    """People's names by id (for lists)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def get_team(session: Session, team_id: int) -> Team:
    """The team, or NotFound."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"Team {team_id} does not exist")
    return team


def list_visible_teams(session: Session, principal: Principal) -> list[Team]:
    """Teams `principal` may see: all for staff, managed ones for managers, own for reps."""
    return repo.list_teams(session, access.visible_team_ids(principal))


def team_overview(session: Session, principal: Principal) -> list[tuple[Team, int]]:
    """Every team with its number of members (administrators only)."""
    require_admin(principal)
    members = repo.count_members(session)
    return [(team, members.get(team.id, 0)) for team in repo.list_teams(session)]


def _team_by_name(session: Session, name: str, field: str) -> Team:
    team = repo.get_team_by_name(session, name)
    if team is None:
        raise InvalidInput(f"No team named {name!r}; create it first", field=field)
    return team


# Users ---------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str | None = None,
    team: str | None = None,
    external_id: str | None = None,
    managed_teams: list[str] | None = None,
) -> User:
    """Create a person; a rep needs a team, a manager may supervise several."""
    role = _parse_role(role)
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput("Enter a valid email address", field="email")
    name = require_text(name, field="name", label="Name", max_length=200)
    # Integrations name reps by email or external id, so neither may equal any other's.
    if repo.get_user_by_email(session, email) or repo.get_user_by_external_id(session, email):
        raise Conflict(f"A user with email {email} already exists", field="email")
    external_id = (external_id or "").strip() or None
    if external_id is not None:
        require_text(external_id, field="external_id", label="External id", max_length=120)
        if repo.get_user_by_external_id(session, external_id) or repo.get_user_by_email(session, external_id):
            raise Conflict(f"External id {external_id!r} is already used", field="external_id")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if role is Role.REP and not team:
        raise InvalidInput("A rep must belong to a team", field="team")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        team_id=_team_by_name(session, team, "team").id if team else None,
        external_id=external_id,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    if managed_teams:
        if role is not Role.MANAGER:
            raise InvalidInput("Only managers supervise teams", field="managed_teams")
        user_teams = [_team_by_name(session, t, "managed_teams") for t in managed_teams]
        session.refresh(user, ["managed_teams"])
        user.managed_teams.extend(user_teams)
        session.flush()
    return user


def require_text(value: str, *, field: str, label: str, max_length: int) -> str:
    """Trimmed, non-empty text of at most `max_length` characters."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{label} is required", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{label} is longer than {max_length} characters", field=field)
    return value


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Role must be one of: {choices}", field="role") from exc


def list_people(session: Session, principal: Principal, *, role: Role | None = None) -> list[User]:
    """People `principal` may see, optionally of one role."""
    if not access.can_list_people(principal):
        raise Forbidden("Only staff and managers can list people")
    team_ids = access.visible_team_ids(principal)
    return repo.list_users(session, role=role, team_ids=team_ids)


def get_rep(session: Session, principal: Principal, reference: str) -> User:
    """The active rep known by email or external id, if `principal` may act for them."""
    user = repo.get_user_by_reference(session, reference)
    if user is None or user.role is not Role.REP:
        raise InvalidInput(f"Unknown rep {reference!r}: use a rep's email or external id", field="rep")
    if not user.is_active:
        raise InvalidInput(f"Rep {reference!r} is deactivated", field="rep")
    if not access.can_act_for_team(principal, user.team_id):
        raise Forbidden(f"You cannot upload calls for {reference!r}")
    return user


def list_all(session: Session, *, role: Role | None = None) -> list[User]:
    """Everyone (or everyone with `role`), for operator commands run on the server."""
    return repo.list_users(session, role=role)


def get_by_email(session: Session, email: str) -> User:
    user = repo.get_user_by_email(session, email)
    if user is None:
        raise NotFound(f"No user with email {email}")
    return user


def find_person(session: Session, reference: str) -> User | None:
    """A user by email or external id, or None."""
    return repo.get_user_by_reference(session, reference)


def get_person(session: Session, user_id: int) -> User:
    user = repo.get_user(session, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


def set_active(session: Session, principal: Principal, *, user_id: int, active: bool) -> User:
    """Activate or deactivate a person; a deactivated one can neither sign in nor use tokens."""
    require_admin(principal)
    user = get_person(session, user_id)
    if user.id == principal.id and not active:
        raise Conflict("You cannot deactivate your own account")
    user.is_active = active
    if not active:
        repo.delete_sessions_of(session, user.id)
    return user


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only administrators can manage teams, people and tokens")


# Logins --------------------------------------------------------------------


def authenticate(
    session: Session, *, email: str, password: str, address: str, throttle: AddressThrottle
) -> User:
    """The active user with these credentials, or NotAuthenticated; TooManyRequests while the
    client's address is over its failure limits or the account's delay has not passed.

    After LOGIN_FREE_FAILURES wrong passwords for an email, each further attempt waits twice as
    long as the one before (capped at LOGIN_MAX_DELAY): a delay, not a lock, so a stranger
    cannot keep the owner out for long, and the right password works once it has passed. The
    caller must commit so that failures are counted. Every attempt is logged, never the password.
    """
    email = email.strip().lower()[:254]
    if not email or not password:  # nothing to check, so nothing counted against anyone
        _log_attempt("failed: empty form", email, address)
        raise NotAuthenticated("Enter your email and password")
    now = utcnow()
    wait = throttle.retry_after(session, address)
    if wait is not None:
        _log_attempt("refused: address over its limit", email, address)
        raise TooManyRequests(
            f"Too many failed sign-ins from your network; try again in {_duration(wait)}", retry_after_s=wait
        )
    wait = _account_wait(session, email, now)
    if wait is not None:
        _log_attempt("refused: account delay", email, address)
        raise TooManyRequests(
            f"Too many failed sign-ins for this account; wait {_duration(wait)} and try again, "
            "or ask an administrator to set a new password",
            retry_after_s=wait,
        )
    user = repo.get_user_by_email(session, email)
    if user is None or not verify_password(password, user.password_hash if user else None):
        repo.forget_login_failures(session, email, before=now - LOGIN_FAILURE_MEMORY)
        session.add(LoginFailure(email=email, created_at=now))
        throttle.record_failure(session, address)
        _log_attempt("failed: unknown account" if user is None else "failed: wrong password", email, address)
        raise NotAuthenticated("Email or password is incorrect")
    repo.forget_login_failures(session, email)
    if not user.is_active:
        _log_attempt("failed: account deactivated", email, address)
        raise NotAuthenticated("This account is deactivated; ask an administrator")
    _log_attempt("succeeded", email, address)
    return user


def login_delay(failures: int) -> timedelta:
    """How long the next sign-in to an account waits after `failures` wrong passwords in a row."""
    if failures < LOGIN_FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - LOGIN_FREE_FAILURES + 1)), LOGIN_MAX_DELAY)


def _account_wait(session: Session, email: str, now: datetime) -> int | None:
    failures, last = repo.login_failures_since(session, email, now - LOGIN_FAILURE_MEMORY)
    if last is None:
        return None
    remaining = (last + login_delay(failures) - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else None


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def _log_attempt(outcome: str, email: str, address: str) -> None:
    shown = "".join(ch if ch.isprintable() else "?" for ch in email)  # no forged log lines
    signin_log.info("sign-in", outcome=outcome, email=shown, address=address)


def start_session(session: Session, *, user: User, lifetime: timedelta, user_agent: str | None = None) -> str:
    """Open a login session and return the cookie value (only its hash is stored)."""
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    repo.delete_expired_sessions(session, now)
    return token


def resolve_session(session: Session, token: str) -> Principal | None:
    """The principal behind a session cookie, or None when unknown, expired or inactive."""
    record = repo.get_session_by_hash(session, token_hash(token))
    now = utcnow()
    if record is None or record.expires_at <= now:
        return None
    user = repo.get_user(session, record.user_id)
    if user is None or not user.is_active:
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        mark = functools.partial(repo.mark_session_seen, session_id=record.id, now=now)
        write_aside(session, mark, what="a session's last-seen time")
    return principal_for(session, user)


def end_session(session: Session, token: str) -> None:
    repo.delete_session_by_hash(session, token_hash(token))


# API tokens ------------------------------------------------------------------


def create_api_token(session: Session, *, user: User, name: str) -> str:
    """Issue a bearer token for `user`; the plain value is returned once and never stored."""
    name = require_text(name or "default", field="name", label="Token name", max_length=100)
    clash = next((t for t in repo.list_tokens(session, user.id) if t.name == name), None)
    if clash is not None and clash.revoked_at is None:
        raise Conflict(f"{user.email} already has a token named {name!r}", field="name")
    if clash is not None:  # revoked tokens stay for the audit trail; free the name
        clash.name = f"{name} (revoked #{clash.id})"
        session.flush()
    token = new_token(API_TOKEN_PREFIX)
    session.add(ApiToken(user_id=user.id, name=name, prefix=token[:10], token_hash=token_hash(token)))
    session.flush()
    return token


def resolve_api_token(session: Session, token: str, *, now: datetime | None = None) -> Principal | None:
    record = repo.get_token_by_hash(session, token_hash(token))
    if record is None or record.revoked_at is not None:
        return None
    user = repo.get_user(session, record.user_id)
    if user is None or not user.is_active:
        return None
    now = now or utcnow()
    if record.last_used_at is None or now - record.last_used_at > TOUCH_EVERY:
        mark = functools.partial(repo.mark_token_used, token_id=record.id, now=now)
        write_aside(session, mark, what="an API token's last-used time")
    return principal_for(session, user, via_token=True)


def list_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return repo.list_tokens(session, user.id)


def revoke_api_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    token = next((t for t in repo.list_tokens(session, user.id) if t.id == token_id), None)
    if token is None:
        raise NotFound("No such token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
