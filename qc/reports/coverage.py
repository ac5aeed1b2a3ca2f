"""The daily QC coverage report: per team, rep and reviewer, for a day or a range of days.

What each number counts (the page shows the same as notes):

- A *rep-day* is a row the queue wrote (`RepDay`): a rep of a team on one of the team's
  working days, dated in the team's time zone. Days that are not working days have none and
  do not count. Calls, target and the queue's shortfall reason are the rep-day's, as of the
  queue's last build of that day; *eligible* are the calls eligible at that build plus
  those picked before it (the queue's own count leaves out calls already picked).
- *Reviewed*: picks counting for the rep-day (`Assignment.day`, the call's review day) that
  are done, even when the review was done on a later day after rolling over. Everything
  about a review (score, critical fails, disputes, reviewer, minutes, overrides) is counted
  on that same rep-day, so the reviewers' reviews add up to the reps'. Reviews counting for
  a day the queue never built (a call reviewed by hand) are shown on a rep-day line of
  their own with no calls or target, and do not count for coverage.
- *Average score*: the mean final score of those reviews (those without a score left out).
  *Critical fails*: those reviews with a critical item failed.
- *Disputes*: every dispute opened on those reviews, whenever it was opened (so a past
  day's figure grows as reps dispute); *overturned*: those with at least one item changed.
- *Missed*: target minus reviewed when short on a day whose queue is closed, with exactly one
  reason per rep-day that fell short, the first cause along the way: no calls at all (rep
  absent; "no calls yet" on an open day); too few picks (the
  queue's shortfall reason, as the Coverage page shows it); picks without a reviewer (no
  capacity, no eligible reviewer); picks not reviewed (missed after rolling over, or still
  waiting / in review). On a day whose queue is still open (today) the shortfall is *to do*,
  not missed: it is counted apart, with its reason, and never as missed.
- *Coverage*: rep-days that reached the target / rep-days worked (the rep made calls); for
  one day that is reps who reached the target / reps who worked.
- Per reviewer: reviews done (as above) against capacity = today's daily capacity of a
  reviewer taking work (0 otherwise) x the days in the range on which the report's teams
  had a queue; median minutes on task (`Evaluation.active_seconds`); answers that differ
  from the automatic check's (items overridden, as the answers stand now); disputes of their
  reviews that changed at least one item (overturned).

A read-model: `repository` reads the queue's, evaluations' and disputes' tables; nothing
here writes.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.errors import InvalidInput
from qc.kit.timeutil import MAX_YEAR, MIN_YEAR
from qc.reports import access
from qc.reports import repository as repo
from qc.reports.coverage_reviewers import ReviewerLine, reviewer_lines
from qc.reports.repository import PickTally, RepDayRow, ReviewTally
from qc.reviews import service as reviews
from qc.reviews.coverage import live_reason
from qc.reviews.models import Shortfall
from qc.reviews.policy import local_today
from qc.users.models import Team, User
from qc.users.schemas import Principal

MAX_DAYS = 366
T = TypeVar("T")


class MissedReason(enum.StrEnum):
    """Why a rep-day fell short of its target: one per rep-day."""

    REP_ABSENT = "rep_absent"
    NO_CALLS_YET = "no_calls_yet"
    NO_CALLS = Shortfall.NO_CALLS.value
    FEW_CALLS = Shortfall.FEW_CALLS.value
    CALLS_TOO_SHORT = Shortfall.CALLS_TOO_SHORT.value
    STILL_PROCESSING = Shortfall.STILL_PROCESSING.value
    CALLS_FAILED = Shortfall.CALLS_FAILED.value
    NO_SCORECARD = Shortfall.NO_SCORECARD.value
    ALREADY_REVIEWED = Shortfall.ALREADY_REVIEWED.value
    DAY_IN_PROGRESS = Shortfall.DAY_IN_PROGRESS.value
    NO_REVIEWER_CAPACITY = Shortfall.NO_REVIEWER_CAPACITY.value
    NO_ELIGIBLE_REVIEWER = Shortfall.NO_ELIGIBLE_REVIEWER.value
    REVIEW_MISSED = "review_missed"
    REVIEW_PENDING = "review_pending"

    @property
    def label(self) -> str:
        own = {
            "rep_absent": "Rep absent (no calls)",
            "no_calls_yet": "No calls yet",
            "review_missed": "Picked, but the review was missed",
            "review_pending": "Picked, review not done yet",
        }
        return own.get(self.value) or Shortfall(self.value).label


@dataclass(slots=True)
class Figures:
    """Counts that add up: one rep-day, or any sum of them."""

    rep_days: int = 0
    worked: int = 0
    absent: int = 0  # no calls on a day whose queue is closed (an open day may still bring some)
    met: int = 0
    calls: int = 0
    eligible: int = 0
    target: int = 0
    reviewed: int = 0
    missed: int = 0
    to_do: int = 0  # short on a day still open: not missed (yet)
    scored: int = 0
    score_sum: float = 0.0
    critical: int = 0
    disputes: int = 0
    overturned: int = 0
    reasons: dict[MissedReason, int] = field(default_factory=dict)  # of the missed
    to_do_reasons: dict[MissedReason, int] = field(default_factory=dict)  # of the to do

    def add(self, other: Figures) -> None:
        # Field by field: a report of a month sums thousands of rep-days three ways.
        self.rep_days += other.rep_days
        self.worked += other.worked
        self.absent += other.absent
        self.met += other.met
        self.calls += other.calls
        self.eligible += other.eligible
        self.target += other.target
        self.reviewed += other.reviewed
        self.missed += other.missed
        self.to_do += other.to_do
        self.scored += other.scored
        self.score_sum += other.score_sum
        self.critical += other.critical
        self.disputes += other.disputes
        self.overturned += other.overturned
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count
        for reason, count in other.to_do_reasons.items():
            self.to_do_reasons[reason] = self.to_do_reasons.get(reason, 0) + count

    @property
    def average_score(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None

    @property
    def coverage(self) -> float | None:
        """Rep-days that reached the target / rep-days worked."""
        return self.met / self.worked if self.worked else None


@dataclass(slots=True)
class RepDayLine:
    day: date
    team: Team
    rep: User
    recorded: bool  # the queue wrote this rep-day (False: reviews of a day it never built)
    figures: Figures
    reason: MissedReason | None  # why it is short (missed, or to do on an open day)
    open: bool = False  # the team's queue for the day is still open: short is "to do"


@dataclass(frozen=True)
class RepLine:
    team: Team
    rep: User
    figures: Figures


@dataclass(frozen=True)
class TeamLine:
    team: Team
    figures: Figures


@dataclass(frozen=True)
class DayLine:
    day: date
    figures: Figures


@dataclass(frozen=True)
class CoverageReport:
    start: date
    end: date
    team_id: int | None
    teams: list[Team]  # the teams the reader may choose from
    rep_days: list[RepDayLine]
    reps: list[RepLine]
    team_lines: list[TeamLine]
    days: list[DayLine]
    reviewers: list[ReviewerLine] | None  # None: not the reader's to see
    queue_days: int
    totals: Figures

    @property
    def single_day(self) -> bool:
        return self.start == self.end


def check_range(start: date, end: date) -> None:
    """Refuse ranges that run backwards or span more than a year."""
    if end < start:
        raise InvalidInput("The range must end on or after the day it starts", field="to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days; choose a shorter range", field="to")


def coverage_report(
    session: Session,
    principal: Principal | None,
    *,
    start: date,
    end: date,
    settings: Settings,
    team_id: int | None = None,
) -> CoverageReport:
    """The coverage report of the teams `principal` may read (one team with `team_id`) for
    the rep-days from `start` to `end`, inclusive. `principal` None is the operator."""
    check_range(start, end)
    visible = access.report_teams(principal)
    if team_id is not None:
        access.check_team(visible, team_id)
    scope = frozenset({team_id}) if team_id is not None else visible
    all_teams = repo.teams(session)
    reviewers = None
    tallies = repo.review_tallies(session, start, end, scope)
    lines = _rep_day_lines(session, start, end, scope, all_teams, tallies)
    queue_days = len(repo.queue_dates(session, start, end, scope))
    if access.sees_reviewers(principal):
        reviewers = reviewer_lines(session, settings, scope is not None, tallies, queue_days)
    return CoverageReport(
        start=start,
        end=end,
        team_id=team_id,
        teams=_readable(all_teams, visible),
        rep_days=lines,
        reps=_by(lines, lambda x: (x.team.id, x.rep.id), lambda x, f: RepLine(x.team, x.rep, f)),
        team_lines=_by(lines, lambda x: x.team.id, lambda x, f: TeamLine(x.team, f)),
        days=sorted(_by(lines, lambda x: x.day, lambda x, f: DayLine(x.day, f)), key=lambda d: d.day),
        reviewers=reviewers,
        queue_days=queue_days,
        totals=_sum(x.figures for x in lines),
    )


def _readable(teams: dict[int, Team], visible: frozenset[int] | None) -> list[Team]:
    return [t for t in teams.values() if visible is None or t.id in visible]


def readable_teams(session: Session, principal: Principal | None) -> list[Team]:
    """The teams whose report `principal` may read, by name (Forbidden for reps and reviewers)."""
    return _readable(repo.teams(session), access.report_teams(principal))


def default_day(session: Session, principal: Principal | None, today: date) -> date:
    """The day the report opens on: the last day before `today` on which a queue of the
    reader's teams was closed (a day in progress reads as work to do, not as missed); today
    when there is none yet."""
    return repo.last_closed_day(session, today, access.report_teams(principal)) or today


def _sum(figures: Iterable[Figures]) -> Figures:
    total = Figures()
    for one in figures:
        total.add(one)
    return total


def _by(
    lines: list[RepDayLine], key: Callable[[RepDayLine], Hashable], make: Callable[[RepDayLine, Figures], T]
) -> list[T]:
    groups: dict[Hashable, list[RepDayLine]] = defaultdict(list)
    for line in lines:
        groups[key(line)].append(line)
    return [make(group[0], _sum(x.figures for x in group)) for group in groups.values()]


def _rep_day_lines(
    session: Session,
    start: date,
    end: date,
    scope: frozenset[int] | None,
    teams: dict[int, Team],
    tallies: list[ReviewTally],
) -> list[RepDayLine]:
    recorded = {(r.rep_id, r.day): r for r in repo.rep_days(session, start, end, scope)}
    picks = {(p.rep_id, p.day): p for p in repo.pick_tallies(session, start, end, scope)}
    done: dict[tuple[int, date], Figures] = {}
    team_of: dict[tuple[int, date], int] = {}
    for r in tallies:  # one pass, no list per rep-day: a month has ten thousand of these
        key = (r.rep_id, r.day)
        figures = done.get(key)
        if figures is None:
            figures = done[key] = Figures()
            team_of[key] = r.team_id
        figures.reviewed += r.reviews
        figures.scored += r.scored
        figures.score_sum += r.score_sum
        figures.critical += r.critical
        figures.disputes += r.disputes
        figures.overturned += r.overturned
    people = repo.people(session, {rep_id for rep_id, _ in recorded} | {rep_id for rep_id, _ in done})
    lines = []
    for key in set(recorded) | set(done):
        row = recorded.get(key)
        figures = done.get(key) or Figures()
        reason = _with_queue(figures, row, picks.get(key)) if row is not None else None
        team = teams[row.team_id if row is not None else team_of[key]]
        is_open = row is not None and not row.closed
        lines.append(RepDayLine(key[1], team, people[key[0]], row is not None, figures, reason, is_open))
    lines.sort(key=lambda x: (x.day, x.team.name, x.rep.name, x.rep.id))
    return lines


def _with_queue(figures: Figures, row: RepDayRow, picks: PickTally | None) -> MissedReason | None:
    """Add what the queue recorded of the rep-day to its review figures; the reason it is
    short (missed on a closed day, to do on an open one)."""
    reviewed = figures.reviewed
    figures.rep_days = 1
    # The queue's last build counted as eligible the calls it had not picked before: add
    # those it had.
    figures.calls, figures.target = row.calls, row.target
    figures.eligible = row.eligible + (picks.before_build if picks else 0)
    figures.worked = int(row.calls > 0)
    figures.absent = int(row.calls == 0 and row.closed)
    figures.met = int(row.calls > 0 and reviewed >= row.target)
    if reviewed >= row.target:
        return None
    reason = missed_reason(row, picks)
    if row.closed:
        figures.missed = row.target - reviewed
        figures.reasons[reason] = 1
    else:
        figures.to_do = row.target - reviewed
        figures.to_do_reasons[reason] = 1
    return reason


def missed_reason(row: RepDayRow, picks: PickTally | None) -> MissedReason:
    """The one reason a rep-day that fell short of its target did: the first cause along the
    way from calls to picks, reviewers and reviews."""
    if row.calls == 0:
        return MissedReason.REP_ABSENT if row.closed else MissedReason.NO_CALLS_YET
    tally: Counter[str] = Counter()
    if picks is not None:
        tally.update(picked=picks.picked, assigned=picks.assigned)
    short = live_reason(row.stored_reason, row.target, tally, closed=row.closed)
    if short is not None:
        return MissedReason(short.value)
    if picks is not None and picks.missed:
        return MissedReason.REVIEW_MISSED
    return MissedReason.REVIEW_PENDING


# Ranges ------------------------------------------------------------------------------------------


def parse_range(start: str | None, end: str | None, *, today: date) -> tuple[date, date]:
    """The report's days from the picker's text: `from` alone is one day; neither is today."""
    first = _parse_day(start, "from") if start else None
    last = _parse_day(end, "to") if end else None
    return day_range(first, last, today=today)


def day_range(first: date | None, last: date | None, *, today: date) -> tuple[date, date]:
    """The report's days: `first` alone is one day; neither is `today`."""
    first = first or last or today
    last = last or first
    check_range(first, last)
    return first, last


def _parse_day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a day such as 2026-11-23", field=name) from exc
    if not MIN_YEAR <= day.year < MAX_YEAR:
        raise InvalidInput(f"{name} must be between {MIN_YEAR} and {MAX_YEAR - 1}", field=name)
    return day


def today_for(settings: Settings) -> date:
    """Today in the organisation's default time zone (the picker's shortcuts start here)."""
    return local_today(reviews.default_policy(settings), utcnow())


def team_id_for(session: Session, reference: str) -> int:
    """A team by its name (any case) or id, for the `qc` command; InvalidInput otherwise."""
    teams = repo.teams(session).values()
    wanted = reference.strip().casefold()
    found = [t for t in teams if t.name.casefold() == wanted or str(t.id) == wanted]
    if not found:
        known = ", ".join(t.name for t in teams) or "none yet"
        raise InvalidInput(f"No team {reference!r}; the teams are: {known}", field="team")
    return found[0].id
