"""In a real browser on a phone: a reviewer sets their own review settings from their queue until
a QC lead locks them, and starts a calibration scoring with one tap."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.evaluations import calibration
from qc.kit.security import hash_password
from qc.reviews.models import ReviewerProfile
from qc.users.service import principal_for
from tests.e2e.test_browser import PASSWORD, chromium, server, sign_in  # noqa: F401 - fixtures
from tests.factories import Org, make_checked_call

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium: Any, server: str, db: Session, org: Org) -> Any:  # noqa: F811 - fixtures
    for user in (org.reviewer, org.qc_lead):
        user.password_hash = hash_password(PASSWORD)
    db.commit()
    context = chromium.new_context(viewport=PHONE, base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_a_reviewer_saves_their_settings_then_sees_them_locked(phone: Any, db: Session, org: Org) -> None:
    sign_in(phone, org.reviewer.email)
    phone.goto("/queue")
    form = phone.locator("#my-settings-form")
    form.locator("input[name=capacity]").fill("7")
    form.locator("input[name=languages][value=ro]").check()
    form.locator("button[type=submit]").click()
    phone.wait_for_url("**/queue?saved=true")
    assert phone.locator("#my-review-settings .notice").is_visible()
    db.expire_all()
    profile = db.get(ReviewerProfile, org.reviewer.id)
    assert profile is not None and (profile.daily_capacity, profile.languages) == (7, ["ro"])
    profile.locked_by_id = org.qc_lead.id
    profile.locked_at = profile.updated_at
    db.commit()
    phone.goto("/queue")
    assert phone.locator("#my-settings-form").count() == 0
    assert "Locked by Quinn Lead" in phone.locator("#settings-locked").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_participant_starts_a_calibration_scoring_with_one_tap(phone: Any, db: Session, org: Org) -> None:
    calls = [make_checked_call(db, rep=org.rep) for _ in range(2)]
    run = calibration.create_session(
        db,
        principal_for(db, org.qc_lead),
        title="Week 49",
        call_ids=[c.id for c in calls],
        reviewer_ids=[org.reviewer.id],
    )
    db.commit()
    sign_in(phone, org.reviewer.email)
    phone.goto(f"/calibration/{run.id}")
    phone.locator("#calibration-progress").get_by_role("button", name="Score").first.click()
    phone.wait_for_url(f"**/calibration/{run.id}/calls/{calls[0].id}")
    assert phone.locator("#review-form").count() == 1
    # A link to a call not started yet (a bookmark, the back button) shows the button, not a draft.
    phone.goto(f"/calibration/{run.id}/calls/{calls[1].id}")
    assert phone.locator("#review-form").count() == 0
    with phone.expect_navigation():  # the start posts, then comes back to the same address
        phone.get_by_role("button", name="Start scoring").click()
    assert phone.locator("#review-form").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
