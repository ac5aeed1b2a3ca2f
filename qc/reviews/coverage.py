"""Review coverage: per rep and day, the target against what was picked, assigned and done,
and why a rep is short; per reviewer, the load."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.reviews import access, service
from qc.reviews import repository as repo
from qc.reviews.models import Assignment, AssignmentStatus, QueueDay, RepDay, Shortfall
from qc.reviews.policy import Policy
from qc.users.models import Team, User
from qc.users.schemas import Principal


@dataclass(frozen=True)
class RepCoverage:
    rep: User
    team: Team
    target: int
    picked: int
    assigned: int
    done: int
    missed: int
    reason: Shortfall | None
    counts: RepDay | None  # the day's calls by kind, from the last build

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.assigned)


@dataclass(frozen=True)
class TeamDayState:
    team: Team
    policy: Policy
    working_day: bool
    queue: QueueDay | None

    @property
    def state(self) -> str:
        if not self.working_day:
            return "not a working day"
        if self.queue is None:
            return "not built yet"
        return "closed" if self.queue.is_closed else "open"


@dataclass(frozen=True)
class ReviewerLoad:
    setup: service.ReviewerSetup
    assigned: int
    done: int


@dataclass(frozen=True)
class Coverage:
    day: date
    teams: list[TeamDayState]
    reps: list[RepCoverage]
    reviewers: list[ReviewerLoad]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "reps": len(self.reps),
            "target": sum(r.target for r in self.reps),
            "picked": sum(r.picked for r in self.reps),
            "assigned": sum(r.assigned for r in self.reps),
            "done": sum(r.done for r in self.reps),
            "shortfall": sum(r.shortfall for r in self.reps),
            "reps_short": sum(1 for r in self.reps if r.shortfall),
        }


def coverage(
    session: Session,
    principal: Principal | None,
    *,
    day: date,
    settings: Settings,
    team_id: int | None = None,
) -> Coverage:
    """Per rep: target, picked, assigned, done and, when short, why; per reviewer: load.
    `principal` None is the operator on the server (every team)."""
    visible = access.coverage_teams(principal) if principal is not None else None
    teams = {t.team.id: t for t in _team_states(session, day, settings, visible, team_id)}
    stored = repo.rep_days(session, day)
    tallies = _tallies(repo.picks_for_day(session, day))
    people = repo.reps_by_id(session, [rep_id for rep_id, _ in repo.active_reps(session)] + list(stored))
    reps = []
    for rep in sorted(people.values(), key=lambda u: (u.name, u.id)):
        row = stored.get(rep.id)
        state = teams.get(row.team_id if row else rep.team_id or -1)
        if state is None or (row is None and not rep.is_active):
            continue
        target = row.target if row else (state.policy.target if state.working_day else 0)
        tally = tallies[rep.id]
        closed = bool(state.queue and state.queue.is_closed)
        reason = live_reason(row.shortfall_reason if row else None, target, tally, closed=closed)
        counts = (tally["picked"], tally["assigned"], tally["done"], tally["missed"])
        reps.append(RepCoverage(rep, state.team, target, *counts, reason, row))
    loads = _reviewer_loads(session, settings, day) if visible is None else []
    return Coverage(day, list(teams.values()), reps, loads)


def _team_states(
    session: Session, day: date, settings: Settings, visible: frozenset[int] | None, team_id: int | None
) -> list[TeamDayState]:
    queues = repo.queue_days(session, day)
    states = []
    for team, current in service.team_policies(session, settings):
        if (visible is not None and team.id not in visible) or (team_id is not None and team.id != team_id):
            continue
        queue = queues.get(team.id)
        policy = Policy.from_dict(queue.policy) if queue is not None else current  # as the day was built
        states.append(TeamDayState(team, policy, policy.is_working_day(day) and policy.target > 0, queue))
    return states


def _tallies(picks: list[Assignment]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for pick in picks:
        tally = counts[pick.rep_id]
        tally["picked"] += 1
        tally["assigned"] += pick.reviewer_id is not None
        tally["done"] += pick.status is AssignmentStatus.DONE
        tally["missed"] += pick.status is AssignmentStatus.MISSED
    return counts


def live_reason(
    stored: Shortfall | None, target: int, tally: Counter[str], *, closed: bool
) -> Shortfall | None:
    """The shortfall as it stands: a reviewer may have taken a waiting pick since the last build."""
    if tally["assigned"] >= target:
        return None
    if tally["picked"] < target:
        return stored or (Shortfall.NO_CALLS if closed else Shortfall.DAY_IN_PROGRESS)
    if stored in (Shortfall.NO_REVIEWER_CAPACITY, Shortfall.NO_ELIGIBLE_REVIEWER):
        return stored
    return Shortfall.NO_REVIEWER_CAPACITY


def _reviewer_loads(session: Session, settings: Settings, day: date) -> list[ReviewerLoad]:
    assigned: Counter[int] = Counter()
    done: Counter[int] = Counter()
    for pick in repo.in_queue(session, day):
        if pick.reviewer_id is not None:
            assigned[pick.reviewer_id] += 1
            done[pick.reviewer_id] += pick.status is AssignmentStatus.DONE
    return [
        ReviewerLoad(s, assigned[s.user.id], done[s.user.id])
        for s in service.reviewer_setups(session, settings)
    ]


@dataclass(frozen=True)
class DayOverview:
    coverage: Coverage
    picks: list[Assignment]  # for QC leads: every pick counting for the day or in its queue
    reviewers: list[service.ReviewerSetup]
    can_manage: bool


def day_overview(session: Session, principal: Principal, *, day: date, settings: Settings) -> DayOverview:
    """The Coverage page: coverage for everyone allowed, the day's picks for QC leads."""
    result = coverage(session, principal, day=day, settings=settings)
    if principal.role not in access.QUEUE_MANAGERS:
        return DayOverview(result, [], [], False)
    picks = repo.day_assignments(session, day, None)
    return DayOverview(result, picks, service.reviewer_setups(session, settings), True)
