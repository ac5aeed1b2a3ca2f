"""Coaching sessions planned from the rep's failed reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.coaching import service as coaching
from qc.coaching.models import CoachingSession
from qc.coaching.service import ActionInput, SessionInput
from qc.evaluations.models import Evaluation
from qc.users.models import User
from qc.users.service import principal_for
from tests.factories import Org
from tests.feedback.conftest import submit_review

TWO_FAILED = {"price": "fail", "greeting": "fail"}


def failed_review(
    db: Session, org: Org, settings: Any, *, rep: User | None = None, started_at: datetime | None = None
) -> Evaluation:
    """A released review of a new call of the rep in which "price" and "greeting" failed."""
    return submit_review(db, org, settings, statuses=TWO_FAILED, rep=rep, started_at=started_at)


def plan(
    db: Session,
    org: Org,
    settings: Any,
    evaluation: Evaluation,
    *,
    coach: User | None = None,
    at: datetime | None = None,
    focus: tuple[str, ...] = ("outbound-sales:price", "outbound-sales:greeting"),
    actions: list[ActionInput] | None = None,
) -> CoachingSession:
    """The manager plans a session for the rep from `evaluation` (committed)."""
    data = SessionInput(
        scheduled_at=at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=2),
        agenda="Listen to the call together",
        shared_notes="Ask about the budget before the offer",
        private_notes="Struggles with confidence on price",
        focus=list(focus),
        evaluation_ids=[evaluation.id],
        actions=actions if actions is not None else [ActionInput("Role-play the price talk")],
    )
    principal = principal_for(db, coach or org.manager)
    created = coaching.create_session(db, principal, rep_id=org.rep.id, data=data, settings=settings)
    db.commit()
    return created


@pytest.fixture
def review(db: Session, org: Org, settings: Any) -> Evaluation:
    return failed_review(db, org, settings)


@pytest.fixture
def planned(db: Session, org: Org, settings: Any, review: Evaluation) -> CoachingSession:
    return plan(db, org, settings, review)
