"""Two reviewers can never hold the same call: concurrent claims on the real database.

Runs on SQLite by default and on PostgreSQL when QC_TEST_DATABASE_URL is set (CI runs both).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.db import session_scope
from qc.errors import Conflict
from qc.reviews import service
from qc.reviews.models import Assignment, AssignmentStatus, PickReason
from qc.users.service import principal_for
from tests.factories import Org, make_reviewer, make_scored_call

CONTENDERS = 6
ROUNDS = 5


def _pool_pick(db: Session, org: Org) -> int:
    call = make_scored_call(db, rep=org.rep, started_at=datetime(2026, 11, 23, 10, tzinfo=UTC))
    pick = Assignment(
        call_id=call.id,
        rep_id=org.rep.id,
        team_id=org.team.id,
        day=call.started_at.date(),
        queue_date=call.started_at.date(),
        reviewer_id=None,
        reason=PickReason.RANDOM,
        reason_detail="test",
        slot="w1",
        due_at=datetime(2026, 11, 24, tzinfo=UTC),
    )
    db.add(pick)
    db.commit()
    return pick.id


def _race(principals: list[Any], pick_id: int, settings: Any) -> tuple[list[int], list[str]]:
    barrier = threading.Barrier(len(principals))
    winners: list[int] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def contend(principal: Any) -> None:
        barrier.wait()
        try:
            with session_scope() as session:
                service.claim(session, principal, pick_id, settings=settings)
            with lock:
                winners.append(principal.id)
        except Conflict as exc:
            with lock:
                refusals.append(exc.message)

    threads = [threading.Thread(target=contend, args=(p,)) for p in principals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return winners, refusals


def test_concurrent_claims_leave_exactly_one_holder(db: Session, org: Org, settings: Any) -> None:
    reviewers = [make_reviewer(db) for _ in range(CONTENDERS)]
    db.commit()
    principals = [principal_for(db, r) for r in reviewers]
    for _ in range(ROUNDS):
        pick_id = _pool_pick(db, org)
        winners, refusals = _race(principals, pick_id, settings)
        assert len(winners) == 1, (winners, refusals)
        assert len(refusals) == CONTENDERS - 1
        assert all("is reviewing this call" in message for message in refusals)
        db.expire_all()
        stored = db.scalar(select(Assignment).where(Assignment.id == pick_id))
        assert stored is not None
        assert (stored.status, stored.reviewer_id) == (AssignmentStatus.IN_REVIEW, winners[0])


def test_the_same_reviewer_claiming_twice_keeps_the_call(db: Session, org: Org, settings: Any) -> None:
    reviewer = make_reviewer(db)
    db.commit()
    principal = principal_for(db, reviewer)
    pick_id = _pool_pick(db, org)
    winners, refusals = _race([principal, principal], pick_id, settings)
    assert winners == [reviewer.id, reviewer.id] and refusals == []
