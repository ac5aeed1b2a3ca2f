"""Who may see or act on what, in terms of teams."""

from __future__ import annotations

from qc.users.models import Role
from qc.users.schemas import Principal

# Roles that work across the whole organisation.
ORG_WIDE = frozenset({Role.ADMIN, Role.QC_LEAD, Role.REVIEWER})
# Roles that may bring calls in (upload, API, bulk import) and retry them.
UPLOADERS = frozenset({Role.ADMIN, Role.QC_LEAD, Role.MANAGER})


def visible_team_ids(principal: Principal) -> frozenset[int] | None:
    """Teams whose calls and people `principal` may see; None means every team."""
    if principal.role in ORG_WIDE:
        return None
    if principal.role is Role.MANAGER:
        return principal.managed_team_ids
    return frozenset({principal.team_id}) if principal.team_id is not None else frozenset()


def can_list_people(principal: Principal) -> bool:
    return principal.role in UPLOADERS


def can_act_for_team(principal: Principal, team_id: int | None) -> bool:
    """May `principal` upload or retry calls of reps in `team_id`?"""
    if principal.role not in UPLOADERS:
        return False
    teams = visible_team_ids(principal)
    return teams is None or team_id in teams


def can_see_call(principal: Principal, *, rep_id: int, team_id: int) -> bool:
    if principal.role is Role.REP:
        return rep_id == principal.id
    teams = visible_team_ids(principal)
    return teams is None or team_id in teams
