"""Event handlers that write the inbox for coaching: the rep hears of a planned (or moved)
session, of an action item that comes due, and of the session's completion or
cancellation; acknowledging, completing or cancelling clears the "planned" notice.

Like every inbox handler they run at least once per event, and a late run (after the rep
acknowledged, after the session closed, after the item was ticked) sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from qc.coaching import service as coaching
from qc.coaching.models import CoachingSession, SessionStatus
from qc.config import get_settings
from qc.errors import QCError
from qc.jobs.events import EventRecord, Handler
from qc.notifications import service
from qc.notifications.handlers import active_ids, name_of
from qc.notifications.service import Link

SCHEDULED = "coaching_scheduled"
ACTION_DUE = "coaching_action_due"
COMPLETED = "coaching_completed"
CANCELLED = "coaching_cancelled"
MAX_FOCUS_LISTED = 3

DETAIL = "coaching:detail"


def _session(session: Session, payload: dict[str, Any]) -> CoachingSession | None:
    try:
        return coaching.find_session(session, int(payload["session_id"]))
    except (KeyError, TypeError, ValueError, QCError):
        return None


def _when(session: Session, found: CoachingSession) -> str:
    zone = coaching.team_zone(session, found.team_id, get_settings())
    return found.scheduled_at.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _subject(found: CoachingSession) -> str:
    return f"coaching:{found.id}"


def _moved_subject(found: CoachingSession, at: datetime) -> str:
    return f"coaching:{found.id}:{at.isoformat()}"


def _notify_rep(
    session: Session,
    event: EventRecord,
    found: CoachingSession,
    kind: str,
    subject: str,
    text: str,
    anchor: str | None = None,
) -> None:
    service.notify(
        session,
        user_ids=active_ids(session, [found.rep_id]),
        kind=kind,
        subject=subject,
        text=text,
        link=Link(DETAIL, {"session_id": found.id}, anchor),
        event_id=event.id,
    )


def on_scheduled(session: Session, event: EventRecord) -> None:
    """Tell the rep when, with whom and on what; a moved session is told again."""
    found = _session(session, event.payload)
    if found is None or not found.status.is_open or found.acknowledged_at is not None:
        return  # closed or read before this ran
    labels = [f.label for f in found.focus][:MAX_FOCUS_LISTED]
    more = len(found.focus) - len(labels)
    focus = ", ".join(labels) + (f" and {more} more" if more > 0 else "")
    coach = name_of(session, found.coach_id)
    verb = (
        "moved your coaching session to"
        if event.payload.get("rescheduled")
        else "planned a coaching session on"
    )
    text = f"{coach} {verb} {_when(session, found)}" + (f": {focus}." if focus else ".")
    subject = (
        _moved_subject(found, found.scheduled_at) if event.payload.get("rescheduled") else _subject(found)
    )
    _notify_rep(session, event, found, SCHEDULED, subject, text)


def _clear_planned(session: Session, found: CoachingSession) -> None:
    service.clear(session, kinds=[SCHEDULED], subject=_subject(found), user_id=found.rep_id)
    service.clear(
        session, kinds=[SCHEDULED], subject=_moved_subject(found, found.scheduled_at), user_id=found.rep_id
    )


def on_acknowledged(session: Session, event: EventRecord) -> None:
    found = _session(session, event.payload)
    if found is not None:
        _clear_planned(session, found)


def on_action_due(session: Session, event: EventRecord) -> None:
    """Remind the rep of an action item due today or before, unless it is done."""
    found = _session(session, event.payload)
    action_id = int(event.payload.get("action_id") or 0)
    action = next((a for a in found.actions if a.id == action_id), None) if found is not None else None
    if (
        found is None
        or action is None
        or action.done_at is not None
        or found.status is SessionStatus.CANCELLED
    ):
        return
    text = (
        f"Action item due {action.due_date:%a %d %b}: {action.text}"
        if action.due_date
        else f"Action item due: {action.text}"
    )
    _notify_rep(
        session,
        event,
        found,
        ACTION_DUE,
        _action_subject(action.id, action.due_date),
        text,
        f"action-{action.id}",
    )


def _action_subject(action_id: int, due: object) -> str:
    return f"coaching-action:{action_id}:{due}"


def on_action_done(session: Session, event: EventRecord) -> None:
    """The rep did it: the reminder is done."""
    p = event.payload
    service.clear(
        session,
        kinds=[ACTION_DUE],
        subject=_action_subject(int(p["action_id"]), p.get("due_date")),
        user_id=int(p["rep_id"]),
    )


def on_completed(session: Session, event: EventRecord) -> None:
    found = _session(session, event.payload)
    if found is None:
        return
    _clear_planned(session, found)
    coach = name_of(session, found.coach_id)
    text = f"{coach} completed your coaching session of {_when(session, found)}: {found.outcome[:200]}"
    _notify_rep(session, event, found, COMPLETED, _subject(found), text)


def on_cancelled(session: Session, event: EventRecord) -> None:
    found = _session(session, event.payload)
    if found is None:
        return
    _clear_planned(session, found)
    text = f"Your coaching session of {_when(session, found)} was cancelled: {found.cancel_reason[:200]}"
    _notify_rep(session, event, found, CANCELLED, _subject(found), text)


HANDLERS: dict[str, Handler] = {
    "coaching.scheduled": on_scheduled,
    "coaching.acknowledged": on_acknowledged,
    "coaching.action_due": on_action_due,
    "coaching.action_done": on_action_done,
    "coaching.completed": on_completed,
    "coaching.cancelled": on_cancelled,
}
