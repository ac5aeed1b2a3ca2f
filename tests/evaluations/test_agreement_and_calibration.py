"""Reviewers against the automatic checks; calibration sessions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidTransition, NotFound
from qc.evaluations import agreement, calibration, service
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import EvaluationStatus
from qc.evaluations.service import FormInvalid, ReviewForm
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call, make_reviewer


def review(db: Session, org: Org, settings: Any, statuses: dict[str, str], answers: dict[str, str]) -> None:
    call = make_checked_call(db, rep=org.rep, statuses=statuses)
    reviewer = principal_for(db, org.reviewer)
    draft = service.review_call(db, reviewer, call.id, settings=settings)
    given = {a.item_id: AnswerInput(a.answer or "yes") for a in draft.answers}
    for item_id, answer in answers.items():
        given[item_id] = AnswerInput(answer, "heard it differently")
    service.submit_review(db, reviewer, draft.assignment_id, data=ReviewForm(given), settings=settings)


def test_agreement_per_item_gives_precision_and_recall_of_each_rule(
    db: Session, org: Org, settings: Any
) -> None:
    # price: the check fails 3 calls, reviewers confirm 2; it passes 2, reviewers fail 1.
    review(db, org, settings, {"price": "fail"}, {"price": "no"})
    review(db, org, settings, {"price": "fail"}, {"price": "no"})
    review(db, org, settings, {"price": "fail"}, {"price": "yes"})
    review(db, org, settings, {"price": "pass"}, {"price": "no"})
    review(db, org, settings, {"price": "pass", "greeting": "needs_review"}, {"greeting": "no"})
    db.commit()
    report = agreement.item_agreement(db, principal_for(db, org.qc_lead), "outbound-sales")
    assert report.evaluations == 5
    price = next(i for i in report.items if i.item_id == "price")
    assert (price.decided, price.agreed, price.overridden) == (5, 3, 2)
    assert price.precision == pytest.approx(2 / 3)
    assert price.recall == pytest.approx(2 / 3)
    assert price.agreement == pytest.approx(0.6)
    assert {o.reason for o in price.overrides} == {"heard it differently"}
    greeting = next(i for i in report.items if i.item_id == "greeting")
    assert (greeting.left_to_person, greeting.left_no, greeting.decided) == (1, 1, 4)
    assert report.worst_first[0].item_id == "price"
    with pytest.raises(Forbidden):
        agreement.item_agreement(db, principal_for(db, org.reviewer), "outbound-sales")


def _score(db: Session, who: Any, session_id: int, call_id: int, settings: Any, **answers: str) -> None:
    space = calibration.start_scoring(db, who, session_id, call_id, settings=settings)
    given = {a.item_id: AnswerInput(answers.get(a.item_id, "yes")) for a in space.evaluation.answers}
    for item_id in ("needs_summary", "objection_handling"):
        given[item_id] = AnswerInput(answers.get(item_id, "na"))
    calibration.save_scoring(
        db, who, session_id, call_id, data=ReviewForm(given), settings=settings, submit=True
    )


def test_calibration_scores_blind_and_shows_agreement_to_the_lead(
    db: Session, org: Org, settings: Any
) -> None:
    first = make_checked_call(db, rep=org.rep, statuses={"price": "fail"})
    second = make_checked_call(db, rep=org.rep)
    alice, bob = make_reviewer(db, name="Alice"), make_reviewer(db, name="Bob")
    db.commit()
    lead = principal_for(db, org.qc_lead)
    run = calibration.create_session(
        db, lead, title="November", call_ids=[first.id, second.id], reviewer_ids=[alice.id, bob.id]
    )
    a, b = principal_for(db, alice), principal_for(db, bob)
    space = calibration.start_scoring(db, a, run.id, first.id, settings=settings)
    assert all(x.answer is None for x in space.evaluation.answers), "nothing is pre-filled"
    _score(db, lead, run.id, first.id, settings, price="no")
    _score(db, a, run.id, first.id, settings, price="no")
    _score(db, b, run.id, first.id, settings, price="yes", greeting="no")
    for who in (lead, a, b):
        _score(db, who, run.id, second.id, settings)
    with pytest.raises(NotFound):  # participants do not see each other while it runs
        service.get_evaluation(db, b, _scoring_id(db, run.id, alice.id))
    assert calibration.session_view(db, a, run.id).results is None
    view = calibration.session_view(db, lead, run.id)
    assert view.results is not None
    deviation = {d.user.id: d for d in view.deviations}
    assert deviation[alice.id].match_rate == 1.0
    assert deviation[bob.id].differing == [(first.id, "greeting"), (first.id, "price")]
    price_row = next(r for r in view.results[0].rows if r.item_id == "price")
    assert price_row.reference == "no" and price_row.agreement == pytest.approx(1 / 3)
    assert view.item_kappa["price"] is not None and view.item_kappa["price"] < 1
    assert view.overall_kappa is not None and view.overall_kappa < 1
    calibration.close_session(db, lead, run.id)
    assert calibration.session_view(db, b, run.id).results is not None, "results are shared once closed"
    with pytest.raises(InvalidTransition):
        _score(db, a, run.id, first.id, settings)


def _scoring_id(db: Session, session_id: int, reviewer_id: int) -> int:
    from qc.evaluations import repository

    return next(e.id for e in repository.for_calibration(db, session_id) if e.reviewer_id == reviewer_id)


def test_only_participants_score_and_answers_must_be_complete(db: Session, org: Org, settings: Any) -> None:
    call = make_checked_call(db, rep=org.rep)
    db.commit()
    lead = principal_for(db, org.qc_lead)
    run = calibration.create_session(
        db, lead, title="Solo", call_ids=[call.id], reviewer_ids=[org.reviewer.id]
    )
    outsider = principal_for(db, make_reviewer(db))
    with pytest.raises(Forbidden):
        calibration.start_scoring(db, outsider, run.id, call.id, settings=settings)
    with pytest.raises(NotFound):
        calibration.session_view(db, outsider, run.id)
    reviewer = principal_for(db, org.reviewer)
    with pytest.raises(FormInvalid):
        calibration.save_scoring(
            db, reviewer, run.id, call.id, data=ReviewForm({}), settings=settings, submit=True
        )
    with pytest.raises(Forbidden):
        calibration.create_session(
            db, reviewer, title="x", call_ids=[call.id], reviewer_ids=[org.reviewer.id]
        )
    draft = calibration.start_scoring(db, reviewer, run.id, call.id, settings=settings).evaluation
    assert draft.status is EvaluationStatus.DRAFT
