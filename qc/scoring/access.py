"""Who may read and change scorecards."""

from __future__ import annotations

from qc.errors import Forbidden
from qc.users.models import Role
from qc.users.schemas import Principal

# QC leads shape the script checks; administrators run the platform. Everyone signed in
# may read the published scorecards (the script they are scored on).
EDITORS = frozenset({Role.QC_LEAD, Role.ADMIN})


def can_edit(principal: Principal) -> bool:
    return principal.role in EDITORS


def require_editor(principal: Principal) -> None:
    if not can_edit(principal):
        raise Forbidden("Only QC leads and administrators can change scorecards")


def can_swap_sides(principal: Principal) -> bool:
    """Swapping which channel is the agent's re-scores the call: as for re-scoring chosen calls."""
    return principal.role in EDITORS
