"""Periodic tasks fire as often as they are registered for, including beyond an hour."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qc.jobs.queue import schedule_for


def _fires(minutes: int, over: timedelta) -> int:
    schedule = schedule_for(minutes)
    start = datetime(2026, 12, 1, 0, 0)
    return sum(schedule(start + timedelta(minutes=m)) for m in range(int(over.total_seconds() // 60)))


@pytest.mark.parametrize(
    ("minutes", "over", "expected"),
    [
        (1, timedelta(hours=1), 60),
        (15, timedelta(hours=1), 4),
        (60, timedelta(days=1), 24),
        (6 * 60, timedelta(days=1), 4),
        (24 * 60, timedelta(days=3), 3),
    ],
)
def test_a_periodic_task_fires_every_so_many_minutes(minutes: int, over: timedelta, expected: int) -> None:
    assert _fires(minutes, over) == expected
