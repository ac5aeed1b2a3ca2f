"""Coaching and training in a real browser: the manager goes from the team page to a rep and
plans a session from a review; the rep acknowledges it and ticks an action item off."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qc.kit.security import hash_password
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.e2e.test_feedback_browser import open_as
from tests.feedback.conftest import submit_review

pytestmark = pytest.mark.e2e


def test_a_manager_coaches_a_rep_from_the_team_page(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    org: Any,
    settings: Any,
) -> None:
    for user in (org.rep, org.manager):
        user.password_hash = hash_password(PASSWORD)
    db.commit()
    submit_review(db, org, settings, statuses={"price": "fail"})
    review = submit_review(db, org, settings, statuses={"price": "fail", "greeting": "fail"})
    SCREENSHOTS.mkdir(exist_ok=True)

    manager = open_as(chromium, server, org.manager.email)
    manager.goto("/team")
    manager.wait_for_url(f"**/team/{org.team.id}")
    assert manager.locator("table.team-table svg.sparkline").count() >= 1
    manager.screenshot(path=str(SCREENSHOTS / "team_page.png"), full_page=True)
    manager.click(f"table.team-table a:has-text('{org.rep.name}')")
    manager.wait_for_url(f"**/reps/{org.rep.id}")
    manager.screenshot(path=str(SCREENSHOTS / "rep_page.png"), full_page=True)
    manager.click(f"a[href$='/evaluations/{review.id}']")
    manager.click("text=Plan coaching from this review")
    manager.wait_for_url("**/coaching/new**")
    ticked = manager.eval_on_selector_all("input[name=focus]:checked", "boxes => boxes.map(b => b.value)")
    assert sorted(ticked) == ["outbound-sales:greeting", "outbound-sales:price"]
    manager.fill("input[name=scheduled_at]", "2026-12-10T10:00")
    manager.fill("input[name='action-0-text']", "Say the price before any discount")
    manager.fill("textarea[name=private_notes]", "New in the team: be gentle")
    manager.click("button:has-text('Plan the session')")
    manager.wait_for_url(re.compile(r"/coaching/\d+$"))
    assert manager.locator(".coaching-action").count() == 1
    assert manager.locator("text=be gentle").count() == 1
    manager.screenshot(path=str(SCREENSHOTS / "coaching_session_manager.png"), full_page=True)
    session_url = manager.url

    rep = open_as(chromium, server, org.rep.email, width=390)
    rep.goto(session_url)
    assert rep.locator("text=be gentle").count() == 0
    with rep.expect_navigation():  # the acknowledgement posts and comes back to the session
        rep.click("button:has-text('Acknowledge')")
    assert rep.locator("button:has-text('Acknowledge')").count() == 0
    rep.click(".coaching-action button.tick")
    rep.wait_for_selector(".coaching-action.done")
    assert rep.evaluate("document.documentElement.scrollWidth") <= 390
    rep.screenshot(path=str(SCREENSHOTS / "coaching_session_rep_phone.png"), full_page=True)
    assert not manager.errors and not rep.errors
