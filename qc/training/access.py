"""Who may do what with training; templates ask these, not roles.

QC leads and administrators keep the catalogue and the rules. Managers assign modules to the
reps of the teams they supervise and record their assessment results; QC leads and
administrators do so for every team. A rep reads the catalogue and their own record and
marks reading material done. Reviewers have no part in training.
"""

from __future__ import annotations

from qc.training.models import TrainingAssignment, TrainingModuleVersion
from qc.users.models import Role
from qc.users.schemas import Principal

ORG_WIDE = frozenset({Role.ADMIN, Role.QC_LEAD})
TRAINERS = frozenset({Role.ADMIN, Role.QC_LEAD, Role.MANAGER})


def takes_part(principal: Principal | None) -> bool:
    """Whether the training pages are for `principal` at all."""
    return principal is not None and (principal.role in TRAINERS or principal.role is Role.REP)


def keeps_catalogue(principal: Principal | None) -> bool:
    return principal is not None and principal.role in ORG_WIDE


def trains_team(principal: Principal | None, team_id: int | None) -> bool:
    if principal is None:
        return False
    if principal.role in ORG_WIDE:
        return True
    return principal.role is Role.MANAGER and team_id is not None and team_id in principal.managed_team_ids


def is_the_rep(principal: Principal, assignment: TrainingAssignment) -> bool:
    return principal.role is Role.REP and principal.id == assignment.rep_id


def can_see(principal: Principal, assignment: TrainingAssignment) -> bool:
    return is_the_rep(principal, assignment) or trains_team(principal, assignment.team_id)


def can_start(principal: Principal, assignment: TrainingAssignment) -> bool:
    return assignment.status.is_open and assignment.started_at is None and can_see(principal, assignment)


def can_record(principal: Principal, assignment: TrainingAssignment, version: TrainingModuleVersion) -> bool:
    """Reading material is marked done by the rep; an assessment's result is recorded by the
    rep's manager, a QC lead or an administrator."""
    if not assignment.status.is_open:
        return False
    if version.has_assessment:
        return trains_team(principal, assignment.team_id)
    return is_the_rep(principal, assignment)


def can_withdraw(principal: Principal, assignment: TrainingAssignment) -> bool:
    return assignment.status.is_open and trains_team(principal, assignment.team_id)
