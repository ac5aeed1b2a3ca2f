"""Queries over feedback and disputes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from qc.feedback.models import Decision, Dispute, DisputeItem, DisputeStatus, Feedback


def get(session: Session, evaluation_id: int) -> Feedback | None:
    return session.get(Feedback, evaluation_id)


def released_page(session: Session, rep_id: int, *, offset: int, limit: int) -> tuple[list[Feedback], int]:
    """A rep's released feedback, newest first, and how many there are in all."""
    where = (Feedback.rep_id == rep_id, Feedback.released_at.is_not(None))
    rows = session.scalars(
        select(Feedback)
        .where(*where)
        .order_by(Feedback.released_at.desc(), Feedback.evaluation_id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(Feedback).where(*where)) or 0
    return list(rows), int(total)


def unacknowledged(
    session: Session, *, cutoffs: dict[int, datetime], limit: int = 500
) -> tuple[list[Feedback], int]:
    """Released, unacknowledged feedback of each team in `cutoffs` released before that
    team's cutoff, oldest first: up to `limit` rows and how many there are in all."""
    if not cutoffs:
        return [], 0
    late = or_(
        *(
            and_(Feedback.team_id == team_id, Feedback.released_at < cutoff)
            for team_id, cutoff in cutoffs.items()
        )
    )
    where = (Feedback.acknowledged_at.is_(None), Feedback.released_at.is_not(None), late)
    total = int(session.scalar(select(func.count()).select_from(Feedback).where(*where)) or 0)
    rows = session.scalars(select(Feedback).where(*where).order_by(Feedback.released_at).limit(limit))
    return list(rows), total


def due_for_release(session: Session, now: datetime, *, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(Feedback.evaluation_id)
            .where(Feedback.released_at.is_(None), Feedback.release_due_at <= now)
            .order_by(Feedback.release_due_at)
            .limit(limit)
        )
    )


def mark_acknowledged(session: Session, evaluation_id: int, now: datetime) -> bool:
    """Record the acknowledgement unless there is one: True if this call recorded it."""
    result = session.execute(
        update(Feedback)
        .where(Feedback.evaluation_id == evaluation_id, Feedback.acknowledged_at.is_(None))
        .values(acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# Disputes ---------------------------------------------------------------------------------------------


def _disputes() -> Select[Dispute]:
    return select(Dispute).options(selectinload(Dispute.items))


def get_dispute(session: Session, dispute_id: int, *, fresh: bool = False) -> Dispute | None:
    """The dispute with its items; `fresh` overwrites what the session holds with the database's."""
    query = _disputes().where(Dispute.id == dispute_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return session.scalar(query)


def disputes_of(session: Session, evaluation_ids: Iterable[int]) -> dict[int, list[Dispute]]:
    """Every dispute of each evaluation, oldest first."""
    ids = list(evaluation_ids)
    found: dict[int, list[Dispute]] = {i: [] for i in ids}
    if not ids:
        return found
    for dispute in session.scalars(
        _disputes().where(Dispute.evaluation_id.in_(ids)).order_by(Dispute.opened_at, Dispute.id)
    ):
        found[dispute.evaluation_id].append(dispute)
    return found


@dataclass(frozen=True)
class DisputeFilter:
    status: DisputeStatus | None = None
    rep_id: int | None = None
    team_ids: frozenset[int] | None = None  # None: every team
    involving: int | None = None  # a reviewer: written by them or routed to them


def list_disputes(session: Session, f: DisputeFilter, *, limit: int = 200) -> list[Dispute]:
    """Open ones first, overdue first among them, then the most recently closed."""
    query = _disputes()
    if f.status is not None:
        query = query.where(Dispute.status == f.status)
    if f.rep_id is not None:
        query = query.where(Dispute.rep_id == f.rep_id)
    if f.team_ids is not None:
        query = query.where(Dispute.team_id.in_(f.team_ids))
    if f.involving is not None:
        query = query.where((Dispute.reviewer_id == f.involving) | (Dispute.resolver_id == f.involving))
    is_open = Dispute.status == DisputeStatus.OPEN
    query = query.order_by(
        is_open.desc(),
        case((is_open, Dispute.due_at), else_=None).asc().nulls_last(),  # open: most urgent first
        Dispute.closed_at.desc().nulls_last(),  # closed: most recent first
        Dispute.id.desc(),
    )
    return list(session.scalars(query.limit(limit)))


def claim_resolution(
    session: Session, dispute_id: int, *, by: int, now: datetime, score_before: float | None
) -> bool:
    """Close an open dispute as resolved, once: False if someone else closed it first."""
    result = session.execute(
        update(Dispute)
        .where(Dispute.id == dispute_id, Dispute.status == DisputeStatus.OPEN)
        .values(status=DisputeStatus.RESOLVED, resolved_by_id=by, closed_at=now, score_before=score_before)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def close_withdrawn(session: Session, dispute_id: int, *, now: datetime) -> bool:
    result = session.execute(
        update(Dispute)
        .where(Dispute.id == dispute_id, Dispute.status == DisputeStatus.OPEN)
        .values(status=DisputeStatus.WITHDRAWN, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def flag_overdue_once(session: Session, dispute_id: int, now: datetime) -> bool:
    """Mark the dispute as flagged overdue unless someone did: True if this call did."""
    result = session.execute(
        update(Dispute)
        .where(Dispute.id == dispute_id, Dispute.overdue_flagged_at.is_(None))
        .values(overdue_flagged_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def overdue_unflagged(session: Session, now: datetime, *, limit: int = 500) -> list[Dispute]:
    return list(
        session.scalars(
            select(Dispute)
            .where(
                Dispute.status == DisputeStatus.OPEN,
                Dispute.due_at < now,
                Dispute.overdue_flagged_at.is_(None),
            )
            .limit(limit)
        )
    )


def decided_items(
    session: Session,
    *,
    team_ids: frozenset[int] | None = None,
    scorecard_id: str | None = None,
    item_id: str | None = None,
) -> list[tuple[Dispute, DisputeItem]]:
    """The items of resolved disputes (for the dispute figures), optionally narrowed."""
    query = (
        select(Dispute, DisputeItem)
        .join(DisputeItem, DisputeItem.dispute_id == Dispute.id)
        .where(Dispute.status == DisputeStatus.RESOLVED)
    )
    if team_ids is not None:
        query = query.where(Dispute.team_id.in_(team_ids))
    if scorecard_id is not None:
        query = query.where(Dispute.scorecard_id == scorecard_id)
    if item_id is not None:
        query = query.where(DisputeItem.item_id == item_id)
    rows = session.execute(query)
    return [(dispute, item) for dispute, item in rows]


@dataclass(frozen=True)
class GroupCounts:
    key: tuple[object, ...]  # (reviewer_id,) or (scorecard_id, item_id)
    disputed: int
    overturned: int


def _figure_keys(by_reviewer: bool) -> tuple[Any, ...]:
    return (Dispute.reviewer_id,) if by_reviewer else (Dispute.scorecard_id, DisputeItem.item_id)


def _resolved_items(query: Any, team_ids: frozenset[int] | None) -> Any:
    query = query.join(DisputeItem, DisputeItem.dispute_id == Dispute.id).where(
        Dispute.status == DisputeStatus.RESOLVED
    )
    return query if team_ids is None else query.where(Dispute.team_id.in_(team_ids))


def decided_counts(
    session: Session, *, by_reviewer: bool, team_ids: frozenset[int] | None
) -> list[GroupCounts]:
    """Items of resolved disputes and how many were changed, per reviewer or per item."""
    keys = _figure_keys(by_reviewer)
    changed = func.sum(case((DisputeItem.decision == Decision.CHANGED, 1), else_=0))
    query = _resolved_items(select(*keys, func.count(), changed).select_from(Dispute), team_ids)
    rows = session.execute(query.group_by(*keys))
    return [GroupCounts(tuple(row[:-2]), int(row[-2]), int(row[-1] or 0)) for row in rows]


def resolution_times(
    session: Session, *, by_reviewer: bool, team_ids: frozenset[int] | None
) -> list[tuple[tuple[object, ...], datetime, datetime]]:
    """(group key, opened, closed) once per resolved dispute in each group."""
    keys = _figure_keys(by_reviewer)
    query = _resolved_items(
        select(*keys, Dispute.id, Dispute.opened_at, Dispute.closed_at).select_from(Dispute), team_ids
    )
    rows = session.execute(query.distinct())
    return [(tuple(row[:-3]), row[-2], row[-1]) for row in rows if row[-1] is not None]


def overturns_by_cause(session: Session, *, team_ids: frozenset[int] | None) -> dict[str, int]:
    query = _resolved_items(select(DisputeItem.cause, func.count()).select_from(Dispute), team_ids)
    query = query.where(DisputeItem.decision == Decision.CHANGED, DisputeItem.cause.is_not(None))
    return {cause.value: int(n) for cause, n in session.execute(query.group_by(DisputeItem.cause))}


def count_unacknowledged(session: Session, rep_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(
                Feedback.rep_id == rep_id,
                Feedback.released_at.is_not(None),
                Feedback.acknowledged_at.is_(None),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class FeedbackFilter:
    rep_id: int | None = None
    team_ids: frozenset[int] | None = None  # None: every team
    released_only: bool = False
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None  # exclusive


def list_feedback(
    session: Session, f: FeedbackFilter, *, offset: int, limit: int
) -> tuple[list[Feedback], int]:
    conditions = []
    if f.rep_id is not None:
        conditions.append(Feedback.rep_id == f.rep_id)
    if f.team_ids is not None:
        conditions.append(Feedback.team_id.in_(f.team_ids))
    if f.released_only:
        conditions.append(Feedback.released_at.is_not(None))
    if f.submitted_from is not None:
        conditions.append(Feedback.submitted_at >= f.submitted_from)
    if f.submitted_to is not None:
        conditions.append(Feedback.submitted_at < f.submitted_to)
    rows = session.scalars(
        select(Feedback)
        .where(*conditions)
        .order_by(Feedback.submitted_at.desc(), Feedback.evaluation_id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(Feedback).where(*conditions)) or 0
    return list(rows), int(total)
