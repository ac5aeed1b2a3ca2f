"""Event handlers that write the inbox: who is told what when a review is released, a
dispute is opened, runs late, is decided or withdrawn; and which notices those events clear.

Each handler is `(session, event) -> None`, subscribed by the composition module. The
outbox runs each at least once per event, in the transaction that writes its receipt; the
(user, kind, subject) key makes a second run change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import get_settings
from qc.errors import QCError
from qc.feedback import service as feedback
from qc.jobs.events import EventRecord, Handler
from qc.notifications import repository as repo
from qc.notifications import service
from qc.notifications.service import Link
from qc.reviews import service as reviews
from qc.users import identity
from qc.users import service as users
from qc.users.models import Role, User

RELEASED = "evaluation_released"
DISPUTE_OPENED = "dispute_opened"
DISPUTE_OVERDUE = "dispute_overdue"
DISPUTE_RESOLVED = "dispute_resolved"
DISPUTE_TO_DO = (DISPUTE_OPENED, DISPUTE_OVERDUE)  # what deciding or withdrawing a dispute clears

MINE = "feedback:mine"
DISPUTE = "feedback:dispute"
MAX_LISTED_ITEMS = 5


def on_evaluation_released(session: Session, event: EventRecord) -> None:
    """Tell the rep their call was reviewed, with the score."""
    p = event.payload
    evaluation_id = int(p["evaluation_id"])
    if feedback.is_acknowledged(session, evaluation_id):
        return  # a retry that comes after the rep has read it: nothing left to tell
    when = _call_moment(session, p)
    score = _score(p.get("final_score"))
    text = f"Your call{when} was reviewed" + (f": {score}." if score else ".")
    service.notify(
        session,
        user_ids=active_ids(session, [p["rep_id"]]),
        kind=RELEASED,
        subject=f"evaluation:{evaluation_id}",
        text=text,
        link=Link(MINE, {}, f"evaluation-{evaluation_id}"),
        event_id=event.id,
    )


def on_evaluation_acknowledged(session: Session, event: EventRecord) -> None:
    """The rep has read the review: its notice is done."""
    p = event.payload
    service.clear(
        session, kinds=[RELEASED], subject=f"evaluation:{int(p['evaluation_id'])}", user_id=int(p["rep_id"])
    )


def on_dispute_opened(session: Session, event: EventRecord) -> None:
    """Ask the resolver to decide: the named one, or else every QC lead (else every admin)."""
    p = event.payload
    if feedback.is_dispute_closed(session, int(p["dispute_id"])):
        return  # decided or withdrawn before this ran: nobody has it to do any more
    resolver_id = p.get("resolver_id")
    recipients = active_ids(session, [resolver_id]) if resolver_id else []
    items = [str(i) for i in p.get("item_ids") or []]
    rep = rep_as_seen_by(session, resolver_id, p) if recipients else name_of(session, p["rep_id"])
    when = _call_moment(session, p)
    text = (
        f"{rep} disputes {_count(len(items), 'item')} of the review of their call{when}"
        + (f": {_list(items)}" if items else "")
        + (f". Decide by {_due(p.get('due_at'), _zone(session, p))}." if p.get("due_at") else ".")
    )
    _notify_dispute(session, event, recipients or _qc_leads(session), DISPUTE_OPENED, text)


def on_dispute_overdue(session: Session, event: EventRecord) -> None:
    """Tell every QC lead (else every admin) that a dispute is still open past its due time."""
    p = event.payload
    if feedback.is_dispute_closed(session, int(p["dispute_id"])):
        return
    rep = name_of(session, p["rep_id"])
    when = _call_moment(session, p)
    due = f" was due {_due(p.get('due_at'), _zone(session, p))} and" if p.get("due_at") else ""
    text = f"Overdue: {rep}'s dispute of the review of their call{when}{due} is still open."
    _notify_dispute(session, event, _qc_leads(session), DISPUTE_OVERDUE, text)


def on_dispute_resolved(session: Session, event: EventRecord) -> None:
    """Tell the rep and the reviewer how it was decided; nobody needs to act on it any more."""
    p = event.payload
    dispute_id = int(p["dispute_id"])
    service.clear(session, kinds=DISPUTE_TO_DO, subject=f"dispute:{dispute_id}")
    when = _call_moment(session, p)
    outcome = _outcome(p)
    rep_text = f"Your dispute of the review of your call{when} was decided: {outcome}."
    _notify_dispute(session, event, active_ids(session, [p["rep_id"]]), DISPUTE_RESOLVED, rep_text)
    reviewer_id, resolver_id = p.get("reviewer_id"), p.get("resolved_by_id")
    if reviewer_id is not None and reviewer_id != resolver_id:
        who = name_of(session, resolver_id) if resolver_id is not None else "A QC lead"
        rep = rep_as_seen_by(session, reviewer_id, p)
        text = f"{who} decided {rep}'s dispute of your review of the call{when}: {outcome}."
        _notify_dispute(session, event, active_ids(session, [reviewer_id]), DISPUTE_RESOLVED, text)


def on_dispute_withdrawn(session: Session, event: EventRecord) -> None:
    """The rep took the dispute back: nobody needs to decide it."""
    service.clear(session, kinds=DISPUTE_TO_DO, subject=f"dispute:{int(event.payload['dispute_id'])}")


HANDLERS: dict[str, Handler] = {
    "evaluation.released": on_evaluation_released,
    "evaluation.acknowledged": on_evaluation_acknowledged,
    "dispute.opened": on_dispute_opened,
    "dispute.overdue": on_dispute_overdue,
    "dispute.resolved": on_dispute_resolved,
    "dispute.withdrawn": on_dispute_withdrawn,
}


# Recipients -----------------------------------------------------------------------------------------


def _notify_dispute(
    session: Session, event: EventRecord, user_ids: Iterable[int], kind: str, text: str
) -> None:
    dispute_id = int(event.payload["dispute_id"])
    service.notify(
        session,
        user_ids=user_ids,
        kind=kind,
        subject=f"dispute:{dispute_id}",
        text=text,
        link=Link(DISPUTE, {"dispute_id": dispute_id}),
        event_id=event.id,
    )


def _person(session: Session, user_id: Any) -> User | None:
    try:
        return users.get_person(session, int(user_id))
    except (QCError, TypeError, ValueError):
        return None


def active_ids(session: Session, user_ids: Sequence[Any]) -> list[int]:
    """The ids of those who exist and may still sign in (a deactivated person reads nothing)."""
    people = [_person(session, user_id) for user_id in user_ids if user_id is not None]
    return [person.id for person in people if person is not None and person.is_active]


def _qc_leads(session: Session) -> list[int]:
    """Every active QC lead; every active administrator when there is no QC lead."""
    for role in (Role.QC_LEAD, Role.ADMIN):
        found = [user.id for user in users.list_all(session, role=role) if user.is_active]
        if found:
            return found
    return []


def name_of(session: Session, user_id: Any) -> str:
    person = _person(session, user_id)
    return person.name if person is not None else "A former rep"


def rep_as_seen_by(session: Session, recipient_id: Any, payload: dict[str, Any]) -> str:
    """The rep of a dispute as its recipient may see them: an alias where they review the
    team blind (a notice is kept, so it must not name who the recipient may not know)."""
    name = name_of(session, payload["rep_id"])
    recipient = _person(session, recipient_id)
    if recipient is None:
        return name
    return identity.rep_name(
        users.principal_for(session, recipient),
        rep_id=int(payload["rep_id"]),
        name=name,
        team_id=int(payload["team_id"]) if payload.get("team_id") is not None else None,
        settings=get_settings(),
    )


# Wording --------------------------------------------------------------------------------------------


def _zone(session: Session, payload: dict[str, Any]) -> ZoneInfo:
    """The time zone of the rep's team, in which the team reads its dates."""
    try:
        name = reviews.team_policy(session, int(payload["team_id"]), get_settings()).timezone
        return ZoneInfo(name)
    except (KeyError, TypeError, ValueError, QCError):
        return ZoneInfo("UTC")


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _call_moment(session: Session, payload: dict[str, Any]) -> str:
    """ " of 20 Nov 2026 09:30 UTC": when the call started (from the payload, else found by its
    call or evaluation id), in its team's zone; "" if unknown."""
    moment = _parse(payload["call_started_at"]) if payload.get("call_started_at") else None
    if moment is None:
        call_id, evaluation_id = payload.get("call_id"), payload.get("evaluation_id")
        moment = repo.call_started_at(
            session,
            call_id=int(call_id) if call_id is not None else None,
            evaluation_id=int(evaluation_id) if evaluation_id is not None else None,
        )
    if moment is None:
        return ""
    return " of " + moment.astimezone(_zone(session, payload)).strftime("%d %b %Y %H:%M %Z").lstrip("0")


def _due(value: Any, zone: ZoneInfo) -> str:
    """ "Tue 24 Nov 17:00 EET", labelled with the zone as other pages say UTC; midnight reads as
    the end of the day before."""
    moment = _parse(value)
    if moment is None:
        return "soon"
    local = moment.astimezone(zone)
    if (local.hour, local.minute) == (0, 0):
        return "the end of " + (local - timedelta(minutes=1)).strftime("%a %d %b")
    return local.strftime("%a %d %b %H:%M %Z")


def _score(value: Any) -> str:
    try:
        return f"{round(float(value))}/100" if value is not None else ""
    except (TypeError, ValueError):
        return ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _list(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED_ITEMS])
    more = len(items) - MAX_LISTED_ITEMS
    return f"{shown} and {more} more" if more > 0 else shown


def _outcome(payload: dict[str, Any]) -> str:
    """ "1 item overturned (greeting), 1 kept (price); score 70/100 → 80/100"."""
    overturned = [str(i) for i in payload.get("overturned") or []]
    kept = [str(i) for i in payload.get("kept") or []]
    decided = []
    if overturned:
        decided.append(f"{_count(len(overturned), 'item')} overturned ({_list(overturned)})")
    if kept:
        noun = str(len(kept)) if overturned else _count(len(kept), "item")
        decided.append(f"{noun} kept ({_list(kept)})")
    text = ", ".join(decided) or "no item changed"
    before, after = _score(payload.get("score_before")), _score(payload.get("score_after"))
    if before and after:
        text += f"; score {before} → {after}" if before != after else f"; score unchanged at {after}"
    return text
