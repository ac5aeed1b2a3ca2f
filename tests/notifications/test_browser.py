"""The inbox and the webhook pages in a real browser (Debian chromium via Playwright), on a
390 px wide phone: nothing wider than the screen, and the forms work through hx-boost."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.notifications import delivery, handlers
from tests.factories import Org, make_call
from tests.notifications.conftest import Receiver, event

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"
PASSWORD = "browser-password-1"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    instance = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def phone(chromium: Any, server: str) -> Iterator[Any]:
    context = chromium.new_context(viewport=PHONE, base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def sign_in(page: Any, db: Session, user: Any, then: str) -> None:
    from qc.kit.security import hash_password

    user.password_hash = hash_password(PASSWORD)
    db.commit()
    page.goto(then)
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{then}")


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_rep_reads_and_opens_notices_on_a_phone(phone: Any, db: Session, org: Org) -> None:
    call = make_call(db, rep=org.rep)
    for evaluation_id in (41, 42):
        payload = {
            "evaluation_id": evaluation_id,
            "call_id": call.id,
            "rep_id": org.rep.id,
            "team_id": org.team.id,
            "reviewer_id": org.reviewer.id,
            "final_score": 91.0,
            "call_started_at": "2026-11-20T09:30:00+00:00",
        }
        handlers.on_evaluation_released(db, event("evaluation.released", payload))
    db.commit()
    sign_in(phone, db, org.rep, "/inbox")

    assert phone.locator("article.notification.unread").count() == 2
    assert fits(phone)
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "inbox_phone.png"), full_page=True)

    phone.locator("article.notification").first.locator("text=Mark read").click()
    phone.wait_for_function("() => document.querySelectorAll('article.notification.unread').length === 1")
    assert "1 unread" in phone.inner_text("#unread-count")

    phone.locator("article.notification").first.locator("text=Open").click()
    phone.wait_for_url("**/feedback#evaluation-*")


def test_an_admin_sets_up_a_webhook_on_a_phone(phone: Any, db: Session, org: Org, receiver: Receiver) -> None:
    sign_in(phone, db, org.admin, "/admin/webhooks")
    assert fits(phone)

    phone.fill("input[name=url]", receiver.url)
    phone.click("text=Create webhook")
    phone.wait_for_selector("#new-secret code")
    secret = phone.inner_text("#new-secret code")
    assert secret.startswith("whsec_")

    phone.click("#endpoints a")
    phone.wait_for_selector("text=Send test")
    phone.click("text=Send test")
    phone.wait_for_selector("#deliveries tbody tr")
    delivery.deliver_due()
    phone.reload()
    phone.wait_for_selector("#deliveries tr[data-status=delivered]")
    assert fits(phone), "the deliveries table scrolls in its own box"
    assert secret not in phone.content()
    phone.screenshot(path=str(SCREENSHOTS / "webhook_phone.png"), full_page=True)
    assert [r.headers["x-qc-event"] for r in receiver.requests] == ["webhook.test"]
