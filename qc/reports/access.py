"""Who may read the reports: the same people, and the same teams, as the queue's Coverage page."""

from __future__ import annotations

from qc.errors import NotFound
from qc.reviews import access as queue_access
from qc.users.schemas import Principal


def report_teams(principal: Principal | None) -> frozenset[int] | None:
    """Teams whose coverage report `principal` may read (None: every team). QC leads and
    administrators read every team, managers the teams they supervise; reviewers and reps
    are refused (Forbidden), as on the Coverage page. `None` is the operator on the server."""
    return None if principal is None else queue_access.coverage_teams(principal)


def check_team(visible: frozenset[int] | None, team_id: int) -> None:
    """A team outside `visible` reads like a missing one."""
    if visible is not None and team_id not in visible:
        raise NotFound(f"Team {team_id} does not exist or you do not supervise it")


def sees_reviewers(principal: Principal | None) -> bool:
    """Reviewers' workload and capacity are the queue managers' business (QC leads and
    administrators), as on the Coverage page."""
    return principal is None or principal.role in queue_access.QUEUE_MANAGERS
