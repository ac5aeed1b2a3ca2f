"""The outbox: events commit with the change, handlers run after the commit, once each."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.db import session_scope, utcnow
from qc.jobs import events
from qc.jobs.events import EventRecord
from qc.jobs.models import Event, EventHandled
from qc.jobs.queue import Lane, drain, pending


@pytest.fixture
def handlers(monkeypatch: Any) -> dict[str, events.Subscription]:
    """Only the handlers a test subscribes; the real ones come back afterwards."""
    chosen: dict[str, events.Subscription] = {}
    monkeypatch.setattr(events, "_subscriptions", chosen)
    return chosen


def echo(session: Session, event: EventRecord) -> None:
    """A handler whose effect is a row: it answers each ping with an echo event."""
    events.emit(session, "test.echo", {"of": event.id})


def count(db: Session, event_type: str) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(Event).where(Event.type == event_type)) or 0)


def ping(n: int = 1) -> list[int]:
    with session_scope() as session:
        rows = [events.emit(session, "test.ping", {"n": i}) for i in range(n)]
        session.flush()
        return [row.id for row in rows]


def test_an_event_exists_only_if_its_transaction_commits(db: Session) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        events.emit(session, "test.ping", {})
        raise RuntimeError("the change failed")
    assert count(db, "test.ping") == 0
    ping()
    assert count(db, "test.ping") == 1


def test_commit_kicks_one_dispatch_on_the_quick_lane(db: Session) -> None:
    with session_scope() as session:
        for _ in range(3):
            events.emit(session, "test.ping", {})
    assert pending(Lane.QUICK) == 1
    assert pending(Lane.PIPELINE) == 0


def test_each_handler_runs_once_per_event(db: Session, handlers: Any) -> None:
    seen: list[int] = []
    events.subscribe("echo", ["test.ping"], echo)
    events.subscribe("count", ["test.ping"], lambda session, event: seen.append(event.id))
    ids = ping(3)

    report = events.dispatch_pending()
    again = events.dispatch_pending()

    assert sorted(seen) == ids
    assert count(db, "test.echo") == 3
    assert (report.dispatched, report.handled) == (6, 6)  # 3 pings, then their 3 echoes
    assert again.handled == 0
    assert db.scalar(select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))) == 0


def test_a_failing_handler_is_retried_later_without_holding_up_the_others(db: Session, handlers: Any) -> None:
    receiver = {"down": True}

    def flaky(session: Session, event: EventRecord) -> None:
        events.emit(session, "test.flaky_effect", {})  # rolled back with the failure
        if receiver["down"]:
            raise ConnectionError("the receiver is down")

    events.subscribe("echo", ["test.ping"], echo)
    events.subscribe("flaky", ["test.ping"], flaky)
    ping()

    first = events.dispatch_pending()
    assert first.failed == 1 and "ConnectionError" in first.errors[0]
    assert count(db, "test.echo") == 1, "the healthy handler ran"
    assert count(db, "test.flaky_effect") == 0, "the failed handler's writes were rolled back"
    event = db.scalar(select(Event).where(Event.type == "test.ping"))
    assert event is not None and event.dispatched_at is None and event.attempts == 1
    assert event.next_attempt_at is not None and event.next_attempt_at > utcnow()

    receiver["down"] = False
    assert events.dispatch_pending().handled == 0, "the ping waits for its retry time"
    events.dispatch_pending(now=utcnow() + timedelta(seconds=10))

    assert count(db, "test.echo") == 1, "the healthy handler is not run again"
    assert count(db, "test.flaky_effect") == 1


def test_concurrent_dispatchers_handle_each_event_once(db: Session, handlers: Any) -> None:
    events.subscribe("echo", ["test.ping"], echo)
    ping(200)
    barrier = threading.Barrier(4)

    def dispatcher() -> None:
        barrier.wait()
        events.dispatch_pending(batch=20)

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert count(db, "test.echo") == 200
    receipts = db.scalar(select(func.count()).select_from(EventHandled).where(EventHandled.handler == "echo"))
    assert receipts == 200


def test_an_event_claimed_by_a_dead_dispatcher_is_dispatched_after_its_claim_expires(
    db: Session, handlers: Any
) -> None:
    events.subscribe("echo", ["test.ping"], echo)
    ping()
    _token, claimed = events._claim(10, utcnow())  # a dispatcher took it, then died
    assert len(claimed) == 1

    assert events.dispatch_pending().handled == 0
    later = utcnow() + timedelta(seconds=events.CLAIM_SECONDS + 1)
    assert events.dispatch_pending(now=later).handled == 1
    assert count(db, "test.echo") == 1


def test_the_quick_lane_dispatches_what_was_committed(db: Session, handlers: Any) -> None:
    events.subscribe("echo", ["test.ping"], echo)
    ping()
    drain(lanes=[Lane.QUICK])
    assert count(db, "test.echo") == 1


def test_old_dispatched_events_are_purged(db: Session, handlers: Any) -> None:
    events.subscribe("echo", ["test.ping"], echo)
    ping()
    events.dispatch_pending()
    with session_scope() as session:
        assert events.purge_dispatched(session, older_than=utcnow() - timedelta(days=1)) == 0
        assert events.purge_dispatched(session, older_than=utcnow() + timedelta(seconds=1)) == 2
    assert count(db, "test.ping") == 0


def test_a_handler_failing_with_an_integrity_error_is_retried_not_dropped(db: Session, handlers: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    def clashing(session: Session, event: EventRecord) -> None:
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key in the handler's own table"))

    events.subscribe("clashing", ["test.ping"], clashing)
    ping()
    report = events.dispatch_pending()
    assert report.failed == 1 and report.dispatched == 0
    event = db.scalar(select(Event).where(Event.type == "test.ping"))
    assert event is not None and event.dispatched_at is None and "IntegrityError" in (event.last_error or "")
    assert db.scalar(select(func.count()).select_from(EventHandled)) == 0
