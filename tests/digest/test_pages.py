"""The digest's pages and API: targets added with their URL kept secret, the schedule, previews
that work before any target exists, and "send now" posting a day once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.digest import delivery
from qc.digest.models import DigestSchedule, DigestStatus, DigestTarget
from qc.users import service as users
from tests.digest.conftest import PATHS, add_target, deliveries
from tests.factories import Browser, Org, api_token, bearer
from tests.notifications.conftest import Receiver

PAST = "2026-11-20"  # a Friday


def test_a_team_without_targets_previews_every_kind_of_message(browser: Browser, org: Org) -> None:
    browser.login_as(org.admin)
    page = browser.page(f"/digest/{org.team.id}")
    assert "No target yet" in page.select_one("#schedule-summary").get_text()
    assert page.select_one("#preview-head").get_text() == "Preview and send"
    assert "it will not be posted again at 21:00" in page.select_one("#send-form + p").get_text()
    day = page.select_one("#preview-form input[name=date]")["value"]
    assert date.fromisoformat(day).isoweekday() <= 5  # the team's last working day
    preview = browser.page(f"/digest/{org.team.id}/preview?date={PAST}")
    assert preview.select_one("#digest-message h3").get_text() == "QC digest · Alpha · Fri 20 Nov 2026"
    assert "set QC_PUBLIC_URL" in preview.select_one("#digest-message .digest-link").get_text()
    kinds = [d["data-kind"] for d in preview.select("details.digest-payload")]
    assert kinds == ["slack", "teams", "telegram", "json"]
    payloads = {
        d["data-kind"]: json.loads(d.select_one("pre").get_text())
        for d in preview.select("details.digest-payload")
    }
    assert payloads["json"]["schema"] == "qc.digest/1" and payloads["json"]["day"] == PAST
    assert payloads["slack"]["blocks"][0]["type"] == "header"
    only = browser.page(f"/digest/{org.team.id}/preview?date={PAST}&kind=telegram")
    assert [d["data-kind"] for d in only.select("details.digest-payload")] == ["telegram"]
    assert browser.get(f"/digest/{org.team.id}/preview?date=2999-01-01").status_code == 422
    assert browser.get(f"/digest/{org.team.id}/preview?date=soon").status_code == 422


def test_a_target_is_added_and_its_url_never_shown_back(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.admin)
    url = "https://hooks.slack.com/services/T0001/B0001/slacksecret0001"
    added = browser.post(
        f"/digest/{org.team.id}/targets", data={"kind": "slack", "url": url, "label": "#floor"}
    )
    assert added.status_code == 303
    telegram = "https://api.telegram.org/bot123456:telegramsecret0003"
    browser.post(
        f"/digest/{org.team.id}/targets", data={"kind": "telegram", "url": telegram, "chat_id": "-1001"}
    )
    response = browser.get(f"/digest/{org.team.id}")
    page = browser.page(f"/digest/{org.team.id}")
    rows = page.select("#digest-targets tbody tr")
    assert [r.select_one("code").get_text() for r in rows] == [
        "hooks.slack.com/…0001",
        "api.telegram.org/bot123456:…",
    ]
    assert "slacksecret" not in response.text and "telegramsecret" not in response.text
    stored = db.scalars(select(DigestTarget).order_by(DigestTarget.id)).all()
    assert [(t.kind.value, t.url, t.chat_id, t.label) for t in stored] == [
        ("slack", url, None, "#floor"),
        ("telegram", telegram, "-1001", ""),
    ]


def test_an_invalid_target_shows_every_field_error_at_once(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.admin)
    secret = "ftp://hooks.example.test/secret-path-1234"
    response = browser.post(
        f"/digest/{org.team.id}/targets", data={"kind": "telegram", "url": secret, "label": "x" * 121}
    )
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    errors = {e["id"]: e.get_text() for e in page.select(".field-error")}
    assert set(errors) == {"url-error", "chat_id-error", "label-error"}
    assert "secret-path" not in response.text  # a URL typed is never echoed back
    assert db.scalar(select(DigestTarget.id)) is None
    not_a_bot = browser.post(
        f"/digest/{org.team.id}/targets",
        data={"kind": "telegram", "url": "https://api.telegram.org/bot123:x/sendMessage", "chat_id": "1"},
    )
    assert not_a_bot.status_code == 422 and "api.telegram.org/bot&lt;token&gt;" in not_a_bot.text
    bad_kind = browser.post(f"/digest/{org.team.id}/targets", data={"kind": "fax", "url": "https://x.test/a"})
    assert bad_kind.status_code == 422 and "Choose Slack" in bad_kind.text


def test_the_schedule_is_set_in_the_teams_time(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.admin)
    assert browser.post(f"/digest/{org.team.id}/schedule", data={"send_time": "25:00"}).status_code == 422
    saved = browser.post(f"/digest/{org.team.id}/schedule", data={"send_time": "20:30", "enabled": "true"})
    assert saved.status_code == 303
    row = db.get_one(DigestSchedule, org.team.id)
    assert (row.send_minute, row.enabled) == (20 * 60 + 30, True)
    add_target(db, org.team, "json", "https://hooks.example.test/j")
    summary = browser.page(f"/digest/{org.team.id}").select_one("#schedule-summary").get_text(" ", strip=True)
    assert "Posted every day at 20:30 (UTC)" in summary
    browser.post(f"/digest/{org.team.id}/schedule", data={"send_time": "20:30"})
    db.expire_all()
    assert db.get_one(DigestSchedule, org.team.id).enabled is False
    assert "Paused" in browser.page(f"/digest/{org.team.id}").select_one("#schedule-summary").get_text()


def test_send_now_posts_a_day_once_and_says_so_the_second_time(
    browser: Browser, db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("json")
    add_target(db, org.team, "json", receiver.url)
    browser.login_as(org.admin)
    first = browser.post(f"/digest/{org.team.id}/send", data={"date": PAST})
    assert first.status_code == 200
    notice = BeautifulSoup(first.text, "html.parser").select_one("#digest-notice").get_text()
    assert (
        notice
        == f"The digest of Alpha for {PAST} is being posted to JSON webhook ({receiver.url.split('/')[2]})."
    )
    delivery.deliver_due()
    again = browser.post(f"/digest/{org.team.id}/send", data={"date": PAST})
    assert "already sent or queued: nothing was done" in again.text
    delivery.deliver_due()
    assert len(receiver.requests) == 1 and json.loads(receiver.requests[0].body)["day"] == PAST
    [row] = deliveries(db)
    assert (row.status, row.trigger, row.day) == (DigestStatus.SENT, "manual", date(2026, 11, 20))
    page = browser.page(f"/digest/{org.team.id}")
    [shown] = page.select("#digest-deliveries tbody tr")
    status = shown.select_one("td[data-label=Status]")
    assert shown["data-status"] == "sent" and status is not None
    assert status.get_text(" ", strip=True) == "Sent sent by hand"
    assert browser.post(f"/digest/{org.team.id}/send", data={"date": "2999-01-01"}).status_code == 422


def test_a_failed_day_is_tried_once_more_by_send_now(
    browser: Browser, db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("json")
    receiver.script = [404, 200]
    add_target(db, org.team, "json", receiver.url)
    browser.login_as(org.admin)
    browser.post(f"/digest/{org.team.id}/send", data={"date": PAST})
    delivery.deliver_due()
    assert deliveries(db)[0].status is DigestStatus.FAILED
    retried = browser.post(f"/digest/{org.team.id}/send", data={"date": PAST})
    assert "is being posted" in retried.text
    delivery.deliver_due()
    [row] = deliveries(db)
    assert (row.status, row.attempts) == (DigestStatus.SENT, 1)
    assert len(receiver.requests) == 2


def test_targets_are_turned_off_and_deleted(browser: Browser, db: Session, org: Org) -> None:
    target = add_target(db, org.team, "json", "https://hooks.example.test/j")
    browser.login_as(org.admin)
    assert browser.post(f"/digest/{org.team.id}/targets/{target}/enabled", data={}).status_code == 303
    db.expire_all()
    assert db.get_one(DigestTarget, target).enabled is False
    browser.post(f"/digest/{org.team.id}/targets/{target}/enabled", data={"enabled": "true"})
    db.expire_all()
    assert db.get_one(DigestTarget, target).enabled is True
    # Another team's path does not reach it.
    assert browser.post(f"/digest/{org.other_team.id}/targets/{target}/delete").status_code == 404
    assert browser.post(f"/digest/{org.team.id}/targets/{target}/delete").status_code == 303
    db.expire_all()
    assert db.get(DigestTarget, target) is None


def test_a_manager_previews_and_reads_the_status_of_their_team_only(
    browser_factory: Callable[[], Browser], db: Session, org: Org
) -> None:
    add_target(db, org.team, "slack", "https://hooks.slack.com/services/T/B/slacksecret0001")
    manager = browser_factory().login_as(org.manager)
    assert manager.get("/digest").headers["location"] == f"/digest/{org.team.id}"
    page = manager.page(f"/digest/{org.team.id}")
    assert page.select_one("#digest-targets code").get_text() == "hooks.slack.com/…0001"
    assert not page.select("#send-form, #schedule form, #new-target form, #digest-targets form")
    assert page.select_one("#preview-head").get_text() == "Preview a day"  # no Send button: not "and send"
    manager.page(f"/digest/{org.team.id}/preview?date={PAST}")
    assert manager.get(f"/digest/{org.other_team.id}").status_code == 404
    assert manager.post(f"/digest/{org.team.id}/send", data={"date": PAST}).status_code == 403
    rep = browser_factory().login_as(org.rep)
    assert rep.get(f"/digest/{org.team.id}").status_code == 403


def test_names_are_escaped_on_the_preview(browser: Browser, db: Session, org: Org) -> None:
    team = users.get_team(db, org.team.id)
    team.name = "<script>alert(1)</script> & Co"
    db.commit()
    browser.login_as(org.admin)
    page = browser.page(f"/digest/{org.team.id}/preview?date={PAST}")
    assert not [s for s in page.select("script") if "alert(1)" in s.get_text()]
    assert (
        page.select_one("#digest-message h3")
        .get_text()
        .startswith("QC digest · <script>alert(1)</script> & Co")
    )


def test_the_api_previews_lists_and_sends_once(
    client: Any, db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("telegram")
    add_target(db, org.team, "telegram", receiver.url)
    headers = bearer(api_token(db, org.admin))
    db.commit()
    base = f"/api/digest/{org.team.id}"
    preview = client.get(f"{base}/preview", params={"date": PAST, "kind": "telegram"}, headers=headers).json()
    assert preview["chat_id"] == "-100200300" and preview["parse_mode"] == "HTML"
    assert (
        client.get(f"{base}/preview", params={"date": PAST, "kind": "fax"}, headers=headers).status_code
        == 422
    )
    first = client.post(f"{base}/send", json={"date": PAST}, headers=headers).json()
    host = receiver.url.split("/")[2]
    assert [t["url"] for t in first["queued"]] == [f"{host}/bot123456:…"] and first["already"] == []
    second = client.post(f"{base}/send", json={"date": PAST}, headers=headers).json()
    assert second["queued"] == [] and len(second["already"]) == 1
    delivery.deliver_due(now=datetime.now(UTC) + timedelta(seconds=1))
    assert [r.path for r in receiver.requests] == [PATHS["telegram"] + "/sendMessage"]
    listed = client.get(f"{base}/deliveries", headers=headers).json()
    assert [(d["day"], d["status"], d["trigger"]) for d in listed] == [(PAST, "sent", "api")]
    assert "telegramsecret" not in json.dumps(listed)
