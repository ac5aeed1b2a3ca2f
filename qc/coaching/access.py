"""Who may coach whom and who reads what of a session; templates ask these, not roles.

Managers coach the reps of the teams they supervise; QC leads and administrators may coach
anyone. The rep reads their own sessions, never the private notes. Reviewers do not coach.
"""

from __future__ import annotations

from qc.coaching.models import CoachingSession, SessionStatus
from qc.users.models import Role
from qc.users.schemas import Principal

COACHES = frozenset({Role.ADMIN, Role.QC_LEAD, Role.MANAGER})


def can_coach_team(principal: Principal, team_id: int | None) -> bool:
    if principal.role in (Role.ADMIN, Role.QC_LEAD):
        return True
    return principal.role is Role.MANAGER and team_id is not None and team_id in principal.managed_team_ids


def is_the_rep(principal: Principal, coaching: CoachingSession) -> bool:
    return principal.role is Role.REP and principal.id == coaching.rep_id


def can_see(principal: Principal, coaching: CoachingSession) -> bool:
    return is_the_rep(principal, coaching) or can_coach_team(principal, coaching.team_id)


def sees_private_notes(principal: Principal, coaching: CoachingSession) -> bool:
    return can_coach_team(principal, coaching.team_id)


def can_edit(principal: Principal, coaching: CoachingSession) -> bool:
    return coaching.status.is_open and can_coach_team(principal, coaching.team_id)


def can_acknowledge(principal: Principal, coaching: CoachingSession) -> bool:
    return is_the_rep(principal, coaching) and coaching.acknowledged_at is None and coaching.status.is_open


def can_tick(principal: Principal, coaching: CoachingSession) -> bool:
    """The rep ticks their action items, and the coach may tick them for the rep."""
    return coaching.status is not SessionStatus.CANCELLED and (
        is_the_rep(principal, coaching) or can_coach_team(principal, coaching.team_id)
    )
