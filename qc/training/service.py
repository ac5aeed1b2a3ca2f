"""Training assignments: given to one rep or a whole team by a manager, QC lead or
administrator (or by a rule, `rulebook`), started by the rep, completed with a result
recorded by the right person, withdrawn, and flagged once when overdue.

Events: training.assigned, training.completed, training.withdrawn, training.overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, InvalidTransition, NotFound
from qc.jobs.events import emit
from qc.reviews import service as reviews
from qc.training import access
from qc.training import repository as repo
from qc.training.catalogue import TrainingInvalid, find_module
from qc.training.models import (
    AssignmentStatus,
    TrainingAssignment,
    TrainingModule,
    TrainingModuleVersion,
    TrainingResult,
)
from qc.users import service as users
from qc.users.models import Role, Team, User
from qc.users.schemas import Principal

MAX_REASON = 2000
MAX_DUE_DAYS = 366


def team_zone(session: Session, team_id: int, settings: Settings) -> ZoneInfo:
    """The zone the team keeps its calendar in (its review policy's)."""
    return ZoneInfo(reviews.team_policy(session, team_id, settings).timezone)


def team_today(session: Session, team_id: int, settings: Settings, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(team_zone(session, team_id, settings)).date()


# Assigning -----------------------------------------------------------------------------------------------


@dataclass
class AssignInput:
    module_id: int | None
    rep_id: int | None = None
    team_id: int | None = None  # the whole team's active reps
    due_date: date | None = None


@dataclass
class AssignReport:
    created: list[TrainingAssignment] = field(default_factory=list)
    skipped: list[User] = field(default_factory=list)  # they have the module open already
    team_id: int | None = None  # the team assigned as a whole


def trainable_rep(session: Session, principal: Principal, rep_id: int) -> User:
    """The rep, if `principal` may assign them training and record their results."""
    rep = users.get_person(session, rep_id)
    if rep.role is not Role.REP:
        raise NotFound(f"Rep {rep_id} does not exist")
    if not access.trains_team(principal, rep.team_id):
        raise Forbidden(
            "You assign training to the reps of the teams you manage; this rep is in another team"
        )
    return rep


def trainable_teams(session: Session, principal: Principal) -> list[Team]:
    return [t for t in users.list_visible_teams(session, principal) if access.trains_team(principal, t.id)]


def trainable_reps(session: Session, principal: Principal) -> list[User]:
    """Active reps `principal` may assign training to, by name."""
    if principal.role not in access.TRAINERS:
        return []
    found = [
        u
        for u in users.list_people(session, principal, role=Role.REP)
        if u.is_active and access.trains_team(principal, u.team_id)
    ]
    return sorted(found, key=lambda u: u.name.casefold())


def _targets(session: Session, principal: Principal, data: AssignInput, errors: dict[str, str]) -> list[User]:
    if (data.rep_id is None) == (data.team_id is None):
        errors["rep"] = "Choose one rep or one team"
        return []
    if data.rep_id is not None:
        return [trainable_rep(session, principal, data.rep_id)]
    assert data.team_id is not None
    team = users.get_team(session, data.team_id)
    if not access.trains_team(principal, team.id):
        raise Forbidden("You assign training to the teams you manage; this is another team")
    reps = [u for u in users.list_all(session, role=Role.REP) if u.team_id == team.id and u.is_active]
    if not reps:
        errors["team"] = f"{team.name} has no active reps"
    return reps


def assign(
    session: Session, principal: Principal, *, data: AssignInput, now: datetime | None = None
) -> AssignReport:
    """Assign a module's newest version to one rep or to every active rep of a team; reps who
    have it open already are skipped (a single rep is refused)."""
    if principal.role not in access.TRAINERS:
        raise Forbidden("Training is assigned by managers, QC leads and administrators")
    now = now or utcnow()
    errors: dict[str, str] = {}
    module = find_module(session, data.module_id) if data.module_id is not None else None
    if module is None:
        errors["module"] = "Choose a module from the catalogue"
    if data.due_date is not None and not now.date() - timedelta(days=1) <= data.due_date:
        errors["due_date"] = "Choose a due date from today on"
    elif data.due_date is not None and data.due_date > now.date() + timedelta(days=MAX_DUE_DAYS):
        errors["due_date"] = "Choose a due date within a year"
    reps = _targets(session, principal, data, errors)
    if module is None or errors:
        raise TrainingInvalid(errors)
    busy = repo.open_of(session, [r.id for r in reps], module.id)
    if data.rep_id is not None and busy:
        raise TrainingInvalid({"rep": f"{reps[0].name} has this module open already"})
    report = AssignReport(skipped=[r for r in reps if r.id in busy], team_id=data.team_id)
    for rep in reps:
        if rep.id not in busy:
            report.created.append(
                new_assignment(session, module, rep, due_date=data.due_date, by_id=principal.id, now=now)
            )
    return report


def new_assignment(
    session: Session,
    module: TrainingModule,
    rep: User,
    *,
    due_date: date | None,
    by_id: int | None = None,
    rule_id: int | None = None,
    now: datetime,
) -> TrainingAssignment:
    """Assign the module's newest version to the rep (no checks: callers make them)."""
    assert rep.team_id is not None
    version = module.current
    assignment = TrainingAssignment(
        module_id=module.id,
        version_id=version.id,
        rep_id=rep.id,
        team_id=rep.team_id,
        assigned_by_id=by_id,
        rule_id=rule_id,
        assigned_at=now,
        due_date=due_date,
    )
    assignment.version = version
    session.add(assignment)
    session.flush()
    emit(session, "training.assigned", payload(assignment))
    return assignment


# The rep's side, completion and withdrawal ------------------------------------------------------------


def start(
    session: Session, principal: Principal, assignment_id: int, *, now: datetime | None = None
) -> TrainingAssignment:
    """The rep starts the module: a waiting assignment moves to the newest version and keeps it.
    Starting again changes nothing."""
    assignment = _visible(session, principal, assignment_id, for_update=True)
    if assignment.started_at is not None:
        return assignment
    if not access.can_start(principal, assignment):
        raise InvalidTransition(f"This training is {assignment.status.value}; it can no longer be started")
    _start(session, assignment, now or utcnow())
    return assignment


def _start(session: Session, assignment: TrainingAssignment, now: datetime) -> None:
    version = repo.latest_version(session, assignment.module_id)
    assignment.version_id, assignment.version = version.id, version
    assignment.status, assignment.started_at = AssignmentStatus.STARTED, now


@dataclass
class CompletionInput:
    completed_on: date | None = None  # default: today
    result: str = ""  # "passed" / "failed", for a pass/fail assessment
    score: float | None = None  # for an assessment with a pass mark


def version_to_complete(session: Session, assignment: TrainingAssignment) -> TrainingModuleVersion:
    """The version the rep works through: the one started, else the newest."""
    return assignment.version if assignment.started_at else repo.latest_version(session, assignment.module_id)


def _result(version: TrainingModuleVersion, data: CompletionInput, errors: dict[str, str]) -> TrainingResult:
    if not version.has_assessment:
        return TrainingResult.DONE
    if version.pass_mark is not None:
        if data.score is None or not 0 <= data.score <= 100:
            errors["score"] = f"Enter the score out of 100 (the pass mark is {version.pass_mark})"
            return TrainingResult.FAILED
        return TrainingResult.PASSED if data.score >= version.pass_mark else TrainingResult.FAILED
    if data.result not in (TrainingResult.PASSED.value, TrainingResult.FAILED.value):
        errors["result"] = "Say whether the rep passed the assessment"
        return TrainingResult.FAILED
    return TrainingResult(data.result)


def _refusal(
    principal: Principal, assignment: TrainingAssignment, version: TrainingModuleVersion
) -> Exception:
    if not assignment.status.is_open:
        return InvalidTransition(f"This training is {assignment.status.value} already")
    if version.has_assessment:
        return Forbidden(
            "Assessment results are recorded by the rep's manager, a QC lead or an administrator"
        )
    return Forbidden("The rep marks reading material done themselves")


def complete(
    session: Session,
    principal: Principal,
    assignment_id: int,
    *,
    data: CompletionInput,
    settings: Settings,
    now: datetime | None = None,
) -> TrainingAssignment:
    """Record the completion: the day, the result (done, pass/fail, or a score against the pass
    mark) and who recorded it."""
    now = now or utcnow()
    assignment = _visible(session, principal, assignment_id, for_update=True)
    version = version_to_complete(session, assignment)
    if not access.can_record(principal, assignment, version):
        raise _refusal(principal, assignment, version)
    errors: dict[str, str] = {}
    today = team_today(session, assignment.team_id, settings, now)
    day = data.completed_on or today
    if day > today:
        errors["completed_on"] = "The day it was done cannot be in the future"
    elif day < assignment.assigned_at.date() - timedelta(days=1):
        errors["completed_on"] = "The day it was done cannot be before it was assigned"
    result = _result(version, data, errors)
    if errors:
        raise TrainingInvalid(errors)
    if assignment.started_at is None:
        _start(session, assignment, now)
    assignment.status, assignment.result = AssignmentStatus.COMPLETED, result
    assignment.score = data.score if version.has_assessment and version.pass_mark is not None else None
    assignment.completed_on, assignment.recorded_at, assignment.recorded_by_id = day, now, principal.id
    session.flush()
    emit(session, "training.completed", payload(assignment))
    return assignment


def withdraw(
    session: Session, principal: Principal, assignment_id: int, *, reason: str, now: datetime | None = None
) -> TrainingAssignment:
    """Take back an open assignment, saying why (the rep reads it)."""
    assignment = _visible(session, principal, assignment_id, for_update=True)
    if not access.can_withdraw(principal, assignment):
        if not assignment.status.is_open:
            raise InvalidTransition(f"This training is {assignment.status.value} already")
        raise Forbidden("Training is withdrawn by the rep's manager, a QC lead or an administrator")
    if not 3 <= len(reason.strip()) <= MAX_REASON:
        raise TrainingInvalid({"reason": "Say why it is withdrawn (the rep reads it)"})
    withdraw_now(session, assignment, reason=reason.strip(), now=now or utcnow())
    return assignment


def withdraw_now(session: Session, assignment: TrainingAssignment, *, reason: str, now: datetime) -> None:
    assignment.status, assignment.withdrawn_at, assignment.withdraw_reason = (
        AssignmentStatus.WITHDRAWN,
        now,
        reason,
    )
    session.flush()
    emit(session, "training.withdrawn", payload(assignment))


def flag_overdue(session: Session, *, settings: Settings, now: datetime | None = None) -> int:
    """Emit `training.overdue` once for each open assignment past its due date in its team's
    calendar (periodic)."""
    now = now or utcnow()
    todays: dict[int, date] = {}
    flagged = 0
    for assignment in repo.overdue_candidates(session, (now + timedelta(days=1)).date()):
        if assignment.team_id not in todays:
            todays[assignment.team_id] = team_today(session, assignment.team_id, settings, now)
        if assignment.overdue(todays[assignment.team_id]):
            assignment.overdue_notified_at = now
            emit(session, "training.overdue", payload(assignment))
            flagged += 1
    return flagged


def payload(assignment: TrainingAssignment, **extra: Any) -> dict[str, Any]:
    return {
        "assignment_id": assignment.id,
        "module_id": assignment.module_id,
        "version": assignment.version.version,
        "title": assignment.version.title,
        "rep_id": assignment.rep_id,
        "team_id": assignment.team_id,
        "assigned_by_id": assignment.assigned_by_id,
        "rule_id": assignment.rule_id,
        "status": assignment.status.value,
        "due_date": assignment.due_date.isoformat() if assignment.due_date else None,
        "result": assignment.result.value if assignment.result else None,
        "score": assignment.score,
        **extra,
    }


# Reading --------------------------------------------------------------------------------------------------


def _visible(
    session: Session, principal: Principal, assignment_id: int, *, for_update: bool = False
) -> TrainingAssignment:
    assignment = repo.get_assignment(session, assignment_id, for_update=for_update)
    if assignment is None or not access.can_see(principal, assignment):
        raise NotFound(f"Training assignment {assignment_id} does not exist or you cannot see it")
    return assignment


def get_assignment(session: Session, principal: Principal, assignment_id: int) -> TrainingAssignment:
    return _visible(session, principal, assignment_id)


def find_assignment(session: Session, assignment_id: int) -> TrainingAssignment | None:
    """The assignment as it is now, without a permission check (for event handlers)."""
    return repo.get_assignment(session, assignment_id, for_update=False)


def record_rep(session: Session, principal: Principal, rep_id: int) -> User:
    """The rep whose training record `principal` asks for: their own, or one they train."""
    if principal.role is Role.REP:
        if principal.id != rep_id:
            raise NotFound(f"Rep {rep_id} does not exist or you cannot see them")
        return users.get_person(session, rep_id)
    if principal.role not in access.TRAINERS:
        raise Forbidden("Training records are for the rep, their managers, QC leads and administrators")
    return trainable_rep(session, principal, rep_id)


def assignments_of_rep(session: Session, principal: Principal, rep_id: int) -> list[TrainingAssignment]:
    """Everything the rep was assigned, the latest first."""
    record_rep(session, principal, rep_id)
    return repo.assignments(session, rep_ids=[rep_id])


def visible_team_ids(principal: Principal) -> list[int] | None:
    """Teams whose training `principal` follows; None: every team."""
    if principal.role in access.ORG_WIDE:
        return None
    if principal.role is Role.MANAGER:
        return sorted(principal.managed_team_ids)
    raise Forbidden("A team's training is followed by its managers, QC leads and administrators")


def list_assignments(
    session: Session,
    principal: Principal,
    *,
    rep_id: int | None = None,
    team_id: int | None = None,
    open_only: bool = False,
) -> list[TrainingAssignment]:
    """Assignments `principal` may see: a rep's own, a manager's teams', everyone's for QC staff."""
    if principal.role is Role.REP or rep_id is not None:
        found = assignments_of_rep(session, principal, rep_id or principal.id)
        return [a for a in found if a.status.is_open or not open_only]
    teams = visible_team_ids(principal)
    if team_id is not None:
        if teams is not None and team_id not in teams:
            raise Forbidden("You follow the training of the teams you manage; this is another team")
        teams = [team_id]
    return repo.assignments(session, team_ids=teams, open_only=open_only)
