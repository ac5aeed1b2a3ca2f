"""Who may see and do what around the queue: blind review, calibration privacy, wrong roles,
bad input that must be a clear 4xx."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.db import session_scope
from qc.errors import Conflict
from qc.evaluations import calibration
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.service import ReviewForm
from qc.reviews import builder, service
from qc.reviews.models import Assignment
from qc.reviews.service import PolicyForm
from qc.users.service import principal_for
from tests.factories import Org, api_token, bearer, make_checked_call, make_reviewer

MONDAY = date(2026, 11, 23)
NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _policy(**overrides: Any) -> PolicyForm:
    values: dict[str, Any] = {
        "target": 2,
        "working_days": "1,2,3,4,5",
        "timezone": "UTC",
        "day_start": "09:00",
        "day_end": "18:00",
        "min_duration_s": 30,
        "risk_share_percent": 50,
        "low_score": 70,
        "exclude_own_team": False,
        "blind": False,
        **overrides,
    }
    return PolicyForm(**values)


def _picks(db: Session, org: Org, settings: Any) -> list[Assignment]:
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    for hour in range(2):
        make_checked_call(db, rep=org.rep, started_at=start + timedelta(hours=hour))
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, draw_now=True, now=NOON)
    db.commit()
    return list(db.scalars(select(Assignment).order_by(Assignment.id)))


# Blind review ------------------------------------------------------------------------------------


def test_blind_review_hides_the_rep_everywhere_a_reviewer_looks(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    service.update_policy(db, principal_for(db, org.qc_lead), team_id=org.team.id, form=_policy(blind=True))
    pick = _picks(db, org, settings)[0]
    token = api_token(db, org.reviewer)
    db.commit()
    reviewer = browser_factory().login_as(org.reviewer)
    secrets_of_rep = (org.rep.name, org.rep.email, "crm-rex")
    pages = [
        "/queue",
        "/calls",
        f"/calls/{pick.call_id}",
        f"/reviews/{pick.id}" if reviewer.post(f"/queue/{pick.id}/start").status_code == 303 else "",
    ]
    for url in pages:
        text = reviewer.get(url).text
        assert not any(s in text for s in secrets_of_rep), url
        assert "Rep " in text, url
    for url in (f"/api/calls/{pick.call_id}", "/api/calls", "/api/queue/mine"):
        body = reviewer.get(url, headers=bearer(token)).text
        assert not any(s in body for s in secrets_of_rep), url
    lead = browser_factory().login_as(org.qc_lead)
    assert org.rep.name in lead.get(f"/calls/{pick.call_id}").text, "QC leads still see who it is"


# Calibration privacy --------------------------------------------------------------------------------


def _scored_session(db: Session, org: Org, settings: Any) -> tuple[int, int]:
    call = make_checked_call(db, rep=org.rep)
    db.commit()
    lead = principal_for(db, org.qc_lead)
    run = calibration.create_session(
        db, lead, title="Week", call_ids=[call.id], reviewer_ids=[org.reviewer.id]
    )
    reviewer = principal_for(db, org.reviewer)
    space = calibration.start_scoring(db, reviewer, run.id, call.id, settings=settings)
    given = {a.item_id: AnswerInput("yes") for a in space.evaluation.answers}
    given.update({"needs_summary": AnswerInput("na"), "objection_handling": AnswerInput("na")})
    calibration.save_scoring(
        db, reviewer, run.id, call.id, data=ReviewForm(given), settings=settings, submit=True
    )
    db.commit()
    return run.id, space.evaluation.id


def test_closed_calibration_scorings_stay_among_participants(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    session_id, scoring_id = _scored_session(db, org, settings)
    calibration.close_session(db, principal_for(db, org.qc_lead), session_id)
    db.commit()
    for outsider in (org.rep, org.manager, make_reviewer(db)):
        db.commit()
        assert browser_factory().login_as(outsider).get(f"/evaluations/{scoring_id}").status_code == 404
    assert browser_factory().login_as(org.qc_lead).get(f"/evaluations/{scoring_id}").status_code == 200


def test_a_submitted_calibration_scoring_is_final_and_blind_to_the_checks(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    session_id, scoring_id = _scored_session(db, org, settings)
    call_id = evaluations.get_evaluation(db, principal_for(db, org.reviewer), scoring_id).call_id
    browser.login_as(org.reviewer)
    saved = browser.post(f"/calibration/{session_id}/calls/{call_id}/draft", data={"answer-greeting": "no"})
    assert saved.status_code == 409 and "final" in saved.text
    page = browser.page(f"/evaluations/{scoring_id}")
    assert page.select(".auto-was") == [] and "automatic" not in page.get_text()
    assert browser.get(f"/evaluations/{scoring_id}/edit").status_code == 403
    token = api_token(db, org.reviewer)
    db.commit()
    body = browser.get(f"/api/evaluations/{scoring_id}", headers=bearer(token)).json()
    assert all(a["automatic"] is None and a["suggested"] is None for a in body["answers"])


def test_the_lead_sees_the_others_answers_only_after_scoring_the_call(
    db: Session, org: Org, settings: Any
) -> None:
    session_id, _ = _scored_session(db, org, settings)
    lead = principal_for(db, org.qc_lead)
    view = calibration.session_view(db, lead, session_id)
    assert view.hidden_calls == {view.calls[0].id}
    assert view.deviations[0].compared == 0


# Wrong roles -------------------------------------------------------------------------------------------


def test_queue_actions_refuse_the_wrong_role(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = _picks(db, org, settings)[0]
    other_reviewer = make_reviewer(db)
    db.commit()
    reviewer = browser_factory().login_as(org.reviewer)
    assert (
        reviewer.post(f"/queue/{pick.id}/reassign", data={"reviewer": str(org.reviewer.id)}).status_code
        == 403
    )
    assert reviewer.post(f"/queue/reviewers/{other_reviewer.id}", data={"capacity": "5"}).status_code == 403
    assert reviewer.post("/queue/build", data={"date": "2026-11-23"}).status_code == 403
    assert reviewer.post(f"/queue/{pick.id}/release").status_code == 409, "only the holder releases"
    for persona in (org.rep, org.manager):
        client = browser_factory().login_as(persona)
        assert client.post(f"/calls/{pick.call_id}/review").status_code == 403
        assert client.post(f"/queue/{pick.id}/start").status_code == 403
        assert client.get(f"/reviews/{pick.id}").status_code == 403
    token = api_token(db, org.reviewer)
    db.commit()
    response = reviewer.post(
        f"/api/queue/assignments/{pick.id}/reassign",
        json={"reviewer_id": org.reviewer.id},
        headers=bearer(token),
    )
    assert response.status_code == 403


def test_calibration_and_comments_refuse_the_wrong_person(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    session_id, _ = _scored_session(db, org, settings)
    reviewer = browser_factory().login_as(org.reviewer)
    assert reviewer.post(f"/calibration/{session_id}/close").status_code == 403
    assert reviewer.post(f"/calibration/{session_id}/calls", data={"call": "1"}).status_code == 403
    pick = _picks(db, org, settings)[0]
    owner = browser_factory().login_as(org.reviewer)
    started = owner.post(f"/queue/{pick.id}/start")
    assert started.status_code == 303, started.text[:300]
    db.commit()
    db.expire_all()  # see what the request committed
    draft_id = evaluations.workspace(
        db, principal_for(db, org.reviewer), pick.id, settings=settings
    ).evaluation.id
    owner.post(f"/evaluations/{draft_id}/comments", data={"text": "mine", "at_s": "1"})
    db.commit()
    db.expire_all()
    comment_id = evaluations.get_evaluation(db, principal_for(db, org.reviewer), draft_id).comments[0].id
    lead = browser_factory().login_as(org.qc_lead)
    assert (
        lead.post(f"/evaluations/{draft_id}/comments", data={"text": "not yours", "at_s": "1"}).status_code
        == 403
    )
    assert lead.post(f"/evaluations/{draft_id}/comments/{comment_id}/delete").status_code == 403


def test_reps_do_not_see_which_of_their_calls_were_picked(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = _picks(db, org, settings)[0]
    page = browser.login_as(org.rep).page(f"/calls/{pick.call_id}")
    assert page.select_one("#review-panel") is None


# Bad input ---------------------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_error_not_a_500(browser: Any, db: Session, org: Org, settings: Any) -> None:
    pick = _picks(db, org, settings)[0]
    browser.login_as(org.qc_lead)
    policy = {
        "target": "2",
        "working_days": ["1"],
        "timezone": "UTC",
        "day_start": "09:00",
        "day_end": "18:00",
        "min_duration_s": "30",
        "risk_share": "50",
        "low_score": "70",
    }
    attempts = [
        ("post", f"/queue/{pick.id}/reassign", {"reviewer": "²"}),
        ("post", f"/queue/{pick.id}/reassign", {"reviewer": "99999999999999999999"}),
        ("post", f"/queue/teams/{org.team.id}", {**policy, "working_days": ["²"]}),
        ("post", f"/queue/teams/{org.team.id}", {**policy, "target": "nan"}),
        ("post", f"/queue/teams/{org.team.id}", {**policy, "target": "1e999"}),
        ("post", f"/queue/reviewers/{org.reviewer.id}", {"capacity": "nan"}),
        ("post", f"/queue/reviewers/{org.reviewer.id}", {"capacity": ""}),
        ("post", "/calibration", {"title": "x", "calls": "²", "reviewers": [str(org.reviewer.id)]}),
        ("post", "/calibration", {"title": "x", "calls": "9999", "reviewers": [str(org.reviewer.id)]}),
        ("post", "/queue/build", {"date": "9999-12-31"}),
        ("get", "/queue/day?date=0001-01-01", None),
    ]
    for method, url, data in attempts:
        response = getattr(browser, method)(url, data=data) if data is not None else browser.get(url)
        assert 400 <= response.status_code < 500, (url, data, response.status_code)
    refused = browser.post(
        "/calibration", data={"title": "x", "calls": "9999", "reviewers": [str(org.reviewer.id)]}
    )
    error = BeautifulSoup(refused.text, "html.parser").select_one("#calls-error")
    assert error is not None and "There is no call 9999" in error.get_text(), "shown next to the field"
    reviewer_page = browser.post(f"/queue/reviewers/{org.reviewer.id}", data={"capacity": "abc"})
    assert reviewer_page.status_code == 422 and "Enter a number" in reviewer_page.text
    assert browser.get("/queue?submitted=a/b").status_code == 422
    token = api_token(db, org.qc_lead)
    db.commit()
    huge = browser.post(
        f"/api/queue/assignments/{pick.id}/reassign", json={"reviewer_id": 2**70}, headers=bearer(token)
    )
    assert huge.status_code == 422


def test_two_reviewers_choosing_the_same_call_at_once_get_one_pick(
    db: Session, org: Org, settings: Any
) -> None:
    call = make_checked_call(db, rep=org.rep)
    others = [make_reviewer(db) for _ in range(4)]
    db.commit()
    principals = [principal_for(db, r) for r in others]
    barrier = threading.Barrier(len(principals))
    outcomes: list[str] = []
    lock = threading.Lock()

    def choose(principal: Any) -> None:
        barrier.wait()
        try:
            with session_scope() as session:
                service.pick_call(session, principal, call.id, settings=settings)
            result = "picked"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=choose, args=(p,)) for p in principals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 3 + ["picked"]
    with pytest.raises(Conflict):
        service.pick_call(db, principal_for(db, org.reviewer), call.id, settings=settings)
