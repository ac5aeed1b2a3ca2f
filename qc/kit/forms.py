"""Reading numbers and ids that people type into forms: a clear error, never a 500."""

from __future__ import annotations

import math

from qc.errors import InvalidInput

MAX_ID = 2**31 - 1


def parse_number(value: str, *, field: str, low: float, high: float) -> float:
    """A finite number in [low, high]; InvalidInput names the field otherwise."""
    try:
        number = float(value.strip())
    except (ValueError, AttributeError) as exc:
        raise InvalidInput("Enter a number", field=field) from exc
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidInput(f"Enter a number between {low:g} and {high:g}", field=field)
    return number


def parse_int(value: str, *, field: str, low: int, high: int) -> int:
    number = parse_number(value, field=field, low=low, high=high)
    if number != int(number):
        raise InvalidInput("Enter a whole number", field=field)
    return int(number)


def parse_id(value: str, *, field: str) -> int:
    """A record id as forms send it (ASCII digits only)."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
        raise InvalidInput("Choose one from the list", field=field)
    return int(text)


def parse_ids(value: str, *, field: str) -> list[int]:
    """`"12, 15 21"` -> [12, 15, 21]."""
    parts = [p for p in value.replace(",", " ").split() if p]
    if not parts:
        return []
    if not all(p.isascii() and p.isdigit() and 0 < int(p) <= MAX_ID for p in parts):
        raise InvalidInput("List numbers separated by commas, e.g. 12, 15", field=field)
    return [int(p) for p in parts]
