"""Who may see and change a team's evening digest."""

from __future__ import annotations

from qc.users.models import Role
from qc.users.schemas import Principal

VIEWERS = (Role.ADMIN, Role.QC_LEAD, Role.MANAGER)


def can_manage(principal: Principal) -> bool:
    """Targets hold webhook URLs and bot tokens, and the schedule posts to a team's chat:
    administrators only."""
    return principal.role is Role.ADMIN


def can_view_team(principal: Principal, team_id: int) -> bool:
    """The schedule, the delivery status and previews: administrators and QC leads for every
    team, managers for the teams they supervise."""
    if principal.role in (Role.ADMIN, Role.QC_LEAD):
        return True
    return principal.role is Role.MANAGER and team_id in principal.managed_team_ids


def can_send(principal: Principal) -> bool:
    """Posting a day's digest now reaches the team's chat: administrators only."""
    return can_manage(principal)
