"""The feedback loop in a real browser: the rep reads, plays, acknowledges and disputes; the QC
lead resolves; the rep sees the new score and why."""

from __future__ import annotations

from typing import Any

import pytest

from qc.evaluations import comments
from qc.kit.security import hash_password
from qc.users.service import principal_for
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.feedback.conftest import submit_review

pytestmark = pytest.mark.e2e


def open_as(chromium: Any, server: str, email: str, *, width: int = 1280) -> Any:  # noqa: F811
    context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=server)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_the_rep_answers_feedback_and_the_lead_resolves_the_dispute(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    org: Any,
    settings: Any,
) -> None:
    for user in (org.rep, org.qc_lead):
        user.password_hash = hash_password(PASSWORD)
    db.commit()
    first = submit_review(db, org, settings)
    second = submit_review(db, org, settings)
    comments.add_comment(
        db, principal_for(db, org.reviewer), second.id, text="Listen to the price here", at_s=6.0
    )
    db.commit()

    rep = open_as(chromium, server, org.rep.email)
    assert rep.url.endswith("/feedback"), "reps land on My feedback"
    card = rep.locator(f"#evaluation-{second.id}")
    card.locator("[data-play-at]").first.click()
    rep.wait_for_function(f"() => document.querySelector('#evaluation-{second.id} audio').currentTime > 4")
    position = rep.evaluate(f"document.querySelector('#evaluation-{second.id} audio').currentTime")
    assert 5.0 <= position <= 8.0

    rep.locator(f"#evaluation-{first.id} button:has-text('Acknowledge')").click()
    rep.wait_for_selector(f"#evaluation-{first.id} .badge.acknowledged")
    SCREENSHOTS.mkdir(exist_ok=True)
    rep.screenshot(path=str(SCREENSHOTS / "my_feedback.png"), full_page=True)

    rep.locator(f"#evaluation-{second.id} a:has-text('Dispute an item')").click()
    rep.wait_for_url(f"**/feedback/{second.id}/dispute")
    rep.check("input[name='item-price']")
    rep.fill("textarea[name='comment-price']", "I asked about the budget right at the start")
    rep.select_option("select[name='proposed-price']", "yes")
    rep.click("button:has-text('Send the dispute')")
    rep.wait_for_url("**/disputes/*")
    dispute_path = rep.url.split(server)[-1]

    lead = open_as(chromium, server, org.qc_lead.email)
    lead.goto("/disputes")
    lead.click(f"a[href$='{dispute_path}']")
    lead.check("input[name='decision-price'][value='changed']")
    lead.select_option("select[name='answer-price']", "yes")
    lead.fill("input[name='reason-price']", "You did ask it; the check missed it")
    lead.select_option("select[name='cause-price']", "auto_check_wrong")
    lead.click("button:has-text('Resolve the dispute')")
    lead.wait_for_selector(".outcome-changed")

    rep.goto(dispute_path)
    assert "You did ask it; the check missed it" in rep.inner_text(".outcome-changed")
    rep.goto("/feedback")
    assert rep.inner_text(f"#evaluation-{second.id} .score").strip().startswith("100")
    rep.screenshot(path=str(SCREENSHOTS / "my_feedback_after_dispute.png"), full_page=True)

    phone = open_as(chromium, server, org.rep.email, width=390)
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    phone.screenshot(path=str(SCREENSHOTS / "my_feedback_phone.png"), full_page=True)
    assert overflow <= 1, "My feedback fits a phone without sideways scrolling"
    for page in (rep, lead, phone):
        assert page.errors == []
