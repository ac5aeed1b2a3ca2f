"""Training in a real browser: a QC lead's rule assigns a module once the rep has failed the
price item in three of the last five reviewed calls; the rep finds it under Training on a
phone, marks it done and sees it completed."""

from __future__ import annotations

from typing import Any

import pytest

from qc.kit.security import hash_password
from qc.training import service
from qc.users.service import principal_for
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.e2e.test_feedback_browser import open_as
from tests.feedback.conftest import submit_review
from tests.training.conftest import make_module, make_rule

pytestmark = pytest.mark.e2e


def test_a_rule_assigns_reading_and_the_rep_marks_it_done_on_a_phone(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    org: Any,
    settings: Any,
) -> None:
    org.rep.password_hash = hash_password(PASSWORD)
    db.commit()
    module = make_module(db, org, title="Talking about price", assessment=False)
    make_rule(db, org, module, k=3, n=5)

    def assignments() -> list[Any]:
        db.expire_all()
        found = service.assignments_of_rep(db, principal_for(db, org.qc_lead), org.rep.id)
        db.commit()
        return found

    for _ in range(2):
        submit_review(db, org, settings, statuses={"price": "fail"})
    assert assignments() == [], "two failed reviews of five are not enough"
    submit_review(db, org, settings, statuses={"price": "fail"})
    [assigned] = assignments()
    assert assigned.module_id == module.id

    SCREENSHOTS.mkdir(exist_ok=True)
    rep = open_as(chromium, server, org.rep.email, width=390)
    rep.click("header.topbar .nav-toggle-button")  # on a phone the links fold behind Menu
    rep.click("header.topbar nav a:has-text('Training')")
    rep.wait_for_url(f"**/reps/{org.rep.id}/training")
    card = rep.locator(f"#assignment-{assigned.id}")
    assert card.locator("text=Talking about price").count() == 1
    assert rep.evaluate("document.documentElement.scrollWidth") <= 390
    rep.screenshot(path=str(SCREENSHOTS / "training_rep_phone.png"), full_page=True)

    card.locator("button:has-text('Mark as done')").click()
    rep.wait_for_selector(f"#history-{assigned.id}")
    assert rep.locator(f"#assignment-{assigned.id}").count() == 0, "no longer open"
    row = rep.locator(f"#history-{assigned.id}")
    assert "Talking about price" in row.inner_text()
    assert row.locator(".training-completed").is_visible(), "completed, in view on a phone"
    assert rep.locator("text=Nothing open.").count() == 1
    assert rep.evaluate("document.documentElement.scrollWidth") <= 390
    rep.screenshot(path=str(SCREENSHOTS / "training_rep_done_phone.png"), full_page=True)
    [done] = assignments()
    assert done.status.value == "completed"
    assert not rep.errors
