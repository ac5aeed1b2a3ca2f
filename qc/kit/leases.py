"""Claiming one row of a work table for a worker: a conditional UPDATE that sets a claim
token and a lease, so two workers never hold the same row and a dead worker's row comes
back when its lease runs out. The table needs `id`, `claim_token`, `claimed_until` and
`attempts` columns; the caller says which rows are due and in what order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session


def claim_next(
    session: Session, model: Any, *, due: Any, order_by: tuple[Any, ...], token: str, until: datetime
) -> int | None:
    """Claim the first row matching `due` in `order_by` for `token` until `until`, counting an
    attempt; its id, or None when nothing is due."""
    for _ in range(3):  # another worker may take the candidate between the read and the write
        candidate = session.scalar(
            select(model.id).where(due).order_by(*order_by).limit(1).with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        result = session.execute(
            update(model)
            .where(model.id == candidate, due)
            .values(claim_token=token, claimed_until=until, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return int(candidate)
    return None


def held(session: Session, model: Any, row_id: int, token: str) -> Any:
    """The row, read afresh, if `token` still holds its claim; else None."""
    row = session.get(model, row_id, populate_existing=True)
    return row if row is not None and row.claim_token == token else None


def backoff(attempts: int, *, first_s: float, most_s: float) -> timedelta:
    """The wait after `attempts` failed attempts: `first_s`, doubling each time, at most `most_s`."""
    return timedelta(seconds=min(most_s, first_s * 2 ** max(0, attempts - 1)))
