"""Time helpers: parsing user input into aware UTC datetimes, display formats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from qc.errors import InvalidInput

MIN_YEAR, MAX_YEAR = 1990, 2200


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
