"""A team's review policy as plain values, and the times of its working day."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qc.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKING_DAYS = frozenset({1, 2, 3, 4, 5})
LOW_ASR_CONFIDENCE = 0.6  # a transcript less sure than this flags the call


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"Unknown time zone {name!r}; use an IANA name such as Europe/Bucharest", field="timezone"
        ) from exc


@dataclass(frozen=True)
class Policy:
    target: int = 2
    working_days: frozenset[int] = field(default=DEFAULT_WORKING_DAYS)
    timezone: str = "UTC"
    day_start_minute: int = 9 * 60
    day_end_minute: int = 18 * 60
    min_duration_s: float = 30.0
    risk_share: float = 0.5
    low_score: float = 70.0
    exclude_own_team: bool = False
    blind: bool = False

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days

    @property
    def risk_slots(self) -> int:
        """How many of the day's picks go to flagged calls (at least one when the share is set)."""
        if self.target == 0 or self.risk_share <= 0:
            return 0
        return min(self.target, max(1, round(self.target * self.risk_share)))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["working_days"] = sorted(self.working_days)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Policy:
        values = dict(data)
        values["working_days"] = frozenset(values.get("working_days", DEFAULT_WORKING_DAYS))
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def parse_working_days(value: str) -> frozenset[int]:
    """`"1,2,3,4,5"` or `"mon,tue,wed"` -> ISO weekday numbers."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in value.split(",")):
        if not part:
            continue
        if part.isdigit() and 1 <= int(part) <= 7:
            days.add(int(part))
        elif part[:3] in WEEKDAYS:
            days.add(WEEKDAYS.index(part[:3]) + 1)
        else:
            raise InvalidInput(f"Unknown weekday {part!r}; use mon, tue, ... sun", field="working_days")
    return frozenset(days)


def format_working_days(days: frozenset[int]) -> str:
    return ",".join(str(d) for d in sorted(days))


@dataclass(frozen=True)
class DayTimes:
    """A team's review day in UTC.

    A review day takes the calls made since the previous working day's review hours ended,
    up to the end of its own review hours: every call belongs to exactly one review day,
    evening and weekend calls included, and can be drawn. The day's picks are spread over
    its review hours; its queue closes at local midnight.
    """

    day: date
    start: datetime  # calls from here: the previous working day's review hours ended
    end: datetime  # ... to here: this day's review hours end
    midnight: datetime  # the local day begins
    close: datetime  # the next local midnight: the queue closes
    hours_start: datetime

    def parts(self, count: int) -> list[Part]:
        """The review hours cut into `count` equal parts; the first takes the calls made
        before the hours began too. A part's pick is drawn when its stretch is over."""
        if count <= 0:
            return []
        step = (self.end - self.hours_start) / count
        cuts = [self.hours_start + step * i for i in range(count + 1)]
        bounds = [self.start, *cuts[1:-1], self.end]
        return [
            Part(index=i + 1, start=bounds[i], end=bounds[i + 1], draw_at=cuts[i + 1]) for i in range(count)
        ]

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Part:
    index: int
    start: datetime
    end: datetime
    draw_at: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _local(policy: Policy, day: date, minute: int) -> datetime:
    tz = zone(policy.timezone)
    return (datetime.combine(day, time.min, tzinfo=tz) + timedelta(minutes=minute)).astimezone(UTC)


def day_times(policy: Policy, day: date) -> DayTimes:
    previous = previous_working_day(policy, day)
    return DayTimes(
        day=day,
        start=_local(policy, previous, policy.day_end_minute),
        end=_local(policy, day, policy.day_end_minute),
        midnight=_local(policy, day, 0),
        close=_local(policy, day + timedelta(days=1), 0),
        hours_start=_local(policy, day, policy.day_start_minute),
    )


def review_day(policy: Policy, moment: datetime) -> date:
    """The review day a call made at `moment` belongs to."""
    local = moment.astimezone(zone(policy.timezone))
    day = local.date()
    if local.hour * 60 + local.minute >= policy.day_end_minute or not policy.is_working_day(day):
        day = next_working_day(policy, day)
    return day


def previous_working_day(policy: Policy, day: date) -> date:
    candidate = day - timedelta(days=1)
    for _ in range(7):
        if policy.is_working_day(candidate):
            return candidate
        candidate -= timedelta(days=1)
    return day - timedelta(days=1)


def working_day_from(policy: Policy, day: date) -> date:
    """`day` if it is a working day, else the next one."""
    return day if policy.is_working_day(day) else next_working_day(policy, day)


def local_today(policy: Policy, now: datetime) -> date:
    return now.astimezone(zone(policy.timezone)).date()


def next_working_day(policy: Policy, day: date) -> date:
    candidate = day + timedelta(days=1)
    for _ in range(7):
        if policy.is_working_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    return day + timedelta(days=1)  # no working days at all: the next calendar day
