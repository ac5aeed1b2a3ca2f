"""Did the training work? The coaching measure (`qc.coaching.effect.measure`), per item the
module addresses: the rep's pass rate in the N days before the completion against the N days
after, minus the change for the team's reps who were not trained on the item in those days.
N and K are the coaching settings (`coaching_effect_days`, `coaching_effect_min_calls`).

The moment is the start of the day after the completion day in the team's zone: the
completion is recorded as a day, so the calls of that day count as before it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from qc.coaching.effect import FocusEffect, Windows, measure
from qc.config import Settings
from qc.db import utcnow
from qc.evaluations import outcomes as item_outcomes
from qc.training import repository as repo
from qc.training import service
from qc.training.models import AssignmentStatus, TrainingAssignment


def completion_moment(
    session: Session, assignment: TrainingAssignment, settings: Settings
) -> datetime | None:
    if assignment.status is not AssignmentStatus.COMPLETED or assignment.completed_on is None:
        return None
    zone = service.team_zone(session, assignment.team_id, settings)
    return datetime.combine(assignment.completed_on + timedelta(days=1), time(0), tzinfo=zone)


def effects(
    session: Session, assignment: TrainingAssignment, *, settings: Settings, now: datetime | None = None
) -> dict[str, FocusEffect]:
    """The effect on each item of the module ("scorecard:item" -> effect) once completed;
    figures whose windows have closed are kept on the assignment, so they are counted once."""
    now = now or utcnow()
    kept = dict(assignment.effect or {})
    found = {key: FocusEffect.from_json(value) for key, value in kept.items()}
    todo = [key for key in assignment.version.items if key not in found and ":" in key]
    moment = completion_moment(session, assignment, settings)
    if not todo or moment is None or moment > now:
        return found
    days = settings.coaching_effect_days
    windows = Windows.around(moment, days, now)
    outcomes = item_outcomes.item_outcomes(
        session,
        team_ids=[assignment.team_id],
        since=windows.start,
        until=windows.end,
        item_ids={key.split(":", 1)[1] for key in todo},
    )
    trained = repo.completed_between(
        session,
        team_id=assignment.team_id,
        since=windows.start.date() - timedelta(days=1),
        until=(windows.moment + timedelta(days=days)).date(),
    )
    for key in todo:
        scorecard_id, item_id = key.split(":", 1)
        effect = measure(
            rep_id=assignment.rep_id,
            scorecard_id=scorecard_id,
            item_id=item_id,
            windows=windows,
            outcomes=outcomes,
            coached_on_item={a.rep_id for a in trained if key in a.version.items} - {assignment.rep_id},
            min_calls=settings.coaching_effect_min_calls,
        )
        if effect.final:
            kept[key] = effect.to_json()
        found[key] = effect
    if kept != (assignment.effect or {}):
        assignment.effect = kept
    return found
