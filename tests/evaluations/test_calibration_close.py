"""Calibration once the lead closes a session: what was never submitted stays with its author,
drafts take no more comments, and opening a call to score stores nothing until asked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.evaluations import calibration
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation, EvaluationComment
from qc.evaluations.service import ReviewForm
from qc.users.service import principal_for
from tests.factories import Org, api_token, bearer, make_checked_call


def _session_with_drafts(db: Session, org: Org, settings: Any) -> tuple[int, int, int, int]:
    """A session over one call: the lead's draft (never submitted), the reviewer's submitted
    scoring, then closed. (session, call, lead's draft, reviewer's scoring)"""
    call = make_checked_call(db, rep=org.rep)
    lead, reviewer = principal_for(db, org.qc_lead), principal_for(db, org.reviewer)
    run = calibration.create_session(
        db, lead, title="Week 49", call_ids=[call.id], reviewer_ids=[org.reviewer.id]
    )
    draft = calibration.start_scoring(db, lead, run.id, call.id, settings=settings).evaluation
    partial = ReviewForm({"greeting": AnswerInput("no")}, "The lead's unfinished notes")
    calibration.save_scoring(db, lead, run.id, call.id, data=partial, settings=settings, submit=False)
    space = calibration.start_scoring(db, reviewer, run.id, call.id, settings=settings)
    given = {a.item_id: AnswerInput("yes") for a in space.evaluation.answers}
    given.update({"needs_summary": AnswerInput("na"), "objection_handling": AnswerInput("na")})
    calibration.save_scoring(
        db, reviewer, run.id, call.id, data=ReviewForm(given), settings=settings, submit=True
    )
    calibration.close_session(db, lead, run.id)
    db.commit()
    return run.id, call.id, draft.id, space.evaluation.id


def test_a_closed_sessions_unsubmitted_scoring_stays_with_its_author(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    _, _, lead_draft, submitted = _session_with_drafts(db, org, settings)
    token = api_token(db, org.reviewer)
    db.commit()
    reviewer = browser_factory().login_as(org.reviewer)
    assert reviewer.get(f"/api/evaluations/{lead_draft}", headers=bearer(token)).status_code == 404
    page = reviewer.get(f"/evaluations/{lead_draft}")
    assert page.status_code == 404
    assert "unfinished notes" not in page.text
    assert reviewer.get(f"/evaluations/{submitted}").status_code == 200, "submitted scorings are shared"
    lead = browser_factory().login_as(org.qc_lead)
    assert lead.get(f"/evaluations/{lead_draft}").status_code == 200, "the author still reads their draft"
    assert lead.get(f"/evaluations/{submitted}").status_code == 200


def test_a_draft_of_a_closed_session_takes_no_comment(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    _, _, lead_draft, _ = _session_with_drafts(db, org, settings)
    lead = browser_factory().login_as(org.qc_lead)
    response = lead.post(
        f"/evaluations/{lead_draft}/comments", data={"text": "One more thought", "at_s": "1"}
    )
    assert response.status_code == 409
    assert "closed" in response.text
    stored = db.scalar(select(func.count()).where(EvaluationComment.evaluation_id == lead_draft))
    assert stored == 0


def test_opening_a_call_to_score_stores_nothing_until_scoring_starts(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    call = make_checked_call(db, rep=org.rep)
    run = calibration.create_session(
        db,
        principal_for(db, org.qc_lead),
        title="Week 50",
        call_ids=[call.id],
        reviewer_ids=[org.reviewer.id],
    )
    db.commit()
    reviewer = browser_factory().login_as(org.reviewer)
    url = f"/calibration/{run.id}/calls/{call.id}"
    opened = reviewer.page(url)
    assert opened.select_one("form#start-scoring button").get_text(strip=True) == "Start scoring"
    assert db.scalar(select(func.count()).select_from(Evaluation)) == 0, "a GET must not write"
    started = reviewer.post(f"{url}/start")
    assert (started.status_code, started.headers["location"]) == (303, url)
    assert reviewer.page(url).select_one("#review-form") is not None
    assert reviewer.post(f"{url}/start").status_code == 303, "starting twice keeps the one draft"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Evaluation)) == 1
    calibration.close_session(db, principal_for(db, org.qc_lead), run.id)
    db.commit()
    lead = browser_factory().login_as(org.qc_lead)
    assert lead.post(f"{url}/start").status_code == 409, "a closed session takes no new scoring"
    assert "closed" in lead.page(url).get_text()
