"""Calibration: a QC lead puts calls in a session, chosen reviewers score them without
seeing each other (or the automatic checks), and the lead sees where they agree."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.calls.models import Call, CallStatus
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from qc.evaluations import form
from qc.evaluations import repository as repo
from qc.evaluations.kappa import fleiss_kappa, pairwise_agreement
from qc.evaluations.models import (
    CalibrationCall,
    CalibrationParticipant,
    CalibrationSession,
    Evaluation,
    EvaluationEdit,
    EvaluationStatus,
)
from qc.evaluations.service import FormInvalid, ReviewForm, Workspace, apply_form, build_workspace, new_draft
from qc.reviews import access
from qc.scoring import service as scoring
from qc.scoring.definitions import Scorecard
from qc.users.models import User
from qc.users.schemas import Principal

MAX_CALLS = 20
MAX_PARTICIPANTS = 30


def _require_lead(principal: Principal) -> None:
    if principal.role not in access.QUEUE_MANAGERS:
        raise Forbidden("Only QC leads and administrators run calibration sessions")


# Sessions -----------------------------------------------------------------------------------------


def create_session(
    session: Session, principal: Principal, *, title: str, call_ids: list[int], reviewer_ids: list[int]
) -> CalibrationSession:
    """A session over `call_ids`, scored by the chosen reviewers and by you (the reference).
    Everything is checked before anything is stored."""
    _require_lead(principal)
    title = title.strip()
    if not title or len(title) > 200:
        raise InvalidInput("Give the session a title of at most 200 characters", field="title")
    people = list(dict.fromkeys([principal.id, *reviewer_ids]))
    if len(people) < 2:
        raise InvalidInput("Choose at least one reviewer", field="reviewers")
    if len(people) > MAX_PARTICIPANTS:
        raise InvalidInput(f"A session has at most {MAX_PARTICIPANTS} participants", field="reviewers")
    candidates = {u.id for u in repo.calibration_candidates(session)}
    if any(user_id not in candidates for user_id in people):
        raise InvalidInput("Participants are active reviewers, QC leads or administrators", field="reviewers")
    calls_in = list(dict.fromkeys(call_ids))
    if not calls_in:
        raise InvalidInput("Add at least one call", field="calls")
    for call_id in calls_in:
        _scorable_call(session, principal, call_id)
    calibration = CalibrationSession(title=title, created_by_id=principal.id)
    session.add(calibration)
    session.flush()
    for user_id in people:
        session.add(CalibrationParticipant(session_id=calibration.id, user_id=user_id))
    add_calls(session, principal, calibration.id, calls_in)
    return calibration


def _scorable_call(session: Session, principal: Principal, call_id: int) -> Call:
    try:
        call = calls.get_call(session, principal, call_id)
    except NotFound as exc:
        raise InvalidInput(f"There is no call {call_id}", field="calls") from exc
    if call.status is not CallStatus.SCORED:
        raise InvalidInput(f"Call {call_id} is not processed yet ({call.status.value})", field="calls")
    return call


def add_calls(session: Session, principal: Principal, session_id: int, call_ids: list[int]) -> None:
    """Put processed calls in an open session."""
    _require_lead(principal)
    calibration = _get(session, session_id)
    if calibration.is_closed:
        raise InvalidTransition("The session is closed")
    present = repo.calibration_call_ids(session, session_id)
    for call_id in call_ids:
        call = _scorable_call(session, principal, call_id)
        if call.id in present:
            raise Conflict(f"Call {call_id} is already in this session", field="calls")
        if len(present) >= MAX_CALLS:
            raise InvalidInput(f"A session holds at most {MAX_CALLS} calls", field="calls")
        session.add(CalibrationCall(session_id=session_id, call_id=call.id, position=len(present)))
        present.append(call.id)
    session.flush()


def close_session(session: Session, principal: Principal, session_id: int) -> CalibrationSession:
    """End scoring; participants then see the results too."""
    _require_lead(principal)
    calibration = _get(session, session_id)
    if not calibration.is_closed:
        calibration.is_closed = True
        calibration.closed_at = utcnow()
    return calibration


def _get(session: Session, session_id: int) -> CalibrationSession:
    calibration = session.get(CalibrationSession, session_id)
    if calibration is None:
        raise NotFound(f"Calibration session {session_id} does not exist")
    return calibration


def _visible(session: Session, principal: Principal, calibration: CalibrationSession) -> None:
    if principal.role in access.QUEUE_MANAGERS or principal.id in repo.participant_ids(
        session, calibration.id
    ):
        return
    raise NotFound(f"Calibration session {calibration.id} does not exist")


def list_sessions(session: Session, principal: Principal) -> list[CalibrationSession]:
    """Sessions you run (staff: all) or take part in, newest first."""
    return repo.calibration_sessions(
        session, None if principal.role in access.QUEUE_MANAGERS else principal.id
    )


def open_sessions(session: Session, principal: Principal) -> list[CalibrationSession]:
    """Sessions still open, for putting a call in one (QC leads and administrators)."""
    _require_lead(principal)
    return [s for s in list_sessions(session, principal) if not s.is_closed]


# Scoring ------------------------------------------------------------------------------------------


def _scoring(
    session: Session, principal: Principal, session_id: int, call_id: int, *, start: bool
) -> Evaluation | None:
    calibration = _get(session, session_id)
    if principal.id not in repo.participant_ids(session, session_id):
        raise Forbidden("You are not a participant of this calibration session")
    if call_id not in repo.calibration_call_ids(session, session_id):
        raise NotFound("That call is not in this session")
    evaluation = repo.calibration_scoring(session, session_id, call_id, principal.id)
    if evaluation is None and start:
        if calibration.is_closed:
            raise InvalidTransition("The session is closed; no new scorings are taken")
        evaluation = new_draft(session, call_id=call_id, reviewer_id=principal.id, calibration=calibration)
    return evaluation


def scoring_workspace(
    session: Session, principal: Principal, session_id: int, call_id: int, *, settings: Settings
) -> Workspace | None:
    """Your scoring of one call of the session; None until you start it (reading never does)."""
    evaluation = _scoring(session, principal, session_id, call_id, start=False)
    return None if evaluation is None else build_workspace(session, principal, evaluation, settings=settings)


def start_scoring(
    session: Session, principal: Principal, session_id: int, call_id: int, *, settings: Settings
) -> Workspace:
    """Your scoring of one call of the open session, started now if it was not yet."""
    evaluation = _scoring(session, principal, session_id, call_id, start=True)
    assert evaluation is not None  # started above
    return build_workspace(session, principal, evaluation, settings=settings)


def save_scoring(
    session: Session,
    principal: Principal,
    session_id: int,
    call_id: int,
    *,
    data: ReviewForm,
    settings: Settings,
    submit: bool,
) -> Workspace:
    """Save (or submit) your scoring, started by the first save; calibration asks no reasons
    (there is no suggestion)."""
    space = start_scoring(session, principal, session_id, call_id, settings=settings)
    evaluation = space.evaluation
    if _get(session, session_id).is_closed:
        raise InvalidTransition("The session is closed; its scorings are final")
    if evaluation.status is EvaluationStatus.SUBMITTED:
        raise InvalidTransition("You have submitted this scoring; it is final")

    apply_form(evaluation, data, space.card)
    if not submit:
        return space
    errors = form.validate(space.card, {}, data.answers)
    if errors:
        raise FormInvalid(errors)
    result = form.score(space.card, {a.item_id: a.answer for a in evaluation.answers})
    evaluation.score, evaluation.final_score = result.score, result.final_score
    evaluation.critical_failed = bool(result.critical_failed)
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = utcnow()
    session.add(EvaluationEdit(evaluation_id=evaluation.id, user_id=principal.id, action="submitted"))
    session.flush()
    return space


# Results ------------------------------------------------------------------------------------------


@dataclass
class ItemRow:
    item_id: str
    label: str
    answers: dict[int, str | None]  # participant -> answer
    reference: str | None  # the lead's
    agreement: float | None  # share of agreeing rater pairs

    @property
    def majority(self) -> str | None:
        given = [a for a in self.answers.values() if a is not None]
        return Counter(given).most_common(1)[0][0] if given else None


@dataclass
class CallResult:
    call: Call
    rows: list[ItemRow]
    scores: dict[int, float | None]  # participant -> final score


@dataclass
class ReviewerDeviation:
    user: User
    compared: int = 0
    matched: int = 0
    score_gaps: list[float] = field(default_factory=list)
    differing: list[tuple[int, str]] = field(default_factory=list)  # (call, item)

    @property
    def match_rate(self) -> float | None:
        return self.matched / self.compared if self.compared else None

    @property
    def mean_score_gap(self) -> float | None:
        return sum(self.score_gaps) / len(self.score_gaps) if self.score_gaps else None


@dataclass
class CalibrationView:
    calibration: CalibrationSession
    lead: User
    participants: list[User]
    calls: list[Call]
    status: dict[tuple[int, int], EvaluationStatus]  # (call, participant) -> draft / submitted
    can_manage: bool
    results: list[CallResult] | None = None
    item_kappa: dict[str, float | None] = field(default_factory=dict)
    overall_kappa: float | None = None
    deviations: list[ReviewerDeviation] = field(default_factory=list)
    card: Scorecard | None = None
    hidden_calls: set[int] = field(default_factory=set)  # not shown until you have scored them

    def label(self, item_id: str) -> str:
        if self.card is None:
            return item_id
        return next((item.label for item in self.card.items if item.id == item_id), item_id)


def session_view(session: Session, principal: Principal, session_id: int) -> CalibrationView:
    """The session; results for its lead (and staff) at any time, for participants once closed."""
    calibration = _get(session, session_id)
    _visible(session, principal, calibration)
    people = repo.users_by_id(session, repo.participant_ids(session, session_id))
    call_ids = repo.calibration_call_ids(session, session_id)
    call_rows = repo.calls_by_id(session, call_ids)
    scorings = repo.for_calibration(session, session_id)
    view = CalibrationView(
        calibration=calibration,
        lead=people[calibration.created_by_id],
        participants=sorted(people.values(), key=lambda u: (u.id != calibration.created_by_id, u.name)),
        calls=[call_rows[i] for i in call_ids if i in call_rows],
        status={(e.call_id, e.reviewer_id): e.status for e in scorings},
        can_manage=principal.role in access.QUEUE_MANAGERS,
    )
    if view.can_manage or calibration.is_closed:
        submitted = [e for e in scorings if e.status is EvaluationStatus.SUBMITTED]
        if not calibration.is_closed and principal.id in people:
            # A participant (the lead included) sees the others' answers to a call only once
            # their own scoring of it is in: nobody adjusts their answers to the others'.
            own = {e.call_id for e in submitted if e.reviewer_id == principal.id}
            view.hidden_calls = {c.id for c in view.calls if c.id not in own}
            submitted = [e for e in submitted if e.call_id in own]
        _results(view, submitted)
    return view


def _results(view: CalibrationView, scorings: list[Evaluation]) -> None:
    lead_id = view.calibration.created_by_id
    by_call: dict[int, dict[int, Evaluation]] = defaultdict(dict)
    for evaluation in scorings:
        by_call[evaluation.call_id][evaluation.reviewer_id] = evaluation
    deviations = {u.id: ReviewerDeviation(u) for u in view.participants if u.id != lead_id}
    subjects_by_item: dict[str, list[Counter[str]]] = defaultdict(list)
    view.results = []
    for call in view.calls:
        scored = by_call.get(call.id, {})
        if not scored:
            view.results.append(CallResult(call, [], {}))
            continue
        card = scoring.definition(next(iter(scored.values())).scorecard_version)
        view.card = view.card or card
        answers = {rid: {a.item_id: a.answer for a in e.answers} for rid, e in scored.items()}
        rows = []
        for item in card.items:
            given = {rid: answers[rid].get(item.id) for rid in answers}
            counts = Counter(a for a in given.values() if a is not None)
            subjects_by_item[item.id].append(counts)
            rows.append(ItemRow(item.id, item.label, given, given.get(lead_id), pairwise_agreement(counts)))
            _deviate(deviations, call.id, item.id, given, lead_id)
        reference = scored.get(lead_id)
        reference_score = reference.final_score if reference is not None else None
        for rid, evaluation in scored.items():
            if rid in deviations and reference_score is not None and evaluation.final_score is not None:
                deviations[rid].score_gaps.append(abs(evaluation.final_score - reference_score))
        view.results.append(CallResult(call, rows, {rid: e.final_score for rid, e in scored.items()}))
    view.item_kappa = {item_id: fleiss_kappa(subjects) for item_id, subjects in subjects_by_item.items()}
    view.overall_kappa = fleiss_kappa([s for subjects in subjects_by_item.values() for s in subjects])
    view.deviations = list(deviations.values())


def _deviate(
    deviations: dict[int, ReviewerDeviation],
    call_id: int,
    item_id: str,
    given: dict[int, str | None],
    lead_id: int,
) -> None:
    reference = given.get(lead_id)
    if reference is None:
        return
    for rid, answer in given.items():
        if rid not in deviations or answer is None:
            continue
        deviations[rid].compared += 1
        if answer == reference:
            deviations[rid].matched += 1
        else:
            deviations[rid].differing.append((call_id, item_id))


def reviewers(session: Session, principal: Principal) -> list[User]:
    """People who can take part in a session."""
    _require_lead(principal)
    return repo.calibration_candidates(session)
