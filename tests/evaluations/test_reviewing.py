"""Reviewing a call: pre-filled drafts, overrides with reasons, scores, audit, visibility."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidInput, NotFound
from qc.evaluations import comments, service
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation, EvaluationEdit, EvaluationStatus
from qc.evaluations.service import FormInvalid, ReviewForm
from qc.jobs import events
from qc.reviews import service as queue
from qc.reviews.models import Assignment, AssignmentStatus
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call, make_reviewer


def _answers(evaluation: Evaluation, **changes: Any) -> dict[str, AnswerInput]:
    """The draft's answers as the page would send them back, with some changed."""
    answers = {a.item_id: AnswerInput(a.answer) for a in evaluation.answers}
    for item_id, value in changes.items():
        answers[item_id] = value if isinstance(value, AnswerInput) else AnswerInput(value)
    return answers


@pytest.fixture
def started(db: Session, org: Org, settings: Any) -> tuple[Evaluation, Any]:
    call = make_checked_call(db, rep=org.rep, statuses={"price": "fail", "needs_summary": "needs_review"})
    db.commit()
    reviewer = principal_for(db, org.reviewer)
    evaluation = service.review_call(db, reviewer, call.id, settings=settings)
    db.commit()
    return evaluation, reviewer


def test_the_draft_is_prefilled_with_the_automatic_results(started: tuple[Evaluation, Any]) -> None:
    evaluation, _ = started
    answers = {a.item_id: a for a in evaluation.answers}
    assert answers["greeting"].answer == answers["greeting"].auto_answer == "yes"
    assert answers["price"].answer == "no"
    assert answers["needs_summary"].answer is None, "a check left to a person is not pre-filled"
    assert evaluation.status is EvaluationStatus.DRAFT


def test_submitting_scores_the_call_and_finishes_the_pick(
    db: Session, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, reviewer = started
    data = ReviewForm(
        _answers(evaluation, needs_summary="yes"), overall_comment="Solid call.", active_seconds=95
    )
    done = service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    db.commit()
    assert done.status is EvaluationStatus.SUBMITTED and done.submitted_at is not None
    assert done.final_score is not None and 0 < done.final_score < 100  # the price item failed
    assert done.active_seconds > 0
    pick = db.get(Assignment, evaluation.assignment_id)
    assert pick is not None and pick.status is AssignmentStatus.DONE
    audit = db.scalars(select(EvaluationEdit).where(EvaluationEdit.evaluation_id == done.id)).all()
    assert [a.action for a in audit] == ["submitted"]


def test_an_override_needs_a_reason(db: Session, started: tuple[Evaluation, Any], settings: Any) -> None:
    evaluation, reviewer = started
    data = ReviewForm(_answers(evaluation, needs_summary="yes", price="yes"))
    with pytest.raises(FormInvalid) as caught:
        service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    assert set(caught.value.errors) == {"reason-price"}
    reasoned = ReviewForm(
        _answers(evaluation, needs_summary="yes", price=AnswerInput("yes", "He gave the price at 2:10"))
    )
    done = service.submit_review(db, reviewer, evaluation.assignment_id, data=reasoned, settings=settings)
    price = next(a for a in done.answers if a.item_id == "price")
    assert price.overridden and price.override_reason == "He gave the price at 2:10"


def test_every_item_needs_an_allowed_answer(
    db: Session, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, reviewer = started
    data = ReviewForm(_answers(evaluation, greeting="na"))  # greeting has no n/a
    with pytest.raises(FormInvalid) as caught:
        service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    assert caught.value.errors == {
        "answer-greeting": "Choose one of: Yes, No",
        "answer-needs_summary": "Answer this item",
    }


def test_a_critical_no_zeroes_the_score(db: Session, started: tuple[Evaluation, Any], settings: Any) -> None:
    evaluation, reviewer = started
    data = ReviewForm(
        _answers(
            evaluation,
            needs_summary="na",
            forbidden_phrases=AnswerInput("no", "Told the customer to calm down"),
        )
    )
    done = service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    assert done.critical_failed and done.final_score == 0.0 and done.score and done.score > 0


def test_drafts_keep_answers_and_time_on_task_is_bounded(
    db: Session, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, reviewer = started
    evaluation.updated_at -= timedelta(seconds=60)
    db.commit()
    data = ReviewForm(_answers(evaluation, needs_summary="yes"), active_seconds=3600)
    saved = service.save_draft(
        db, reviewer, evaluation.assignment_id, data=data, settings=settings
    ).evaluation
    assert next(a for a in saved.answers if a.item_id == "needs_summary").answer == "yes"
    assert 60 <= saved.active_seconds <= 70, "no more time than has passed since the last save"
    assert saved.status is EvaluationStatus.DRAFT


def test_corrections_after_submitting_are_audited(
    db: Session, org: Org, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, reviewer = started
    data = ReviewForm(_answers(evaluation, needs_summary="yes"))
    service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    lead = principal_for(db, org.qc_lead)
    with pytest.raises(FormInvalid):
        service.edit_evaluation(db, lead, evaluation.id, data=data, reason="", settings=settings)
    changed = ReviewForm(_answers(evaluation, needs_summary="no"), overall_comment="Missed the summary.")
    before = evaluation.final_score
    edited = service.edit_evaluation(
        db, lead, evaluation.id, data=changed, reason="Listened again", settings=settings
    )
    assert edited.edits == 1 and edited.final_score != before
    entry = db.scalars(select(EvaluationEdit).where(EvaluationEdit.action == "edited")).one()
    assert (entry.user_id, entry.reason) == (org.qc_lead.id, "Listened again")
    fields = {c["field"]: (c["from"], c["to"]) for c in entry.changes}
    assert fields["answer:needs_summary"] == ("yes", "no")
    assert fields["overall_comment"] == ("", "Missed the summary.")
    other = principal_for(db, make_reviewer(db))
    with pytest.raises(NotFound):
        service.edit_evaluation(db, other, evaluation.id, data=changed, reason="mine now", settings=settings)


def test_who_may_read_an_evaluation(
    db: Session, org: Org, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, reviewer = started
    rep = principal_for(db, org.rep)
    with pytest.raises(NotFound):
        service.get_evaluation(db, rep, evaluation.id)  # a draft is the reviewer's own
    data = ReviewForm(_answers(evaluation, needs_summary="yes"))
    service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    db.commit()
    with pytest.raises(NotFound):  # submitted, not yet released to the rep
        service.get_evaluation(db, rep, evaluation.id)
    events.dispatch_pending()  # the feedback domain releases it (no delay by default)
    db.expire_all()
    for allowed in (org.rep, org.manager, org.qc_lead, org.admin, org.reviewer):
        assert service.get_evaluation(db, principal_for(db, allowed), evaluation.id).id == evaluation.id
    for refused in (org.other_rep, org.outsider_manager, make_reviewer(db)):
        with pytest.raises(NotFound):
            service.get_evaluation(db, principal_for(db, refused), evaluation.id)


def test_comments_are_pinned_to_moments_of_the_call(
    db: Session, org: Org, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, reviewer = started
    [comment] = comments.add_comment(db, reviewer, evaluation.id, text="Interrupted the customer", at_s=3.2)
    assert (comment.at_s, comment.author_id) == (3.2, org.reviewer.id)
    with pytest.raises(InvalidInput, match="outside the call"):
        comments.add_comment(db, reviewer, evaluation.id, text="late", at_s=10_000)
    with pytest.raises(Forbidden):
        comments.add_comment(db, principal_for(db, org.qc_lead), evaluation.id, text="not yours", at_s=1)
    data = ReviewForm(_answers(evaluation, needs_summary="yes"))
    service.submit_review(db, reviewer, evaluation.assignment_id, data=data, settings=settings)
    comments.add_comment(db, reviewer, evaluation.id, text="Also: good close", at_s=7.0)
    edits = db.scalars(select(EvaluationEdit).where(EvaluationEdit.action == "edited")).all()
    assert [e.reason for e in edits] == ["comment added"]


def test_a_reassigned_review_starts_afresh_for_its_new_reviewer(
    db: Session, org: Org, started: tuple[Evaluation, Any], settings: Any
) -> None:
    evaluation, _ = started
    colleague = make_reviewer(db)
    db.commit()
    queue.reassign(
        db,
        principal_for(db, org.qc_lead),
        evaluation.assignment_id,
        reviewer_id=colleague.id,
        settings=settings,
    )
    fresh = service.start_review(
        db, principal_for(db, colleague), evaluation.assignment_id, settings=settings
    )
    assert fresh.reviewer_id == colleague.id
    assert db.scalars(select(Evaluation.reviewer_id)).all() == [colleague.id], "the old draft is gone"
    with pytest.raises(Forbidden):
        service.workspace(db, principal_for(db, org.reviewer), evaluation.assignment_id, settings=settings)
