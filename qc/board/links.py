"""Display links: a read-only, revocable token that opens one team's board on a screen that
nobody signs in to. Only the token's sha256 is stored; the link is shown once, when made."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from qc.board import access
from qc.board import repository as repo
from qc.board.models import DisplayLink
from qc.board.web import DISPLAY_PREFIX
from qc.config import Settings
from qc.db import utcnow, write_aside
from qc.errors import InvalidInput, NotFound
from qc.kit.security import new_token, token_hash
from qc.users import service as users
from qc.users.models import Team
from qc.users.schemas import Principal

PREFIX_LENGTH = 8  # the token's first characters, shown to tell links apart
LABEL_MAX = 120
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class LinkRow:
    link: DisplayLink
    created_by: str | None


@dataclass(frozen=True)
class NewLink:
    link: DisplayLink
    token: str  # the plain token: on this response only, never stored


def _label(value: str) -> str:
    label = " ".join(value.split())
    if not label:
        raise InvalidInput("Name the screen, e.g. 'Sales floor TV'", field="label")
    if len(label) > LABEL_MAX:
        raise InvalidInput(f"Keep the name under {LABEL_MAX} characters", field="label")
    return label


def make_link(
    session: Session, team: Team, *, label: str, show_ranking: bool, created_by_id: int | None
) -> NewLink:
    """A new display link of the team (no permission check: the page and the CLI make it)."""
    token = new_token()
    link = DisplayLink(
        team_id=team.id,
        label=_label(label),
        token_hash=token_hash(token),
        prefix=token[:PREFIX_LENGTH],
        show_ranking=show_ranking,
        created_by_id=created_by_id,
        created_at=utcnow(),
    )
    session.add(link)
    session.flush()
    return NewLink(link, token)


def create_link(
    session: Session, principal: Principal, team_id: int, *, label: str, show_ranking: bool
) -> NewLink:
    """A display link made on the board's page, by an administrator or the team's manager."""
    access.require_link_manager(principal, team_id)
    team = users.get_team(session, team_id)
    return make_link(session, team, label=label, show_ranking=show_ranking, created_by_id=principal.id)


def link_for_operator(session: Session, *, team: str, label: str, show_ranking: bool) -> NewLink:
    """A display link made on the server (`qc board link`), for the team named or numbered."""
    found = repo.find_team(session, team)
    if found is None:
        raise InvalidInput(f"No team {team!r}: give a team's name or id", field="team")
    return make_link(session, found, label=label, show_ranking=show_ranking, created_by_id=None)


def display_url(base_url: str, token: str) -> str:
    """The display's address under the app's public URL."""
    return f"{base_url.rstrip('/')}{DISPLAY_PREFIX}{token}"


def public_url_warning(settings: Settings) -> str | None:
    """What to tell an operator when QC_PUBLIC_URL is not set: a printed link then assumes
    the default base, which is wrong whenever the server runs elsewhere; None once it is set."""
    if "public_url" in settings.model_fields_set:
        return None
    return (
        f"Warning: QC_PUBLIC_URL is not set, so this link assumes the app is at {settings.public_url}; "
        "set QC_PUBLIC_URL to the address people open (e.g. QC_PUBLIC_URL=https://qc.example.com) "
        "and make a new link if it is elsewhere."
    )


def list_links(session: Session, principal: Principal, team_id: int) -> list[LinkRow]:
    """The team's links for those who manage them; nothing for anyone else."""
    if not access.can_manage_links(principal, team_id):
        return []
    return [LinkRow(link, name) for link, name in repo.links_of_team(session, team_id)]


def revoke(
    session: Session, link_id: int, *, team_id: int | None = None, now: datetime | None = None
) -> DisplayLink:
    """Revoke the link (once: revoking again changes nothing); NotFound if it is not the team's."""
    link = session.get(DisplayLink, link_id)
    if link is None or (team_id is not None and link.team_id != team_id):
        raise NotFound(f"Display link {link_id} does not exist")
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
    return link


def revoke_link(session: Session, principal: Principal, team_id: int, link_id: int) -> DisplayLink:
    """Revoke one of the team's links, as an administrator or the team's manager."""
    access.require_link_manager(principal, team_id)
    return revoke(session, link_id, team_id=team_id)


def open_link(session: Session, token: str, *, now: datetime) -> DisplayLink:
    """The active link behind a token, looked up by its hash, marked as seen (at most once a
    minute); NotFound, saying nothing more, for an unknown or revoked one."""
    link = repo.link_by_hash(session, token_hash(token)) if 20 <= len(token) <= 200 else None
    if link is None or link.revoked_at is not None:
        raise NotFound("There is no such page")
    if link.last_seen_at is None or now - link.last_seen_at >= SEEN_EVERY:
        mark = functools.partial(repo.mark_link_seen, link_id=link.id, now=now)
        write_aside(session, mark, what="a display link's last-seen time")
    return link
