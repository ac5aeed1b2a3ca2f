"""The plan and edit forms: their fields read as typed, turned into the service's
`SessionInput` in the team's time zone, and every field's error reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.coaching import service
from qc.coaching.models import CoachingSession
from qc.coaching.service import ActionInput, SessionInput, SessionInvalid
from qc.coaching.views import SessionView, editable
from qc.config import Settings
from qc.kit.forms import MAX_ID
from qc.users.schemas import Principal

EMPTY_ACTION_ROWS = 3  # blank action rows a form shows; the rest wait under "more"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass
class PlanForm:
    """The plan form's fields as typed, to read and to show again next to their errors."""

    values: dict[str, str] = field(default_factory=dict)
    focus: list[str] = field(default_factory=list)
    evaluation_ids: list[int] = field(default_factory=list)

    @classmethod
    def from_items(cls, items: Iterable[tuple[str, Any]]) -> PlanForm:
        form = cls()
        for key, value in items:
            if not isinstance(value, str):
                continue
            if key == "focus":
                form.focus.append(value[:130])
            elif key == "evaluation":
                form.evaluation_ids.extend(_ids([value]))
            else:
                form.values[key] = value
        return form


def _ids(values: Iterable[str]) -> list[int]:
    """Record ids from hidden fields and links; anything else is left out."""
    return [int(v) for v in values if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_ID]


def evaluation_ids(values: Iterable[str]) -> list[int]:
    return list(dict.fromkeys(_ids(values)))


def record_id(value: str) -> int | None:
    found = _ids([value.strip()])
    return found[0] if found else None


def _scheduled_at(raw: str, zone: ZoneInfo, errors: dict[str, str]) -> datetime | None:
    """The typed local time in the team's zone, as UTC; a time the clocks skip is refused."""
    text = raw.strip()
    if not text:
        return None  # the service says a time is needed
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        errors["scheduled_at"] = "Enter a date and a time, like 2026-11-25 14:30"
        return None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local:
        errors["scheduled_at"] = (
            f"{local:%H:%M} does not exist on {local:%d %b} in {zone.key} (the clocks change): "
            "choose another time"
        )
    return moment


def _minutes(raw: str, errors: dict[str, str]) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        errors["duration_minutes"] = "Enter the length in whole minutes, between 5 and 480"
        return 0
    return int(text)


def _action(form: PlanForm, i: int, errors: dict[str, str]) -> ActionInput:
    text = form.values.get(f"action-{i}-text", "")
    raw_due = form.values.get(f"action-{i}-due", "").strip()
    due = None
    if raw_due:
        try:
            due = date.fromisoformat(raw_due)
        except ValueError:
            errors[f"action-{i}"] = "Enter the due date like 2026-11-30"
    if due is not None and not text.strip():
        errors[f"action-{i}"] = "Say what is to be done, or clear the date"
    return ActionInput(text=text, due_date=due, id=record_id(form.values.get(f"action-{i}-id", "")))


def session_input(form: PlanForm, zone: ZoneInfo) -> tuple[SessionInput, dict[str, str]]:
    """The form as the service takes it, with the errors of what could not be read.
    Action rows keep their positions, so the service's `action-<i>` errors land on them."""
    errors: dict[str, str] = {}
    values = form.values
    data = SessionInput(
        scheduled_at=_scheduled_at(values.get("scheduled_at", ""), zone, errors),
        duration_minutes=_minutes(values.get("duration_minutes", ""), errors),
        agenda=values.get("agenda", ""),
        shared_notes=values.get("shared_notes", ""),
        private_notes=values.get("private_notes", ""),
        focus=list(dict.fromkeys(form.focus)),
        evaluation_ids=list(dict.fromkeys(form.evaluation_ids)),
        actions=[_action(form, i, errors) for i in range(service.MAX_ACTIONS)],
    )
    return data, errors


def create_from_form(
    session: Session, principal: Principal, *, rep_id: int, form: PlanForm, settings: Settings
) -> CoachingSession:
    """Plan the session the form describes; SessionInvalid carries every field's error, those
    of what could not be read and the service's."""
    rep = service.coachable_rep(session, principal, rep_id)
    assert rep.team_id is not None
    data, problems = session_input(form, service.team_zone(session, rep.team_id, settings))
    return _all_or_nothing(
        lambda: service.create_session(session, principal, rep_id=rep_id, data=data, settings=settings),
        session,
        problems,
    )


def update_from_form(
    session: Session, principal: Principal, session_id: int, *, form: PlanForm, settings: Settings
) -> CoachingSession:
    """Change the session as the edit form says (every field's error at once, as above)."""
    coaching = editable(session, principal, session_id)
    data, problems = session_input(form, service.team_zone(session, coaching.team_id, settings))
    if not data.focus:
        problems.setdefault("focus", "Keep at least one item to work on")
    if data.scheduled_at is not None and data.scheduled_at == coaching.scheduled_at.replace(
        second=0, microsecond=0
    ):
        data.scheduled_at = coaching.scheduled_at  # the form shows minutes: unchanged is unchanged
    return _all_or_nothing(
        lambda: service.update_session(session, principal, session_id, data=data, settings=settings),
        session,
        problems,
    )


def _all_or_nothing(change: Any, session: Session, problems: dict[str, str]) -> CoachingSession:
    """Run the service's change in a savepoint, undone when the form had errors of its own,
    so that its errors and the form's are reported together."""
    try:
        with session.begin_nested():
            coaching: CoachingSession = change()
            if problems:
                raise SessionInvalid(problems)
    except SessionInvalid as exc:
        raise SessionInvalid({**exc.errors, **problems}) from None
    return coaching


def form_of(view: SessionView) -> PlanForm:
    """The edit form filled in from the session."""
    coaching = view.coaching
    values = {
        "scheduled_at": view.local_at.strftime(LOCAL_INPUT),
        "duration_minutes": str(coaching.duration_minutes),
        "agenda": coaching.agenda,
        "shared_notes": coaching.shared_notes,
        "private_notes": coaching.private_notes,
    }
    for i, action in enumerate(coaching.actions):
        values |= {
            f"action-{i}-text": action.text,
            f"action-{i}-due": action.due_date.isoformat() if action.due_date else "",
            f"action-{i}-id": str(action.id),
        }
    return PlanForm(values, [f.key for f in view.focus], [])


def _typed(form: PlanForm, *names: str) -> bool:
    return any(form.values.get(name, "").strip() for name in names)


def action_rows(form: PlanForm) -> tuple[int, int]:
    """How many action rows the form shows at once (every row typed in, so every row with an
    error, and one more), and how many in all."""
    typed = [i for i in range(service.MAX_ACTIONS) if _typed(form, f"action-{i}-text", f"action-{i}-due")]
    filled = max(typed, default=-1) + 1
    return min(service.MAX_ACTIONS, max(EMPTY_ACTION_ROWS, filled + 1)), service.MAX_ACTIONS
