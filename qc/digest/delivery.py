"""Posting digests (the worker side): queue what is due, claim, POST, record, retry.

As with the outgoing webhooks: a delivery is claimed with a conditional UPDATE in its own
short transaction, posted with no transaction open, and its outcome recorded only while
the claim still holds, so two workers never post the same delivery at once and a worker
that dies mid-post gives it back when its lease runs out (the attempt counts). The
message is built at the first attempt and kept: every retry posts the same bytes.

A target's URL is a secret (a Slack or Teams webhook, a Telegram bot token): logs and
errors name its host only.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from qc.config import get_settings
from qc.db import session_scope, utcnow
from qc.digest import content, formats, schedule
from qc.digest import repository as repo
from qc.digest.models import DigestDelivery, DigestStatus, DigestTarget, TargetKind
from qc.jobs.queue import enqueue, is_wired
from qc.kit import leases
from qc.kit.http import Posted as Outcome
from qc.kit.http import host_of, post_json
from qc.users import service as users

log = logging.getLogger(__name__)

SEND_TASK = "send_digests"
TIMEOUT_S = 10
MAX_ATTEMPTS = 6
FIRST_RETRY_S = 30
MAX_BACKOFF_S = 1800
LEASE_S = 3 * TIMEOUT_S + 30  # claim and build the message, POST, record
RUN_BUDGET_S = 45.0
USER_AGENT = "qc-digest/1"
RETRYABLE = frozenset({408, 425, 429})  # and every 5xx; other refusals will not change by waiting


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most 30 minutes."""
    return leases.backoff(attempts, first_s=FIRST_RETRY_S, most_s=MAX_BACKOFF_S)


@dataclass(frozen=True)
class Claimed:
    id: int
    token: str
    attempts: int
    kind: TargetKind
    url: str  # secret
    body: bytes


def retryable(outcome: Outcome) -> bool:
    """No answer, a server error or "too many requests": waiting may help."""
    return outcome.status_code is None or outcome.status_code >= 500 or outcome.status_code in RETRYABLE


@dataclass
class RunReport:
    queued: int = 0
    sent: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    hosts: list[str] = field(default_factory=list)


def run(*, now: datetime | None = None, budget_s: float = RUN_BUDGET_S) -> RunReport:
    """The periodic task: queue each team's due digest, then post what is due."""
    at = now or utcnow()
    with session_scope() as session:
        queued = schedule.queue_due(session, now=at, settings=get_settings())
    report = deliver_due(now=now, budget_s=budget_s)
    report.queued = queued
    return report


def deliver_due(
    *, now: datetime | None = None, only: Sequence[int] | None = None, budget_s: float = RUN_BUDGET_S
) -> RunReport:
    """Post the deliveries that are due (among `only`, if given) one by one until none is
    left or `budget_s` has passed."""
    report = RunReport()
    started = time.monotonic()
    while time.monotonic() - started < budget_s:
        claimed = _claim(now or utcnow(), only)
        if claimed is None:
            break
        if claimed is UNBUILT:
            report.failed += 1
            continue
        outcome = post(claimed)
        report.sent += 1
        _record(claimed, outcome, now or utcnow(), report)
    return report


UNBUILT = Claimed(0, "", 0, TargetKind.JSON, "", b"")  # claimed, but its message could not be built


def _claim(now: datetime, only: Sequence[int] | None) -> Claimed | None:
    token = uuid.uuid4().hex
    with session_scope() as session:
        until = now + timedelta(seconds=LEASE_S)
        delivery_id = repo.claim_due(session, now=now, token=token, until=until, only=only)
        delivery = repo.claimed(session, delivery_id, token) if delivery_id else None
        target = repo.get_target(session, delivery.target_id) if delivery else None
        if delivery is None or target is None:
            return None
        if delivery.payload is None:  # the first attempt: the message is built now and kept
            try:
                with session.begin_nested():
                    delivery.payload = message(session, target, delivery.day)
            except Exception:
                # A digest that cannot be built would otherwise come back first in every run.
                log.exception(
                    "digest %s of team %s for %s could not be built",
                    delivery.id,
                    target.team_id,
                    delivery.day,
                )
                delivery.status, delivery.next_attempt_at = DigestStatus.FAILED, None
                delivery.claim_token = delivery.claimed_until = None
                delivery.last_error = "The message could not be built (see the server's log)"
                return UNBUILT
        body = formats.encode(delivery.payload)
        return Claimed(delivery.id, token, delivery.attempts, target.kind, target.url, body)


def message(session: Session, target: DigestTarget, day: Any) -> dict[str, Any]:
    """The payload for `target` of its team's digest of `day`."""
    team = users.get_team(session, target.team_id)
    digest = content.build_digest(session, team, day, settings=get_settings())
    return formats.payload(target.kind, digest, chat_id=target.chat_id)


def post(claimed: Claimed) -> Outcome:
    """POST one digest; any failure becomes an outcome that names the host at most."""
    url = formats.post_url(claimed.kind, claimed.url)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        # The same on every attempt: a receiver that keeps it can drop a repeat after a lost answer.
        "Idempotency-Key": f"qc-digest-{claimed.id}",
    }
    return post_json(url, claimed.body, headers=headers, timeout=TIMEOUT_S)


def retry_delay(outcome: Outcome, attempts: int) -> timedelta | None:
    """How long to wait before the next attempt; None when there is none (sent, refused for
    good, or out of attempts). A Retry-After longer than the backoff is honoured."""
    if outcome.ok or not retryable(outcome) or attempts >= MAX_ATTEMPTS:
        return None
    wait = backoff(attempts)
    return max(wait, timedelta(seconds=outcome.retry_after_s)) if outcome.retry_after_s else wait


def _record(claimed: Claimed, outcome: Outcome, now: datetime, report: RunReport) -> None:
    with session_scope() as session:
        delivery = repo.claimed(session, claimed.id, claimed.token)
        if delivery is None:  # deleted meanwhile, or our lease ran out and another took it
            return
        retry_in = retry_delay(outcome, delivery.attempts)
        if outcome.ok:
            status, report.delivered = DigestStatus.SENT, report.delivered + 1
        elif retry_in is None:
            status, report.failed = DigestStatus.FAILED, report.failed + 1
        else:
            status, report.retrying = DigestStatus.PENDING, report.retrying + 1
        delivery.status, delivery.last_status_code, delivery.last_error = (
            status,
            outcome.status_code,
            outcome.error,
        )
        delivery.next_attempt_at = now + retry_in if retry_in is not None else None
        delivery.sent_at = now if outcome.ok else None
        delivery.claim_token = delivery.claimed_until = None
        _log(delivery, claimed, outcome, retry_in)
    report.hosts.append(host_of(claimed.url))
    if retry_in is not None and retry_in < timedelta(minutes=1):
        kick(delay_s=retry_in.total_seconds())


def _log(delivery: DigestDelivery, claimed: Claimed, outcome: Outcome, retry_in: timedelta | None) -> None:
    host = host_of(claimed.url)
    if outcome.ok:
        log.info(
            "digest %s of team %s for %s posted to %s", delivery.id, delivery.team_id, delivery.day, host
        )
        return
    then = "gave up" if retry_in is None else f"retrying in {int(retry_in.total_seconds())} s"
    log.warning(
        "digest %s of team %s for %s to %s failed on attempt %d: %s; %s",
        delivery.id,
        delivery.team_id,
        delivery.day,
        host,
        claimed.attempts,
        outcome.error,
        then,
    )


def kick(*, delay_s: float = 0) -> None:
    """Queue the sender (the every-minute run covers a lost kick)."""
    if not is_wired():
        return
    try:
        enqueue(SEND_TASK, delay_s=delay_s)
    except Exception:
        log.warning("could not queue the digest sender; the periodic run will post it", exc_info=True)


def queued_rows(session: Session, targets: Sequence[DigestTarget], day: Any, *, trigger: str) -> list[int]:
    """Queue `day` for `targets` now (a person's "send now"); pairs that exist are left alone.
    The ids of the deliveries queued."""
    now = utcnow()
    return repo.insert_deliveries(
        session, [schedule.delivery_row(t, day, trigger=trigger, now=now) for t in targets]
    )
