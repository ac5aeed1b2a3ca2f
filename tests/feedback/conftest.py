"""Reviews on their way to the rep: submitted, released through the outbox, disputed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation
from qc.evaluations.service import ReviewForm
from qc.jobs import events
from qc.users.models import User
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call


def submit_review(
    db: Session,
    org: Org,
    settings: Any,
    *,
    statuses: dict[str, Any] | None = None,
    dispatch: bool = True,
    rep: User | None = None,
    started_at: datetime | None = None,
    reviewer_user: User | None = None,
    scorecard: str = "outbound-sales",
    **answers: str,
) -> Evaluation:
    """The reviewer (or `reviewer_user`) reviews a new call of the rep (the automatic answers,
    with `answers` changed) and submits it; the outbox's handlers run unless `dispatch` is False."""
    call = make_checked_call(
        db,
        rep=rep or org.rep,
        statuses=statuses or {"price": "fail"},
        started_at=started_at,
        scorecard=scorecard,
    )
    db.commit()
    reviewer = principal_for(db, reviewer_user or org.reviewer)
    draft = evaluations.review_call(db, reviewer, call.id, settings=settings)
    given = {a.item_id: AnswerInput(answers.get(a.item_id, a.answer or "yes")) for a in draft.answers}
    for item_id in answers:
        if given[item_id].answer != next(a.auto_answer for a in draft.answers if a.item_id == item_id):
            given[item_id] = AnswerInput(answers[item_id], "The reviewer heard otherwise")
    assert draft.assignment_id is not None
    done = evaluations.submit_review(
        db, reviewer, draft.assignment_id, data=ReviewForm(given), settings=settings
    )
    db.commit()
    if dispatch:
        events.dispatch_pending()
    db.expire_all()
    return done


@pytest.fixture
def review(db: Session, org: Org, settings: Any) -> Evaluation:
    """A released review of the rep's call in which "price" failed."""
    return submit_review(db, org, settings)
