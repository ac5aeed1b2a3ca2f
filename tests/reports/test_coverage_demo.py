"""The demo's queue of the past days gives the coverage report something to show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.demo import seed
from qc.demo.queue_days import seed_queue_days
from qc.reports import coverage
from qc.reviews.models import Assignment, AssignmentStatus, QueueDay, RepDay
from qc.reviews.policy import Policy, local_today


def test_last_week_has_queue_days_with_absences_short_days_and_a_missed_pick(
    db: Session, settings: Any
) -> None:
    assert seed._seed_people()
    seed._seed_review_setup()
    scripted = json.loads((seed.SAMPLES / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    made = seed_queue_days(seed.SAMPLES, scripted, seed.DOMAIN)
    today = min(local_today(Policy(timezone=tz), datetime.now(UTC)) for tz in seed.TIMEZONES.values())
    monday = today - timedelta(days=today.weekday() + 7)
    days = (today - monday).days
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(QueueDay)) == 2 * days, "both teams, every day"
    assert db.scalar(select(func.count()).select_from(QueueDay).where(QueueDay.is_closed.is_(False))) == 0
    assert db.scalar(select(func.count()).select_from(RepDay)) == 8 * days
    done = db.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.status == AssignmentStatus.DONE)
    )
    assert done == made > 12 * days
    report = coverage.coverage_report(
        db, None, start=monday, end=today - timedelta(days=1), settings=settings
    )
    reasons = {
        (line.rep.email.split("@")[0], (line.day - monday).days): line.reason for line in report.rep_days
    }
    yesterday = days - 1
    assert reasons[("milan", 1)] == coverage.MissedReason.REP_ABSENT
    assert reasons[("andrei", yesterday)] == coverage.MissedReason.REP_ABSENT
    assert reasons[("laura", 3)] == coverage.MissedReason.FEW_CALLS
    assert reasons[("marco", 4)] == coverage.MissedReason.CALLS_TOO_SHORT
    assert reasons[("emma", 2)] == coverage.MissedReason.REVIEW_MISSED
    assert reasons[("sofia", yesterday)] == coverage.MissedReason.REVIEW_PENDING
    short = {key for key, reason in reasons.items() if reason is not None}
    assert len(short) == 6, short
    assert report.totals.critical >= 1 and report.totals.met == report.totals.worked - 4
