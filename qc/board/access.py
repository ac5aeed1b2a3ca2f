"""Who may open a team's board and make or revoke its display links."""

from __future__ import annotations

from qc.errors import Forbidden, NotFound
from qc.performance.service import can_see_team
from qc.users.models import Role
from qc.users.schemas import Principal

__all__ = ["Principal", "can_manage_links", "require_board", "require_link_manager"]

STAFF = (Role.ADMIN, Role.QC_LEAD, Role.MANAGER)


def require_board(principal: Principal, team_id: int) -> None:
    """The board's page is for the team's managers, QC leads and administrators; staff who do
    not supervise the team are told it does not exist, as on the team pages."""
    if can_see_team(principal, team_id):
        return
    if principal.role in STAFF:
        raise NotFound(f"Team {team_id} does not exist or you do not supervise it")
    raise Forbidden("The wall board is for managers, QC leads and administrators")


def can_manage_links(principal: Principal, team_id: int) -> bool:
    """Display links are made and revoked by administrators and the team's managers."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.MANAGER and team_id in principal.managed_team_ids


def require_link_manager(principal: Principal, team_id: int) -> None:
    require_board(principal, team_id)
    if not can_manage_links(principal, team_id):
        raise Forbidden("Display links are made and revoked by administrators and the team's managers")
