"""Who may do what with the review queue."""

from __future__ import annotations

from qc.errors import Forbidden
from qc.users import access as people
from qc.users.models import Role
from qc.users.schemas import Principal

# Build the queue, hand picks to reviewers, run calibration, set team policies.
QUEUE_MANAGERS = frozenset({Role.ADMIN, Role.QC_LEAD})
# Score calls: reviewers, and QC leads and administrators who review too.
REVIEWERS = frozenset({Role.REVIEWER, Role.QC_LEAD, Role.ADMIN})


def require_queue_manager(principal: Principal) -> None:
    if principal.role not in QUEUE_MANAGERS:
        raise Forbidden("Only administrators and QC leads can manage the review queue")


def require_reviewer(principal: Principal) -> None:
    if principal.role not in REVIEWERS:
        raise Forbidden("Only reviewers, QC leads and administrators review calls")


def coverage_teams(principal: Principal) -> frozenset[int] | None:
    """Teams whose review coverage `principal` may see (None: all)."""
    if principal.role in QUEUE_MANAGERS:
        return None
    if principal.role is Role.MANAGER:
        return people.visible_team_ids(principal)
    raise Forbidden("Review coverage is for QC leads, administrators and the teams' managers")
