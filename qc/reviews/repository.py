"""Queries of the review queue: the day's calls in one read, picks, quotas, reviewers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, selectinload

from qc.calls.models import Call
from qc.reviews.models import (
    Assignment,
    AssignmentStatus,
    QueueDay,
    RepDay,
    ReviewerProfile,
    ReviewPolicy,
)
from qc.scoring.definitions import Status
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.transcription.models import Transcript
from qc.users.models import Role, Team, User

REVIEWING_ROLES = (Role.REVIEWER, Role.QC_LEAD)
UNFINISHED = (AssignmentStatus.OPEN, AssignmentStatus.IN_REVIEW)


# Policies and reviewers ---------------------------------------------------------------------------


def teams_with_policies(session: Session) -> list[tuple[Team, ReviewPolicy | None]]:
    rows = session.execute(
        select(Team, ReviewPolicy)
        .outerjoin(ReviewPolicy, ReviewPolicy.team_id == Team.id)
        .order_by(Team.name)
    )
    return [(team, policy) for team, policy in rows]


def get_policy(session: Session, team_id: int) -> ReviewPolicy | None:
    return session.get(ReviewPolicy, team_id)


def get_profile(session: Session, user_id: int) -> ReviewerProfile | None:
    return session.get(ReviewerProfile, user_id)


def reviewers_with_profiles(session: Session) -> list[tuple[User, ReviewerProfile | None]]:
    """Active reviewers and QC leads; a QC lead takes queue work only with a profile."""
    rows = session.execute(
        select(User, ReviewerProfile)
        .outerjoin(ReviewerProfile, ReviewerProfile.user_id == User.id)
        .where(User.role.in_(REVIEWING_ROLES), User.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    return [(user, profile) for user, profile in rows]


def loads(session: Session, queue_date: date) -> dict[int, int]:
    """Picks per reviewer in a day's queue (done or not)."""
    rows = session.execute(
        select(Assignment.reviewer_id, func.count())
        .where(Assignment.queue_date == queue_date, Assignment.reviewer_id.is_not(None))
        .group_by(Assignment.reviewer_id)
    )
    return {reviewer_id: count for reviewer_id, count in rows if reviewer_id is not None}


def active_reps(session: Session) -> list[tuple[int, int]]:
    """(rep id, team id) of every active rep."""
    rows = session.execute(
        select(User.id, User.team_id).where(
            User.role == Role.REP, User.is_active.is_(True), User.team_id.is_not(None)
        )
    )
    return [(rep_id, team_id) for rep_id, team_id in rows if team_id is not None]


# Queue days ---------------------------------------------------------------------------------------


def queue_days(session: Session, day: date) -> dict[int, QueueDay]:
    return {q.team_id: q for q in session.scalars(select(QueueDay).where(QueueDay.day == day))}


def open_days_before(session: Session, day: date) -> list[date]:
    rows = session.scalars(
        select(QueueDay.day).where(QueueDay.day < day, QueueDay.is_closed.is_(False)).distinct()
    )
    return sorted(rows)


def rep_days(session: Session, day: date) -> dict[int, RepDay]:
    return {r.rep_id: r for r in session.scalars(select(RepDay).where(RepDay.day == day))}


# Calls --------------------------------------------------------------------------------------------


def calls_between(session: Session, start: datetime, end: datetime) -> list[Any]:
    """Every call started in [start, end), with what the queue needs to know, in one query.

    Rows of (id, rep_id, team_id, started_at, duration_s, status, language, final_score,
    critical_failed, needs_review, asr_confidence, taken, scorable). It reads the calls,
    scoring and transcription tables at once: at 50,000 calls a day, a read per domain
    would cost more than the build itself.
    """
    taken = exists().where(Assignment.call_id == Call.id)
    query = (
        select(
            Call.id,
            Call.rep_id,
            Call.team_id,
            Call.started_at,
            Call.duration_s,
            Call.status,
            func.coalesce(Call.language, Call.detected_language, Team.language),
            CallScore.final_score,
            CallScore.critical_failed,
            CallScore.checks_needs_review,
            Transcript.mean_word_probability,
            taken,
            CallScore.scorecard_version_id.is_not(None),
        )
        .join(Team, Team.id == Call.team_id)
        .outerjoin(CallScore, CallScore.call_id == Call.id)
        .outerjoin(Transcript, Transcript.call_id == Call.id)
        .where(Call.started_at >= start, Call.started_at < end)
        .order_by(Call.id)
    )
    return list(session.connection().execute(query).all())  # Core rows: no ORM overhead


def focus_hits(
    session: Session, call_ids: list[int], items: set[tuple[str, str]]
) -> list[tuple[int, str, str]]:
    """(call, scorecard, item) for each of `items` that the automatic checks failed or left
    to a person on these calls."""
    if not call_ids or not items:
        return []
    query = (
        select(CallScore.call_id, ScorecardVersion.scorecard_id, CheckResult.item_id)
        .join(CheckResult, CheckResult.call_score_id == CallScore.id)
        .join(ScorecardVersion, ScorecardVersion.id == CallScore.scorecard_version_id)
        .where(
            CallScore.call_id.in_(call_ids),
            CheckResult.item_id.in_({item for _, item in items}),
            CheckResult.status.in_([Status.FAIL, Status.NEEDS_REVIEW]),
        )
    )
    return [(c, sc, i) for c, sc, i in session.execute(query) if (sc, i) in items]


# Picks --------------------------------------------------------------------------------------------


def picks_for_day(session: Session, day: date) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.day == day)))


_QUEUE_LOCK_ID = 0x51C0_0004


def lock_queue(session: Session) -> None:
    """One writer of picks at a time: builders (the periodic job, a CLI run, a QC lead's
    button) and picks chosen by hand. SQLite's transactions already hold the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _QUEUE_LOCK_ID})


def unassigned_open(session: Session, queue_date: date) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment)
            .where(
                Assignment.queue_date <= queue_date,
                Assignment.reviewer_id.is_(None),
                Assignment.status == AssignmentStatus.OPEN,
            )
            .order_by(Assignment.risk.desc(), Assignment.id)
        )
    )


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_picks(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:  # Core, not the ORM's bulk path: thousands of rows per build
        session.execute(insert(_table(Assignment)), rows)


def save_rep_days(session: Session, new: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
    table = _table(RepDay)
    if new:
        session.execute(insert(table), new)
    if changed:
        values: dict[str, Any] = {key: bindparam(f"v_{key}") for key in changed[0] if key != "id"}
        session.execute(
            update(table).where(table.c.id == bindparam("v_id")).values(values),
            [{f"v_{k}": v for k, v in row.items()} for row in changed],
            execution_options={"synchronize_session": False},
        )


# Transitions are conditional UPDATEs: a claim, a submit or a close racing with another
# change of the same pick can only win if the pick is still as it was read.


def assign_open(session: Session, assignment_id: int, reviewer_id: int) -> bool:
    """Give a waiting pick (no reviewer, not started) to a reviewer."""
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.reviewer_id.is_(None),
            Assignment.status == AssignmentStatus.OPEN,
        )
        .values(reviewer_id=reviewer_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def mark_missed(session: Session, team_id: int, queue_date: date) -> int:
    """Unfinished picks that already rolled over once: missed."""
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.team_id == team_id,
            Assignment.queue_date == queue_date,
            Assignment.overdue.is_(True),
            Assignment.status.in_(UNFINISHED),
        )
        .values(status=AssignmentStatus.MISSED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def roll_over(session: Session, team_id: int, queue_date: date, *, to: date, due_at: datetime) -> int:
    """Unfinished picks of a closing day move to the queue of `to`, overdue."""
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.team_id == team_id,
            Assignment.queue_date == queue_date,
            Assignment.overdue.is_(False),
            Assignment.status.in_(UNFINISHED),
        )
        .values(queue_date=to, overdue=True, due_at=due_at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def reassign(
    session: Session,
    assignment_id: int,
    *,
    seen: tuple[AssignmentStatus, int | None],
    reviewer_id: int | None,
    by: int,
) -> bool:
    """Hand an unfinished pick to `reviewer_id` (None: the pool) if it is still as seen."""
    status, holder = seen
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.status == status,
            Assignment.reviewer_id.is_not_distinct_from(holder),
        )
        .values(reviewer_id=reviewer_id, status=AssignmentStatus.OPEN, claimed_at=None, assigned_by_id=by)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def get_assignment(session: Session, assignment_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment)
        .where(Assignment.id == assignment_id)
        .options(
            selectinload(Assignment.call),
            selectinload(Assignment.rep),
            selectinload(Assignment.reviewer),
            selectinload(Assignment.team),
        )
    )


def get_assignment_for_call(session: Session, call_id: int) -> Assignment | None:
    return session.scalar(select(Assignment).where(Assignment.call_id == call_id))


def claim(session: Session, assignment_id: int, reviewer_id: int, now: datetime) -> bool:
    """Take an open pick that is the reviewer's or nobody's: one conditional UPDATE, so two
    reviewers racing for the same call cannot both win."""
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.status == AssignmentStatus.OPEN,
            or_(Assignment.reviewer_id.is_(None), Assignment.reviewer_id == reviewer_id),
        )
        .values(status=AssignmentStatus.IN_REVIEW, reviewer_id=reviewer_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(session: Session, assignment_id: int, reviewer_id: int) -> bool:
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.status == AssignmentStatus.IN_REVIEW,
            Assignment.reviewer_id == reviewer_id,
        )
        .values(status=AssignmentStatus.OPEN, reviewer_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def complete(session: Session, assignment_id: int, reviewer_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.status == AssignmentStatus.IN_REVIEW,
            Assignment.reviewer_id == reviewer_id,
        )
        .values(status=AssignmentStatus.DONE, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def mine(session: Session, reviewer_id: int, done_since: datetime) -> list[Assignment]:
    """A reviewer's unfinished picks and those finished since `done_since`."""
    return list(
        session.scalars(
            select(Assignment)
            .where(
                Assignment.reviewer_id == reviewer_id,
                or_(
                    Assignment.status.in_(UNFINISHED),
                    and_(Assignment.status == AssignmentStatus.DONE, Assignment.completed_at >= done_since),
                ),
            )
            .options(
                selectinload(Assignment.call), selectinload(Assignment.rep), selectinload(Assignment.team)
            )
        )
    )


def pool(
    session: Session, queue_date: date, limit: int, *, not_rep: int, not_teams: list[int]
) -> list[Assignment]:
    """Picks waiting for any reviewer, leaving out one rep's calls and some teams'."""
    return list(
        session.scalars(
            select(Assignment)
            .where(
                Assignment.reviewer_id.is_(None),
                Assignment.status == AssignmentStatus.OPEN,
                Assignment.queue_date <= queue_date,
                Assignment.rep_id != not_rep,
                Assignment.team_id.not_in(not_teams),
            )
            .options(
                selectinload(Assignment.call), selectinload(Assignment.rep), selectinload(Assignment.team)
            )
            .order_by(Assignment.overdue.desc(), Assignment.risk.desc(), Assignment.id)
            .limit(limit)
        )
    )


def day_assignments(session: Session, day: date, team_ids: Iterable[int] | None) -> list[Assignment]:
    """Picks counting for `day` or sitting in its queue."""
    query = (
        select(Assignment)
        .where(or_(Assignment.day == day, Assignment.queue_date == day))
        .options(
            selectinload(Assignment.call),
            selectinload(Assignment.rep),
            selectinload(Assignment.reviewer),
            selectinload(Assignment.team),
        )
        .order_by(Assignment.team_id, Assignment.rep_id, Assignment.slot)
    )
    if team_ids is not None:
        query = query.where(Assignment.team_id.in_(list(team_ids)))
    return list(session.scalars(query))


def reps_by_id(session: Session, rep_ids: Iterable[int]) -> dict[int, User]:
    ids = list(set(rep_ids))
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def in_queue(session: Session, queue_date: date) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(Assignment.queue_date == queue_date)))
