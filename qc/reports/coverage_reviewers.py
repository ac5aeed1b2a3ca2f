"""The coverage report's reviewers: reviews done against capacity, time on task, answers
overridden and reviews overturned (see `coverage` for what each counts)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.reports import repository as repo
from qc.reports.repository import ReviewTally
from qc.reviews import service as reviews
from qc.users.models import User


@dataclass(frozen=True)
class ReviewerLine:
    reviewer: User
    reviews: int
    capacity: int
    median_minutes: float | None
    overrides: int
    overturned: int


def reviewer_lines(
    session: Session, settings: Settings, scoped: bool, tallies: list[ReviewTally], queue_days: int
) -> list[ReviewerLine]:
    """Every reviewer with reviews in the range; for the whole organisation (not `scoped` to
    some teams), also those taking work who did none."""
    done: Counter[int] = Counter()
    overrides: Counter[int] = Counter()
    overturned: Counter[int] = Counter()
    seconds: dict[int, list[float]] = defaultdict(list)
    for tally in tallies:
        done[tally.reviewer_id] += tally.reviews
        overrides[tally.reviewer_id] += tally.overrides
        overturned[tally.reviewer_id] += tally.overturned
        seconds[tally.reviewer_id] += [float(tally.seconds or 0.0)] * tally.reviews
    capacity = {
        s.user.id: s.capacity * queue_days if s.available else 0
        for s in reviews.reviewer_setups(session, settings)
    }
    ids = set(done) | ({i for i, c in capacity.items() if c} if not scoped else set())
    users = repo.people(session, ids)
    lines = [
        ReviewerLine(
            reviewer=users[i],
            reviews=done[i],
            capacity=capacity.get(i, 0),
            median_minutes=round(statistics.median(seconds[i]) / 60, 1) if seconds.get(i) else None,
            overrides=overrides[i],
            overturned=overturned[i],
        )
        for i in ids
    ]
    return sorted(lines, key=lambda x: (x.reviewer.name, x.reviewer.id))
