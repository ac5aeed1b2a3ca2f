"""Time helpers: parsing user input into aware UTC datetimes, display formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema

from qc.errors import InvalidInput

MIN_YEAR, MAX_YEAR = 1990, 2200


def _iso_day(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a day such as 2026-11-23")
    return value


def _day_in_range(day: date) -> date:
    if not MIN_YEAR <= day.year < MAX_YEAR:
        raise ValueError(f"must be a day between {MIN_YEAR} and {MAX_YEAR - 1}")
    return day


# A day as the API takes it (YYYY-MM-DD, a year the app can store and count in); the schema says so.
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    AfterValidator(_day_in_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^(199\d|2[01]\d\d)-\d\d-\d\d$"}),
]


def _iso_instant(value: object) -> object:
    if not isinstance(value, str):
        return value
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].+", value.strip()):
        raise ValueError("must be an ISO 8601 date-time such as 2026-11-22T09:30:00+02:00")
    if not re.search(r"(Z|[+-]\d\d(:?\d\d)?)$", value.strip(), re.IGNORECASE):
        raise ValueError("needs a UTC offset (e.g. 2026-11-22T09:30:00Z or +02:00)")
    return value


def _instant_in_range(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # as written, like the schema's pattern
        raise ValueError(f"must be an ISO 8601 date-time between {MIN_YEAR} and {MAX_YEAR}")
    return value.astimezone(UTC)


# A moment as the API takes it: ISO 8601 with a UTC offset (none is refused, not guessed), in UTC.
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_instant),
    AfterValidator(_instant_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": r"^(199\d|2[01]\d\d|2200)-"}),
]


def parse_datetime(value: str, *, field: str) -> datetime:
    """Parse ISO 8601; a value without an offset is refused rather than guessed."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(
            f"{field} must be an ISO 8601 date-time such as 2026-11-22T09:30:00+02:00", field=field
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} needs a UTC offset (e.g. 2026-11-22T09:30:00Z or +02:00)", field=field)
    result = parsed.astimezone(UTC)
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise InvalidInput(f"{field} must be between {MIN_YEAR} and {MAX_YEAR}", field=field)
    return result


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def format_clock(seconds: float) -> str:
    """`75.3` -> `1:15`; `3725` -> `1:02:05`."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_timestamp(seconds: float, *, separator: str = ".") -> str:
    """`75.345` -> `00:01:15.345` (WebVTT style)."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
