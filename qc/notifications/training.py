"""Event handlers that write the inbox for training: the rep hears of a module assigned to
them (by a person or a rule) and of one that is overdue; completing or withdrawing it clears
those notices, and the rep is told of an assessment result someone else recorded and of a
withdrawal.

Like every inbox handler they run at least once per event, and a late run (after the
assignment was completed or withdrawn) sends nothing stale.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.errors import QCError
from qc.jobs.events import EventRecord, Handler
from qc.notifications import service
from qc.notifications.handlers import active_ids, name_of
from qc.notifications.service import Link
from qc.training import service as training
from qc.training.models import AssignmentStatus, TrainingAssignment

ASSIGNED = "training_assigned"
OVERDUE = "training_overdue"
COMPLETED = "training_completed"
WITHDRAWN = "training_withdrawn"

RECORD = "training:rep"


def _assignment(session: Session, payload: dict[str, Any]) -> TrainingAssignment | None:
    try:
        return training.find_assignment(session, int(payload["assignment_id"]))
    except (KeyError, TypeError, ValueError, QCError):
        return None


def _subject(found: TrainingAssignment) -> str:
    return f"training:{found.id}"


def _due(found: TrainingAssignment) -> str:
    return f" by {found.due_date:%a %d %b}" if found.due_date else ""


def _notify_rep(
    session: Session, event: EventRecord, found: TrainingAssignment, kind: str, text: str
) -> None:
    service.notify(
        session,
        user_ids=active_ids(session, [found.rep_id]),
        kind=kind,
        subject=_subject(found),
        text=text,
        link=Link(RECORD, {"rep_id": found.rep_id}, f"assignment-{found.id}"),
        event_id=event.id,
    )


def _clear(session: Session, found: TrainingAssignment) -> None:
    service.clear(session, kinds=[ASSIGNED, OVERDUE], subject=_subject(found), user_id=found.rep_id)


def on_assigned(session: Session, event: EventRecord) -> None:
    """Tell the rep what to work through, by when, and who (or which rule) asked."""
    found = _assignment(session, event.payload)
    if found is None or not found.status.is_open:
        return
    title = found.version.title
    if found.rule_id is not None:
        text = f"Your recent reviews show a need for training: complete “{title}”{_due(found)}."
    else:
        text = f"{name_of(session, found.assigned_by_id)} assigned you “{title}”{_due(found)}."
    _notify_rep(session, event, found, ASSIGNED, text)


def on_overdue(session: Session, event: EventRecord) -> None:
    found = _assignment(session, event.payload)
    if found is None or not found.status.is_open:
        return
    text = f"“{found.version.title}” was due {found.due_date:%a %d %b}: complete it, or talk to your manager."
    _notify_rep(session, event, found, OVERDUE, text)


def on_completed(session: Session, event: EventRecord) -> None:
    """Done: the reminders go; an assessment result someone else recorded is told to the rep."""
    found = _assignment(session, event.payload)
    if found is None:
        return
    _clear(session, found)
    if found.status is not AssignmentStatus.COMPLETED or found.recorded_by_id in (None, found.rep_id):
        return
    result = found.result.label.lower() if found.result else "recorded"
    score = f" with {found.score:g} of 100" if found.score is not None else ""
    who = name_of(session, found.recorded_by_id)
    text = f"{who} recorded your assessment of “{found.version.title}”: {result}{score}."
    _notify_rep(session, event, found, COMPLETED, text)


def on_withdrawn(session: Session, event: EventRecord) -> None:
    found = _assignment(session, event.payload)
    if found is None:
        return
    _clear(session, found)
    if found.status is AssignmentStatus.WITHDRAWN:
        text = f"“{found.version.title}” was withdrawn: {found.withdraw_reason[:200]}"
        _notify_rep(session, event, found, WITHDRAWN, text)


HANDLERS: dict[str, Handler] = {
    "training.assigned": on_assigned,
    "training.overdue": on_overdue,
    "training.completed": on_completed,
    "training.withdrawn": on_withdrawn,
}
