"""Domain events through an outbox: record the fact first, deliver it later, never lose it.

A service calls `emit(session, "evaluation.submitted", {...})` inside its transaction, so
the event exists exactly when the change does. After the commit a quick task dispatches
pending events to the handlers the composition module subscribed (`subscribe`); a
periodic sweep and every worker start catch what a dead worker left behind.

Each handler runs in a transaction that also writes its receipt (`event_handled`), so
its effects and the fact that it ran commit together: delivery is at least once, the
effect of a handler exactly once. A handler that fails is retried with backoff without
holding up the others.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qc.db import after_commit, after_rollback, session_scope, utcnow
from qc.jobs.models import Event, EventHandled
from qc.jobs.queue import enqueue_after_commit, is_wired

log = logging.getLogger(__name__)

DISPATCH_TASK = "dispatch_events"
CLAIM_SECONDS = 120  # a dispatcher that dies gives its batch back after this
MAX_BACKOFF_S = 3600
_KICK_KEY = "qc_events_kick"


@dataclass(frozen=True)
class EventRecord:
    """What handlers receive: an event as it was committed."""

    id: int
    key: str
    type: str
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[Session, EventRecord], None]


@dataclass(frozen=True)
class Subscription:
    name: str  # the receipt's key: renaming a handler makes it see old events again
    types: frozenset[str]  # "*" for every event
    handler: Handler

    def wants(self, event_type: str) -> bool:
        return "*" in self.types or event_type in self.types


_subscriptions: dict[str, Subscription] = {}


def subscribe(name: str, types: Sequence[str], handler: Handler) -> None:
    """Have `handler` run for each event of `types` (the composition module calls this)."""
    if name in _subscriptions and _subscriptions[name].handler is not handler:
        raise ValueError(f"an event handler named {name!r} is already subscribed")
    _subscriptions[name] = Subscription(name, frozenset(types), handler)


def subscriptions() -> list[Subscription]:
    return list(_subscriptions.values())


def emit(session: Session, event_type: str, payload: dict[str, Any]) -> Event:
    """Record an event in the current transaction; it is dispatched after the commit."""
    event = Event(key=uuid.uuid4().hex, type=event_type, payload=payload, created_at=utcnow())
    session.add(event)
    if is_wired() and not session.info.get(_KICK_KEY):
        session.info[_KICK_KEY] = True
        enqueue_after_commit(session, DISPATCH_TASK)
        # The flag belongs to this transaction only.
        after_commit(session, lambda: session.info.pop(_KICK_KEY, None))
        after_rollback(session, lambda: session.info.pop(_KICK_KEY, None))
    return event


# Dispatching ----------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    dispatched: int = 0  # events whose every handler has run
    handled: int = 0  # handler runs that committed
    failed: int = 0  # handler runs that raised (retried later)
    errors: list[str] = field(default_factory=list)


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_S, 5 * 2 ** max(0, attempt - 1)))


def dispatch_pending(
    *, batch: int = 500, max_batches: int = 200, now: datetime | None = None
) -> DispatchReport:
    """Hand pending events to their handlers, including the events those handlers emit,
    until none is left (or `max_batches`: the next run goes on); the task body of
    `dispatch_events`."""
    report = DispatchReport()
    for _ in range(max_batches):
        token, events = _claim(batch, now or utcnow())
        if not events:
            break
        if not _run_batch(token, events, report):
            for event in events:
                _run_one(token, event, report)
    return report


def _pending(now: datetime) -> Any:
    return and_(
        Event.dispatched_at.is_(None),
        or_(Event.next_attempt_at.is_(None), Event.next_attempt_at <= now),
        or_(Event.claimed_until.is_(None), Event.claimed_until < now),
    )


def _claim(limit: int, now: datetime) -> tuple[str, list[EventRecord]]:
    """Take up to `limit` pending events, oldest first, for this dispatcher."""
    token = uuid.uuid4().hex
    with session_scope() as session:
        ids = list(
            session.scalars(
                select(Event.id)
                .where(_pending(now))
                .order_by(Event.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return token, []
        session.execute(
            update(Event)
            .where(Event.id.in_(ids), _pending(now))
            .values(claim_token=token, claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(Event.id, Event.key, Event.type, Event.payload, Event.created_at)
            .where(Event.id.in_(ids), Event.claim_token == token)  # by key: claim_token has no index
            .order_by(Event.id)
        ).all()
    return token, [EventRecord(*row) for row in rows]


def _receipts(session: Session, ids: list[int]) -> set[tuple[int, str]]:
    rows = session.execute(
        select(EventHandled.event_id, EventHandled.handler).where(EventHandled.event_id.in_(ids))
    )
    return {(event_id, handler) for event_id, handler in rows}


def _run_batch(token: str, events: list[EventRecord], report: DispatchReport) -> bool:
    """Every handler of every event in one transaction: the fast path. False if any
    handler failed (nothing of the batch is kept; each event is then run alone)."""
    ids = [e.id for e in events]
    runs = 0
    try:
        with session_scope() as session:
            done = _receipts(session, ids)
            todo = [
                (event, sub)
                for event in events
                for sub in _subscriptions.values()
                if sub.wants(event.type) and (event.id, sub.name) not in done
            ]
            if todo:
                session.execute(
                    insert(EventHandled),
                    [{"event_id": e.id, "handler": s.name, "handled_at": utcnow()} for e, s in todo],
                )
            for event, sub in todo:
                sub.handler(session, event)
            runs = len(todo)
            _finish(session, token, ids)
    except Exception:
        log.debug("event batch failed; handling its events one at a time", exc_info=True)
        return False
    report.dispatched += len(events)
    report.handled += runs
    return True


def _run_one(token: str, event: EventRecord, report: DispatchReport) -> None:
    """Each handler of one event in its own transaction, so one failure holds up no other."""
    errors: list[str] = []
    for sub in list(_subscriptions.values()):
        if not sub.wants(event.type):
            continue
        try:
            with session_scope() as session:
                if not _take_receipt(session, event.id, sub.name):
                    continue  # handled already, or by another dispatcher meanwhile
                sub.handler(session, event)
            report.handled += 1
        except Exception as exc:
            log.exception("event %s (%s): handler %s failed", event.id, event.type, sub.name)
            errors.append(f"{sub.name}: {type(exc).__name__}: {exc}"[:500])
    with session_scope() as session:
        if errors:
            _retry_later(session, token, event.id, "; ".join(errors))
            report.failed += len(errors)
            report.errors.extend(errors)
        else:
            _finish(session, token, [event.id])
            report.dispatched += 1


def _take_receipt(session: Session, event_id: int, handler: str) -> bool:
    """Write the handler's receipt first: False if one exists (the handler must not run)."""
    if session.get(EventHandled, (event_id, handler)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(EventHandled(event_id=event_id, handler=handler, handled_at=utcnow()))
            session.flush()
    except IntegrityError:
        return False
    return True


def _finish(session: Session, token: str, ids: list[int]) -> None:
    session.execute(
        update(Event)
        .where(Event.id.in_(ids), Event.claim_token == token)
        .values(dispatched_at=utcnow(), claim_token=None, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def _retry_later(session: Session, token: str, event_id: int, error: str) -> None:
    event = session.get(Event, event_id)
    if event is None or event.claim_token != token:
        return
    event.attempts += 1
    event.next_attempt_at = utcnow() + backoff(event.attempts)
    event.last_error = error[:2000]
    event.claim_token = None
    event.claimed_until = None


# Reading and housekeeping -----------------------------------------------------------------------


def pending_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))) or 0
    )


def purge_dispatched(session: Session, *, older_than: datetime) -> int:
    """Delete dispatched events (and their receipts) older than `older_than`."""
    old = select(Event.id).where(Event.dispatched_at.is_not(None), Event.created_at < older_than)
    session.execute(delete(EventHandled).where(EventHandled.event_id.in_(old)))
    result = session.execute(delete(Event).where(Event.id.in_(old)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
