"""Originals: administrators grant access; a grantee opens a call's original transcript or
recording by stating a reason, which writes an audit row and allows streaming it for a
few minutes through a token bound to that person."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.calls.models import Call
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, Gone, InvalidInput, NotFound
from qc.privacy import access, audit
from qc.privacy import repository as repo
from qc.privacy.models import AccessGrant, AuditAction, AuditEntry, OriginalTranscript
from qc.transcription import service as transcription
from qc.users import service as users
from qc.users.models import Role
from qc.users.schemas import Principal

What = Literal["transcript", "audio"]
MIN_REASON = 10
MAX_REASON = 1000


def _reason(value: str, *, field: str = "reason") -> str:
    text = " ".join(value.split())
    if len(text) < MIN_REASON:
        raise InvalidInput(
            f"Say why, in at least {MIN_REASON} characters (e.g. the ticket or dispute it is for)",
            field=field,
        )
    if len(text) > MAX_REASON:
        raise InvalidInput(f"Keep the reason under {MAX_REASON} characters", field=field)
    return text


def _require_manager(principal: Principal) -> None:
    if not access.can_manage(principal):
        raise Forbidden("Only administrators manage access to originals, the audit log and retention")


# Grants -------------------------------------------------------------------------------------------


class GrantInvalid(InvalidInput):
    """Every field error of the grant form at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class GrantForm:
    grantee: str  # "user:<id>" or "role:<role>"
    reason: str
    expires_on: str  # YYYY-MM-DD or ""


def _grantee(session: Session, value: str) -> tuple[int | None, str | None, str]:
    kind, _, ref = value.partition(":")
    if kind == "role" and ref in {r.value for r in access.GRANTABLE_ROLES}:
        return None, ref, f"everyone with role {ref}"
    if kind == "user" and ref.isascii() and ref.isdigit() and 0 < int(ref) < 2**31:
        try:
            person = users.get_person(session, int(ref))
        except NotFound:
            person = None
        if person is not None and person.is_active and person.role is not Role.REP:
            return person.id, None, f"{person.name} <{person.email}>"
    raise GrantInvalid({"grantee": "Choose a person (not a rep) or a role from the list"})


def _expiry(value: str, now: datetime) -> datetime | None:
    if not value.strip():
        return None
    try:
        day = datetime.fromisoformat(value.strip()).date()
    except ValueError as exc:
        raise GrantInvalid({"expires_on": "Enter a date like 2026-12-31, or leave it empty"}) from exc
    expires = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo) + timedelta(days=1)
    if expires <= now:
        raise GrantInvalid({"expires_on": "Choose a day from today on"})
    return expires


def grant(
    session: Session, principal: Principal, form: GrantForm, *, client_address: str | None
) -> AccessGrant:
    """Let a person, or everyone of a role, open originals (administrators; audited)."""
    _require_manager(principal)
    now = utcnow()
    errors: dict[str, str] = {}
    user_id = role = subject = expires_at = None
    try:
        user_id, role, subject = _grantee(session, form.grantee)
    except GrantInvalid as exc:
        errors.update(exc.errors)
    try:
        reason = _reason(form.reason)
    except InvalidInput as exc:
        errors["reason"] = exc.message
    try:
        expires_at = _expiry(form.expires_on, now)
    except GrantInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise GrantInvalid(errors)
    row = AccessGrant(
        user_id=user_id,
        role=role,
        reason=reason,
        granted_by_id=principal.id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        AuditAction.GRANT,
        reason=reason,
        client_address=client_address,
        grant_id=row.id,
        subject=subject,
    )
    return row


def revoke(
    session: Session, principal: Principal, grant_id: int, *, reason: str, client_address: str | None
) -> AccessGrant:
    """End a grant now (administrators; audited)."""
    _require_manager(principal)
    row = session.get(AccessGrant, grant_id)
    if row is None:
        raise NotFound(f"Grant {grant_id} does not exist")
    why = _reason(reason)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by_id = utcnow(), principal.id
    subject = f"everyone with role {row.role}" if row.role else _person(session, row.user_id)
    audit.record(
        session,
        principal,
        AuditAction.REVOKE,
        reason=why,
        client_address=client_address,
        grant_id=row.id,
        subject=subject,
    )
    return row


def _person(session: Session, user_id: int | None) -> str:
    person = users.get_person(session, user_id) if user_id else None
    return f"{person.name} <{person.email}>" if person else "nobody"


def list_grants(session: Session, principal: Principal) -> list[AccessGrant]:
    _require_manager(principal)
    return list(repo.grants(session))


# Opening an original --------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_grant(session: Session, principal: Principal) -> None:
    if not access.may_open_originals(session, principal, now=utcnow()):
        raise Forbidden(
            "Opening originals needs access granted by an administrator (Privacy > Access); "
            "the masked transcript and recording are on the call page"
        )


def original_form(session: Session, principal: Principal, call_id: int) -> Call:
    """The call whose original `principal` asks to open (granted people who may see it)."""
    require_grant(session, principal)
    return calls.get_call(session, principal, call_id)


def open_original(
    session: Session,
    principal: Principal,
    call_id: int,
    *,
    what: str,
    reason: str,
    client_address: str | None,
    settings: Settings,
) -> str:
    """Record why `principal` opens the call's original `what` and return the token that
    streams it for `original_access_minutes`."""
    require_grant(session, principal)
    call = calls.get_call(session, principal, call_id)
    if what not in ("transcript", "audio"):
        raise InvalidInput("Choose the transcript or the recording", field="what")
    why = _reason(reason)
    _require_available(session, call, what)
    token = secrets.token_urlsafe(32)
    action = AuditAction.OPEN_TRANSCRIPT if what == "transcript" else AuditAction.OPEN_AUDIO
    audit.record(
        session,
        principal,
        action,
        reason=why,
        client_address=client_address,
        call_id=call.id,
        token_hash=_hash(token),
        expires_at=utcnow() + timedelta(minutes=settings.original_access_minutes),
    )
    return token


def _require_available(session: Session, call: Call, what: str) -> None:
    if call.original_deleted_at is not None:
        raise Gone(
            f"The original {'recording' if what == 'audio' else 'transcript'} was deleted under the "
            f"retention policy on {call.original_deleted_at:%Y-%m-%d}; the masked one is on the call page"
        )
    if what == "transcript" and transcription.get_transcript(session, call.id, unredacted=True) is None:
        raise Gone("This call has no transcript (not transcribed yet, or deleted under the retention policy)")


@dataclass(frozen=True)
class Opened:
    entry: AuditEntry
    call: Call
    segments: list[dict[str, Any]]  # the original transcript, for a transcript opening


def opened(session: Session, principal: Principal, token: str) -> Opened:
    """What an opening shows, while it lasts, to the person who opened it."""
    entry = repo.opening(session, token_hash=_hash(token))
    now = utcnow()
    if entry is None or entry.actor_id != principal.id or entry.call_id is None:
        raise NotFound("This link to an original is not valid; open the original again from the call page")
    if entry.expires_at is None or entry.expires_at <= now:
        raise Gone(
            "This link to an original has expired; open the original again from the call page, with a reason"
        )
    require_grant(session, principal)  # revoked meanwhile: no more streaming
    call = calls.get_call(session, principal, entry.call_id)
    segments = _original_segments(session, call.id) if entry.action is AuditAction.OPEN_TRANSCRIPT else []
    return Opened(entry, call, segments)


def original_recording(session: Session, principal: Principal, token: str) -> str:
    """The storage key of the original recording an audio opening streams."""
    shown = opened(session, principal, token)
    if shown.entry.action is not AuditAction.OPEN_AUDIO:
        raise NotFound("This link opens a transcript, not a recording")
    _require_available(session, shown.call, "audio")
    return shown.call.storage_key


def _original_segments(session: Session, call_id: int) -> list[dict[str, Any]]:
    transcript = transcription.get_transcript(session, call_id, unredacted=True)
    if transcript is None:
        raise Gone("This call's transcript was deleted under the retention policy")
    kept = session.scalar(select(OriginalTranscript).where(OriginalTranscript.call_id == call_id))
    before = {s["position"]: s for s in (kept.segments if kept else [])}
    masked_positions = {f["position"] for f in (kept.findings if kept else [])}
    return [
        {
            "speaker": s.speaker,
            "start": s.start,
            "text": before.get(s.position, {}).get("text", s.text),
            "changed": s.position in masked_positions,
        }
        for s in transcript.segments
    ]
