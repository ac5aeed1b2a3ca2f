"""Reading the queue: a reviewer's picks, the open pool, and how reps are named to whom
(blind review)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.config import Settings
from qc.db import utcnow
from qc.reviews import access, service
from qc.reviews import repository as repo
from qc.reviews.models import Assignment, AssignmentStatus
from qc.reviews.policy import Policy, local_today, zone
from qc.users import identity
from qc.users.schemas import Principal


@dataclass(frozen=True)
class QueueEntry:
    assignment: Assignment
    rep_label: str
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    entries: list[QueueEntry]
    pool: list[QueueEntry]
    policies: dict[int, Policy]
    can_manage: bool
    setup: service.ReviewerSetup | None = None  # your capacity, languages and availability


def queue_page(
    session: Session, principal: Principal, *, settings: Settings, now: datetime | None = None
) -> QueuePage:
    """Your queue and the picks waiting for anyone that you may take."""
    access.require_reviewer(principal)
    now = now or utcnow()
    policies = service.policy_map(session, settings)
    return QueuePage(
        my_queue(session, principal, settings=settings, now=now, policies=policies),
        open_pool(session, principal, settings=settings, now=now, policies=policies),
        policies,
        principal.role in access.QUEUE_MANAGERS,
        service.my_setup(session, principal, settings=settings),
    )


def my_queue(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    now: datetime | None = None,
    policies: dict[int, Policy] | None = None,
) -> list[QueueEntry]:
    """Your picks: unfinished ones (overdue first, then by due time and call time) and those
    done today."""
    access.require_reviewer(principal)
    now = now or utcnow()
    policies = policies if policies is not None else service.policy_map(session, settings)
    start_of_day = datetime.combine(local_today(service.default_policy(settings), now), time.min)
    since = start_of_day.replace(tzinfo=zone(settings.timezone))
    entries = [
        QueueEntry(a, _label(principal, a, settings), _is_overdue(a, now))
        for a in repo.mine(session, principal.id, since)
    ]
    return sorted(entries, key=_queue_order)


def _is_overdue(assignment: Assignment, now: datetime) -> bool:
    unfinished = assignment.status in (AssignmentStatus.OPEN, AssignmentStatus.IN_REVIEW)
    return unfinished and (assignment.overdue or assignment.due_at <= now)


def _queue_order(entry: QueueEntry) -> tuple[int, int, datetime, datetime, int]:
    a = entry.assignment
    finished = a.status not in (AssignmentStatus.OPEN, AssignmentStatus.IN_REVIEW)
    return (int(finished), int(not entry.overdue), a.due_at, a.call.started_at, a.id)


def open_pool(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 50,
    policies: dict[int, Policy] | None = None,
) -> list[QueueEntry]:
    """Picks waiting for any reviewer that you may take."""
    access.require_reviewer(principal)
    now = now or utcnow()
    policies = policies if policies is not None else service.policy_map(session, settings)
    rules = service.rules_for(session, service.get_user(session, principal.id))
    latest = max((local_today(p, now) for p in policies.values()), default=now.date())
    excluded = [team for team, p in policies.items() if p.exclude_own_team and team == rules.team_id]
    entries = []
    for a in repo.pool(session, latest, limit, not_rep=principal.id, not_teams=excluded):
        if rules.refusal(a, policies.get(a.team_id, service.default_policy(settings)), language=True) is None:
            entries.append(QueueEntry(a, _label(principal, a, settings), _is_overdue(a, now)))
    return entries


def rep_label(session: Session, principal: Principal, assignment: Assignment, settings: Settings) -> str:
    """The rep's name, or a stable alias where the team reviews blind."""
    return _label(principal, assignment, settings)


def _label(principal: Principal, assignment: Assignment, settings: Settings) -> str:
    return identity.rep_name(
        principal,
        rep_id=assignment.rep_id,
        name=assignment.rep.name,
        team_id=assignment.team_id,
        settings=settings,
    )


def rep_labels(
    session: Session, principal: Principal, calls: list[Call], *, settings: Settings
) -> dict[int, str]:
    """Per call, the rep as `principal` may see them: the name, or an alias where the call's
    team reviews blind and `principal` is a reviewer. Calls need their rep loaded."""
    return {
        call.id: identity.rep_name(
            principal, rep_id=call.rep_id, name=call.rep.name, team_id=call.team_id, settings=settings
        )
        for call in calls
    }
