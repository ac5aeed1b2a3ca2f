"""Who may read and change notifications and webhooks."""

from __future__ import annotations

from qc.notifications.models import Notification
from qc.users.models import Role
from qc.users.schemas import Principal


def owns(principal: Principal, notification: Notification) -> bool:
    """A notice is its recipient's alone: nobody else may read it or mark it read."""
    return notification.user_id == principal.id


def can_manage_webhooks(principal: Principal) -> bool:
    """The organisation's webhooks carry every event: administrators only."""
    return principal.role is Role.ADMIN
