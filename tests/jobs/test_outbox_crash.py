"""A process that dies between commit and dispatch loses nothing: a real `qc worker` started
afterwards dispatches the event, and its handler runs exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.evaluations import service as evaluations
from qc.feedback.models import Feedback
from qc.jobs import events
from qc.jobs.models import Event, EventHandled
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call

# Submits the review, then kills itself as soon as the transaction has committed: the event
# is in the outbox, nothing has dispatched it. The composition module is not wired, so not
# even a dispatch task was queued.
SUBMIT_AND_DIE = textwrap.dedent(
    """
    import os, signal, sys
    import qc.models  # noqa: F401
    from qc.config import get_settings
    from qc.db import after_commit, session_scope
    from qc.evaluations import service
    from qc.evaluations.form import AnswerInput
    from qc.evaluations.service import ReviewForm
    from qc.users.models import User
    from qc.users.service import principal_for

    assignment_id, reviewer_id = int(sys.argv[1]), int(sys.argv[2])
    with session_scope() as session:
        reviewer = principal_for(session, session.get(User, reviewer_id))
        space = service.workspace(session, reviewer, assignment_id, settings=get_settings())
        answers = {a.item_id: AnswerInput(a.answer or "yes") for a in space.evaluation.answers}
        data = ReviewForm(answers)
        service.submit_review(session, reviewer, assignment_id, data=data, settings=get_settings())
        after_commit(session, lambda: os.kill(os.getpid(), signal.SIGKILL))
    """
)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_an_event_committed_by_a_killed_process_is_handled_once_after_restart(
    db: Session, org: Org, settings: Any, tmp_path: Path
) -> None:
    call = make_checked_call(db, rep=org.rep)
    db.commit()
    draft = evaluations.review_call(db, principal_for(db, org.reviewer), call.id, settings=settings)
    db.commit()

    died = subprocess.run(
        [sys.executable, "-c", SUBMIT_AND_DIE, str(draft.assignment_id), str(org.reviewer.id)],
        capture_output=True,
        timeout=120,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr.decode()[-2000:]
    db.rollback()
    submitted = db.scalars(select(Event).where(Event.type == "evaluation.submitted")).one()
    assert submitted.dispatched_at is None
    assert db.get(Feedback, draft.id) is None, "nothing handled the event yet"

    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "qc.cli", "worker", "--queues", "quick", "--no-periodic"],
        env={**os.environ, "QC_LOG_LEVEL": "INFO"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:

        def released() -> bool:
            db.rollback()
            row = db.get(Feedback, draft.id)
            return row is not None and row.released_at is not None

        wait_for(released, 90, "the restarted worker to dispatch the event")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    assert events.dispatch_pending().handled == 0, "nothing is left to handle"
    db.rollback()
    receipts = db.scalar(
        select(func.count()).select_from(EventHandled).where(EventHandled.event_id == submitted.id)
    )
    assert receipts == len([s for s in events.subscriptions() if s.wants("evaluation.submitted")])
    released_events = db.scalar(
        select(func.count()).select_from(Event).where(Event.type == "evaluation.released")
    )
    assert released_events == 1, "the handler ran once"
