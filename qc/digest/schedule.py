"""When each team's digest is due, and queueing it exactly once per target and day.

The send moment is computed for each day from the team's local wall-clock time
(`send_minute` after local midnight, in the time zone of its review policy) with zoneinfo,
never stored as a UTC time of day: 21:00 in Bucharest is 19:00 UTC in summer and 18:00
UTC in winter, and both the day the clocks go forward and the day they go back post at
21:00 local.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.digest import repository as repo
from qc.digest.models import DEFAULT_SEND_MINUTE, DigestStatus, DigestTarget
from qc.reviews import service as reviews


def send_moment(day: date, send_minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `day` at `send_minute` local time (a time the clocks skip reads as
    the same time before the change, i.e. an hour later on the new clock)."""
    local = datetime.combine(day, time(send_minute // 60, send_minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def due_day(now: datetime, send_minute: int, zone: ZoneInfo) -> date:
    """The latest day whose send moment is at or before `now`."""
    today = now.astimezone(zone).date()
    return today if send_moment(today, send_minute, zone) <= now else today - timedelta(days=1)


def delivery_row(target: DigestTarget, day: date, *, trigger: str, now: datetime) -> dict[str, Any]:
    return {
        "target_id": target.id,
        "team_id": target.team_id,
        "day": day,
        "trigger": trigger,
        "status": DigestStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_due(session: Session, *, now: datetime, settings: Settings) -> int:
    """For each team with an enabled schedule, queue the latest due day's digest for each of
    its enabled targets; how many deliveries were queued.

    Only the latest due day: a worker that was down at the send time queues that day late
    (once) when it comes back, but a worker down for several days queues only the last of
    them, never a backlog. A target added after a day's send moment does not get that day.
    The INSERT ignores (target, day) pairs that exist, so any number of workers running
    this at once, or again after a restart, queue each pair once.
    """
    by_team: dict[int, list[DigestTarget]] = defaultdict(list)
    for target in repo.enabled_targets(session):
        by_team[target.team_id].append(target)
    if not by_team:
        return 0
    schedules = repo.schedules(session, by_team)
    policies = reviews.policy_map(session, settings)
    rows = []
    for team_id, targets in by_team.items():
        schedule = schedules.get(team_id)
        if schedule is not None and not schedule.enabled:
            continue
        minute = schedule.send_minute if schedule is not None else DEFAULT_SEND_MINUTE
        policy = policies.get(team_id) or reviews.default_policy(settings)
        zone = ZoneInfo(policy.timezone)
        day = due_day(now, minute, zone)
        moment = send_moment(day, minute, zone)
        rows += [delivery_row(t, day, trigger="schedule", now=now) for t in targets if t.created_at <= moment]
    return len(repo.insert_deliveries(session, rows))
