"""A reviewer's own capacity, languages and availability: theirs to set until a QC lead locks them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.reviews.models import ReviewerProfile
from tests.factories import Org

MINE = {"capacity": "12", "languages": ["ro", "ru"], "available": "true"}


def _profile(db: Session, user_id: int) -> ReviewerProfile | None:
    db.expire_all()
    return db.get(ReviewerProfile, user_id)


def test_a_reviewer_sets_their_own_settings_from_their_queue(
    browser_factory: Any, db: Session, org: Org
) -> None:
    reviewer = browser_factory().login_as(org.reviewer)
    form = reviewer.page("/queue").select_one("#my-settings-form")
    assert form is not None and form.select_one("input[name=capacity]")
    saved = reviewer.post(f"/queue/reviewers/{org.reviewer.id}", data=MINE)
    assert (saved.status_code, saved.headers["location"]) == (303, "/queue?saved=true")
    profile = _profile(db, org.reviewer.id)
    assert profile is not None
    assert (profile.daily_capacity, profile.languages, profile.is_available) == (12, ["ro", "ru"], True)


def test_a_locked_reviewer_sees_their_settings_read_only_and_cannot_change_them(
    browser_factory: Any, db: Session, org: Org
) -> None:
    lead = browser_factory().login_as(org.qc_lead)
    locked = {"capacity": "30", "languages": ["en"], "available": "true", "locked": "true"}
    assert lead.post(f"/queue/reviewers/{org.reviewer.id}", data=locked).status_code == 303
    row = lead.page("/queue/reviewers").select_one(f"input[form=reviewer-{org.reviewer.id}][name=locked]")
    assert row.has_attr("checked")
    reviewer = browser_factory().login_as(org.reviewer)
    queue = reviewer.page("/queue")
    assert queue.select_one("#my-settings-form") is None
    assert "Locked by Quinn Lead" in queue.select_one("#settings-locked").get_text()
    assert "30" in queue.select_one("#my-review-settings dl").get_text()
    refused = reviewer.post(f"/queue/reviewers/{org.reviewer.id}", data=MINE)
    assert refused.status_code == 403
    assert "locked" in refused.text
    profile = _profile(db, org.reviewer.id)
    assert profile is not None and (profile.daily_capacity, profile.languages) == (30, ["en"])
    # Unlocked, it is the reviewer's again.
    unlocked = {"capacity": "30", "languages": ["en"], "available": "true"}
    assert lead.post(f"/queue/reviewers/{org.reviewer.id}", data=unlocked).status_code == 303
    assert reviewer.post(f"/queue/reviewers/{org.reviewer.id}", data=MINE).status_code == 303
    profile = _profile(db, org.reviewer.id)
    assert profile is not None and (profile.daily_capacity, profile.locked_at) == (12, None)


def test_a_reviewer_cannot_lock_or_unlock_their_own_settings(
    browser_factory: Any, db: Session, org: Org
) -> None:
    reviewer = browser_factory().login_as(org.reviewer)
    assert (
        reviewer.post(f"/queue/reviewers/{org.reviewer.id}", data={**MINE, "locked": "true"}).status_code
        == 303
    )
    profile = _profile(db, org.reviewer.id)
    assert profile is not None and profile.locked_at is None and profile.locked_by_id is None
