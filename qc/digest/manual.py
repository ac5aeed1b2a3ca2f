"""What a person does by hand: preview a team's digest of a day, and post it now (once).

`principal` None is the operator on the server (the `qc` command).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.digest import access, content, delivery, formats
from qc.digest import repository as repo
from qc.digest.models import DigestStatus, TargetKind
from qc.digest.service import DigestInvalid, TargetView, get_team, target_view
from qc.errors import Forbidden
from qc.jobs.queue import enqueue_after_commit, is_wired
from qc.reviews import service as reviews
from qc.users.models import Team
from qc.users.schemas import Principal


@dataclass(frozen=True)
class Preview:
    team: Team
    day: date
    digest: content.DayDigest
    sections: list[content.Section]
    documents: dict[TargetKind, dict[str, Any]]  # what each kind of target would receive

    @property
    def title(self) -> str:
        return content.title(self.digest)

    @property
    def link_text(self) -> str:
        return content.link_text(self.digest)

    @property
    def payloads(self) -> dict[TargetKind, str]:
        """Each document as indented JSON, for reading."""
        return {kind: json.dumps(doc, ensure_ascii=False, indent=2) for kind, doc in self.documents.items()}

    def size(self, kind: TargetKind) -> int:
        """Bytes posted to a target of `kind`."""
        return len(formats.encode(self.documents[kind]))


def _check_day(session: Session, team: Team, day: date, settings: Settings) -> None:
    zone = ZoneInfo(reviews.team_policy(session, team.id, settings).timezone)
    if day > utcnow().astimezone(zone).date():
        raise DigestInvalid({"date": "Choose today or a day before: a day still to come has no digest"})


def preview(
    session: Session,
    principal: Principal | None,
    team_id: int,
    *,
    day: date,
    kinds: list[TargetKind] | None = None,
    settings: Settings,
) -> Preview:
    """The team's digest of `day` and the payload each kind of target would receive; nothing
    is sent, and it works before any target exists."""
    team = get_team(session, principal, team_id)
    _check_day(session, team, day, settings)
    digest = content.build_digest(session, team, day, settings=settings)
    chat = next((t.chat_id for t in repo.targets_of(session, team.id) if t.chat_id), None)
    documents = {kind: formats.payload(kind, digest, chat_id=chat) for kind in (kinds or list(TargetKind))}
    return Preview(team, day, digest, content.sections(digest), documents)


@dataclass(frozen=True)
class SendResult:
    team: Team
    day: date
    queued: list[TargetView]  # posted now (or once more, after it had failed)
    already: list[tuple[TargetView, DigestStatus]]  # sent or queued before: left alone
    delivery_ids: list[int]

    @property
    def message(self) -> str:
        if not self.queued and not self.already:
            return f"{self.team.name} has no enabled digest target: add one first. Nothing was sent."
        if not self.queued:
            return (
                f"The digest of {self.team.name} for {self.day} was already sent or queued: nothing was done."
            )
        names = ", ".join(t.name for t in self.queued)
        return f"The digest of {self.team.name} for {self.day} is being posted to {names}."


def send_now(
    session: Session,
    principal: Principal | None,
    team_id: int,
    *,
    day: date,
    settings: Settings,
    trigger: str,
    kick: bool = True,
) -> SendResult:
    """Queue the team's digest of `day` to each enabled target that has none for that day yet
    (a failed one is tried once more); a target already sent or queued is left alone, so the
    day is posted at most once per target. With `kick`, the worker posts it after the commit;
    else the caller posts it (`delivery.deliver_due(only=result.delivery_ids)`)."""
    team = get_team(session, principal, team_id)
    if principal is not None and not access.can_send(principal):
        raise Forbidden("Only administrators post a team's digest")
    _check_day(session, team, day, settings)
    targets = [t for t in repo.targets_of(session, team.id) if t.enabled]
    before = {d.target_id for d in repo.deliveries_of_day(session, team.id, day)}
    delivery.queued_rows(session, [t for t in targets if t.id not in before], day, trigger=trigger)
    rows = {d.target_id: d for d in repo.deliveries_of_day(session, team.id, day)}
    queued: list[TargetView] = []
    already: list[tuple[TargetView, DigestStatus]] = []
    for target in targets:
        row = rows.get(target.id)
        if row is None:  # deleted meanwhile
            continue
        if row.status is DigestStatus.FAILED:  # given up on: this is one more try
            row.status, row.attempts, row.next_attempt_at, row.payload = (
                DigestStatus.PENDING,
                0,
                utcnow(),
                None,
            )
        elif target.id in before:
            already.append((target_view(target), row.status))
            continue
        queued.append(target_view(target))
    session.flush()
    ids = [rows[t.id].id for t in queued]
    if ids and kick and is_wired():
        enqueue_after_commit(session, delivery.SEND_TASK)
    return SendResult(team, day, queued, already, ids)


def outcomes(session: Session, delivery_ids: list[int]) -> list[str]:
    """One line per delivery: where it went (the host only) and what became of it."""
    lines = []
    for row in repo.deliveries_by_id(session, delivery_ids):
        target = repo.get_target(session, row.target_id)
        name = target_view(target).name if target else f"target {row.target_id}"
        if row.status is DigestStatus.SENT:
            lines.append(f"Posted to {name}.")
        elif row.status is DigestStatus.FAILED:
            lines.append(f"Failed to post to {name}: {row.last_error}")
        elif row.last_error:
            lines.append(f"Not posted to {name} yet ({row.last_error}); the worker retries it.")
        else:
            lines.append(f"Queued for {name}: the worker is posting it.")
    return lines
