"""Outgoing webhooks against a real HTTP receiver on 127.0.0.1: signed, retried with backoff,
sent once, and the endpoint's secret and URL kept out of logs and pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.db import session_scope, utcnow
from qc.jobs import events
from qc.jobs.models import Event
from qc.jobs.queue import Lane, drain
from qc.kit.http import host_of
from qc.notifications import delivery, webhooks
from qc.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from qc.notifications.webhooks import EndpointForm, WebhookFormInvalid
from qc.users.service import principal_for
from tests.factories import Org
from tests.notifications.conftest import Receiver

RELEASED = {
    "evaluation_id": 12,
    "call_id": 7,
    "rep_id": 3,
    "team_id": 1,
    "reviewer_id": 2,
    "final_score": 84.5,
    "call_started_at": "2026-11-20T09:30:00+00:00",
}


def make_endpoint(db: Session, org: Org, url: str, **form: Any) -> tuple[int, str]:
    view, secret = webhooks.create_endpoint(db, principal_for(db, org.admin), EndpointForm(url=url, **form))
    db.commit()
    return view.id, secret


def emit(event_type: str = "evaluation.released", payload: dict[str, Any] | None = None) -> str:
    """Commit an event and dispatch it to the handlers, as the worker would; its key."""
    with session_scope() as session:
        key = events.emit(session, event_type, payload or RELEASED).key
    events.dispatch_pending()
    return key


def deliveries(db: Session) -> list[WebhookDelivery]:
    db.expire_all()
    return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


# Delivering -----------------------------------------------------------------------------------------


def test_a_refused_delivery_is_retried_with_backoff_and_delivered_exactly_once(
    db: Session, org: Org, receiver: Receiver
) -> None:
    receiver.script = [500, 500, 200]
    _, secret = make_endpoint(db, org, receiver.url)
    key = emit()
    [queued] = deliveries(db)
    start = utcnow()

    first = delivery.deliver_due(now=start)
    too_soon = delivery.deliver_due(now=start + timedelta(seconds=5))
    [row] = deliveries(db)
    after_one = (row.attempts, row.last_status_code, row.next_attempt_at, row.last_error)
    second = delivery.deliver_due(now=start + timedelta(seconds=11))
    [row] = deliveries(db)
    after_two = row.next_attempt_at
    third = delivery.deliver_due(now=start + timedelta(seconds=11 + 21))
    later = delivery.deliver_due(now=start + timedelta(days=1))

    assert (first.sent, too_soon.sent, second.sent, third.sent, later.sent) == (1, 0, 1, 1, 0)
    assert after_one[:3] == (1, 500, start + timedelta(seconds=10))
    assert after_one[3] == f"HTTP 500 from {host_of(receiver.url)}: receiver says no"
    assert after_two == start + timedelta(seconds=11 + 20)
    [done] = deliveries(db)
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == (
        DeliveryStatus.DELIVERED,
        3,
        200,
        None,
    )
    assert [r.path for r in receiver.requests] == ["/hooks/qc-tok-7f3a9"] * 3
    for request in receiver.requests:
        assert request.headers["content-type"] == "application/json"
        assert request.headers["idempotency-key"] == key
        assert request.headers["x-qc-event"] == "evaluation.released"
        assert request.headers["x-qc-delivery"] == str(queued.id)
        assert verify(secret, request.headers["x-qc-signature"], request.body)
        assert not verify("whsec_not-the-secret", request.headers["x-qc-signature"], request.body)
    body = json.loads(receiver.requests[-1].body)
    assert body["id"] == key and body["type"] == "evaluation.released"
    assert body["data"] == RELEASED
    assert body["created_at"] == db.scalar(select(Event.created_at).where(Event.key == key)).isoformat()


def test_after_twelve_failed_attempts_a_delivery_is_given_up(
    db: Session, org: Org, receiver: Receiver
) -> None:
    receiver.script = [503]
    make_endpoint(db, org, receiver.url)
    emit()
    now = utcnow()
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS):
        assert delivery.deliver_due(now=now).sent == 1
        [row] = deliveries(db)
        if row.next_attempt_at is not None:
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at

    assert delivery.deliver_due(now=now + timedelta(days=30)).sent == 0
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.FAILED, 12, None)
    assert len(receiver.requests) == 12
    assert waits[:4] == [timedelta(seconds=s) for s in (10, 20, 40, 80)]
    assert max(waits) == timedelta(hours=1)


def test_two_workers_racing_for_one_delivery_send_it_once(db: Session, org: Org, receiver: Receiver) -> None:
    receiver.delay_s = 0.5
    make_endpoint(db, org, receiver.url)
    emit()
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def worker() -> None:
        barrier.wait()
        reports.append(delivery.deliver_due())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(receiver.requests) == 1
    assert sorted(r.sent for r in reports) == [0, 1]
    [row] = deliveries(db)
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_an_unreachable_receiver_is_retried_and_its_url_is_not_in_the_error(db: Session, org: Org) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_endpoint(db, org, f"http://127.0.0.1:{port}/hooks/qc-tok-7f3a9")
    emit()

    report = delivery.deliver_due()

    [row] = deliveries(db)
    assert (report.retrying, row.status, row.attempts, row.last_status_code) == (
        1,
        DeliveryStatus.PENDING,
        1,
        None,
    )
    assert row.last_error and "refused" in row.last_error.lower()
    assert "qc-tok-7f3a9" not in row.last_error


def test_the_secret_and_the_url_never_reach_the_logs(
    db: Session, org: Org, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.script = [500, 200]
    _, secret = make_endpoint(db, org, receiver.url)
    emit()

    delivery.deliver_due()
    delivery.deliver_due(now=utcnow() + timedelta(minutes=1))

    assert len(receiver.requests) == 2
    logged = caplog.text
    assert "127.0.0.1" in logged, "the deliveries were logged, by host"
    assert secret not in logged and secret[6:] not in logged
    assert "qc-tok-7f3a9" not in logged and receiver.url not in logged


def test_a_commit_queues_the_sender_and_the_quick_lane_delivers(
    db: Session, org: Org, receiver: Receiver
) -> None:
    make_endpoint(db, org, receiver.url)
    with session_scope() as session:
        events.emit(session, "dispute.withdrawn", {"dispute_id": 5, "evaluation_id": 12, "rep_id": 3})

    drain(lanes=[Lane.QUICK])  # dispatch the event, then the delivery task it queued

    assert [r.headers["x-qc-event"] for r in receiver.requests] == ["dispute.withdrawn"]
    assert [d.status for d in deliveries(db)] == [DeliveryStatus.DELIVERED]


def test_an_endpoint_gets_only_the_events_it_wants_and_none_while_disabled(
    db: Session, org: Org, receiver: Receiver
) -> None:
    picky, _ = make_endpoint(db, org, receiver.url, event_types=["dispute.opened"])
    everything, _ = make_endpoint(db, org, receiver.url)
    off, _ = make_endpoint(db, org, receiver.url, enabled=False)

    emit("evaluation.released")
    emit("dispute.opened", {"dispute_id": 5})
    emit("call.scored", {"call_id": 7})  # not among the defaults
    emit("evaluation.released")  # a second event: a second delivery

    got = {(d.endpoint_id, d.event_type) for d in deliveries(db)}
    assert got == {
        (picky, "dispute.opened"),
        (everything, "evaluation.released"),
        (everything, "dispute.opened"),
    }
    assert len(deliveries(db)) == 4
    assert not any(d.endpoint_id == off for d in deliveries(db))


def test_handling_an_event_again_queues_no_second_delivery(db: Session, org: Org, receiver: Receiver) -> None:
    make_endpoint(db, org, receiver.url)
    emit()
    event = db.scalar(select(Event))
    assert event is not None
    record = events.EventRecord(event.id, event.key, event.type, event.payload, event.created_at)

    with session_scope() as session:
        webhooks.queue_deliveries(session, record)

    assert len(deliveries(db)) == 1


def test_deliveries_of_a_disabled_endpoint_wait_until_it_is_enabled(
    db: Session, org: Org, receiver: Receiver
) -> None:
    endpoint_id, _ = make_endpoint(db, org, receiver.url)
    emit()
    admin = principal_for(db, org.admin)
    webhooks.update_endpoint(db, admin, endpoint_id, EndpointForm(url=receiver.url, enabled=False))
    db.commit()

    assert delivery.deliver_due().sent == 0
    webhooks.update_endpoint(db, admin, endpoint_id, EndpointForm(url=receiver.url, enabled=True))
    db.commit()
    assert delivery.deliver_due().delivered == 1


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.test/qc",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hooks.example.test/qc",
        "https://user:pass@hooks.example.test/qc",
        "https://hooks.example.test:99999/qc",
        "https://hooks example.test/qc",
        "",
    ],
)
def test_only_http_and_https_urls_are_accepted(db: Session, org: Org, url: str) -> None:
    with pytest.raises(WebhookFormInvalid) as refused:
        webhooks.create_endpoint(db, principal_for(db, org.admin), EndpointForm(url=url))
    assert set(refused.value.errors) == {"url"}
    assert db.scalar(select(WebhookEndpoint)) is None


# Admin pages --------------------------------------------------------------------------------------------


def test_the_secret_is_shown_once_on_creation_then_only_masked(db: Session, org: Org, browser: Any) -> None:
    browser.login_as(org.admin)
    form = browser.page("/admin/webhooks").select_one("form[action$='/admin/webhooks']")
    assert {i["value"] for i in form.select("input[name=event_types][checked]")} == set(
        webhooks.DEFAULT_EVENT_TYPES
    )

    created = browser.post(
        "/admin/webhooks",
        data={
            "url": "https://hooks.example.test/qc/tok-55",
            "event_types": ["dispute.opened"],
            "enabled": "true",
        },
    )

    assert created.status_code == 200 and created.headers["hx-push-url"] == "/admin/webhooks"
    secret = BeautifulSoup(created.text, "html.parser").select_one("#new-secret code").get_text()
    assert secret.startswith("whsec_") and len(secret) > 30
    endpoint = db.scalar(select(WebhookEndpoint))
    assert endpoint is not None and endpoint.secret == secret and endpoint.event_types == ["dispute.opened"]
    for url in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}"):
        page = browser.get(url)
        assert page.status_code == 200
        assert secret not in page.text and secret[6:] not in page.text
        masked = BeautifulSoup(page.text, "html.parser").find("code", string=f"whsec_…{secret[-4:]}")
        assert masked is not None, url


def test_an_invalid_form_shows_every_error_and_keeps_what_was_typed(
    db: Session, org: Org, browser: Any
) -> None:
    response = browser.login_as(org.admin).post("/admin/webhooks", data={"url": "ftp://files.example.test/x"})

    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    errors = {e["id"]: e.get_text() for e in page.select(".field-error")}
    assert set(errors) == {"url-error", "event_types-error"}
    assert "http" in errors["url-error"]
    assert page.select_one("input[name=url]")["value"] == "ftp://files.example.test/x"
    assert db.scalar(select(WebhookEndpoint)) is None


def test_editing_an_endpoint(db: Session, org: Org, browser: Any) -> None:
    endpoint_id, secret = make_endpoint(db, org, "https://hooks.example.test/old")
    browser.login_as(org.admin)

    saved = browser.post(
        f"/admin/webhooks/{endpoint_id}",
        data={"url": "https://hooks.example.test/new", "event_types": ["dispute.resolved", "dispute.opened"]},
    )
    refused = browser.post(
        f"/admin/webhooks/{endpoint_id}", data={"url": "nope", "event_types": ["bogus.event"]}
    )

    assert saved.status_code == 303 and saved.headers["location"] == f"/admin/webhooks/{endpoint_id}"
    assert refused.status_code == 422
    db.expire_all()
    endpoint = db.get_one(WebhookEndpoint, endpoint_id)
    assert (endpoint.url, endpoint.enabled, endpoint.secret) == (
        "https://hooks.example.test/new",
        False,
        secret,
    )
    assert endpoint.event_types == ["dispute.opened", "dispute.resolved"]
    page = browser.page(f"/admin/webhooks/{endpoint_id}")
    assert page.select_one("input[name=url]")["value"] == "https://hooks.example.test/new"
    assert page.select_one("input[name=enabled]").get("checked") is None


def test_send_test_reaches_that_endpoint_only_and_shows_in_its_deliveries(
    db: Session, org: Org, browser: Any, receiver: Receiver
) -> None:
    endpoint_id, secret = make_endpoint(db, org, receiver.url)
    other_id, _ = make_endpoint(db, org, receiver.url)
    browser.login_as(org.admin)

    response = browser.post(f"/admin/webhooks/{endpoint_id}/test")
    drain(lanes=[Lane.QUICK])

    assert response.status_code == 303 and response.headers["location"] == f"/admin/webhooks/{endpoint_id}"
    [request] = receiver.requests
    assert request.headers["x-qc-event"] == "webhook.test"
    assert verify(secret, request.headers["x-qc-signature"], request.body)
    assert json.loads(request.body)["data"]["endpoint_id"] == endpoint_id
    assert [(d.endpoint_id, d.event_type) for d in deliveries(db)] == [(endpoint_id, "webhook.test")]
    row = browser.page(f"/admin/webhooks/{endpoint_id}").select_one("#deliveries tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert row["data-status"] == "delivered" and cells[2:4] == ["200", "1"]
    assert browser.page(f"/admin/webhooks/{other_id}").select_one("#deliveries") is None


def test_the_deliveries_list_shows_a_failure_with_its_code_and_error(
    db: Session, org: Org, browser: Any, receiver: Receiver
) -> None:
    receiver.script = [502]
    endpoint_id, _ = make_endpoint(db, org, receiver.url)
    emit()
    delivery.deliver_due()

    page = browser.login_as(org.admin).page(f"/admin/webhooks/{endpoint_id}")

    row = page.select_one("#deliveries tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert row["data-status"] == "pending"
    assert cells[2:4] == ["502", "1"] and "next try" in cells[4]
    assert cells[5] == f"HTTP 502 from {host_of(receiver.url)}: receiver says no"
    listed = browser.page("/admin/webhooks").select_one("#endpoints tbody tr")
    assert [td.get_text(strip=True) for td in listed.select("td.num")] == ["0", "1", "0"]


def test_deleting_an_endpoint_removes_its_deliveries(
    db: Session, org: Org, browser: Any, receiver: Receiver
) -> None:
    endpoint_id, _ = make_endpoint(db, org, receiver.url)
    emit()
    browser.login_as(org.admin)
    page = browser.page(f"/admin/webhooks/{endpoint_id}")
    delete_form = page.select_one(f"form[action$='/admin/webhooks/{endpoint_id}/delete']")
    assert delete_form is not None and delete_form.get("hx-confirm")

    response = browser.post(f"/admin/webhooks/{endpoint_id}/delete")

    assert response.status_code == 303 and response.headers["location"] == "/admin/webhooks"
    assert db.scalar(select(WebhookEndpoint)) is None and deliveries(db) == []
    assert browser.get(f"/admin/webhooks/{endpoint_id}").status_code == 404
    assert delivery.deliver_due().sent == 0


def test_finished_deliveries_are_purged_after_the_retention(
    db: Session, org: Org, receiver: Receiver
) -> None:
    make_endpoint(db, org, receiver.url)
    emit()
    delivery.deliver_due()
    emit()  # still pending: kept whatever its age
    for row in deliveries(db):
        row.created_at = utcnow() - timedelta(days=400)
    db.commit()

    assert delivery.purge_deliveries() == 1
    assert [d.status for d in deliveries(db)] == [DeliveryStatus.PENDING]
