"""The digest's pages in a real browser: an administrator adds a target and posts a day on a
390 px phone, and the team page and the preview fit the phone and the desktop (screenshots in
tests/e2e/screenshots)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from qc.digest import delivery
from qc.digest.models import DigestDelivery, DigestStatus
from qc.kit.security import hash_password
from qc.users.models import Role
from tests.digest.conftest import add_target
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server, sign_in  # noqa: F401 - fixtures
from tests.e2e.test_phone_width_browser import DESKTOP, MEASURE, PHONE, settle
from tests.factories import Org, make_user
from tests.notifications.conftest import Receiver

pytestmark = pytest.mark.e2e

PAST = "2026-11-20"


@pytest.fixture
def admin_page(
    chromium: Any,  # noqa: F811 - the fixture imported above
    server: str,  # noqa: F811
    db: Session,
    org: Org,
) -> Iterator[Callable[[dict[str, int]], Any]]:
    org.admin.password_hash = hash_password(PASSWORD)
    db.commit()
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(viewport: dict[str, int]) -> Any:
        context = chromium.new_context(viewport=viewport, base_url=server)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
        sign_in(page, org.admin.email)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def crowded(db: Session, org: Org) -> None:
    """Long names and a long error: what could push the pages wider than a phone."""
    for n in range(6):
        make_user(db, role=Role.REP, team=org.team, name=f"Алексей-Ștefan Кузнецов-Петровић {n} <QA> & Co")
    long_url = "https://hooks.example.test/" + "segment/" * 30 + "tail1234"
    target = add_target(db, org.team, "json", long_url, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    add_target(db, org.team, "telegram", "https://api.telegram.org/bot123456:telegramsecret0003")
    db.add(
        DigestDelivery(
            target_id=target,
            team_id=org.team.id,
            day=datetime(2026, 11, 19).date(),
            status=DigestStatus.FAILED,
            attempts=6,
            last_status_code=503,
            last_error="HTTP 503: " + "upstream_connect_error_or_disconnect/reset_before_headers" * 3,
        )
    )
    db.commit()


def test_an_admin_adds_a_target_and_sends_a_day_on_a_phone(
    admin_page: Callable[[dict[str, int]], Any], db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    receiver = receivers("slack")
    page = admin_page(PHONE)
    page.goto(f"/digest/{org.team.id}")
    page.select_option("#new-target select[name=kind]", "slack")
    page.fill("#new-target input[name=url]", receiver.url)
    page.fill("#new-target input[name=label]", "#sales-floor")
    page.click("#new-target button[type=submit]")
    page.wait_for_selector("#digest-targets")
    assert page.inner_text("#digest-targets code").startswith("127.0.0.1:")
    assert "slacksecret" not in page.content()
    page.fill("#send-form input[name=date]", PAST)
    page.click("#send-form button[type=submit]")
    page.wait_for_selector("#digest-notice")
    assert "is being posted to #sales-floor" in page.inner_text("#digest-notice")
    delivery.deliver_due()
    assert len(receiver.requests) == 1
    page.reload()
    settle(page)
    assert page.inner_text("#digest-deliveries tbody tr td[data-label=Status]").startswith("Sent")
    assert page.evaluate(MEASURE) == []
    page.screenshot(path=str(SCREENSHOTS / "digest_team_phone.png"), full_page=True)


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_team_page_and_the_preview_fit_the_screen(
    admin_page: Callable[[dict[str, int]], Any], db: Session, org: Org, name: str, viewport: dict[str, int]
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    crowded(db, org)
    db.execute(update(DigestDelivery).values(next_attempt_at=None))
    db.commit()
    page = admin_page(viewport)
    for path, shot in (
        (f"/digest/{org.team.id}", "team"),
        (f"/digest/{org.team.id}/preview?date={PAST}", "preview"),
    ):
        page.goto(path)
        settle(page)
        page.click("details.digest-payload[data-kind=slack] summary") if shot == "preview" else None
        assert page.evaluate(MEASURE) == [], path
        page.screenshot(path=str(SCREENSHOTS / f"digest_{shot}_{name}.png"), full_page=True)


def test_a_delivery_error_reads_as_words_at_1280(
    admin_page: Callable[[dict[str, int]], Any], db: Session, org: Org
) -> None:
    """A refused connection, recorded as a person would say it, wraps on words inside the page."""
    crowded(db, org)
    target = add_target(db, org.team, "slack", "http://127.0.0.1:9/hook/slacksecret0009")  # nobody listens
    day = datetime(2026, 11, 20).date()
    db.add(DigestDelivery(target_id=target, team_id=org.team.id, day=day, trigger="manual"))
    db.commit()
    delivery.deliver_due()
    page = admin_page(DESKTOP)
    page.goto(f"/digest/{org.team.id}")
    settle(page)
    row = page.locator("#digest-deliveries tbody tr[data-status=pending]")
    status = row.locator("td[data-label=Status]").inner_text().splitlines()
    assert status == ["Retrying: 1 attempt failed", "sent by hand"]
    error = row.locator("td[data-label=Error] small")
    assert error.inner_text() == "Could not connect to 127.0.0.1:9 (connection refused)"
    box = error.bounding_box()
    frame = page.locator("#digest-deliveries").locator("xpath=..").bounding_box()  # its scroll box
    assert box is not None and frame is not None and box["x"] + box["width"] <= frame["x"] + frame["width"], (
        box
    )
    # On words: at most three lines, never a line per fragment of a word.
    assert box["height"] <= 3.5 * error.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"), box
    assert page.evaluate(MEASURE) == []
    page.screenshot(path=str(SCREENSHOTS / "digest_team_error_1280.png"), full_page=True)
