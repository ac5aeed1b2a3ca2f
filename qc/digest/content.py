"""What a team's evening digest says: the day's facts as plain data, then as titled sections
of plain-text lines (exceptions first) that each target's formatter escapes and fits.

A day runs from local midnight to local midnight in the team's time zone (that of its
review policy). Coverage is the daily coverage report's (`qc.reports.coverage`: reps who
reached the target of reps who worked, one reason per rep who fell short), so the digest
and the report agree; scores, failed items and reviewer throughput count the reviews
submitted that day. "Overdue" at the end of day D means due on D or before and still open.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.digest import readmodel
from qc.evaluations import outcomes
from qc.reports import coverage
from qc.reports.coverage import MissedReason, RepDayLine
from qc.reviews import service as reviews
from qc.scoring import service as scoring
from qc.users import service as users
from qc.users.models import Team

SCHEMA = "qc.digest/1"
TOP_ITEMS = 3
TREND_DAYS = 7
MAX_LINE = 300  # characters of one line of text, before any escaping
COVERAGE_PATH = "/reports/coverage"  # the path of the route "reports:coverage" (a test holds them equal)


@dataclass(frozen=True)
class MissedRep:
    name: str
    reviewed: int
    target: int
    reason: str


@dataclass(frozen=True)
class Count:
    """A name and a number: a rep's critical fails, an item's failures, a reviewer's reviews."""

    name: str
    count: int
    total: int | None = None


@dataclass(frozen=True)
class DayDigest:
    team_id: int
    team: str
    day: date
    timezone: str
    target: int  # reviews per rep that day (0: not a working day)
    worked: int  # reps with calls and a target
    covered: int  # of them, reps whose target was reached
    absent: int  # reps with a target and no calls
    missed: list[MissedRep]
    reviews: int
    average: float | None
    average_before: float | None  # the TREND_DAYS days before
    critical: list[Count]
    failed_items: list[Count]
    disputes_opened: int = 0
    disputes_resolved: int = 0
    disputes_overdue: int = 0
    coaching_due: int = 0  # action items due tomorrow
    coaching_overdue: int = 0
    training_due: int = 0
    training_overdue: int = 0
    reviewers: list[Count] = field(default_factory=list)
    report_url: str | None = None  # the day's coverage report under QC_PUBLIC_URL (None: not set)

    @property
    def overdue(self) -> int:
        return self.disputes_overdue + self.coaching_overdue + self.training_overdue

    @property
    def quiet(self) -> bool:
        """Nobody worked, nothing was reviewed and nothing is due: the digest is one line."""
        busy = (
            self.worked,
            self.reviews,
            self.disputes_opened,
            self.disputes_resolved,
            self.overdue,
            self.coaching_due,
            self.training_due,
        )
        return not any(busy)

    def as_dict(self) -> dict[str, Any]:
        """The structured digest (the JSON target's body), versioned by `schema`."""
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return {"schema": SCHEMA, "quiet": self.quiet, **data}


# Gathering -------------------------------------------------------------------------------------------


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight, in UTC (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def build_digest(session: Session, team: Team, day: date, *, settings: Settings) -> DayDigest:
    """The facts of one team's day. No permission check: the caller decides who may see them."""
    policy = reviews.team_policy(session, team.id, settings)
    zone = ZoneInfo(policy.timezone)
    start, end = day_bounds(day, zone)
    week_start, _ = day_bounds(day - timedelta(days=TREND_DAYS), zone)
    report = coverage.coverage_report(session, None, start=day, end=day, settings=settings, team_id=team.id)
    lines = [line for line in report.rep_days if line.recorded and line.team.id == team.id]
    worked = [line for line in lines if line.figures.worked]
    today = readmodel.reviews_submitted(session, team.id, start, end)
    before = readmodel.reviews_submitted(session, team.id, week_start, start)
    opened, resolved, overdue_disputes = readmodel.disputes(session, team.id, start, end)
    tomorrow = day + timedelta(days=1)
    coaching_due, coaching_overdue = readmodel.coaching_actions(session, team.id, tomorrow)
    training_due, training_overdue = readmodel.training_assignments(session, team.id, tomorrow)
    names = users.names_of(session, {r.rep_id for r in today} | {r.reviewer_id for r in today})
    return DayDigest(
        team_id=team.id,
        team=team.name,
        day=day,
        timezone=policy.timezone,
        target=max((line.figures.target for line in lines), default=0),
        worked=len(worked),
        covered=sum(line.figures.met for line in worked),
        # No calls: absent on a closed day, "no calls yet" while the queue is open (as in the evening).
        absent=sum(line.reason in (MissedReason.REP_ABSENT, MissedReason.NO_CALLS_YET) for line in lines),
        missed=[_missed(line) for line in worked if not line.figures.met],
        reviews=len(today),
        average=_mean(r.final_score for r in today),
        average_before=_mean(r.final_score for r in before),
        critical=_counted(Counter(names.get(r.rep_id, "?") for r in today if r.critical_failed)),
        failed_items=_failed_items(session, [r.evaluation_id for r in today]),
        disputes_opened=opened,
        disputes_resolved=resolved,
        disputes_overdue=overdue_disputes,
        coaching_due=coaching_due,
        coaching_overdue=coaching_overdue,
        training_due=training_due,
        training_overdue=training_overdue,
        reviewers=_counted(Counter(names.get(r.reviewer_id, "?") for r in today)),
        report_url=report_link(settings, team.id, day),
    )


def report_link(settings: Settings, team_id: int, day: date) -> str | None:
    """The coverage report of the team's day under QC_PUBLIC_URL; None while that is not set,
    because a link to the default address would lead nowhere from a chat."""
    if "public_url" not in settings.model_fields_set:
        return None
    query = urlencode({"team": team_id, "from": day.isoformat(), "to": day.isoformat()})
    return f"{settings.public_url.rstrip('/')}{COVERAGE_PATH}?{query}"


def _missed(line: RepDayLine) -> MissedRep:
    reason = line.reason.label if line.reason is not None else "Short of the target"
    return MissedRep(line.rep.name, line.figures.reviewed, line.figures.target, reason)


def _mean(values: Any) -> float | None:
    found = [v for v in values if v is not None]
    return round(statistics.fmean(found), 1) if found else None


def _counted(counter: Counter[str]) -> list[Count]:
    return [Count(name, n) for name, n in sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))]


def _failed_items(session: Session, evaluation_ids: list[int]) -> list[Count]:
    """The items failed most often in these reviews (ties: the larger share failed first)."""
    failed: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes.of_evaluations(session, evaluation_ids):
        key = (outcome.scorecard_id, outcome.item_id)
        total[key] += 1
        failed[key] += not outcome.passed
    labels = scoring.item_labels(session) if failed else {}
    ranked = sorted((k for k in failed if failed[k]), key=lambda k: (-failed[k], -failed[k] / total[k], k))
    return [Count(labels.get(k, k[1]), failed[k], total[k]) for k in ranked[:TOP_ITEMS]]


# Sections of text ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A titled list of plain-text lines; `noun` names what is left out when it is cut short
    ("and 12 more reps")."""

    title: str
    lines: list[str]
    noun: str = "lines"
    exception: bool = False


def clip(text: str, limit: int = MAX_LINE) -> str:
    """One line of text at most `limit` characters (cut between characters, never escaped yet)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link_text(digest: DayDigest) -> str:
    """The words of the link to the day's coverage report."""
    return f"Coverage report of {digest.day.strftime('%a %d %b')}"


def title(digest: DayDigest) -> str:
    return clip(f"QC digest · {digest.team} · {digest.day:%a %d %b %Y}", 150)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(digest: DayDigest) -> str:
    """One line: what a notification or a client without rich text shows."""
    if digest.quiet:
        return clip(
            f"{digest.team}, {digest.day:%a %d %b}: nothing to report (no calls, no reviews, nothing due)."
        )
    parts = [f"coverage {digest.covered} of {digest.worked}"]
    if digest.missed:
        parts.append(f"{_plural(len(digest.missed), 'rep')} missed the target")
    if digest.critical:
        parts.append(f"{_plural(sum(c.count for c in digest.critical), 'critical fail')}")
    if digest.overdue:
        parts.append(f"{_plural(digest.overdue, 'item')} overdue")
    if digest.average is not None:
        parts.append(f"average {digest.average:g}")
    return clip(f"{digest.team}, {digest.day:%a %d %b}: " + "; ".join(parts))


def sections(digest: DayDigest) -> list[Section]:
    """Exceptions first (missed reps, critical fails, overdue items), then the rest; a quiet
    day is a single one-line section."""
    if digest.quiet:
        return [Section("Nothing to report", [summary(digest)])]
    found = [*_exceptions(digest), *_the_rest(digest)]
    return [s for s in found if s.lines]


def _exceptions(digest: DayDigest) -> list[Section]:
    missed = [clip(f"{m.name}: {m.reviewed} of {m.target} reviewed — {m.reason}") for m in digest.missed]
    critical = [clip(f"{c.name}: {_plural(c.count, 'critical fail')}") for c in digest.critical]
    overdue = [
        line
        for count, what in (
            (digest.disputes_overdue, "dispute"),
            (digest.coaching_overdue, "coaching action"),
            (digest.training_overdue, "training assignment"),
        )
        if count
        for line in [f"{_plural(count, what)} overdue"]
    ]
    return [
        Section(f"Missed the review target ({len(missed)})", missed, "reps", exception=True),
        Section("Critical fails", critical, "reps", exception=True),
        Section("Overdue", overdue, "items", exception=True),
    ]


def _the_rest(digest: DayDigest) -> list[Section]:
    coverage = [f"{digest.covered} of {digest.worked} reps reached the target of {digest.target}"]
    if not digest.target:
        coverage = ["No review target that day (not a working day, or no queue was built)"]
    if digest.absent:
        coverage.append(f"{_plural(digest.absent, 'rep')} without calls")
    if digest.average is None:
        scores = ["No reviews submitted"]
    else:
        before = "no reviews" if digest.average_before is None else f"{digest.average_before:g}"
        scores = [
            f"Average {digest.average:g} over {_plural(digest.reviews, 'review')} "
            f"(last {TREND_DAYS} days: {before})"
        ]
    items = [clip(f"{c.name}: failed {c.count} of {c.total}") for c in digest.failed_items]
    disputes = [
        f"{digest.disputes_opened} opened, {digest.disputes_resolved} resolved, "
        f"{digest.disputes_overdue} overdue"
    ]
    if not (digest.disputes_opened or digest.disputes_resolved or digest.disputes_overdue):
        disputes = []
    due = [
        line
        for count, what in (
            (digest.coaching_due, "coaching action"),
            (digest.training_due, "training assignment"),
        )
        if count
        for line in [_plural(count, what)]
    ]
    throughput = [clip(f"{c.name}: {_plural(c.count, 'review')}") for c in digest.reviewers]
    return [
        Section("Coverage", coverage),
        Section("Scores", scores),
        Section("Most-failed items", items, "items"),
        Section("Disputes", disputes),
        Section("Due tomorrow", due, "items"),
        Section("Reviewer throughput", throughput, "reviewers"),
    ]
