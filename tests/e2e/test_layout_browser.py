"""The layout in a real browser: on a 390 px phone no page is wider than the screen and the
actions and errors of wide tables are in view; at 1280 px the admin's navigation is one line;
a form answered with 422 is shown again without htmx reporting an error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from qc.kit.security import hash_password
from qc.notifications import delivery
from qc.reviews import builder
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.factories import Org, make_checked_call

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CALL_DAY = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def open_as(chromium: Any, server: str, db: Any) -> Iterator[Any]:  # noqa: F811
    """`open_as(user, viewport)`: a signed-in page; console errors are collected in `page.console`."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_page(user: Any, viewport: dict[str, int]) -> Any:
        user.password_hash = hash_password(PASSWORD)
        db.commit()
        context = chromium.new_context(viewport=viewport, base_url=server)
        contexts.append(context)
        page = context.new_page()
        page.console, page.errors = [], []
        page.on("console", lambda m: page.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto("/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        pages.append(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    for page in pages:
        assert page.errors == [], f"JavaScript errors: {page.errors}"


def page_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


@pytest.fixture
def queue_day(db: Any, org: Org, settings: Any) -> Org:
    """Two picks of the rep's calls, both assigned to the reviewer."""
    for minute in (0, 30):
        make_checked_call(db, rep=org.rep, started_at=CALL_DAY.replace(minute=minute))
    db.commit()
    builder.build_queue(
        db, day=CALL_DAY.date(), settings=settings, draw_now=True, now=CALL_DAY.replace(hour=12)
    )
    db.commit()
    return org


def test_the_coverage_page_fits_a_phone(open_as: Any, queue_day: Org) -> None:
    phone = open_as(queue_day.qc_lead, PHONE)
    phone.goto(f"/queue/day?date={CALL_DAY.date().isoformat()}")
    phone.wait_for_selector("#day-picks")
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "coverage_phone.png"), full_page=True)

    assert page_overflow(phone) == 0, "wide tables scroll in their own box, the page does not"
    assert in_view(phone, "#day-picks tbody tr select[name=reviewer]")


def test_a_reviewer_starts_a_review_on_a_phone(open_as: Any, queue_day: Org) -> None:
    phone = open_as(queue_day.reviewer, PHONE)
    phone.goto("/queue")
    start = phone.locator("#my-queue tbody tr").first.locator("button:has-text('Start review')")
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "queue_phone.png"), full_page=True)

    assert page_overflow(phone) == 0
    assert in_view(phone, "#my-queue tbody tr >> button:has-text('Start review')")
    start.click()
    phone.wait_for_url("**/reviews/*")


def test_a_failed_delivery_shows_its_error_on_a_phone_and_a_desktop(open_as: Any, org: Org) -> None:
    phone = open_as(org.admin, PHONE)
    phone.goto("/admin/webhooks")
    phone.fill("input[name=url]", "http://127.0.0.1:9/nobody-listens")
    phone.click("text=Create webhook")
    phone.wait_for_selector("#new-secret")
    phone.click("#endpoints a")
    phone.click("text=Send test")
    phone.wait_for_selector("#deliveries tbody tr")
    delivery.deliver_due()
    phone.reload()
    error = "#deliveries tbody tr td[data-label=Error]"
    assert "refused" in phone.inner_text(error).lower()
    phone.screenshot(path=str(SCREENSHOTS / "webhook_failed_phone.png"), full_page=True)
    assert page_overflow(phone) == 0
    assert in_view(phone, error)

    desktop = open_as(org.admin, DESKTOP)
    desktop.goto(phone.url)
    box = desktop.locator(error).bounding_box()
    table_box = desktop.locator("#deliveries").evaluate("t => t.parentElement.getBoundingClientRect().right")
    assert box is not None and box["x"] + box["width"] <= table_box + 1, "the Error column is in its box"


def test_the_admin_navigation_is_one_line_at_1280_and_folds_on_a_phone(open_as: Any, org: Org) -> None:
    for person in (org.qc_lead, org.admin):  # the two longest navigations
        page = open_as(person, DESKTOP)
        page.goto("/calls")
        middles = page.eval_on_selector_all(
            ".topbar nav > ul > li",
            "(items) => items.map((li) => li.getBoundingClientRect().top)",
        )
        assert max(middles) - min(middles) < 10, f"{person.email}: navigation wraps: {middles}"
    desktop = open_as(org.admin, DESKTOP)
    desktop.goto("/calls")

    desktop.click(".topbar summary:has-text('Admin')")
    desktop.click(".topbar a:has-text('Webhooks')")
    desktop.wait_for_url("**/admin/webhooks")
    assert desktop.locator(".topbar summary.current").inner_text().strip() == "Admin"

    phone = open_as(org.admin, PHONE)
    phone.goto("/calls")
    assert page_overflow(phone) == 0
    assert not phone.is_visible(".topbar summary:has-text('Admin')"), "folded behind the Menu button"
    phone.click(".topbar .nav-toggle-button")
    phone.click(".topbar summary:has-text('Admin')")
    assert in_view(phone, ".topbar a:has-text('People')")
    assert page_overflow(phone) == 0, "the open menu stays on the screen"


def test_an_invalid_form_comes_back_with_its_errors_and_htmx_reports_none(open_as: Any, org: Org) -> None:
    page = open_as(org.admin, DESKTOP)
    page.goto("/admin/webhooks")
    url = page.locator("input[name=url]")
    url.evaluate("input => { input.type = 'text'; }")  # past the browser's own check
    url.fill("ftp://example.test/hook")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("text=Create webhook")
    page.wait_for_selector(".field-error")

    assert answer.value.status == 422
    assert page.input_value("input[name=url]") == "ftp://example.test/hook"
    # Chromium itself notes every 4xx response ("Failed to load resource"); htmx must add nothing.
    assert [m for m in page.console if not m.startswith("Failed to load resource")] == []


def test_the_reports_menu_is_as_wide_as_its_items_at_1280(open_as: Any, org: Org) -> None:
    page = open_as(org.manager, DESKTOP)
    page.goto("/calls")
    page.click(".topbar summary:has-text('Reports')")
    items = page.locator(".topbar .reports-menu ul a")
    assert items.count() >= 2
    cut = items.evaluate_all(
        "(links) => links.filter((a) => a.scrollWidth > a.clientWidth).map((a) => a.textContent)"
    )
    assert cut == [], f"cut off: {cut}"
    assert (
        page.locator(".topbar .reports-menu ul a:has-text('Coverage report')").inner_text()
        == "Coverage report"
    )


def test_on_a_phone_one_tap_opens_the_next_menu_and_closes_the_open_one(open_as: Any, org: Org) -> None:
    phone = open_as(org.admin, PHONE)
    phone.goto("/calls")
    phone.click(".topbar .nav-toggle-button")
    phone.click(".topbar summary:has-text('Admin')")
    assert phone.is_visible(".topbar a:has-text('People')")
    phone.click(".topbar summary:has-text('Reports')")  # one tap
    assert phone.evaluate("document.querySelector('.topbar .reports-menu').open")
    assert not phone.evaluate("document.querySelector('.topbar .admin-menu').open")
    assert in_view(phone, ".topbar a:has-text('Coverage report')")
    phone.click(".topbar a:has-text('Coverage report')")
    phone.wait_for_url("**/reports/coverage*")
