"""The digest API's bodies."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from qc.digest.manual import SendResult
from qc.digest.models import DigestDelivery, DigestStatus, TargetKind
from qc.digest.service import TargetView
from qc.kit.timeutil import Day


class TargetRead(BaseModel):
    id: int
    kind: TargetKind
    name: str
    url: str = Field(description="Masked: the host and the last characters, never the whole URL")
    enabled: bool


class DeliveryRead(BaseModel):
    id: int
    day: date
    target: TargetRead | None
    trigger: str
    status: DigestStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


class SendRequest(BaseModel):
    date: Day = Field(description="The day whose digest to post: today or before")


class SendResultRead(BaseModel):
    team_id: int
    day: date
    queued: list[TargetRead] = Field(description="Targets the digest is being posted to now")
    already: list[TargetRead] = Field(description="Targets that had it already (sent or queued): left alone")
    message: str


def target_read(view: TargetView) -> TargetRead:
    return TargetRead(id=view.id, kind=view.kind, name=view.name, url=view.masked_url, enabled=view.enabled)


def delivery_read(row: DigestDelivery, target: TargetView | None) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        day=row.day,
        target=target_read(target) if target else None,
        trigger=row.trigger,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
    )


def send_result_read(result: SendResult) -> SendResultRead:
    return SendResultRead(
        team_id=result.team.id,
        day=result.day,
        queued=[target_read(t) for t in result.queued],
        already=[target_read(t) for t, _ in result.already],
        message=result.message,
    )
