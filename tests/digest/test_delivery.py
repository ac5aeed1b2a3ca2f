"""Posting the evening digest: once per target and day whatever the number of workers and
restarts, late (once) after an outage, at 21:00 local across daylight-saving changes,
retried with backoff, and the URLs (secrets) kept out of logs."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from qc.config import get_settings
from qc.db import session_scope
from qc.digest import delivery, schedule, service
from qc.digest.models import DigestStatus
from qc.kit.http import Posted, host_of
from tests.digest.conftest import SECRETS, add_target, deliveries, set_schedule, set_timezone
from tests.factories import Org
from tests.notifications.conftest import Receiver

BUCHAREST = ZoneInfo("Europe/Bucharest")
MONDAY = date(2026, 11, 23)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Bucharest wall-clock time as the UTC instant the worker sees."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BUCHAREST).astimezone(UTC)


@pytest.fixture
def four(db: Session, org: Org, receivers: Callable[[str], Receiver]) -> dict[str, Receiver]:
    """Alpha (Bucharest) posts to one receiver of each kind, added on Monday at noon."""
    set_timezone(db, org, org.team, "Europe/Bucharest")
    found = {kind: receivers(kind) for kind in ("slack", "teams", "telegram", "json")}
    for kind, receiver in found.items():
        add_target(db, org.team, kind, receiver.url, created_at=local(MONDAY, 12))
    return found


def bodies(receiver: Receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests]


def race(workers: int, now: datetime) -> list[delivery.RunReport]:
    """`workers` threads running the periodic task at the same moment."""
    barrier = threading.Barrier(workers)
    reports: list[delivery.RunReport] = []

    def work() -> None:
        barrier.wait()
        reports.append(delivery.run(now=now))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return reports


def test_two_workers_and_a_restart_across_21_00_post_once_per_target_and_day(
    db: Session, org: Org, four: dict[str, Receiver]
) -> None:
    before = race(2, local(MONDAY, 20, 59))
    assert sum(r.queued + r.sent for r in before) == 0  # Sunday's 21:00 came before the targets
    assert all(not r.requests for r in four.values())

    after = race(2, local(MONDAY, 21, 0))
    restarted = delivery.run(now=local(MONDAY, 21, 3))  # a worker that restarted meanwhile
    assert sum(r.queued for r in after) == 4 and sum(r.sent for r in after) == 4
    assert (restarted.queued, restarted.sent) == (0, 0)
    next_morning = race(2, local(MONDAY + timedelta(days=1), 9))
    assert sum(r.queued + r.sent for r in next_morning) == 0

    rows = deliveries(db)
    for kind, receiver in four.items():
        assert len(receiver.requests) == 1, kind
        assert receiver.requests[0].headers["content-type"].startswith("application/json")
    keys = {r.requests[0].headers["idempotency-key"] for r in four.values()}
    assert keys == {f"qc-digest-{row.id}" for row in rows}
    [slack] = bodies(four["slack"])
    assert slack["blocks"][0]["text"]["text"] == "QC digest · Alpha · Mon 23 Nov 2026"
    assert slack["text"].startswith("Alpha, Mon 23 Nov")
    [teams] = bodies(four["teams"])
    assert teams["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert four["telegram"].requests[0].path.endswith("/bot123456:telegramsecret0003/sendMessage")
    [telegram] = bodies(four["telegram"])
    assert telegram["chat_id"] == "-100200300" and telegram["parse_mode"] == "HTML"
    [document] = bodies(four["json"])
    assert (document["schema"], document["day"], document["team"]) == ("qc.digest/1", "2026-11-23", "Alpha")
    assert [(r.day, r.status, r.attempts, r.trigger) for r in rows] == [
        (MONDAY, DigestStatus.SENT, 1, "schedule")
    ] * 4
    assert {r.sent_at for r in rows} == {local(MONDAY, 21)}

    tuesday = race(2, local(MONDAY + timedelta(days=1), 21, 1))
    assert sum(r.sent for r in tuesday) == 4
    assert [len(r.requests) for r in four.values()] == [2, 2, 2, 2]
    assert bodies(four["json"])[1]["day"] == "2026-11-24"


def test_a_worker_that_dies_holding_a_digest_hands_it_back_when_its_lease_ends(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("json")
    set_timezone(db, org, org.team, "Europe/Bucharest")
    add_target(db, org.team, "json", receiver.url, created_at=local(MONDAY, 12))
    at = local(MONDAY, 21, 1)
    with session_scope() as session:
        schedule.queue_due(session, now=at, settings=get_settings())
    assert delivery._claim(at, None) is not None  # claimed, then the worker died before posting

    assert delivery.deliver_due(now=at + timedelta(seconds=5)).sent == 0  # its lease still holds
    assert delivery.deliver_due(now=at + timedelta(seconds=delivery.LEASE_S + 1)).sent == 1
    assert len(receiver.requests) == 1
    [row] = deliveries(db)
    assert (row.status, row.attempts) == (DigestStatus.SENT, 2)


def test_a_worker_down_at_21_00_posts_late_once(db: Session, org: Org, four: dict[str, Receiver]) -> None:
    late = delivery.run(now=local(MONDAY, 23, 40))
    again = delivery.run(now=local(MONDAY + timedelta(days=1), 8))
    assert (late.queued, late.sent, again.queued, again.sent) == (4, 4, 0, 0)
    assert all(len(r.requests) == 1 for r in four.values())
    assert bodies(four["json"])[0]["day"] == "2026-11-23"


def test_a_worker_down_for_days_posts_only_the_latest_day(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("json")
    set_timezone(db, org, org.team, "Europe/Bucharest")
    add_target(db, org.team, "json", receiver.url, created_at=local(MONDAY - timedelta(days=10), 9))
    report = delivery.run(now=local(MONDAY + timedelta(days=3), 10))  # Thursday morning
    assert report.sent == 1
    assert [b["day"] for b in bodies(receiver)] == ["2026-11-25"]  # Wednesday only: no backlog


def test_a_target_added_after_the_send_time_starts_the_next_day(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    early, late = receivers("json"), receivers("json")
    set_timezone(db, org, org.team, "Europe/Bucharest")
    add_target(db, org.team, "json", early.url, created_at=local(MONDAY, 20, 59))
    add_target(db, org.team, "json", late.url, created_at=local(MONDAY, 21, 30))
    delivery.run(now=local(MONDAY, 22))
    delivery.run(now=local(MONDAY + timedelta(days=1), 21))
    assert [b["day"] for b in bodies(early)] == ["2026-11-23", "2026-11-24"]
    assert [b["day"] for b in bodies(late)] == ["2026-11-24"]


def test_a_disabled_schedule_posts_nothing_and_a_custom_time_is_honoured(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    alpha, bravo = receivers("json"), receivers("json")
    add_target(db, org.team, "json", alpha.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    add_target(db, org.other_team, "json", bravo.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    set_schedule(db, org.team, minute=18 * 60 + 30)  # UTC: the teams have no policy of their own
    set_schedule(db, org.other_team, minute=21 * 60, enabled=False)
    delivery.run(now=datetime(2026, 11, 23, 18, 29, tzinfo=UTC))
    assert [b["day"] for b in bodies(alpha)] == ["2026-11-22"]
    delivery.run(now=datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    assert [b["day"] for b in bodies(alpha)] == ["2026-11-22", "2026-11-23"]
    assert bravo.requests == []


# Daylight saving -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 3, 28), 19),  # Saturday, winter time (UTC+2)
        (date(2026, 3, 29), 18),  # clocks go forward at 03:00: summer time (UTC+3)
        (date(2026, 3, 30), 18),
        (date(2026, 10, 24), 18),
        (date(2026, 10, 25), 19),  # clocks go back at 04:00: winter time again
        (date(2026, 10, 26), 19),
    ],
)
def test_the_send_moment_is_21_00_local_on_daylight_saving_days(day: date, utc_hour: int) -> None:
    moment = schedule.send_moment(day, 21 * 60, BUCHAREST)
    assert moment == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert moment.astimezone(BUCHAREST).strftime("%H:%M") == "21:00"
    assert schedule.due_day(moment - timedelta(seconds=1), 21 * 60, BUCHAREST) == day - timedelta(days=1)
    assert schedule.due_day(moment, 21 * 60, BUCHAREST) == day


@pytest.mark.parametrize("change", [date(2026, 3, 29), date(2026, 10, 25)])
def test_a_worker_running_every_ten_minutes_posts_at_21_00_local_around_a_clock_change(
    db: Session, org: Org, receivers: Callable[[str], Receiver], change: date
) -> None:
    receiver = receivers("json")
    set_timezone(db, org, org.team, "Europe/Bucharest")
    start = datetime.combine(change - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    add_target(db, org.team, "json", receiver.url, created_at=start)
    now = start
    while now < start + timedelta(days=3):
        delivery.deliver_due(now=now) if now.minute % 30 else delivery.run(now=now)
        now += timedelta(minutes=10)
    rows = deliveries(db)
    days = [change - timedelta(days=1), change, change + timedelta(days=1)]
    assert [r.day for r in rows] == days
    assert [r.sent_at.astimezone(BUCHAREST).strftime("%Y-%m-%d %H:%M") for r in rows] == [
        f"{d} 21:00" for d in days
    ]
    assert len(receiver.requests) == 3


# Failures --------------------------------------------------------------------------------------------


def test_a_failing_webhook_is_retried_with_backoff_then_marked_failed(
    db: Session, org: Org, receivers: Callable[[str], Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = receivers("slack")
    receiver.script = [500]
    add_target(db, org.team, "slack", receiver.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    now = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    first = delivery.run(now=now)
    assert (first.queued, first.sent, first.retrying) == (1, 1, 1)
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        [row] = deliveries(db)
        assert delivery.run(now=row.next_attempt_at - timedelta(seconds=1)).sent == 0  # not before its time
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        assert delivery.run(now=now).sent == 1
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        DigestStatus.FAILED,
        delivery.MAX_ATTEMPTS,
        None,
    )
    assert (row.last_status_code, row.last_error) == (
        500,
        f"HTTP 500 from {host_of(receiver.url)}: receiver says no",
    )
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert delivery.deliver_due(now=now + timedelta(days=1)).sent == 0  # given up
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS
    assert len({r.body for r in receiver.requests}) == 1  # every retry posts the same message
    assert "gave up" in caplog.text and "127.0.0.1" in caplog.text
    assert not [s for s in SECRETS if s in caplog.text]


def test_a_refusal_that_waiting_will_not_change_fails_at_once(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("json")
    receiver.script = [404]
    add_target(db, org.team, "json", receiver.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    delivery.run(now=datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.last_status_code) == (DigestStatus.FAILED, 1, 404)


def test_an_unreachable_target_is_logged_and_recorded_by_its_host_only(
    db: Session, org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = "http://127.0.0.1:9/bot123456:telegramsecret0003"  # nothing listens on port 9
    add_target(db, org.team, "telegram", url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    report = delivery.run(now=datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    [row] = deliveries(db)
    assert (report.retrying, row.status, row.last_status_code) == (1, DigestStatus.PENDING, None)
    assert row.last_error == "Could not connect to 127.0.0.1:9 (connection refused)"
    assert "127.0.0.1" in caplog.text and "telegramsecret0003" not in caplog.text


def test_a_digest_that_cannot_be_built_fails_alone_and_others_still_go_out(
    db: Session, org: Org, receivers: Callable[[str], Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha, bravo = receivers("json"), receivers("json")
    add_target(db, org.team, "json", alpha.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    add_target(db, org.other_team, "json", bravo.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    build = delivery.content.build_digest

    def broken(session: Session, team: Any, day: date, **kwargs: Any) -> Any:
        if team.id == org.team.id:
            raise RuntimeError("a bug")
        return build(session, team, day, **kwargs)

    monkeypatch.setattr(delivery.content, "build_digest", broken)
    report = delivery.run(now=datetime(2026, 11, 23, 21, tzinfo=UTC))
    assert (report.failed, report.delivered) == (1, 1)
    assert (alpha.requests, len(bravo.requests)) == ([], 1)
    failed = next(r for r in deliveries(db) if r.team_id == org.team.id)
    assert (failed.status, failed.payload) == (DigestStatus.FAILED, None)


@pytest.mark.parametrize(
    ("outcome", "attempts", "wait"),
    [
        (Posted(503, "HTTP 503"), 1, timedelta(seconds=30)),
        (Posted(None, "ConnectionRefusedError"), 3, timedelta(seconds=120)),
        (Posted(429, "HTTP 429", retry_after_s=600), 1, timedelta(seconds=600)),  # Retry-After honoured
        (Posted(429, "HTTP 429", retry_after_s=5), 2, timedelta(seconds=60)),  # never sooner than the backoff
        (Posted(404, "HTTP 404"), 1, None),  # waiting will not help
        (Posted(500, "HTTP 500"), delivery.MAX_ATTEMPTS, None),  # out of attempts
        (Posted(200, None), 1, None),
    ],
)
def test_when_the_next_attempt_comes(outcome: Posted, attempts: int, wait: timedelta | None) -> None:
    assert delivery.retry_delay(outcome, attempts) == wait


def test_a_target_turned_off_gets_nothing_until_it_is_turned_on(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("json")
    target = add_target(db, org.team, "json", receiver.url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    with session_scope() as session:
        schedule.queue_due(session, now=datetime(2026, 11, 23, 21, tzinfo=UTC), settings=get_settings())
        service.set_target_enabled(session, None, org.team.id, target, enabled=False)
    assert delivery.run(now=datetime(2026, 11, 24, 21, tzinfo=UTC)).sent == 0  # nor is Tuesday queued
    with session_scope() as session:
        service.set_target_enabled(session, None, org.team.id, target, enabled=True)
    delivery.deliver_due(now=datetime(2026, 11, 24, 22, tzinfo=UTC))
    assert [json.loads(r.body)["day"] for r in receiver.requests] == ["2026-11-23"]
    assert [r.day for r in deliveries(db)] == [MONDAY]


def test_a_receiver_that_never_answers_is_recorded_as_a_timeout(
    db: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "TIMEOUT_S", 0.3)
    with socket.socket() as silent:  # connections wait in its backlog: nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        add_target(
            db,
            org.team,
            "json",
            f"http://127.0.0.1:{port}/hook/s3cret-path-0004",
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        delivery.run(now=datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    [row] = deliveries(db)
    assert (row.status, row.last_error) == (
        DigestStatus.PENDING,
        f"Timed out after 0.3 s waiting for 127.0.0.1:{port}",
    )
