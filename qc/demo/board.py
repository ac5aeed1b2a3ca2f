"""Today on the wall board: the reviewers have already done part of Sales North's queue, so
its board shows a day in progress (reps at target, reps behind) on first sign-in, and the
month has reviews even on its first day."""

from __future__ import annotations

from datetime import UTC, datetime

from qc.config import get_settings
from qc.db import session_scope
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.service import ReviewForm
from qc.jobs import events
from qc.reviews import repository as queue_repo
from qc.reviews import service as reviews
from qc.reviews.models import AssignmentStatus
from qc.reviews.policy import local_today
from qc.users import service as users

REVIEWED_TODAY = {"daniel": 2, "emma": 2, "laura": 1}  # of each Sales North rep's picks; the rest wait
WEAK = {"emma"}  # her reviewer keeps the automatic answers: items fail


def review_todays_picks(domain: str) -> int:
    """The assigned reviewers finish some of today's picks of Sales North; how many."""
    settings = get_settings()
    with session_scope() as session:
        people = {local: users.get_by_email(session, f"{local}@{domain}") for local in REVIEWED_TODAY}
        left = {person.id: REVIEWED_TODAY[local] for local, person in people.items()}
        weak = {people[local].id for local in WEAK}
        team_id = people["daniel"].team_id
        assert team_id is not None
        today = local_today(reviews.team_policy(session, team_id, settings), datetime.now(UTC))
        picks = [
            (p.id, p.rep_id, p.reviewer_id)
            for p in queue_repo.day_assignments(session, today, [team_id])
            if p.day == today and p.status is AssignmentStatus.OPEN and p.reviewer_id is not None
        ]
    done = 0
    for pick_id, rep_id, reviewer_id in picks:
        if left.get(rep_id, 0) > 0 and reviewer_id is not None:
            _review(pick_id, reviewer_id, weak=rep_id in weak)
            left[rep_id] -= 1
            done += 1
    events.dispatch_pending()  # released to the reps now, as the worker would
    return done


def _review(pick_id: int, reviewer_id: int, *, weak: bool) -> None:
    """Keep the automatic answers (a weak call) or pass what they did not decide."""
    settings = get_settings()
    with session_scope() as session:
        reviewer = users.principal_for(session, users.get_person(session, reviewer_id))
        draft = evaluations.start_review(session, reviewer, pick_id, settings=settings)
        given = {}
        for answer in draft.answers:
            default = "na" if answer.auto_answer == "na" else "yes"
            value = answer.auto_answer if weak and answer.auto_answer is not None else default
            reason = "Heard on the call" if answer.auto_answer not in (None, value) else ""
            given[answer.item_id] = AnswerInput(value, reason)
        evaluations.submit_review(session, reviewer, pick_id, data=ReviewForm(given), settings=settings)
