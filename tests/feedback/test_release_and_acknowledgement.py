"""Release to the rep, acknowledgement, My feedback, and the manager's unacknowledged list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.db import session_scope, utcnow
from qc.errors import Forbidden, NotFound
from qc.evaluations import service as evaluations
from qc.evaluations.models import Evaluation
from qc.feedback import policy
from qc.feedback import service as feedback
from qc.feedback.models import Feedback
from qc.jobs import events
from qc.jobs.models import Event
from qc.users.service import principal_for
from tests.factories import Browser, Org, api_token, bearer
from tests.feedback.conftest import submit_review


def event_count(db: Session, event_type: str) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(Event).where(Event.type == event_type)) or 0)


# Release -------------------------------------------------------------------------------------------


def test_a_submitted_review_is_released_at_once_by_default(db: Session, org: Org, review: Evaluation) -> None:
    row = db.get(Feedback, review.id)
    assert row is not None and row.released_at is not None and row.acknowledged_at is None
    assert db.get(Evaluation, review.id).released_at == row.released_at  # type: ignore[union-attr]
    assert event_count(db, "evaluation.submitted") == 1
    assert event_count(db, "evaluation.released") == 1
    rep = principal_for(db, org.rep)
    assert evaluations.get_evaluation(db, rep, review.id).id == review.id


def test_before_its_release_the_rep_cannot_read_the_review(db: Session, org: Org, settings: Any) -> None:
    review = submit_review(db, org, settings, dispatch=False)  # submitted; the outbox not yet run
    rep, manager = principal_for(db, org.rep), principal_for(db, org.manager)
    with pytest.raises(NotFound):
        evaluations.get_evaluation(db, rep, review.id)
    assert evaluations.get_evaluation(db, manager, review.id).id == review.id


def test_a_team_delay_holds_the_review_back_until_it_is_due(db: Session, org: Org, settings: Any) -> None:
    lead = principal_for(db, org.qc_lead)
    values = {**_rules(), "release_delay_hours": "2"}
    policy.update_team_rules(db, lead, team_id=org.team.id, values=values, settings=settings)
    db.commit()
    review = submit_review(db, org, settings)
    row = db.get(Feedback, review.id)
    assert row is not None and row.released_at is None
    assert row.release_due_at - row.submitted_at == timedelta(hours=2)

    with session_scope() as session:
        assert feedback.release_due(session, now=utcnow() + timedelta(hours=1)) == 0
    with session_scope() as session:
        assert feedback.release_due(session, now=utcnow() + timedelta(hours=2, seconds=5)) == 1
    with session_scope() as session:
        assert feedback.release_due(session, now=utcnow() + timedelta(hours=3)) == 0
    db.expire_all()
    assert db.get(Feedback, review.id).released_at is not None  # type: ignore[union-attr]
    assert event_count(db, "evaluation.released") == 1


def _rules() -> dict[str, str]:
    return {
        "release_delay_hours": "0",
        "acknowledge_within_days": "3",
        "dispute_window_days": "7",
        "dispute_max_items": "5",
        "dispute_resolver": "qc_lead",
        "dispute_due_working_days": "2",
    }


def test_calibration_scorings_are_never_released(db: Session, org: Org, settings: Any) -> None:
    from qc.evaluations import calibration
    from qc.evaluations.form import AnswerInput
    from qc.evaluations.models import EvaluationKind
    from qc.evaluations.service import ReviewForm
    from tests.factories import make_checked_call

    call = make_checked_call(db, rep=org.rep)
    lead = principal_for(db, org.qc_lead)
    session_row = calibration.create_session(
        db, lead, title="W", call_ids=[call.id], reviewer_ids=[org.reviewer.id]
    )
    db.commit()
    space = calibration.start_scoring(db, lead, session_row.id, call.id, settings=settings)
    answers = {
        a.item_id: AnswerInput("yes" if a.item_id != "objections" else "na") for a in space.evaluation.answers
    }
    calibration.save_scoring(
        db, lead, session_row.id, call.id, data=ReviewForm(answers), settings=settings, submit=True
    )
    db.commit()
    events.dispatch_pending()
    scoring = db.scalar(select(Evaluation).where(Evaluation.kind == EvaluationKind.CALIBRATION))
    assert scoring is not None and scoring.submitted_at is not None
    assert scoring.released_at is None
    assert db.get(Feedback, scoring.id) is None
    with session_scope() as session:
        assert evaluations.release_evaluation(session, scoring.id) is False


# Acknowledgement -----------------------------------------------------------------------------------


def test_the_rep_acknowledges_once_with_one_click(
    db: Session, org: Org, review: Evaluation, app: Any
) -> None:
    with Browser(app) as rep:
        rep.login_as(org.rep)
        page = rep.page("/feedback")
        card = page.select_one(f"#evaluation-{review.id}")
        assert card is not None
        form = card.select_one("form[action$='/acknowledge']")
        assert form is not None
        assert rep.post(form["action"]).status_code == 303
        first = db.get(Feedback, review.id).acknowledged_at  # type: ignore[union-attr]
        assert first is not None
        assert rep.post(form["action"]).status_code == 303  # again: nothing changes
        db.expire_all()
        assert db.get(Feedback, review.id).acknowledged_at == first  # type: ignore[union-attr]
        page = rep.page("/feedback")
        assert page.select_one(f"#evaluation-{review.id} form[action$='/acknowledge']") is None
        assert "Acknowledged" in page.select_one(f"#evaluation-{review.id} .badge.acknowledged").text
    assert event_count(db, "evaluation.acknowledged") == 1


def test_only_the_rep_acknowledges(db: Session, org: Org, review: Evaluation) -> None:
    for person in (org.manager, org.other_rep, org.reviewer, org.qc_lead):
        with pytest.raises(NotFound):
            feedback.acknowledge(db, principal_for(db, person), review.id)


def test_acknowledging_through_the_api(db: Session, org: Org, review: Evaluation, app: Any) -> None:
    from fastapi.testclient import TestClient

    token = api_token(db, org.rep)
    db.commit()
    with TestClient(app) as client:
        response = client.post(f"/api/evaluations/{review.id}/acknowledge", headers=bearer(token))
        assert response.status_code == 200
        assert response.json()["acknowledged_at"] is not None
        listed = client.get("/api/evaluations", headers=bearer(token)).json()
    assert [item["id"] for item in listed["items"]] == [review.id]
    assert listed["items"][0]["acknowledged_at"] is not None
    assert listed["items"][0]["lost_items"] == ["price"]


def test_unacknowledged_reviews_are_listed_for_the_reps_manager(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    manager, outsider = principal_for(db, org.manager), principal_for(db, org.outsider_manager)
    later = utcnow() + timedelta(days=4)

    def late(principal: Any, now: Any) -> list[int]:
        found = feedback.unacknowledged_for(db, principal, settings=settings, now=now)
        assert found.total == len(found.rows)
        return [r.feedback.evaluation_id for r in found.rows]

    assert late(manager, later) == [review.id]
    assert late(outsider, later) == []
    with pytest.raises(Forbidden):
        feedback.unacknowledged_for(db, principal_for(db, org.reviewer), settings=settings, now=later)
    assert late(manager, utcnow() + timedelta(days=2)) == []
    feedback.acknowledge(db, principal_for(db, org.rep), review.id)
    db.commit()
    assert late(manager, later) == []


def test_each_team_waits_its_own_time_and_a_cap_keeps_the_oldest(
    db: Session, org: Org, settings: Any
) -> None:
    """A team that allows 30 days lists nothing after 4 days while the other team's late
    reviews are all there, whatever the cap; a cap shows the oldest and counts the rest."""
    mine = [submit_review(db, org, settings) for _ in range(3)]
    theirs = submit_review(db, org, settings, rep=org.other_rep)
    lead = principal_for(db, org.qc_lead)
    values = {**_rules(), "acknowledge_within_days": "30"}
    policy.update_team_rules(db, lead, team_id=org.other_team.id, values=values, settings=settings)
    db.commit()
    later = utcnow() + timedelta(days=4)
    found = feedback.unacknowledged_for(db, lead, settings=settings, now=later, limit=2)
    assert [r.feedback.evaluation_id for r in found.rows] == [e.id for e in mine[:2]]
    assert (found.total, found.more) == (3, 1)
    found = feedback.unacknowledged_for(db, lead, settings=settings, now=utcnow() + timedelta(days=31))
    assert sorted(r.feedback.evaluation_id for r in found.rows) == sorted([*(e.id for e in mine), theirs.id])


# My feedback --------------------------------------------------------------------------------------


def test_my_feedback_shows_lost_items_with_the_checks_evidence_and_playable_comments(
    db: Session, org: Org, review: Evaluation, app: Any
) -> None:
    from qc.evaluations import comments

    reviewer = principal_for(db, org.reviewer)
    comments.add_comment(db, reviewer, review.id, text="Here you skipped the price question", at_s=12.5)
    db.commit()
    with Browser(app) as rep:
        rep.login_as(org.rep)
        home = rep.get("/", follow_redirects=False)
        assert home.headers["location"] == "/feedback", "reps land on their feedback"
        page = rep.page("/feedback")
    card = page.select_one(f"#evaluation-{review.id}")
    assert card is not None
    lost = card.select(".lost-items > li")
    assert len(lost) == 1 and "Reviewer: No" in lost[0].text
    assert "Automatic check" in lost[0].text and lost[0].select_one(".evidence") is not None
    play = card.select_one(".comment-list [data-play-at]")
    assert play is not None and play["data-play-at"] == "12.5"
    assert card.select_one("audio.feedback-audio")["src"].endswith(f"/calls/{review.call_id}/audio")


def test_a_rep_sees_nothing_of_other_reps(db: Session, org: Org, review: Evaluation, app: Any) -> None:
    with Browser(app) as other:
        other.login_as(org.other_rep)
        page = other.page("/feedback")
        assert page.select(".feedback-card") == []
        assert other.get(f"/evaluations/{review.id}").status_code == 404
        assert other.post(f"/feedback/{review.id}/acknowledge").status_code == 404


def test_my_feedback_pages_newest_first(db: Session, org: Org, settings: Any) -> None:
    reviews = [submit_review(db, org, settings) for _ in range(feedback.PAGE_SIZE + 1)]
    rep = principal_for(db, org.rep)
    first = feedback.my_feedback(db, rep, settings=settings)
    second = feedback.my_feedback(db, rep, page=2, settings=settings)
    assert (first.total, first.pages, len(first.cards), len(second.cards)) == (11, 2, 10, 1)
    assert second.cards[0].evaluation.id == reviews[0].id
    assert first.unacknowledged == 11
    assert events.pending_count(db) == 0
