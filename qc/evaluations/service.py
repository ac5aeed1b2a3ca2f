"""Reviewing a call: the draft pre-filled by the automatic checks, submitting, comments
pinned to moments, corrections after submitting (audited)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.calls.models import Call
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from qc.evaluations import access, form, rescored
from qc.evaluations import repository as repo
from qc.evaluations.models import (
    CalibrationSession,
    Evaluation,
    EvaluationAnswer,
    EvaluationEdit,
    EvaluationKind,
    EvaluationStatus,
)
from qc.jobs.events import emit
from qc.reviews import reading
from qc.reviews import service as queue
from qc.reviews.models import Assignment, AssignmentStatus
from qc.scoring import service as scoring
from qc.scoring.definitions import Item, Scorecard, Section
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.transcription import service as transcription
from qc.transcription.models import Transcript
from qc.users.schemas import Principal

MAX_ACTIVE_STEP_S = 15 * 60  # time on task added by one save, at most


@dataclass(frozen=True)
class ReviewForm:
    """What the review page sends: answers with override reasons, the overall comment and
    the seconds the reviewer spent on the page since the last save."""

    answers: Mapping[str, form.AnswerInput]
    overall_comment: str = ""
    active_seconds: float = 0.0
    # The automatic answer the page showed for each item ("" or None: none); None when the
    # form does not say (qc.evaluations.rescored tells a page older than the checks by it).
    shown_auto: Mapping[str, str | None] | None = None


class FormInvalid(InvalidInput):
    """Field errors of a submitted review, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        count = len(errors)
        super().__init__(
            f"{count} item{'s need' if count > 1 else ' needs'} your attention", details={"errors": errors}
        )
        self.errors = errors


class ChecksChanged(Conflict):
    """The review page was older than the call's automatic checks: nothing was submitted."""

    def __init__(self) -> None:
        super().__init__(
            "Not submitted: the automatic checks changed after you opened this page (the call was "
            "re-scored). Your answers are saved; look over the updated items and submit again"
        )


# Starting -----------------------------------------------------------------------------------------


def start_review(
    session: Session,
    principal: Principal,
    assignment_id: int,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Evaluation:
    """Claim a pick and open its draft, pre-filled with the automatic results."""
    assignment = queue.claim(session, principal, assignment_id, settings=settings, now=now)
    existing = repo.for_assignment(session, assignment.id)
    if existing is not None and existing.status is EvaluationStatus.SUBMITTED:
        raise Conflict("This call has already been reviewed")
    if existing is not None and existing.reviewer_id == principal.id:
        return existing
    if existing is not None:  # the pick changed hands: the old holder's draft goes
        session.delete(existing)
        session.flush()
    return new_draft(
        session, call_id=assignment.call_id, reviewer_id=principal.id, assignment_id=assignment.id
    )


def review_call(
    session: Session, principal: Principal, call_id: int, *, settings: Settings, now: datetime | None = None
) -> Evaluation:
    """Review a call by hand: it joins the queue as your pick."""
    assignment = queue.pick_call(session, principal, call_id, settings=settings, now=now)
    return start_review(session, principal, assignment.id, settings=settings, now=now)


def new_draft(
    session: Session,
    *,
    call_id: int,
    reviewer_id: int,
    assignment_id: int | None = None,
    calibration: CalibrationSession | None = None,
) -> Evaluation:
    """A draft evaluation of the call against its scorecard: a review is pre-filled with
    the automatic answers, a calibration scoring starts empty."""
    score = scoring.get_call_score(session, call_id)
    version = _version_for(session, call_id, score)
    card = scoring.definition(version)
    results = {c.item_id: c for c in score.checks} if score else {}
    evaluation = Evaluation(
        kind=EvaluationKind.CALIBRATION if calibration else EvaluationKind.REVIEW,
        call_id=call_id,
        reviewer_id=reviewer_id,
        assignment_id=assignment_id,
        calibration_session_id=calibration.id if calibration else None,
        scorecard_version_id=version.id,
        status=EvaluationStatus.DRAFT,
        overall_comment="",
        active_seconds=0.0,
        started_at=utcnow(),
    )
    session.add(evaluation)
    session.flush()
    for position, item in enumerate(card.items):
        result = results.get(item.id)
        status = result.status if result else None
        suggestion = form.suggested(item, status)
        # Calibration is scored blind to the machine as well as to the other reviewers.
        session.add(
            EvaluationAnswer(
                evaluation_id=evaluation.id,
                position=position,
                item_id=item.id,
                answer=None if calibration else suggestion,
                auto_status=status,
                auto_answer=suggestion,
            )
        )
    session.flush()
    return _reload(session, evaluation.id)


def _version_for(session: Session, call_id: int, score: CallScore | None) -> ScorecardVersion:
    if score is not None and score.scorecard_version is not None:
        return score.scorecard_version
    version = scoring.choose_version(session, scoring.facts_of(session, call_id))
    if version is None:
        raise InvalidInput(
            "No scorecard applies to this call, so there is nothing to score it against; "
            "add a scorecard for its team and direction"
        )
    return version


def _reload(session: Session, evaluation_id: int, *, locked: bool = False) -> Evaluation:
    evaluation = repo.get_locked(session, evaluation_id) if locked else repo.get(session, evaluation_id)
    if evaluation is None:
        raise NotFound(f"Evaluation {evaluation_id} does not exist")
    return evaluation


# The workspace ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    item: Item
    answer: EvaluationAnswer
    check: CheckResult | None
    choices: tuple[str, ...]


@dataclass(frozen=True)
class SectionView:
    section: Section
    items: list[ItemView]


@dataclass(frozen=True)
class Workspace:
    evaluation: Evaluation
    call: Call
    transcript: Transcript | None
    score: CallScore | None
    card: Scorecard
    sections: list[SectionView]
    rep_label: str
    assignment: Assignment | None = None
    stale: bool = False  # the form just saved came from a page older than the checks

    @property
    def result(self) -> form.Result:
        return form.score(self.card, {a.item_id: a.answer for a in self.evaluation.answers})

    @property
    def checks_notice(self) -> rescored.ChecksNotice | None:
        """How the call's re-scoring changed this draft; None when the checks never changed."""
        if self.evaluation.status is not EvaluationStatus.DRAFT:
            return None
        return rescored.notice(self.card, self.evaluation.answers)


def workspace(
    session: Session,
    principal: Principal,
    assignment_id: int,
    *,
    settings: Settings,
    for_update: bool = False,
) -> Workspace:
    """The review page of a pick you hold. `for_update` (saving) locks the draft, reads it
    afresh and brings it up to the call's checks if they were re-scored since."""
    assignment = queue.get_assignment(session, assignment_id)
    if assignment.status is AssignmentStatus.DONE:
        evaluation = repo.for_assignment(session, assignment.id)
        raise Conflict(
            "This call has been reviewed", details={"evaluation_id": evaluation.id if evaluation else None}
        )
    if assignment.reviewer_id != principal.id or assignment.status is not AssignmentStatus.IN_REVIEW:
        raise Forbidden("Start this review from your queue first; it is not yours to score right now")
    evaluation = repo.for_assignment(session, assignment.id)
    if evaluation is None or evaluation.reviewer_id != principal.id:
        raise Forbidden("Start this review from your queue first")
    if for_update:
        evaluation = _reload(session, evaluation.id, locked=True)
        if evaluation.status is not EvaluationStatus.DRAFT:  # submitted while this waited for the lock
            raise Conflict("This call has been reviewed", details={"evaluation_id": evaluation.id})
        # The `call.scored` handler does this too; a save must not wait for it.
        rescored.refresh_draft(session, evaluation, scoring.get_call_score(session, evaluation.call_id))
    return build_workspace(session, principal, evaluation, settings=settings, assignment=assignment)


def build_workspace(
    session: Session,
    principal: Principal,
    evaluation: Evaluation,
    *,
    settings: Settings,
    assignment: Assignment | None = None,
) -> Workspace:
    """The review page's data for `evaluation`: the call, its transcript, the automatic
    results and the scorecard's sections."""
    call = calls.get_call(session, principal, evaluation.call_id)
    transcript = transcription.get_transcript(session, call.id)
    score = scoring.get_call_score(session, call.id)
    card = scoring.definition(evaluation.scorecard_version)
    checks = {c.item_id: c for c in score.checks} if score else {}
    answers = {a.item_id: a for a in evaluation.answers}
    sections = [
        SectionView(
            section,
            [
                ItemView(item, answers[item.id], checks.get(item.id), form.choices(item))
                for item in section.items
                if item.id in answers
            ],
        )
        for section in card.sections
    ]
    label = reading.rep_labels(session, principal, [call], settings=settings)[call.id]
    return Workspace(evaluation, call, transcript, score, card, sections, label, assignment)


# Saving and submitting ----------------------------------------------------------------------------


def save_draft(
    session: Session, principal: Principal, assignment_id: int, *, data: ReviewForm, settings: Settings
) -> Workspace:
    """Keep the answers so far (no checks: a draft may be incomplete). A page older than the
    call's checks keeps what the reviewer set but never writes the old checks back (`stale`)."""
    space = workspace(session, principal, assignment_id, settings=settings, for_update=True)
    data, stale = rescored.reconcile(space.evaluation, data)
    apply_form(space.evaluation, data, space.card)
    return replace(space, stale=stale)


def submit_review(
    session: Session,
    principal: Principal,
    assignment_id: int,
    *,
    data: ReviewForm,
    settings: Settings,
    now: datetime | None = None,
) -> Evaluation:
    """Check every answer, score the call and finish the pick. FormInvalid lists what to fix;
    ChecksChanged refuses a page older than the call's checks (what it held is saved)."""
    now = now or utcnow()
    space = workspace(session, principal, assignment_id, settings=settings, for_update=True)
    evaluation = space.evaluation
    data, stale = rescored.reconcile(evaluation, data)
    if stale:
        apply_form(evaluation, data, space.card)
        raise ChecksChanged()
    _finish(evaluation, data, space.card, now, keep=True)
    session.add(EvaluationEdit(evaluation_id=evaluation.id, user_id=principal.id, action="submitted"))
    assert space.assignment is not None
    queue.complete(session, principal, space.assignment, now)
    session.flush()
    emit(session, "evaluation.submitted", _event_payload(evaluation, space.call))
    return evaluation


def _event_payload(evaluation: Evaluation, call: Call) -> dict[str, Any]:
    return {
        "evaluation_id": evaluation.id,
        "call_id": call.id,
        "rep_id": call.rep_id,
        "team_id": call.team_id,
        "reviewer_id": evaluation.reviewer_id,
        "final_score": evaluation.final_score,
        "call_started_at": call.started_at.isoformat(),
        "submitted_at": evaluation.submitted_at.isoformat() if evaluation.submitted_at else None,
    }


def release_evaluation(session: Session, evaluation_id: int, *, now: datetime | None = None) -> bool:
    """Show a submitted review to its rep; False if it was already released. Calibration
    scorings and drafts are never released."""
    evaluation = session.get(Evaluation, evaluation_id, with_for_update=True)
    if evaluation is None or evaluation.kind is not EvaluationKind.REVIEW:
        return False
    if evaluation.status is not EvaluationStatus.SUBMITTED or evaluation.released_at is not None:
        return False
    evaluation.released_at = now or utcnow()
    session.flush()
    emit(
        session, "evaluation.released", _event_payload(evaluation, session.get_one(Call, evaluation.call_id))
    )
    return True


def _finish(evaluation: Evaluation, data: ReviewForm, card: Scorecard, now: datetime, *, keep: bool) -> None:
    """Validate, then store answers and score. `keep` saves an invalid draft's answers anyway."""
    suggestions = {a.item_id: a.auto_answer for a in evaluation.answers}
    errors = form.validate(card, suggestions, data.answers)
    if errors:
        if keep:
            apply_form(evaluation, data, card)
        raise FormInvalid(errors)
    apply_form(evaluation, data, card)
    result = form.score(card, {a.item_id: a.answer for a in evaluation.answers})
    evaluation.score = result.score
    evaluation.final_score = result.final_score
    evaluation.critical_failed = bool(result.critical_failed)
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = now


def apply_form(evaluation: Evaluation, data: ReviewForm, card: Scorecard) -> None:
    """Copy the form into the evaluation (allowed answers only) and add the time on task,
    bounded by the time that passed since the last save."""
    items = {item.id: item for item in card.items}
    for answer in evaluation.answers:
        given = data.answers.get(answer.item_id)
        if given is None or answer.item_id not in items:
            continue
        answer.answer = form.clean_answer(items[answer.item_id], given.answer)
        reason = given.reason.strip()[: form.MAX_REASON]
        answer.override_reason = reason if answer.overridden and reason else None
    evaluation.overall_comment = data.overall_comment.strip()[: form.MAX_COMMENT]
    elapsed = (utcnow() - evaluation.updated_at).total_seconds() + 5 if evaluation.updated_at else 0
    step = max(0.0, min(data.active_seconds, elapsed, MAX_ACTIVE_STEP_S))
    evaluation.active_seconds = round(evaluation.active_seconds + step, 1)
    evaluation.updated_at = utcnow()


# Reading and correcting ---------------------------------------------------------------------------


def _revealed(session: Session, evaluation: Evaluation) -> bool:
    if evaluation.calibration_session_id is None:
        return False
    calibration = session.get(CalibrationSession, evaluation.calibration_session_id)
    return bool(calibration and calibration.is_closed)


def get_evaluation(
    session: Session, principal: Principal, evaluation_id: int, *, for_update: bool = False
) -> Evaluation:
    """The evaluation, if `principal` may read it (NotFound otherwise). `for_update` locks its
    row first and reads it afresh, so two corrections never score each other's stale answers."""
    evaluation = repo.get_locked(session, evaluation_id) if for_update else repo.get(session, evaluation_id)
    if evaluation is None:
        raise NotFound(f"Evaluation {evaluation_id} does not exist or you cannot see it")
    # Whoever may read an evaluation may see its call (reps their own, managers their teams').
    # A hidden call reads like a missing evaluation: the refusal names nothing else.
    try:
        call = calls.get_call(session, principal, evaluation.call_id)
    except NotFound:
        raise NotFound(f"Evaluation {evaluation_id} does not exist or you cannot see it") from None
    revealed = _revealed(session, evaluation)
    session_id = evaluation.calibration_session_id
    participant = session_id is not None and principal.id in repo.participant_ids(session, session_id)
    allowed = access.can_view(
        principal,
        evaluation,
        team_id=call.team_id,
        rep_id=call.rep_id,
        revealed=revealed,
        participant=participant,
    )
    if not allowed:
        raise NotFound(f"Evaluation {evaluation_id} does not exist or you cannot see it")
    return evaluation


@dataclass(frozen=True)
class EvaluationPage:
    space: Workspace
    history: list[EvaluationEdit]
    can_edit: bool
    sees_time_on_task: bool
    sees_checks: bool


def evaluation_page(
    session: Session, principal: Principal, evaluation_id: int, *, settings: Settings, for_edit: bool = False
) -> EvaluationPage:
    """An evaluation with its call; `for_edit` also checks that `principal` may correct it."""
    evaluation = get_evaluation(session, principal, evaluation_id)
    if for_edit:
        if evaluation.status is not EvaluationStatus.SUBMITTED or not access.can_edit(principal, evaluation):
            raise Forbidden("Only the reviewer who wrote it or a QC lead can correct a submitted evaluation")
        check_calibration_open(session, evaluation)
    assignment = queue.get_assignment(session, evaluation.assignment_id) if evaluation.assignment_id else None
    space = build_workspace(session, principal, evaluation, settings=settings, assignment=assignment)
    submitted = evaluation.status is EvaluationStatus.SUBMITTED
    return EvaluationPage(
        space,
        repo.history(session, evaluation.id),
        submitted and access.can_edit(principal, evaluation),
        access.sees_time_on_task(principal, evaluation),
        access.sees_checks(evaluation),
    )


@dataclass(frozen=True)
class EvaluationDetail:
    evaluation: Evaluation
    card: Scorecard
    history: list[EvaluationEdit]
    sees_time_on_task: bool
    sees_checks: bool


def evaluation_detail(session: Session, principal: Principal, evaluation_id: int) -> EvaluationDetail:
    """An evaluation with its scorecard and audit trail (the API shape)."""
    evaluation = get_evaluation(session, principal, evaluation_id)
    return EvaluationDetail(
        evaluation,
        scoring.definition(evaluation.scorecard_version),
        repo.history(session, evaluation.id),
        access.sees_time_on_task(principal, evaluation),
        access.sees_checks(evaluation),
    )


def edit_evaluation(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    *,
    data: ReviewForm,
    reason: str,
    settings: Settings,
    action: str = "edited",
) -> Evaluation:
    """Correct a submitted evaluation; the change, who made it and why are kept."""
    evaluation = get_evaluation(session, principal, evaluation_id, for_update=True)
    if evaluation.status is not EvaluationStatus.SUBMITTED:
        raise InvalidTransition("Only submitted evaluations are corrected; finish the draft instead")
    if not access.can_edit(principal, evaluation):
        raise Forbidden("Only the reviewer who wrote it or a QC lead can correct an evaluation")
    check_calibration_open(session, evaluation)
    reason = reason.strip()
    if len(reason) < 3:
        raise FormInvalid({"edit_reason": "Say why you are changing a submitted evaluation"})
    before = _snapshot(evaluation)
    card = scoring.definition(evaluation.scorecard_version)
    _finish(
        evaluation,
        ReviewForm(data.answers, data.overall_comment, 0.0),
        card,
        evaluation.submitted_at or utcnow(),
        keep=False,
    )
    changes = _diff(before, _snapshot(evaluation))
    if changes:
        evaluation.edits += 1
        session.add(
            EvaluationEdit(
                evaluation_id=evaluation.id,
                user_id=principal.id,
                action=action,
                reason=reason[: form.MAX_REASON],
                changes=changes,
            )
        )
        session.flush()
        payload = _event_payload(evaluation, session.get_one(Call, evaluation.call_id))
        payload.update(editor_id=principal.id, reason=reason[: form.MAX_REASON], changes=changes)
        emit(session, "evaluation.edited", payload)
    session.flush()
    return evaluation


def correct_answers(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    *,
    answers: Mapping[str, str],
    reasons: Mapping[str, str],
    summary: str,
    settings: Settings,
) -> Evaluation:
    """Change some answers of a submitted review through the audited edit path (a dispute's
    outcome): the score is recomputed and the history says who changed what and why.
    `reasons` become the override reasons of answers that now differ from the check."""
    evaluation = get_evaluation(session, principal, evaluation_id, for_update=True)
    current = {a.item_id: form.AnswerInput(a.answer, a.override_reason or "") for a in evaluation.answers}
    for item_id, answer in answers.items():
        current[item_id] = form.AnswerInput(answer, reasons.get(item_id, ""))
    data = ReviewForm(current, evaluation.overall_comment, 0.0)
    return edit_evaluation(
        session, principal, evaluation_id, data=data, reason=summary, settings=settings, action="dispute"
    )


def check_calibration_open(session: Session, evaluation: Evaluation) -> None:
    """Refuse changes to a calibration scoring once its session is closed."""
    if evaluation.calibration_session_id is not None and _revealed(session, evaluation):
        raise InvalidTransition("The calibration session is closed; its scorings are final")


def _snapshot(evaluation: Evaluation) -> dict[str, Any]:
    data: dict[str, Any] = {f"answer:{a.item_id}": a.answer for a in evaluation.answers}
    data.update({f"reason:{a.item_id}": a.override_reason for a in evaluation.answers})
    data["overall_comment"] = evaluation.overall_comment
    data["final_score"] = evaluation.final_score
    return data


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": key, "from": before.get(key), "to": after.get(key)}
        for key in after
        if before.get(key) != after.get(key)
    ]


def call_duration(session: Session, principal: Principal, evaluation: Evaluation) -> float:
    """The length of the evaluated call, in seconds."""
    return calls.get_call(session, principal, evaluation.call_id).duration_s


def evaluations_by_id(session: Session, evaluation_ids: list[int]) -> dict[int, Evaluation]:
    """Evaluations with their answers, comments and reviewer, by id (for lists whose caller
    has checked access)."""
    return repo.get_many(session, evaluation_ids)


def reviews_by_call(session: Session, call_ids: list[int]) -> dict[int, Evaluation]:
    """The QC review of each listed call, if it has one (for lists; not access-checked)."""
    return {e.call_id: e for e in repo.reviews_of_calls(session, call_ids)}


def readable_reviews_by_call(
    session: Session, principal: Principal, listed: list[Call]
) -> dict[int, Evaluation]:
    """The submitted QC review of each listed call that `principal` may open (for lists)."""
    by_id = {call.id: call for call in listed}
    return {
        call_id: review
        for call_id, review in reviews_by_call(session, list(by_id)).items()
        if review.status is EvaluationStatus.SUBMITTED
        and access.can_view(
            principal, review, team_id=by_id[call_id].team_id, rep_id=by_id[call_id].rep_id, revealed=False
        )
    }


@dataclass(frozen=True)
class ReviewPanel:
    """What the call page says about the call's review, and what `principal` may do."""

    assignment: Assignment | None
    evaluation: Evaluation | None  # only when `principal` may read it
    can_pick: bool
    lead: bool  # may put the call in a calibration session
    calibrations: list[CalibrationSession]


def review_panel(session: Session, principal: Principal, call: Call, *, settings: Settings) -> ReviewPanel:
    """Reps and managers see the review once it is submitted; QC staff also see the pick
    (why it was picked, who holds it) and may start or choose a review."""
    from qc.calls.models import CallStatus
    from qc.evaluations import calibration
    from qc.reviews import access as queue_access

    assignment = queue.find_assignment(session, call.id)
    evaluation = repo.for_assignment(session, assignment.id) if assignment else None
    if evaluation is not None:
        revealed = _revealed(session, evaluation)
        if not access.can_view(
            principal, evaluation, team_id=call.team_id, rep_id=call.rep_id, revealed=revealed
        ):
            evaluation = None
    staff = principal.role in queue_access.REVIEWERS
    lead = principal.role in queue_access.QUEUE_MANAGERS and call.status is CallStatus.SCORED
    return ReviewPanel(
        assignment if staff else None,
        evaluation if evaluation is None or evaluation.status is EvaluationStatus.SUBMITTED else None,
        queue.may_pick(session, principal, call, settings=settings),
        lead,
        calibration.open_sessions(session, principal) if lead else [],
    )
