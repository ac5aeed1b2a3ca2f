"""Training records for HR: one row per assignment with the rep, the module and version,
the dates, the result and the minutes it counts for, as a list or as CSV.

Minutes are the version's expected minutes, counted once the module is completed. Times are
UTC ("2026-11-20 09:30"); days are the team's calendar days.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidInput
from qc.training import repository as repo
from qc.training import service
from qc.training.models import AssignmentStatus, TrainingAssignment, TrainingRule
from qc.users import service as users
from qc.users.models import Role, User
from qc.users.schemas import Principal

COLUMNS = (
    "rep name",
    "email",
    "team",
    "module",
    "version",
    "assigned at",
    "due date",
    "assigned by",
    "started",
    "completed",
    "result",
    "score",
    "minutes",
    "recorded by",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RecordRow:
    rep_name: str
    email: str
    team: str
    module: str
    version: int
    assigned_at: str
    due_date: str
    assigned_by: str  # a person's name, or "rule: <name>"
    started: str
    completed: str
    result: str  # done, passed, failed, withdrawn; empty while open
    score: str
    minutes: str  # counted once completed
    recorded_by: str


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


class _Names:
    """People, teams and rules looked up once for a whole export."""

    def __init__(self, session: Session, found: Sequence[TrainingAssignment]) -> None:
        self.people: dict[int, User] = {u.id: u for u in users.list_all(session)}
        self.teams = {t: users.get_team(session, t).name for t in {a.team_id for a in found}}
        self.rules: dict[int, TrainingRule] = {r.id: r for r in repo.rules(session)}

    def person(self, user_id: int | None) -> str:
        return self.people[user_id].name if user_id in self.people and user_id is not None else ""

    def assigned_by(self, assignment: TrainingAssignment) -> str:
        if assignment.rule_id is not None:
            rule = self.rules.get(assignment.rule_id)
            return f"rule: {rule.name}" if rule else "rule"
        return self.person(assignment.assigned_by_id)


def _row(a: TrainingAssignment, names: _Names) -> RecordRow:
    rep = names.people.get(a.rep_id)
    completed = a.status is AssignmentStatus.COMPLETED
    result = a.result.value if a.result else ""
    if a.status is AssignmentStatus.WITHDRAWN:
        result = "withdrawn"
    return RecordRow(
        rep_name=rep.name if rep else "",
        email=rep.email if rep else "",
        team=names.teams.get(a.team_id, ""),
        module=a.version.title,
        version=a.version.version,
        assigned_at=_when(a.assigned_at),
        due_date=a.due_date.isoformat() if a.due_date else "",
        assigned_by=names.assigned_by(a),
        started=_when(a.started_at),
        completed=a.completed_on.isoformat() if completed and a.completed_on else "",
        result=result,
        score=f"{a.score:g}" if a.score is not None else "",
        minutes=str(a.version.expected_minutes) if completed else "",
        recorded_by=names.person(a.recorded_by_id),
    )


def rows_of(session: Session, found: Sequence[TrainingAssignment]) -> list[RecordRow]:
    """The assignments as record rows, by rep and then the order of assignment."""
    names = _Names(session, found)
    ordered = sorted(found, key=lambda a: (names.person(a.rep_id).casefold(), a.rep_id, a.assigned_at, a.id))
    return [_row(a, names) for a in ordered]


def records(
    session: Session, principal: Principal, *, team_id: int | None = None, rep_id: int | None = None
) -> list[RecordRow]:
    """The records `principal` may read: one rep's (their own, for a rep), one team's, or all
    those of the teams they follow."""
    if rep_id is None and principal.role is Role.REP:
        rep_id = principal.id
    if rep_id is not None:
        found = service.assignments_of_rep(session, principal, rep_id)
        return rows_of(session, [a for a in found if team_id is None or a.team_id == team_id])
    return rows_of(session, service.list_assignments(session, principal, team_id=team_id))


def to_csv(rows: Sequence[RecordRow]) -> str:
    """CSV with a header; a cell that a spreadsheet would run as a formula is quoted with '."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_safe(str(value)) for value in astuple(row)])
    return out.getvalue()


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_as(
    session: Session, *, team: str, rep: str | None = None, as_user: str | None = None
) -> list[RecordRow]:
    """The records of a team (by name), or of one rep in it (by email or external id), as
    `as_user` may read them (default: the first administrator); for the `qc` command."""
    person = users.find_person(session, as_user) if as_user else _first_admin(session)
    if person is None or not person.is_active:
        raise InvalidInput(
            f"No active user {as_user!r} to export as" if as_user else "There is no administrator"
        )
    principal = users.principal_for(session, person)
    named = [t for t in users.list_visible_teams(session, principal) if t.name == team]
    if not named:
        raise InvalidInput(f"No team named {team!r}", field="team")
    rep_id = None
    if rep is not None:
        found = users.find_person(session, rep)
        if found is None or found.role is not Role.REP or found.team_id != named[0].id:
            raise InvalidInput(f"No rep {rep!r} in {team}", field="rep")
        rep_id = found.id
    try:
        return records(session, principal, team_id=named[0].id, rep_id=rep_id)
    except Forbidden as exc:
        raise InvalidInput(exc.message) from None


def _first_admin(session: Session) -> User | None:
    admins = [u for u in users.list_all(session, role=Role.ADMIN) if u.is_active]
    return min(admins, key=lambda u: u.id) if admins else None
