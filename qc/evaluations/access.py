"""Who may read and change evaluations."""

from __future__ import annotations

from qc.evaluations.models import Evaluation, EvaluationKind, EvaluationStatus
from qc.users import access as people
from qc.users.models import Role
from qc.users.schemas import Principal

STAFF = frozenset({Role.ADMIN, Role.QC_LEAD})


def can_view(
    principal: Principal,
    evaluation: Evaluation,
    *,
    team_id: int,
    rep_id: int,
    revealed: bool,
    participant: bool = False,
) -> bool:
    """The author sees their own. A calibration scoring that was never submitted (a draft,
    the lead's included) is its author's alone, even once the session is closed; a submitted
    one is shown to staff, and to the session's other participants once it is closed
    (`revealed`). Otherwise staff see all; a submitted review is shown to the managers of the
    rep's team, and to the rep it is about once it is released."""
    if principal.id == evaluation.reviewer_id:
        return True
    if evaluation.kind is EvaluationKind.CALIBRATION:
        if evaluation.status is not EvaluationStatus.SUBMITTED:
            return False
        return principal.role in STAFF or (revealed and participant)
    if principal.role in STAFF:
        return True
    if evaluation.status is not EvaluationStatus.SUBMITTED:
        return False
    if principal.role is Role.REP:
        return principal.id == rep_id and evaluation.released_at is not None
    if principal.role is Role.MANAGER:
        teams = people.visible_team_ids(principal)
        return teams is None or team_id in teams
    return False


def can_edit(principal: Principal, evaluation: Evaluation) -> bool:
    """A submitted review is corrected by its author or a QC lead (audited); a submitted
    calibration scoring is final."""
    if evaluation.kind is EvaluationKind.CALIBRATION:
        return False
    return principal.id == evaluation.reviewer_id or principal.role in STAFF


def sees_time_on_task(principal: Principal, evaluation: Evaluation) -> bool:
    return principal.role in STAFF or principal.id == evaluation.reviewer_id


def sees_checks(evaluation: Evaluation) -> bool:
    """Calibration is scored blind to the automatic checks; its pages leave them out."""
    return evaluation.kind is not EvaluationKind.CALIBRATION
