"""What a viewer may know about a rep: the one place that decides it (blind review).

A team that reviews blind hides its reps from reviewers: every page, list, filter and API
field that names a rep of such a team to a reviewer shows a stable alias instead, and gives
nothing that ties the alias to a person (no user id, email, external id, file name or call
metadata). QC leads, administrators, managers and the reps themselves still see who it is.

Which teams a viewer is blind to is settled when the viewer is signed in
(`Principal.blind_team_ids`), so every service, serialiser and filter that receives the
principal decides the same way; the functions here are the only ones that read it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.users import repository as repo
from qc.users.models import Role
from qc.users.schemas import Principal

_ALIAS = re.compile(r"rep ([0-9a-f]{8})", re.IGNORECASE)
# Who is subject to blind review: reviewers. QC leads run calibration and resolve disputes,
# which needs the person; managers and reps know their team anyway.
SUBJECT_ROLES = frozenset({Role.REVIEWER})


def blind_team_ids(session: Session, role: Role) -> frozenset[int]:
    """The teams whose reps someone with `role` may not know (read at sign-in)."""
    return repo.blind_review_team_ids(session) if role in SUBJECT_ROLES else frozenset()


def hides_rep(viewer: Principal, team_id: int | None) -> bool:
    """Is the rep of a call, review or dispute of `team_id` hidden from `viewer`?"""
    return team_id is not None and team_id in viewer.blind_team_ids


def rep_alias(rep_id: int, settings: Settings) -> str:
    """A stable alias for a rep, the same on every page, that does not reveal who it is."""
    digest = hmac.new(settings.session_secret().encode(), f"rep:{rep_id}".encode(), hashlib.sha256)
    return f"Rep {digest.hexdigest()[:8].upper()}"


@dataclass(frozen=True)
class ShownRep:
    """A rep as a viewer may see them: under blind review only the alias, nothing else."""

    id: int | None
    name: str
    email: str | None
    external_id: str | None
    hidden: bool


def show_rep(
    viewer: Principal,
    *,
    rep_id: int,
    name: str,
    team_id: int | None,
    settings: Settings,
    email: str | None = None,
    external_id: str | None = None,
) -> ShownRep:
    """The rep of something of `team_id` (a call, review, dispute...) as `viewer` may see them."""
    if hides_rep(viewer, team_id):
        return ShownRep(None, rep_alias(rep_id, settings), None, None, True)
    return ShownRep(rep_id, name, email, external_id, False)


def rep_name(viewer: Principal, *, rep_id: int, name: str, team_id: int | None, settings: Settings) -> str:
    """The rep's name, or their alias where `viewer` reviews `team_id` blind."""
    return rep_alias(rep_id, settings) if hides_rep(viewer, team_id) else name


@dataclass(frozen=True)
class RepMatch:
    """What a rep filter may match for a viewer: `rep_id` (-1: nobody) in the teams hidden from
    the viewer only (the filter gave an alias), or only outside them (an email or external id)."""

    rep_id: int
    hidden_teams: frozenset[int]
    in_hidden_teams: bool

    def allows(self, team_id: int | None) -> bool:
        return (team_id is not None and team_id in self.hidden_teams) == self.in_hidden_teams


NOBODY = -1


def match_rep(session: Session, viewer: Principal, reference: str, *, settings: Settings) -> RepMatch:
    """Resolve a rep filter (an email or external id, or the alias the viewer sees).

    For a viewer under blind review an identity never matches the calls, reviews or disputes of
    the teams hidden from them, and an alias matches only those: filtering by who someone is
    gives the same answer as filtering by nobody, so no alias can be tied to a person.
    """
    hidden = viewer.blind_team_ids
    value = reference.strip()
    alias = _ALIAS.fullmatch(value)
    if alias is not None:
        if not hidden:
            return RepMatch(NOBODY, hidden, False)
        wanted = f"Rep {alias.group(1).upper()}"
        found = next((i for i in repo.rep_ids(session) if rep_alias(i, settings) == wanted), NOBODY)
        return RepMatch(found, hidden, True)
    person = repo.get_user_by_reference(session, value)
    return RepMatch(person.id if person is not None else NOBODY, hidden, False)
