"""In a real browser: the review workspace works without a player (a recording deleted under
the retention policy), and the privacy pages fit a 390 px phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.db import utcnow
from qc.evaluations import service as evaluations
from qc.kit.security import hash_password
from qc.users.service import principal_for
from tests.e2e.test_browser import PASSWORD, chromium, page, server  # noqa: F401 (fixtures)
from tests.factories import make_checked_call

pytestmark = pytest.mark.e2e


def _sign_in(page: Any, email: str) -> None:  # noqa: F811
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_the_review_workspace_works_when_the_recording_was_deleted(
    page: Any,  # noqa: F811
    db: Session,
    org: Any,
    settings: Any,
) -> None:
    org.reviewer.password_hash = hash_password(PASSWORD)
    call = make_checked_call(db, rep=org.rep)
    call.redacted_deleted_at = utcnow()
    draft = evaluations.review_call(db, principal_for(db, org.reviewer), call.id, settings=settings)
    db.commit()
    _sign_in(page, org.reviewer.email)
    page.goto(f"/reviews/{draft.assignment_id}")
    page.wait_for_selector(".recording-gone")
    assert page.locator("audio").count() == 0
    page.wait_for_function("() => document.getElementById('review').dataset.bound === '1'")
    page.keyboard.press("Space")  # play/pause: nothing to play, nothing breaks
    # (the page fixture fails the test on any JavaScript error)


def test_privacy_pages_fit_a_phone(page: Any, db: Session, org: Any) -> None:  # noqa: F811
    org.admin.password_hash = hash_password(PASSWORD)
    db.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, org.admin.email)
    for url in ("/admin/privacy", "/admin/privacy/audit"):
        page.goto(url)
        page.wait_for_selector("h1")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
