"""Coaching sessions: planned from reviews or from a rep's most-missed items, acknowledged
by the rep, held, completed with an outcome; action items the rep ticks off; and whether
the rep got better at the focus items afterwards (`effect`).

Events: coaching.scheduled, coaching.acknowledged, coaching.completed,
coaching.cancelled, coaching.action_due.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.coaching import access
from qc.coaching import repository as repo
from qc.coaching.effect import CoachSummary, FocusEffect, Windows, measure, summarise
from qc.coaching.models import (
    CoachingAction,
    CoachingEvaluation,
    CoachingFocus,
    CoachingSession,
    SessionStatus,
)
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from qc.evaluations import outcomes as item_outcomes
from qc.evaluations.outcomes import ItemOutcome
from qc.jobs.events import emit
from qc.reviews import service as reviews
from qc.scoring import service as scoring
from qc.users import service as users
from qc.users.models import Role, User
from qc.users.schemas import Principal

MAX_FOCUS = 5
MAX_ACTIONS = 10
MAX_TEXT = 4000
MAX_ACTION_TEXT = 500
EVIDENCE_PER_ITEM = 5


class SessionInvalid(InvalidInput):
    """A session form with field errors, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), details={"errors": errors})
        self.errors = errors


# Planning: what to work on --------------------------------------------------------------------------


@dataclass(frozen=True)
class FocusSuggestion:
    scorecard_id: str
    item_id: str
    label: str
    failed: int  # of the rep's last `reviewed` reviewed calls that answered the item
    reviewed: int
    failing_evaluations: list[int]  # newest first: the evidence to open
    chosen: bool  # pre-ticked: failed in the reviews the session is built from

    @property
    def key(self) -> str:
        return f"{self.scorecard_id}:{self.item_id}"


def coachable_rep(session: Session, principal: Principal, rep_id: int) -> User:
    """The rep, if `principal` may coach them."""
    if principal.role not in access.COACHES:
        raise Forbidden("Coaching sessions are planned by managers, QC leads and administrators")
    try:
        rep = users.get_person(session, rep_id)
    except NotFound:
        rep = None
    if rep is None or rep.role is not Role.REP or not access.can_coach_team(principal, rep.team_id):
        # Another team's rep reads like a missing one: a manager learns nothing of other teams.
        raise NotFound(f"Rep {rep_id} does not exist or is not in a team you coach")
    return rep


def suggest_focus(
    session: Session,
    principal: Principal,
    *,
    rep_id: int,
    evaluation_ids: Sequence[int] = (),
    settings: Settings,
) -> list[FocusSuggestion]:
    """The rep's items with how often each failed in their last reviewed calls, most missed
    first; items failed in `evaluation_ids` (the reviews the session starts from) first and
    pre-ticked."""
    coachable_rep(session, principal, rep_id)
    recent = item_outcomes.last_reviewed(session, rep_id, last=settings.coaching_recent_reviews)
    chosen_from = [o for o in item_outcomes.of_evaluations(session, evaluation_ids) if o.rep_id == rep_id]
    picked = {(o.scorecard_id, o.item_id) for o in chosen_from if not o.passed}
    tallies: dict[tuple[str, str], list[ItemOutcome]] = defaultdict(list)
    for outcome in [
        *recent,
        *(o for o in chosen_from if o.evaluation_id not in {r.evaluation_id for r in recent}),
    ]:
        tallies[(outcome.scorecard_id, outcome.item_id)].append(outcome)
    labels = scoring.item_labels(session)
    found = []
    for key, rows in tallies.items():
        failing = sorted({o.evaluation_id for o in rows if not o.passed}, reverse=True)
        if not failing and key not in picked:
            continue
        found.append(
            FocusSuggestion(
                key[0],
                key[1],
                labels.get(key, key[1]),
                len([o for o in rows if not o.passed]),
                len(rows),
                failing[:EVIDENCE_PER_ITEM],
                key in picked,
            )
        )
    return sorted(found, key=lambda s: (not s.chosen, -s.failed, s.label))


# The form ------------------------------------------------------------------------------------------------


@dataclass
class ActionInput:
    text: str
    due_date: date | None = None
    id: int | None = None  # an existing action item being kept


@dataclass
class SessionInput:
    scheduled_at: datetime | None  # aware, UTC
    duration_minutes: int = 30
    agenda: str = ""
    shared_notes: str = ""
    private_notes: str = ""
    focus: list[str] = field(default_factory=list)  # "scorecard:item" keys
    evaluation_ids: list[int] = field(default_factory=list)
    actions: list[ActionInput] = field(default_factory=list)


def team_zone(session: Session, team_id: int, settings: Settings) -> ZoneInfo:
    """The zone the team plans its days in (its review policy's)."""
    return ZoneInfo(reviews.team_policy(session, team_id, settings).timezone)


def _check(data: SessionInput, suggestions: list[FocusSuggestion], *, new: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.scheduled_at is None:
        errors["scheduled_at"] = "Choose when the session takes place"
    if not 5 <= data.duration_minutes <= 480:
        errors["duration_minutes"] = "Between 5 and 480 minutes"
    known = {s.key for s in suggestions}
    if new and not data.focus:
        errors["focus"] = "Choose at least one item to work on"
    elif len(data.focus) > MAX_FOCUS:
        errors["focus"] = f"At most {MAX_FOCUS} items: a session that works on everything fixes nothing"
    elif new and set(data.focus) - known:
        errors["focus"] = "Choose items from the list"
    for name in ("agenda", "shared_notes", "private_notes"):
        if len(getattr(data, name)) > MAX_TEXT:
            errors[name] = f"At most {MAX_TEXT} characters"
    if len(data.actions) > MAX_ACTIONS:
        errors["actions"] = f"At most {MAX_ACTIONS} action items"
    for i, action in enumerate(data.actions):
        if len(action.text) > MAX_ACTION_TEXT:
            errors[f"action-{i}"] = f"At most {MAX_ACTION_TEXT} characters"
    return errors


def create_session(
    session: Session,
    principal: Principal,
    *,
    rep_id: int,
    data: SessionInput,
    settings: Settings,
) -> CoachingSession:
    """Plan a session for the rep; the focus items carry the rep's record on each."""
    rep = coachable_rep(session, principal, rep_id)
    suggestions = suggest_focus(
        session, principal, rep_id=rep_id, evaluation_ids=data.evaluation_ids, settings=settings
    )
    errors = _check(data, suggestions, new=True)
    if errors:
        raise SessionInvalid(errors)
    assert data.scheduled_at is not None and rep.team_id is not None
    coaching = CoachingSession(
        rep_id=rep.id,
        team_id=rep.team_id,
        coach_id=principal.id,
        scheduled_at=data.scheduled_at,
        duration_minutes=data.duration_minutes,
        agenda=data.agenda.strip(),
        shared_notes=data.shared_notes.strip(),
        private_notes=data.private_notes.strip(),
    )
    by_key = {s.key: s for s in suggestions}
    coaching.focus = [
        CoachingFocus(
            position=i,
            scorecard_id=by_key[key].scorecard_id,
            item_id=by_key[key].item_id,
            label=by_key[key].label,
            failed=by_key[key].failed,
            reviewed=by_key[key].reviewed,
        )
        for i, key in enumerate(dict.fromkeys(data.focus))
    ]
    # Only the rep's own submitted reviews are attached: the ones it starts from, and the
    # failing reviews behind its focus items.
    own = {
        o.evaluation_id
        for o in item_outcomes.of_evaluations(session, data.evaluation_ids)
        if o.rep_id == rep.id
    }
    evidence = {e for s in suggestions if s.key in data.focus for e in s.failing_evaluations}
    coaching.evaluations = [CoachingEvaluation(evaluation_id=e) for e in sorted(own | evidence)]
    coaching.actions = _actions(data.actions, [])
    session.add(coaching)
    session.flush()
    emit(session, "coaching.scheduled", _payload(coaching))
    return coaching


def _actions(given: list[ActionInput], existing: list[CoachingAction]) -> list[CoachingAction]:
    """The action items as the form lists them: kept ones keep their ticks."""
    by_id = {a.id: a for a in existing}
    kept = []
    for i, entry in enumerate(a for a in given if a.text.strip()):
        action = by_id.get(entry.id) if entry.id is not None else None
        if action is None:
            action = CoachingAction(text=entry.text.strip())
        elif action.due_date != entry.due_date:
            action.due_notified_on = None  # a new date gets its own notice
        action.text, action.due_date, action.position = entry.text.strip(), entry.due_date, i
        kept.append(action)
    return kept


def update_session(
    session: Session, principal: Principal, session_id: int, *, data: SessionInput, settings: Settings
) -> CoachingSession:
    """Change the plan, the notes or the action items of an open session."""
    coaching = _visible(session, principal, session_id, for_update=True)
    if not access.can_edit(principal, coaching):
        raise _edit_refusal(principal, coaching)
    errors = _check(data, [], new=False)
    if errors:
        raise SessionInvalid(errors)
    assert data.scheduled_at is not None
    moved = coaching.scheduled_at != data.scheduled_at
    coaching.scheduled_at = data.scheduled_at
    coaching.duration_minutes = data.duration_minutes
    coaching.agenda = data.agenda.strip()
    coaching.shared_notes = data.shared_notes.strip()
    coaching.private_notes = data.private_notes.strip()
    if data.focus:
        keep = set(data.focus)
        coaching.focus = [f for f in coaching.focus if f"{f.scorecard_id}:{f.item_id}" in keep]
    coaching.actions = _actions(data.actions, list(coaching.actions))
    if moved and coaching.status is SessionStatus.SCHEDULED:
        coaching.acknowledged_at = None  # the rep confirms the new time
        emit(session, "coaching.scheduled", _payload(coaching, rescheduled=True))
    session.flush()
    return coaching


def _edit_refusal(principal: Principal, coaching: CoachingSession) -> Exception:
    if not coaching.status.is_open:
        return InvalidTransition(f"This session is {coaching.status.value}; it can no longer be changed")
    return Forbidden("Only the rep's managers, QC leads and administrators change a session")


# The rep's side and the session's course -------------------------------------------------------------


def acknowledge(
    session: Session, principal: Principal, session_id: int, *, now: datetime | None = None
) -> CoachingSession:
    """The rep confirms they have read the plan (idempotent)."""
    coaching = _visible(session, principal, session_id, for_update=True)
    if not access.is_the_rep(principal, coaching):
        raise Forbidden("Only the rep acknowledges their coaching session")
    if coaching.acknowledged_at is None:
        if not coaching.status.is_open:
            raise InvalidTransition(
                f"This session is {coaching.status.value}; there is nothing to acknowledge"
            )
        coaching.acknowledged_at = now or utcnow()
        emit(session, "coaching.acknowledged", _payload(coaching))
    return coaching


def set_action_done(
    session: Session, principal: Principal, action_id: int, *, done: bool, now: datetime | None = None
) -> CoachingAction:
    """Tick an action item off (or untick it): the rep, or the coach for them."""
    found = repo.get_action(session, action_id)
    if found is None or not access.can_see(principal, found[1]):
        raise NotFound(f"Action item {action_id} does not exist or you cannot see it")
    action, coaching = found
    if not access.can_tick(principal, coaching):
        raise InvalidTransition("This session was cancelled; its action items are closed")
    if done and action.done_at is None:
        action.done_at, action.done_by_id = now or utcnow(), principal.id
        emit(
            session,
            "coaching.action_done",
            _payload(coaching, action_id=action.id, action=action.text, due_date=str(action.due_date)),
        )
    elif not done:
        action.done_at, action.done_by_id = None, None
    session.flush()
    return action


def mark_held(
    session: Session, principal: Principal, session_id: int, *, now: datetime | None = None
) -> CoachingSession:
    coaching = _visible(session, principal, session_id, for_update=True)
    if not access.can_edit(principal, coaching):
        raise _edit_refusal(principal, coaching)
    if coaching.status is not SessionStatus.SCHEDULED:
        raise InvalidTransition("Only a scheduled session is marked as held")
    coaching.status, coaching.held_at = SessionStatus.HELD, now or utcnow()
    return coaching


def complete_session(
    session: Session, principal: Principal, session_id: int, *, outcome: str, now: datetime | None = None
) -> CoachingSession:
    """Close the session with what came of it; its effect is measured from when it was held."""
    coaching = _visible(session, principal, session_id, for_update=True)
    if not access.can_edit(principal, coaching):
        raise _edit_refusal(principal, coaching)
    if len(outcome.strip()) < 3:
        raise SessionInvalid({"outcome": "Say what came of the session: the rep reads it"})
    now = now or utcnow()
    coaching.status, coaching.outcome, coaching.completed_at = SessionStatus.COMPLETED, outcome.strip(), now
    coaching.held_at = coaching.held_at or min(
        now, coaching.scheduled_at + timedelta(minutes=coaching.duration_minutes)
    )
    emit(session, "coaching.completed", _payload(coaching))
    return coaching


def cancel_session(
    session: Session, principal: Principal, session_id: int, *, reason: str, now: datetime | None = None
) -> CoachingSession:
    coaching = _visible(session, principal, session_id, for_update=True)
    if not access.can_edit(principal, coaching):
        raise _edit_refusal(principal, coaching)
    if len(reason.strip()) < 3:
        raise SessionInvalid({"reason": "Say why the session is cancelled"})
    coaching.status, coaching.cancel_reason, coaching.cancelled_at = (
        SessionStatus.CANCELLED,
        reason.strip(),
        now or utcnow(),
    )
    emit(session, "coaching.cancelled", _payload(coaching))
    return coaching


def notify_due_actions(session: Session, *, now: datetime | None = None) -> int:
    """Emit `coaching.action_due` once for each action item that has come due (periodic)."""
    today = (now or utcnow()).date()
    due = repo.due_actions(session, today)
    for action, coaching in due:
        action.due_notified_on = today
        emit(
            session,
            "coaching.action_due",
            _payload(coaching, action_id=action.id, action=action.text, due_date=str(action.due_date)),
        )
    return len(due)


def _payload(coaching: CoachingSession, **extra: Any) -> dict[str, Any]:
    return {
        "session_id": coaching.id,
        "rep_id": coaching.rep_id,
        "team_id": coaching.team_id,
        "coach_id": coaching.coach_id,
        "status": coaching.status.value,
        "scheduled_at": coaching.scheduled_at.isoformat(),
        "focus": [f"{f.scorecard_id}:{f.item_id}" for f in coaching.focus],
        **extra,
    }


# Reading ------------------------------------------------------------------------------------------------


def _visible(
    session: Session, principal: Principal, session_id: int, *, for_update: bool = False
) -> CoachingSession:
    coaching = repo.get(session, session_id, for_update=for_update)
    if coaching is None or not access.can_see(principal, coaching):
        raise NotFound(f"Coaching session {session_id} does not exist or you cannot see it")
    return coaching


def find_session(session: Session, session_id: int) -> CoachingSession | None:
    """The session as it is now, without a permission check (for event handlers)."""
    return repo.get(session, session_id, fresh=True)


def get_session(session: Session, principal: Principal, session_id: int) -> CoachingSession:
    return _visible(session, principal, session_id)


def sessions_of_rep(session: Session, principal: Principal, rep_id: int) -> list[CoachingSession]:
    """A rep's coaching history, latest first: for the rep and whoever may coach them."""
    if principal.role is Role.REP:
        if principal.id != rep_id:
            raise NotFound(f"Rep {rep_id} does not exist or you cannot see them")
    else:
        coachable_rep(session, principal, rep_id)
    return repo.listed(session, rep_ids=[rep_id])


def list_sessions(
    session: Session, principal: Principal, *, open_only: bool = False, limit: int = 200
) -> list[CoachingSession]:
    """Sessions `principal` may see: a rep's own, a manager's teams', everyone's for QC staff."""
    statuses = [SessionStatus.SCHEDULED, SessionStatus.HELD] if open_only else None
    if principal.role is Role.REP:
        return repo.listed(session, rep_ids=[principal.id], statuses=statuses, limit=limit)
    if principal.role not in access.COACHES:
        raise Forbidden("Coaching is for managers, QC leads, administrators and the reps coached")
    teams = None if principal.role in (Role.ADMIN, Role.QC_LEAD) else principal.managed_team_ids
    return repo.listed(session, team_ids=teams, statuses=statuses, limit=limit)


# Effect -----------------------------------------------------------------------------------------------


def effects(
    session: Session, coaching: CoachingSession, *, settings: Settings, now: datetime | None = None
) -> dict[str, FocusEffect]:
    """The effect of each focus item ("scorecard:item" -> effect); closed windows are kept
    on the focus row, so they are counted once."""
    now = now or utcnow()
    found = {
        f"{f.scorecard_id}:{f.item_id}": FocusEffect.from_json(f.effect) for f in coaching.focus if f.effect
    }
    todo = [f for f in coaching.focus if not f.effect]
    if not todo or coaching.status is SessionStatus.CANCELLED or coaching.measured_from > now:
        return found
    windows = Windows.around(coaching.measured_from, settings.coaching_effect_days, now)
    outcomes = item_outcomes.item_outcomes(
        session,
        team_ids=[coaching.team_id],
        since=windows.start,
        until=windows.end,
        item_ids={f.item_id for f in todo},
    )
    for focus in todo:
        coached = repo.coached_on_item(
            session,
            team_id=coaching.team_id,
            scorecard_id=focus.scorecard_id,
            item_id=focus.item_id,
            since=windows.start,
            until=windows.moment + timedelta(days=settings.coaching_effect_days),
        )
        effect = measure(
            rep_id=coaching.rep_id,
            scorecard_id=focus.scorecard_id,
            item_id=focus.item_id,
            windows=windows,
            outcomes=outcomes,
            coached_on_item=coached - {coaching.rep_id},
            min_calls=settings.coaching_effect_min_calls,
        )
        if effect.final:
            focus.effect = effect.to_json()
            focus.effect_verdict, focus.effect_change = effect.verdict.value, effect.effect
        found[f"{focus.scorecard_id}:{focus.item_id}"] = effect
    return found


def finalize_effects(
    session: Session, *, settings: Settings, now: datetime | None = None, limit: int = 500
) -> int:
    """Store the effect of sessions whose windows have closed (periodic), so the pages read
    it instead of computing it; how many sessions were measured."""
    now = now or utcnow()
    due = repo.unmeasured(
        session, closed_before=now - timedelta(days=settings.coaching_effect_days), limit=limit
    )
    for coaching in due:
        effects(session, coaching, settings=settings, now=now)
    return len(due)


def queue_focus(
    session: Session, rep_ids: list[int], now: datetime, *, settings: Settings
) -> dict[int, set[tuple[str, str]]]:
    """What each rep is being coached on, for the daily queue to prefer calls that test it:
    from the moment a session is planned until K of the rep's calls after it are reviewed."""
    sessions = repo.focus_sessions(
        session, rep_ids, since=now - timedelta(days=settings.coaching_effect_days * 3)
    )
    if not sessions:
        return {}
    focus: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for coaching in sessions:
        moment = coaching.measured_from
        after = (
            item_outcomes.reviewed_calls_after(session, {coaching.rep_id: moment}) if moment <= now else {}
        )
        if after.get(coaching.rep_id, 0) < settings.coaching_effect_min_calls:
            focus[coaching.rep_id] |= {(f.scorecard_id, f.item_id) for f in coaching.focus}
    return dict(focus)


def coach_summary(
    session: Session, principal: Principal, *, coach_id: int, settings: Settings, now: datetime | None = None
) -> CoachSummary:
    """How many of a coach's measured focus items improved (for the coach, QC staff)."""
    if principal.role not in (Role.ADMIN, Role.QC_LEAD) and principal.id != coach_id:
        raise Forbidden("A coach's figures are for the coach, QC leads and administrators")
    held = repo.listed(
        session, coach_id=coach_id, statuses=[SessionStatus.HELD, SessionStatus.COMPLETED], limit=10_000
    )
    return summarise(e for c in held for e in effects(session, c, settings=settings, now=now).values())


def team_coaching_results(session: Session, principal: Principal, team_id: int) -> dict[int, CoachSummary]:
    """Per coach, the share of the focus items they coached in the team that improved, over
    the measurements whose windows have closed (what the periodic task stored)."""
    if not access.can_coach_team(principal, team_id):
        raise Forbidden("Coaching results are for the team's managers, QC leads and administrators")
    return {
        coach_id: CoachSummary(measured, improved, waiting)
        for coach_id, measured, improved, waiting in repo.stored_results(session, team_id=team_id)
    }
