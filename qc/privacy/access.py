"""Who may see personal data: everyone gets masked transcripts and recordings; originals
only people an administrator granted access (by name or by role), each opening audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from qc.privacy import repository as repo
from qc.users.models import Role
from qc.users.schemas import Principal

# Roles that may be granted original access as a whole; reps never (their own calls are
# what customers said to them, not a reason to read every customer's card number).
GRANTABLE_ROLES = (Role.ADMIN, Role.QC_LEAD, Role.REVIEWER, Role.MANAGER)


def can_manage(principal: Principal) -> bool:
    """Grants, the audit log and the retention policy: administrators only."""
    return principal.role is Role.ADMIN


def may_open_originals(session: Session, principal: Principal, *, now: datetime) -> bool:
    """Granted by an administrator, to this person or their role, and neither revoked nor expired.
    API tokens never open originals: an opening needs a person stating a reason."""
    if principal.via_token:
        return False
    return bool(repo.active_grants_for(session, user_id=principal.id, role=principal.role.value, now=now))
