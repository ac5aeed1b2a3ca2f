"""The API shapes of notices."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from qc.notifications.models import Notification


class NotificationRead(BaseModel):
    id: int
    kind: str = Field(description="e.g. evaluation_released, dispute_opened")
    subject: str = Field(description="What it is about, e.g. evaluation:12")
    text: str
    url: str = Field(description="Where to deal with it (a path on this site)")
    created_at: datetime
    read_at: datetime | None
    cleared_at: datetime | None = Field(description="Set once what it asked for was done")
    unread: bool


class NotificationList(BaseModel):
    items: list[NotificationRead]
    total: int
    page: int
    pages: int
    unread: int = Field(description="Unread notices in the inbox (not cleared), on every page")


def notification_read(notification: Notification, url: str) -> NotificationRead:
    return NotificationRead(
        id=notification.id,
        kind=notification.kind,
        subject=notification.subject,
        text=notification.text,
        url=url,
        created_at=notification.created_at,
        read_at=notification.read_at,
        cleared_at=notification.cleared_at,
        unread=notification.is_unread,
    )
