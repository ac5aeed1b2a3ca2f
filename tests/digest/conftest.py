"""Digest tests: a team's targets, each a local HTTP receiver that records what it gets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qc.digest import service
from qc.digest.models import DigestDelivery, DigestSchedule, DigestTarget
from qc.users.models import Team
from tests.factories import Org, set_review_policy
from tests.notifications.conftest import Receiver, running_receiver

# What each kind of target's URL looks like (a Telegram URL is the bot's, with its token).
PATHS = {
    "slack": "/services/T0001/B0001/slacksecret0001",
    "teams": "/workflows/teamssecret0002/triggers/manual/paths/invoke",
    "telegram": "/bot123456:telegramsecret0003",
    "json": "/hooks/jsonsecret0004",
}
SECRETS = ("slacksecret0001", "teamssecret0002", "telegramsecret0003", "jsonsecret0004")


@pytest.fixture
def receivers() -> Iterator[Callable[[str], Receiver]]:
    """`receivers(kind)`: a new receiver with the URL path a target of that kind has."""
    with ExitStack() as stack:
        yield lambda kind: stack.enter_context(running_receiver(PATHS[kind]))


def add_target(db: Session, team: Team, kind: str, url: str, *, created_at: datetime | None = None) -> int:
    """A target of `team` (as the operator adds it); `created_at` backdates it."""
    chat = "-100200300" if kind == "telegram" else ""
    view = service.add_target(db, None, team.id, kind=kind, url=url, chat_id=chat)
    if created_at is not None:
        db.execute(update(DigestTarget).where(DigestTarget.id == view.id).values(created_at=created_at))
    db.commit()
    return view.id


def set_timezone(db: Session, org: Org, team: Team, zone: str) -> None:
    """Give the team a review policy in `zone` (the digest's clock is the team's)."""
    set_review_policy(db, org.qc_lead, team, timezone=zone)
    db.commit()


def set_schedule(db: Session, team: Team, *, minute: int, enabled: bool = True) -> None:
    db.add(DigestSchedule(team_id=team.id, send_minute=minute, enabled=enabled))
    db.commit()


def deliveries(db: Session) -> list[DigestDelivery]:
    db.expire_all()
    return list(db.scalars(select(DigestDelivery).order_by(DigestDelivery.target_id, DigestDelivery.day)))
