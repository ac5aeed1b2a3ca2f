"""Who is told what by each event, what clears a notice, and that nobody is told twice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qc.db import session_scope
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.service import ReviewForm
from qc.feedback import disputes
from qc.feedback import service as feedback
from qc.feedback.disputes import DisputedItem
from qc.jobs import events
from qc.jobs.models import EventHandled
from qc.notifications import handlers
from qc.notifications.models import Notification
from qc.reviews.models import ReviewPolicy
from qc.users.models import Role, User
from qc.users.service import principal_for
from tests.factories import Org, make_call, make_checked_call, make_user
from tests.feedback.conftest import submit_review
from tests.notifications.conftest import event

STARTED = "2026-11-20T09:30:00+00:00"


@pytest.fixture
def call(db: Session, org: Org) -> int:
    """The rep's call of 20 Nov 2026 09:30 UTC the events are about."""
    made = make_call(db, rep=org.rep, started_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    db.commit()
    return made.id


def notices(db: Session, user: User | None = None, kind: str | None = None) -> list[Notification]:
    db.expire_all()
    query = select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.scalars(query))


def released(org: Org, call_id: int, evaluation_id: int = 12, **overrides: Any) -> dict[str, Any]:
    return {
        "evaluation_id": evaluation_id,
        "call_id": call_id,
        "rep_id": org.rep.id,
        "team_id": org.team.id,
        "reviewer_id": org.reviewer.id,
        "final_score": 84.6,
        "call_started_at": STARTED,
        **overrides,
    }


def opened(org: Org, call_id: int, dispute_id: int = 5, **overrides: Any) -> dict[str, Any]:
    return {
        "dispute_id": dispute_id,
        "evaluation_id": 12,
        "call_id": call_id,
        "rep_id": org.rep.id,
        "team_id": org.team.id,
        "reviewer_id": org.reviewer.id,
        "resolver_id": None,
        "item_ids": ["greeting", "price"],
        "due_at": "2026-11-24T15:00:00+00:00",
        **overrides,
    }


def resolved(org: Org, call_id: int, dispute_id: int = 5, **overrides: Any) -> dict[str, Any]:
    return {
        "dispute_id": dispute_id,
        "evaluation_id": 12,
        "call_id": call_id,
        "rep_id": org.rep.id,
        "team_id": org.team.id,
        "reviewer_id": org.reviewer.id,
        "resolved_by_id": org.qc_lead.id,
        "overturned": ["greeting"],
        "kept": ["price"],
        "score_before": 70.0,
        "score_after": 80.0,
        **overrides,
    }


def overdue(org: Org, dispute_id: int = 5) -> dict[str, Any]:
    return {
        "dispute_id": dispute_id,
        "evaluation_id": 12,
        "rep_id": org.rep.id,
        "team_id": org.team.id,
        "reviewer_id": org.reviewer.id,
        "resolver_id": None,
        "due_at": "2026-11-24T15:00:00+00:00",
    }


# evaluation.released / evaluation.acknowledged -----------------------------------------------------


def test_a_released_review_tells_its_rep_the_call_date_and_score_once(
    db: Session, org: Org, call: int
) -> None:
    released_event = event("evaluation.released", released(org, call))

    handlers.on_evaluation_released(db, released_event)
    handlers.on_evaluation_released(db, released_event)  # the outbox may run it again

    [notice] = notices(db)
    assert notice.user_id == org.rep.id
    assert notice.text == "Your call of 20 Nov 2026 09:30 UTC was reviewed: 85/100."
    assert (notice.kind, notice.subject) == ("evaluation_released", "evaluation:12")
    assert (notice.link_route, notice.link_params, notice.link_anchor) == (
        "feedback:mine",
        {},
        "evaluation-12",
    )
    assert notice.event_id == released_event.id
    assert notice.read_at is None and notice.cleared_at is None


def test_the_call_date_is_given_in_the_team_time_zone(db: Session, org: Org, call: int) -> None:
    db.add(
        ReviewPolicy(
            team_id=org.team.id,
            target_per_rep=2,
            working_days="1,2,3,4,5",
            timezone="Europe/Bucharest",
            day_start_minute=540,
            day_end_minute=1020,
            min_duration_s=30,
            risk_share=0.5,
            low_score=70,
        )
    )
    db.flush()
    handlers.on_evaluation_released(db, event("evaluation.released", released(org, call, final_score=None)))
    assert [n.text for n in notices(db)] == ["Your call of 20 Nov 2026 11:30 EET was reviewed."]


def test_acknowledging_clears_only_that_reviews_notice(db: Session, org: Org, call: int) -> None:
    handlers.on_evaluation_released(db, event("evaluation.released", released(org, call, evaluation_id=12)))
    handlers.on_evaluation_released(db, event("evaluation.released", released(org, call, evaluation_id=13)))
    ack = {"evaluation_id": 12, "rep_id": org.rep.id, "team_id": org.team.id, "user_id": org.rep.id}

    handlers.on_evaluation_acknowledged(db, event("evaluation.acknowledged", ack))
    handlers.on_evaluation_acknowledged(db, event("evaluation.acknowledged", ack))

    by_subject = {n.subject: n for n in notices(db)}
    assert by_subject["evaluation:12"].cleared_at is not None
    assert by_subject["evaluation:13"].cleared_at is None


def test_releasing_again_after_acknowledging_does_not_bring_the_notice_back(
    db: Session, org: Org, call: int
) -> None:
    handlers.on_evaluation_released(db, event("evaluation.released", released(org, call)))
    ack = {"evaluation_id": 12, "rep_id": org.rep.id, "team_id": org.team.id, "user_id": org.rep.id}
    handlers.on_evaluation_acknowledged(db, event("evaluation.acknowledged", ack))

    handlers.on_evaluation_released(db, event("evaluation.released", released(org, call)))  # a second event

    [notice] = notices(db)
    assert notice.cleared_at is not None


def test_a_deactivated_rep_is_not_notified(db: Session, org: Org, call: int) -> None:
    db.get_one(User, org.rep.id).is_active = False
    db.flush()
    handlers.on_evaluation_released(db, event("evaluation.released", released(org, call)))
    assert notices(db) == []


# dispute.opened ------------------------------------------------------------------------------------


def test_a_dispute_routed_to_a_person_tells_only_that_person(db: Session, org: Org, call: int) -> None:
    payload = opened(org, call, resolver_id=org.reviewer.id)
    handlers.on_dispute_opened(db, event("dispute.opened", payload))
    handlers.on_dispute_opened(db, event("dispute.opened", payload))

    [notice] = notices(db)
    assert notice.user_id == org.reviewer.id
    assert notice.text == (
        "Rex Rep disputes 2 items of the review of their call of 20 Nov 2026 09:30 UTC: greeting, price. "
        "Decide by Tue 24 Nov 15:00 UTC."
    )
    assert (notice.link_route, notice.link_params) == ("feedback:dispute", {"dispute_id": 5})


def test_a_dispute_for_any_qc_lead_tells_every_active_qc_lead(db: Session, org: Org, call: int) -> None:
    second = make_user(db, role=Role.QC_LEAD, name="Second Lead")
    gone = make_user(db, role=Role.QC_LEAD, name="Gone Lead")
    gone.is_active = False
    db.flush()

    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call)))

    assert sorted(n.user_id for n in notices(db)) == sorted([org.qc_lead.id, second.id])


def test_without_an_active_qc_lead_every_active_admin_is_told(db: Session, org: Org, call: int) -> None:
    db.get_one(User, org.qc_lead.id).is_active = False
    db.flush()
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call)))
    assert [n.user_id for n in notices(db)] == [org.admin.id]


def test_a_person_never_gets_the_same_dispute_notice_twice(db: Session, org: Org, call: int) -> None:
    """Two events about the same dispute (a replay, a re-emit) still make one notice each."""
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call, resolver_id=org.qc_lead.id)))
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call)))

    assert [n.user_id for n in notices(db)] == [org.qc_lead.id]


# dispute.overdue -----------------------------------------------------------------------------------


def test_an_overdue_dispute_tells_every_active_qc_lead(db: Session, org: Org, settings: Any) -> None:
    call = make_checked_call(db, rep=org.rep, started_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    reviewer = principal_for(db, org.reviewer)
    review = evaluations.review_call(db, reviewer, call.id, settings=settings)
    second = make_user(db, role=Role.QC_LEAD, name="Second Lead")
    payload = {**overdue(org), "evaluation_id": review.id}

    handlers.on_dispute_overdue(db, event("dispute.overdue", payload))
    handlers.on_dispute_overdue(db, event("dispute.overdue", payload))

    found = notices(db, kind="dispute_overdue")
    assert sorted(n.user_id for n in found) == sorted([org.qc_lead.id, second.id])
    assert found[0].text == (
        "Overdue: Rex Rep's dispute of the review of their call of 20 Nov 2026 09:30 UTC "
        "was due Tue 24 Nov 15:00 UTC and is still open."
    )


# dispute.resolved / dispute.withdrawn --------------------------------------------------------------


def test_a_decided_dispute_tells_the_rep_and_the_reviewer_and_clears_the_to_dos(
    db: Session, org: Org, call: int
) -> None:
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call)))  # the QC lead
    handlers.on_dispute_overdue(db, event("dispute.overdue", overdue(org)))
    handlers.on_dispute_opened(
        db, event("dispute.opened", opened(org, call, dispute_id=6))
    )  # another dispute

    decided = event("dispute.resolved", resolved(org, call))
    handlers.on_dispute_resolved(db, decided)
    handlers.on_dispute_resolved(db, decided)

    to_dos = notices(db, org.qc_lead)
    assert {(n.kind, n.subject, n.cleared_at is not None) for n in to_dos} == {
        ("dispute_opened", "dispute:5", True),
        ("dispute_overdue", "dispute:5", True),
        ("dispute_opened", "dispute:6", False),
    }
    [to_rep] = notices(db, org.rep)
    assert to_rep.text == (
        "Your dispute of the review of your call of 20 Nov 2026 09:30 UTC was decided: "
        "1 item overturned (greeting), 1 kept (price); score 70/100 → 80/100."
    )
    [to_reviewer] = notices(db, org.reviewer)
    assert to_reviewer.text == (
        "Quinn Lead decided Rex Rep's dispute of your review of the call of 20 Nov 2026 09:30 UTC: "
        "1 item overturned (greeting), 1 kept (price); score 70/100 → 80/100."
    )
    assert to_reviewer.kind == "dispute_resolved" and to_reviewer.link_params == {"dispute_id": 5}


def test_a_reviewer_who_decides_their_own_dispute_is_not_told_about_it(
    db: Session, org: Org, call: int
) -> None:
    payload = resolved(
        org, call, resolved_by_id=org.reviewer.id, overturned=[], kept=["price"], score_after=70.0
    )
    handlers.on_dispute_resolved(db, event("dispute.resolved", payload))

    [to_rep] = notices(db)
    assert to_rep.user_id == org.rep.id
    assert to_rep.text.endswith("was decided: 1 item kept (price); score unchanged at 70/100.")


def test_a_withdrawn_dispute_clears_its_to_dos_for_everybody(db: Session, org: Org, call: int) -> None:
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call)))
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, call, resolver_id=org.reviewer.id)))
    withdrawn = {
        "dispute_id": 5,
        "evaluation_id": 12,
        "rep_id": org.rep.id,
        "team_id": org.team.id,
        "reviewer_id": org.reviewer.id,
    }
    handlers.on_dispute_withdrawn(db, event("dispute.withdrawn", withdrawn))

    assert [(n.user_id, n.cleared_at is not None) for n in notices(db)] == [
        (org.qc_lead.id, True),
        (org.reviewer.id, True),
    ]


# Through the outbox ----------------------------------------------------------------------------------


def test_the_outbox_runs_each_inbox_handler_once_per_event(db: Session, org: Org, call: int) -> None:
    with session_scope() as session:
        events.emit(session, "dispute.opened", opened(org, call))
        events.emit(session, "dispute.resolved", resolved(org, call))

    events.dispatch_pending()
    events.dispatch_pending()

    assert {(n.user_id, n.kind, n.cleared_at is not None) for n in notices(db)} == {
        (org.qc_lead.id, "dispute_opened", True),
        (org.rep.id, "dispute_resolved", False),
        (org.reviewer.id, "dispute_resolved", False),
    }
    receipts = db.scalar(
        select(func.count())
        .select_from(EventHandled)
        .where(EventHandled.handler.like("notifications.inbox.%"))
    )
    assert receipts == 2


def test_releasing_a_real_review_tells_its_rep(db: Session, org: Org, settings: Any) -> None:
    call = make_checked_call(db, rep=org.rep, started_at=datetime(2026, 11, 23, 10, tzinfo=UTC))
    reviewer = principal_for(db, org.reviewer)
    review = evaluations.review_call(db, reviewer, call.id, settings=settings)
    answers = {a.item_id: AnswerInput(a.answer or "yes") for a in review.answers}
    assert review.assignment_id is not None
    evaluations.submit_review(db, reviewer, review.assignment_id, data=ReviewForm(answers), settings=settings)
    evaluations.release_evaluation(db, review.id)
    db.commit()

    events.dispatch_pending()

    [notice] = notices(db, org.rep, kind="evaluation_released")
    assert notice.subject == f"evaluation:{review.id}"
    assert notice.text.startswith("Your call of 23 Nov 2026 10:00 UTC was reviewed: ")
    assert notices(db, org.reviewer) == []


def test_a_notice_that_arrives_after_its_task_is_done_is_not_sent(
    db: Session, org: Org, settings: Any
) -> None:
    """Handlers retried late (after the rep acknowledged, after the dispute was decided)
    must not leave a to-do nobody can clear."""
    review = submit_review(db, org, settings)  # released through the outbox
    feedback.acknowledge(db, principal_for(db, org.rep), review.id)
    db.execute(delete(Notification))  # as if the inbox handler had not run yet
    db.commit()
    late_release = released(org, review.call_id, evaluation_id=review.id)
    handlers.on_evaluation_released(db, event("evaluation.released", late_release))
    assert notices(db, org.rep) == []

    rep = principal_for(db, org.rep)
    dispute = disputes.open_dispute(
        db, rep, review.id, items=[DisputedItem("price", "I gave the price")], settings=settings
    )
    db.commit()
    disputes.withdraw_dispute(db, rep, dispute.id)
    db.commit()
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, review.call_id, dispute.id)))
    handlers.on_dispute_overdue(db, event("dispute.overdue", overdue(org, dispute.id)))
    assert notices(db, org.qc_lead) == [] and notices(db, org.admin) == []

    still_open = disputes.open_dispute(
        db, rep, review.id, items=[DisputedItem("price", "I gave the price")], settings=settings
    )
    db.commit()
    handlers.on_dispute_opened(db, event("dispute.opened", opened(org, review.call_id, still_open.id)))
    assert [n.subject for n in notices(db, org.qc_lead)] == [f"dispute:{still_open.id}"]
