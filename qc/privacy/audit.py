"""The privacy audit log: append-only rows of who opened which original, granted or
revoked access, or changed the retention policy, when, why and from where."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from qc.db import utcnow
from qc.errors import Forbidden
from qc.kit.pagination import Page, PageRequest
from qc.privacy import access
from qc.privacy import repository as repo
from qc.privacy.models import AuditAction, AuditEntry
from qc.users.schemas import Principal


def record(
    session: Session,
    principal: Principal,
    action: AuditAction,
    *,
    reason: str,
    client_address: str | None,
    call_id: int | None = None,
    grant_id: int | None = None,
    subject: str | None = None,
    token_hash: str | None = None,
    expires_at: datetime | None = None,
) -> AuditEntry:
    """Append one row to the log (the only way rows get there; none is ever changed)."""
    entry = AuditEntry(
        at=utcnow(),
        actor_id=principal.id,
        actor=f"{principal.name} <{principal.email}>"[:320],
        action=action,
        call_id=call_id,
        grant_id=grant_id,
        subject=subject[:320] if subject else None,
        reason=reason,
        client_address=(client_address or "")[:64] or None,
        token_hash=token_hash,
        expires_at=expires_at,
    )
    session.add(entry)
    session.flush()
    return entry


CSV_COLUMNS = ("id", "at", "actor", "action", "call_id", "grant_id", "subject", "reason", "client_address")


def _cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(entries: Iterable[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    e.id,
                    e.at,
                    e.actor,
                    e.action.value,
                    e.call_id,
                    e.grant_id,
                    e.subject,
                    e.reason,
                    e.client_address,
                )
            ]
        )
    return out.getvalue()


# Reading the log (administrators) ------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    call_id: int | None = None
    action: AuditAction | None = None
    since: date | None = None
    until: date | None = None  # inclusive


def _query(f: AuditFilter) -> Select[Any]:
    return repo.audit_query(
        actor_id=f.actor_id,
        call_id=f.call_id,
        action=f.action,
        since=datetime.combine(f.since, time(), tzinfo=UTC) if f.since else None,
        until=datetime.combine(f.until + timedelta(days=1), time(), tzinfo=UTC) if f.until else None,
    )


def _require_admin(principal: Principal) -> None:
    if not access.can_manage(principal):
        raise Forbidden("Only administrators read the privacy audit log")


def audit_page(session: Session, principal: Principal, f: AuditFilter, page: PageRequest) -> Page[AuditEntry]:
    """The audit log, newest first, filtered (administrators)."""
    _require_admin(principal)
    query = _query(f)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.offset(page.offset).limit(page.size)))
    return Page(items=items, total=total, request=page)


def audit_csv(session: Session, principal: Principal, f: AuditFilter) -> str:
    """Every row the filter matches, as CSV (administrators)."""
    _require_admin(principal)
    return to_csv(session.scalars(_query(f)))
