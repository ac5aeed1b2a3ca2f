"""The call pipeline: leases, stages, failures and the reaper.

The database is the source of truth; the queue only says "look at call N". A worker
claims a stage with a conditional UPDATE that also writes a lease (token + expiry),
does the heavy work outside any transaction while a heartbeat renews the lease,
and stores the result in one transaction that succeeds only if it still holds the
lease; the same transaction claims the next stage, so a call is never between
stages with nobody holding it. A worker that dies stops heart-beating: its lease
runs out within `lease_seconds`, the reaper (every few seconds) hands the call
back, and the next worker to take a task resumes such calls before new ones. Each
stage replaces its own previous output, so running it twice leaves exactly one result.

The stages themselves belong to the domains above calls (transcription, scoring); the
composition module (`qc.wiring`) hands them to `set_stages` at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.config import Settings, get_settings
from qc.db import session_scope, utcnow
from qc.errors import AudioError, InvalidTransition, QCError
from qc.jobs.queue import enqueue_after_commit

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 1000


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline. `run` does the work outside any transaction; `store`
    writes its output (replacing an earlier one) inside the completing transaction."""

    name: str
    ready: CallStatus
    running: CallStatus
    done: CallStatus
    run: Callable[[int], Any]
    store: Callable[[Session, Call, Any], None]


class PermanentFailure(QCError):
    """Retrying the stage on the same input cannot succeed (bad audio, unsupported language)."""


_PERMANENT = (AudioError, PermanentFailure)


PROCESS_TASK = "process_call"
_stages: list[Stage] = []


def set_stages(stages: list[Stage]) -> None:
    """The pipeline's stages, in order (the composition module calls this)."""
    _stages[:] = stages


def stages() -> list[Stage]:
    if not _stages:
        raise RuntimeError("the call pipeline has no stages: call qc.wiring.wire() at start-up")
    return list(_stages)


def stage_named(name: str) -> Stage:
    for stage in stages():
        if stage.name == name:
            return stage
    raise KeyError(name)


def _stage_for_status(status: CallStatus) -> Stage | None:
    return next((s for s in stages() if status in (s.ready, s.running)), None)


# Scheduling ------------------------------------------------------------------


def schedule(session: Session, call: Call, *, delay_s: float = 0) -> None:
    """Ask a worker to look at `call` once the current transaction has committed."""
    call.enqueued_at = utcnow() + timedelta(seconds=delay_s)  # when the queue hands it out
    enqueue_after_commit(session, PROCESS_TASK, call.id, delay_s=delay_s)


def retry(session: Session, call: Call) -> None:
    """Put a failed call back at the start of the stage that failed."""
    if call.status is not CallStatus.FAILED:
        raise InvalidTransition(f"Only failed calls can be retried; this call is {call.status.value}")
    stage = stage_named(call.failed_stage) if call.failed_stage else stages()[0]
    call.status = stage.ready
    call.failure_reason = None
    call.failed_stage = None
    call.attempts = 0
    call.lease_token = None
    call.lease_expires_at = None
    schedule(session, call)


# Claiming and leases -----------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    call_id: int
    token: str
    stage: Stage
    attempt: int
    max_seconds: float  # heart-beating stops after this: a hung stage is then reaped


def claim(session: Session, call_id: int, *, settings: Settings, now: datetime | None = None) -> Lease | None:
    """Take the call's next stage if nobody holds it; None when there is nothing to do."""
    now = now or utcnow()
    # Lock the row: a worker completing the stage meanwhile must not be overwritten.
    call = session.get(Call, call_id, with_for_update=True)
    if call is None:
        return None
    stage = _stage_for_status(call.status)
    if stage is None:
        return None
    lease_expired = call.lease_expires_at is not None and call.lease_expires_at < now
    if call.status is stage.running and not lease_expired:
        return None  # another worker holds it
    if call.attempts >= settings.max_attempts:
        _give_up(session, call, stage)
        return None
    token = uuid.uuid4().hex
    max_seconds = settings.stage_timeout_seconds(call.duration_s)
    result = session.execute(
        update(Call)
        .where(
            Call.id == call_id,
            or_(
                Call.status == stage.ready,
                and_(Call.status == stage.running, Call.lease_expires_at < now),
            ),
            Call.attempts < settings.max_attempts,
        )
        .values(
            status=stage.running,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=settings.lease_seconds),
            attempts=Call.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return Lease(
        call_id=call_id, token=token, stage=stage, attempt=call.attempts + 1, max_seconds=max_seconds
    )


def claim_resumable(session: Session, *, settings: Settings, now: datetime | None = None) -> Lease | None:
    """Take the call that has waited longest to resume, if any: one whose worker died
    (the reaper handed it back) or whose failed attempt has waited its backoff.

    Workers take these before the call their task names, so a call whose worker died is
    not put behind every call queued since.
    """
    now = now or utcnow()
    call_id = session.scalar(
        select(Call.id)
        .where(Call.status.in_([s.ready for s in stages()]), Call.attempts > 0, Call.enqueued_at <= now)
        .order_by(Call.enqueued_at, Call.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return None if call_id is None else claim(session, call_id, settings=settings, now=now)


def extend_lease(session: Session, lease: Lease, *, seconds: int) -> bool:
    result = session.execute(
        update(Call)
        .where(Call.id == lease.call_id, Call.lease_token == lease.token)
        .values(lease_expires_at=utcnow() + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _held(session: Session, lease: Lease) -> Call | None:
    """The call, locked for update, if `lease` still holds it."""
    return session.scalar(
        select(Call).where(Call.id == lease.call_id, Call.lease_token == lease.token).with_for_update()
    )


def complete(session: Session, lease: Lease, output: Any) -> bool:
    """Store the stage's output and advance the call; False if the lease was lost.

    The caller claims the next stage in the same transaction (see `_run_stage`)."""
    call = _held(session, lease)
    if call is None:
        return False
    lease.stage.store(session, call, output)
    call.status = lease.stage.done
    call.lease_token = None
    call.lease_expires_at = None
    call.attempts = 0
    call.failure_reason = None
    call.failed_stage = None
    return True


def fail(session: Session, lease: Lease, reason: str, *, permanent: bool, settings: Settings) -> bool:
    """Record a failure: final when permanent or out of attempts, else back in line."""
    call = _held(session, lease)
    if call is None:
        return False
    call.lease_token = None
    call.lease_expires_at = None
    if permanent or call.attempts >= settings.max_attempts:
        _mark_failed(call, lease.stage, reason)
    else:
        call.status = lease.stage.ready
        call.failure_reason = f"Attempt {call.attempts} failed, retrying: {reason}"[:MAX_REASON_LENGTH]
        schedule(session, call, delay_s=min(600, 30 * 2 ** (call.attempts - 1)))
    return True


def _mark_failed(call: Call, stage: Stage, reason: str) -> None:
    call.status = CallStatus.FAILED
    call.failed_stage = stage.name
    call.failure_reason = reason[:MAX_REASON_LENGTH]


def _give_up(session: Session, call: Call, stage: Stage) -> None:
    _mark_failed(
        call,
        stage,
        f"{stage.name.capitalize()} did not finish after {call.attempts} attempts "
        "(the worker stopped or crashed each time); retry once the cause is fixed",
    )
    call.lease_token = None
    call.lease_expires_at = None


# Running -------------------------------------------------------------------------


@contextmanager
def heartbeat(lease: Lease, settings: Settings) -> Iterator[None]:
    """Keep extending the lease while the body runs, for at most `lease.max_seconds`."""
    stop = threading.Event()
    deadline = time.monotonic() + lease.max_seconds

    def beat() -> None:
        while not stop.wait(max(1.0, settings.lease_seconds / 3)):
            if time.monotonic() > deadline:
                log.error(
                    "call %s: %s is taking too long; letting its lease run out",
                    lease.call_id,
                    lease.stage.name,
                )
                return
            try:
                with session_scope() as session:
                    if not extend_lease(session, lease, seconds=settings.lease_seconds):
                        return
            except Exception:
                log.exception("lease heartbeat failed for call %s", lease.call_id)

    thread = threading.Thread(target=beat, name=f"lease-{lease.call_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def process_call(call_id: int, *, settings: Settings | None = None) -> CallStatus | None:
    """Run every stage `call_id` is ready for, the queue's task body; but first resume a
    call whose worker died, if one waits, and queue `call_id` again. Returns the status of
    `call_id`."""
    settings = settings or get_settings()
    with session_scope() as session:
        lease = claim_resumable(session, settings=settings)
        if lease is not None and lease.call_id != call_id:
            # Queued again in the same transaction: a worker killed while it resumes the
            # other call must not take this call's only dispatch with it.
            call = session.get(Call, call_id)
            if call is not None and call.status in {s.ready for s in stages()}:
                schedule(session, call)
    if lease is None:
        with session_scope() as session:
            lease = claim(session, call_id, settings=settings)
    _run_stages(lease, settings)
    with session_scope() as session:
        call = session.get(Call, call_id)
        return call.status if call else None


def _run_stages(lease: Lease | None, settings: Settings) -> None:
    """Run the claimed stage and each one after it until the call is done or waits."""
    while lease is not None:
        log.info("call %s: %s attempt %s", lease.call_id, lease.stage.name, lease.attempt)
        lease = _run_stage(lease, settings)


def _run_stage(lease: Lease, settings: Settings) -> Lease | None:
    """Run one claimed stage; the lease on the next stage if its result was stored."""
    try:
        with heartbeat(lease, settings):
            output = lease.stage.run(lease.call_id)
    except _PERMANENT as exc:
        _record_failure(lease, exc.message, permanent=True, settings=settings)
        return None
    except QCError as exc:
        _record_failure(lease, exc.message, permanent=exc.status_code < 500, settings=settings)
        return None
    except Exception as exc:
        # The details (paths, hosts, SQL) go to the log, not to the people reading the call.
        log.exception("call %s: %s failed", lease.call_id, lease.stage.name)
        reason = (
            f"{lease.stage.name.capitalize()} failed unexpectedly ({type(exc).__name__}); see the worker log"
        )
        _record_failure(lease, reason, permanent=False, settings=settings)
        return None
    with session_scope() as session:
        if not complete(session, lease, output):
            log.warning("call %s: lease lost during %s; result discarded", lease.call_id, lease.stage.name)
            return None
        # Claimed in the completing transaction: a worker dying now leaves a lease that
        # runs out, never a call between stages that nobody holds or has queued.
        return claim(session, lease.call_id, settings=settings)


def _record_failure(lease: Lease, reason: str, *, permanent: bool, settings: Settings) -> None:
    with session_scope() as session:
        fail(session, lease, reason, permanent=permanent, settings=settings)


# Reaper ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReapReport:
    expired: list[int]
    requeued: list[int]
    failed: list[int]


def reap(
    session: Session, *, settings: Settings, queue_idle: bool = True, now: datetime | None = None
) -> ReapReport:
    """Hand back calls whose worker died, and re-dispatch calls the queue lost.

    A call waiting longer than `requeue_after_seconds` is re-dispatched only when the
    queue is idle: while a backlog drains, a waiting call is most likely still in it.
    """
    now = now or utcnow()
    expired: list[int] = []
    failed: list[int] = []
    requeued: list[int] = []
    running = [s.running for s in stages()]
    for call in session.scalars(
        select(Call).where(Call.status.in_(running), Call.lease_expires_at < now).with_for_update()
    ):
        stage = _stage_for_status(call.status)
        assert stage is not None
        if call.attempts >= settings.max_attempts:
            _give_up(session, call, stage)
            failed.append(call.id)
            continue
        log.warning(
            "call %s: the worker running %s stopped (its lease ran out); handing the call on",
            call.id,
            stage.name,
        )
        call.status = stage.ready
        call.lease_token = None
        call.lease_expires_at = None
        schedule(session, call)
        expired.append(call.id)
    if not queue_idle:
        return ReapReport(expired=expired, requeued=requeued, failed=failed)
    stale = now - timedelta(seconds=settings.requeue_after_seconds)
    ready = [s.ready for s in stages()]
    for call in session.scalars(
        select(Call).where(Call.status.in_(ready), or_(Call.enqueued_at.is_(None), Call.enqueued_at < stale))
    ):
        schedule(session, call)
        requeued.append(call.id)
    return ReapReport(expired=expired, requeued=requeued, failed=failed)
