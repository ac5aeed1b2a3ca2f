"""The inbox: who gets which notice, reading them, marking them read, clearing them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from qc.db import utcnow
from qc.errors import NotFound
from qc.kit.pagination import Page, PageRequest
from qc.notifications import access
from qc.notifications import repository as repo
from qc.notifications.models import Notification
from qc.users.schemas import Principal

MAX_TEXT = 500


@dataclass(frozen=True)
class Link:
    """Where a notice leads: a route name and its parameters, resolved when it is shown (so
    a notice outlives a change of URL), and an optional anchor on that page."""

    route: str
    params: dict[str, Any] = field(default_factory=dict)
    anchor: str | None = None


@dataclass(frozen=True)
class Inbox:
    page: Page[Notification]
    unread: int
    done: bool  # the page lists cleared notices


def inbox(session: Session, principal: Principal, *, done: bool = False, page: PageRequest) -> Inbox:
    """`principal`'s open notices (unread first, then newest), or the cleared ones."""
    return Inbox(
        page=repo.list_page(session, principal.id, done=done, page=page),
        unread=repo.count_unread(session, principal.id),
        done=done,
    )


def unread_count(session: Session, principal: Principal) -> int:
    """How many of `principal`'s notices are neither read nor cleared (one indexed COUNT)."""
    return repo.count_unread(session, principal.id)


def get_notification(session: Session, principal: Principal, notification_id: int) -> Notification:
    """`principal`'s own notice; anybody else's reads like a missing one."""
    notification = repo.get_notification(session, notification_id)
    if notification is None or not access.owns(principal, notification):
        raise NotFound(f"Notification {notification_id} does not exist; it may have been removed")
    return notification


def mark_read(
    session: Session, principal: Principal, notification_id: int, *, now: datetime | None = None
) -> Notification:
    """Mark one of `principal`'s notices read (NotFound for anybody else's)."""
    notification = get_notification(session, principal, notification_id)
    if notification.read_at is None:
        notification.read_at = now or utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, principal: Principal, *, now: datetime | None = None) -> int:
    """Mark every notice of `principal` read; how many were unread."""
    return repo.mark_all_read(session, principal.id, now or utcnow())


# Writing notices (event handlers) -----------------------------------------------------------------


def notify(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    subject: str,
    text: str,
    link: Link,
    event_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Give each person a notice unless they already have this one (same kind and subject,
    read, cleared or not): running it again changes nothing. How many were new."""
    at = now or utcnow()
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "subject": subject,
            "text": _shorten(text),
            "link_route": link.route,
            "link_params": link.params,
            "link_anchor": link.anchor,
            "event_id": event_id,
            "created_at": at,
        }
        for user_id in dict.fromkeys(user_ids)
    ]
    return repo.insert_ignoring_duplicates(session, Notification, rows)


def clear(
    session: Session,
    *,
    kinds: Iterable[str],
    subject: str,
    user_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Move the open notices of `kinds` about `subject` to "done" (of one person, or of
    everybody): what they asked for has happened. How many were cleared."""
    return repo.clear(session, kinds=kinds, subject=subject, user_id=user_id, now=now or utcnow())


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"
