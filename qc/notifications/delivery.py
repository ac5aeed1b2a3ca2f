"""Sending webhook deliveries (the worker side): claim, POST, record, retry with backoff.

A delivery is claimed with a conditional UPDATE in its own short transaction, sent with no
transaction open, and its outcome recorded only while the claim still holds: two workers
never send the same delivery at once, and a worker that dies mid-send gives it back when
its lease runs out (the attempt counts). Receivers deduplicate on `Idempotency-Key`, the
event's key, which stays the same on every attempt.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from qc.config import get_settings
from qc.db import session_scope, utcnow
from qc.jobs.queue import enqueue, is_wired
from qc.kit import leases
from qc.kit.http import post_json
from qc.notifications import repository as repo
from qc.notifications.models import DeliveryStatus, WebhookDelivery
from qc.notifications.webhooks import DELIVER_TASK, host_of, signature

log = logging.getLogger(__name__)

TIMEOUT_S = 10
MAX_ATTEMPTS = 12
FIRST_RETRY_S = 10
MAX_BACKOFF_S = 3600
LEASE_S = 3 * TIMEOUT_S  # claim, POST (at most TIMEOUT_S), record
RUN_BUDGET_S = 45.0  # one run stops taking new deliveries after this (a periodic run per minute)
USER_AGENT = "qc-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """10 s after the first failure, doubling, at most an hour."""
    return leases.backoff(attempts, first_s=FIRST_RETRY_S, most_s=MAX_BACKOFF_S)


@dataclass(frozen=True)
class Claimed:
    """What sending needs, read while claiming: nothing of it is logged but the host."""

    id: int
    token: str
    attempts: int
    url: str
    secret: str
    event_key: str
    event_type: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class DeliveryReport:
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    hosts: list[str] = field(default_factory=list)


def deliver_due(
    *, now: datetime | None = None, limit: int = 200, budget_s: float = RUN_BUDGET_S
) -> DeliveryReport:
    """Send the deliveries that are due (at `now`, default the present) one by one, until none
    is left, `limit` were sent or `budget_s` has passed; the body of `deliver_webhooks` and of
    the retry sweep."""
    report = DeliveryReport()
    started = time.monotonic()
    while report.sent < limit and time.monotonic() - started < budget_s:
        at = now or utcnow()
        claimed = _claim(at)
        if claimed is None:
            break
        outcome = send(claimed)
        report.sent += 1
        _record(claimed, outcome, now or utcnow(), report)
    return report


def _claim(now: datetime) -> Claimed | None:
    token = uuid.uuid4().hex
    with session_scope() as session:
        delivery_id = repo.claim_due_delivery(
            session, now=now, token=token, until=now + timedelta(seconds=LEASE_S)
        )
        delivery = repo.claimed_delivery(session, delivery_id, token) if delivery_id else None
        endpoint = repo.get_endpoint(session, delivery.endpoint_id) if delivery else None
        if delivery is None or endpoint is None:
            return None
        return Claimed(
            id=delivery.id,
            token=token,
            attempts=delivery.attempts,
            url=endpoint.url,
            secret=endpoint.secret,
            event_key=delivery.event_key,
            event_type=delivery.event_type,
            body=body_of(delivery),
        )


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON the receiver gets, byte for byte what the signature covers."""
    document = {
        "id": delivery.event_key,
        "type": delivery.event_type,
        "created_at": delivery.event_created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def send(claimed: Claimed) -> Outcome:
    """POST one delivery; any failure becomes an outcome (what failed, the host at most)."""
    headers = {
        "User-Agent": USER_AGENT,
        "X-QC-Event": claimed.event_type,
        "X-QC-Delivery": str(claimed.id),
        "Idempotency-Key": claimed.event_key,
        "X-QC-Signature": signature(claimed.secret, int(time.time()), claimed.body),
    }
    posted = post_json(claimed.url, claimed.body, headers=headers, timeout=TIMEOUT_S)
    return Outcome(posted.status_code, posted.error)


def _record(claimed: Claimed, outcome: Outcome, now: datetime, report: DeliveryReport) -> None:
    host = host_of(claimed.url)
    retry_in: timedelta | None = None
    with session_scope() as session:
        delivery = repo.claimed_delivery(session, claimed.id, claimed.token)
        if delivery is None:  # deleted meanwhile, or our lease ran out and another took it
            return
        delivery.claim_token, delivery.claimed_until = None, None
        delivery.last_status_code = outcome.status_code
        if outcome.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
            delivery.next_attempt_at, delivery.last_error = None, None
            report.delivered += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            delivery.last_error = outcome.error
            report.failed += 1
        else:
            retry_in = backoff(delivery.attempts)
            delivery.next_attempt_at, delivery.last_error = now + retry_in, outcome.error
            report.retrying += 1
    report.hosts.append(host)
    if outcome.ok:
        log.info("webhook %s (%s) delivered to %s", claimed.id, claimed.event_type, host)
    else:
        log.warning(
            "webhook %s (%s) to %s failed on attempt %d: %s%s",
            claimed.id,
            claimed.event_type,
            host,
            claimed.attempts,
            outcome.error,
            "" if retry_in is None else f"; retrying in {int(retry_in.total_seconds())} s",
        )
    if retry_in is not None and retry_in < timedelta(minutes=1):
        _retry_soon(retry_in)


def _retry_soon(delay: timedelta) -> None:
    """Short backoffs run on time; the every-minute sweep covers the longer ones (and this)."""
    if not is_wired():
        return
    try:
        enqueue(DELIVER_TASK, delay_s=delay.total_seconds())
    except Exception:
        log.warning("could not schedule a webhook retry; the sweep will send it", exc_info=True)


def purge_deliveries() -> int:
    """Delete finished deliveries older than the event retention (the hourly housekeeping)."""
    days = get_settings().event_retention_days
    with session_scope() as session:
        return repo.purge_deliveries(session, older_than=utcnow() - timedelta(days=days))
