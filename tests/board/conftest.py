"""A month of reviews in the rep's team, for the wall board's figures.

Now is Wednesday 18 November 2026, 15:00 UTC (the tests' teams work Monday to Friday in UTC,
two reviews per rep and day, review hours until 18:00).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.board import links
from qc.evaluations.models import Evaluation
from qc.users.models import Role, User
from tests.factories import Org, make_checked_call, make_user
from tests.feedback.conftest import submit_review

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@dataclass
class Month:
    tia: User
    ugo: User  # called today, not reviewed yet
    vic: User  # no calls today
    reviews: dict[str, list[Evaluation]] = field(default_factory=dict)  # by rep name


@pytest.fixture
def month(db: Session, org: Org, settings: Any) -> Month:
    """Rex: two reviews today (price failed in both), three earlier this month (price failed
    in one, greeting in two) and one last month; Tia: one today, one on the 12th, one unreleased
    today; Ugo: a call today; Vic: nothing; the Bravo rep: two today (another team)."""
    tia = make_user(db, role=Role.REP, team=org.team, name="Tia Teammate")
    ugo = make_user(db, role=Role.REP, team=org.team, name="Ugo Unreviewed")
    vic = make_user(db, role=Role.REP, team=org.team, name="Vic Away")
    make_checked_call(db, rep=ugo, started_at=at(18, 9))
    db.commit()
    found = Month(tia, ugo, vic)
    rex = [
        submit_review(db, org, settings, started_at=at(18, 9), statuses={"price": "fail"}),
        submit_review(db, org, settings, started_at=at(18, 11), statuses={"price": "fail"}),
        submit_review(db, org, settings, started_at=at(10, 9), statuses={"greeting": "fail"}),
        submit_review(db, org, settings, started_at=at(10, 10), statuses={"greeting": "fail"}),
        submit_review(db, org, settings, started_at=at(16), statuses={"price": "fail"}),
        submit_review(db, org, settings, started_at=at(20, month=10), statuses={"price": "fail"}),
    ]
    found.reviews["Rex Rep"] = rex
    found.reviews["Tia Teammate"] = [
        submit_review(db, org, settings, rep=tia, started_at=at(18, 10), statuses={"greeting": "pass"}),
        submit_review(db, org, settings, rep=tia, started_at=at(12), statuses={"next_step": "fail"}),
    ]
    for hour in (9, 10):
        submit_review(db, org, settings, rep=org.other_rep, started_at=at(18, hour))
    # Last: a later review's dispatch would release it.
    found.reviews["unreleased"] = [
        submit_review(
            db, org, settings, rep=tia, started_at=at(18, 12), dispatch=False, statuses={"price": "fail"}
        )
    ]
    return found


@pytest.fixture
def display_link(db: Session, org: Org) -> str:
    """A display link of the rep's team (no top three); its token."""
    made = links.make_link(db, org.team, label="Floor TV", show_ranking=False, created_by_id=org.manager.id)
    db.commit()
    return made.token
