"""Who may acknowledge, dispute, resolve and read disputes; templates ask these, not roles."""

from __future__ import annotations

from qc.feedback.models import Dispute, DisputeStatus
from qc.users import access as people
from qc.users.models import Role
from qc.users.schemas import Principal

QC_STAFF = frozenset({Role.ADMIN, Role.QC_LEAD})
POLICY_EDITORS = QC_STAFF


def is_the_rep(principal: Principal, rep_id: int) -> bool:
    """Only the rep answers their own feedback (not a manager, not an API token of someone else)."""
    return principal.role is Role.REP and principal.id == rep_id


def can_resolve(principal: Principal, dispute: Dispute) -> bool:
    """QC leads and administrators resolve any open dispute; a dispute routed to the original
    reviewer may also be resolved by that reviewer."""
    if dispute.status is not DisputeStatus.OPEN:
        return False
    return principal.role in QC_STAFF or (
        dispute.resolver_id is not None and principal.id == dispute.resolver_id
    )


def can_see_team(principal: Principal, team_id: int) -> bool:
    """Managers see their teams' feedback; QC staff and reviewers every team's."""
    if principal.role is Role.REP:
        return False
    teams = people.visible_team_ids(principal)
    return teams is None or team_id in teams


def sees_unacknowledged(principal: Principal) -> bool:
    """The list of reviews not acknowledged in time is for the reps' managers and QC staff."""
    return principal.role in QC_STAFF or principal.role is Role.MANAGER


def can_see_dispute(principal: Principal, dispute: Dispute) -> bool:
    """Whoever may see the evaluation sees its disputes: the rep, the reviewer, the team's
    managers and QC staff."""
    if principal.role is Role.REP:
        return principal.id == dispute.rep_id
    if principal.role is Role.REVIEWER:
        return principal.id in (dispute.reviewer_id, dispute.resolver_id)
    return can_see_team(principal, dispute.team_id)
