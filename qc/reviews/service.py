"""The daily review queue: build and close days, claim and hand out picks, report coverage."""

from __future__ import annotations

import logging
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import text
from sqlalchemy.orm import Session

from qc.calls.models import CallStatus
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from qc.reviews import access
from qc.reviews import repository as repo
from qc.reviews.allocation import Group, Reviewer, may_review
from qc.reviews.models import (
    Assignment,
    AssignmentStatus,
    PickReason,
    QueueDay,
    QueueMode,
    RepDay,
    ReviewerProfile,
    ReviewPolicy,
    Shortfall,
)
from qc.reviews.planner import CallFacts, CallState, ExistingPick, Plan, RepDayInput, plan_day
from qc.reviews.policy import (
    DayTimes,
    Policy,
    day_times,
    format_working_days,
    local_today,
    next_working_day,
    parse_working_days,
    zone,
)
from qc.users.models import Role, Team, User
from qc.users.schemas import Principal

log = logging.getLogger(__name__)

_QUEUE_LOCK_ID = 0x51C0_0004


# Policies -----------------------------------------------------------------------------------------


def default_policy(settings: Settings) -> Policy:
    return Policy(
        target=settings.review_target,
        timezone=settings.timezone,
        min_duration_s=settings.review_min_call_s,
    )


def policy_of(row: ReviewPolicy | None, settings: Settings) -> Policy:
    return default_policy(settings) if row is None else _policy_from_row(row)


def _policy_from_row(row: ReviewPolicy) -> Policy:
    return Policy(
        target=row.target_per_rep,
        working_days=parse_working_days(row.working_days),
        timezone=row.timezone,
        day_start_minute=row.day_start_minute,
        day_end_minute=row.day_end_minute,
        min_duration_s=row.min_duration_s,
        risk_share=row.risk_share,
        low_score=row.low_score,
        exclude_own_team=row.exclude_own_team,
        blind=row.blind,
    )


def team_policy(session: Session, team_id: int, settings: Settings) -> Policy:
    return policy_of(repo.get_policy(session, team_id), settings)


def team_policies(session: Session, settings: Settings) -> list[tuple[Team, Policy]]:
    return [(team, policy_of(row, settings)) for team, row in repo.teams_with_policies(session)]


@dataclass(frozen=True)
class PolicyForm:
    target: int
    working_days: str
    timezone: str
    day_start: str  # "09:00"
    day_end: str
    min_duration_s: float
    risk_share_percent: float
    low_score: float
    exclude_own_team: bool
    blind: bool


def update_policy(session: Session, principal: Principal, *, team_id: int, form: PolicyForm) -> Policy:
    """Set how a team's calls are sampled (administrators and QC leads)."""
    access.require_queue_manager(principal)
    if session.get(Team, team_id) is None:
        raise NotFound("No such team")
    start, end = _minutes(form.day_start, "day_start"), _minutes(form.day_end, "day_end")
    if end <= start:
        raise InvalidInput("Review hours must end after they start", field="day_end")
    if not 0 <= form.target <= 50:
        raise InvalidInput("The target must be between 0 and 50 calls per rep", field="target")
    if not 0 <= form.risk_share_percent <= 100:
        raise InvalidInput("The share of flagged calls must be between 0 and 100%", field="risk_share")
    if not 0 <= form.low_score <= 100:
        raise InvalidInput("The low-score threshold must be between 0 and 100", field="low_score")
    if not 0 <= form.min_duration_s <= 3600:
        raise InvalidInput("The minimum duration must be between 0 and 3600 seconds", field="min_duration_s")
    days = parse_working_days(form.working_days)
    zone(form.timezone.strip())
    row = repo.get_policy(session, team_id) or ReviewPolicy(team_id=team_id)
    row.target_per_rep = form.target
    row.working_days = format_working_days(days)
    row.timezone = form.timezone.strip()
    row.day_start_minute, row.day_end_minute = start, end
    row.min_duration_s = form.min_duration_s
    row.risk_share = round(form.risk_share_percent / 100, 4)
    row.low_score = form.low_score
    row.exclude_own_team = form.exclude_own_team
    row.blind = form.blind
    session.add(row)
    session.flush()
    return _policy_from_row(row)


def _minutes(value: str, field: str) -> int:
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput("Times look like 09:00", field=field) from exc
    minutes = parsed.hour * 60 + parsed.minute
    return 24 * 60 if field == "day_end" and minutes == 0 else minutes


# Reviewers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerSetup:
    user: User
    capacity: int
    languages: list[str]
    available: bool
    has_profile: bool


def reviewer_setups(session: Session, settings: Settings) -> list[ReviewerSetup]:
    """Everyone who may take queue work, with their capacity and languages."""
    setups = []
    for user, profile in repo.reviewers_with_profiles(session):
        if profile is None:
            # Reviewers take queue work by default; QC leads only once they set a capacity.
            available = user.role is Role.REVIEWER
            setups.append(ReviewerSetup(user, settings.reviewer_capacity, [], available, False))
        else:
            setups.append(
                ReviewerSetup(
                    user, profile.daily_capacity, list(profile.languages), profile.is_available, True
                )
            )
    return setups


def update_reviewer(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    capacity: int,
    languages: list[str],
    available: bool,
) -> ReviewerProfile:
    """Set a reviewer's daily capacity, languages and availability."""
    from qc.kit.languages import clean_language

    if not (principal.id == user_id or principal.role in access.QUEUE_MANAGERS):
        raise Forbidden("Only administrators and QC leads can change other reviewers' settings")
    user = session.get(User, user_id)
    if user is None or user.role not in repo.REVIEWING_ROLES:
        raise NotFound("No such reviewer")
    if not 0 <= capacity <= 1000:
        raise InvalidInput("Capacity must be between 0 and 1000 calls a day", field="capacity")
    cleaned = sorted({code for code in (clean_language(v) for v in languages) if code})
    profile = repo.get_profile(session, user_id) or ReviewerProfile(user_id=user_id)
    profile.daily_capacity = capacity
    profile.languages = cleaned
    profile.is_available = available
    session.add(profile)
    session.flush()
    return profile


def _reviewers(session: Session, settings: Settings, queue_date: date) -> list[Reviewer]:
    load = repo.loads(session, queue_date)
    return [
        Reviewer(
            id=s.user.id,
            team_id=s.user.team_id,
            languages=frozenset(s.languages),
            capacity=s.capacity,
            load=load.get(s.user.id, 0),
        )
        for s in reviewer_setups(session, settings)
        if s.available and s.capacity > 0
    ]


# Building a day -----------------------------------------------------------------------------------


@dataclass
class BuildReport:
    day: date
    built: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # team -> why
    picked: int = 0
    assigned: int = 0
    pooled_assigned: int = 0
    rolled_over: int = 0
    missed: int = 0


@dataclass
class _TeamDay:
    team: Team
    policy: Policy
    times: DayTimes
    queue: QueueDay
    draw_all: bool
    closing: bool


def build_queue(
    session: Session,
    *,
    day: date,
    settings: Settings,
    now: datetime | None = None,
    draw_now: bool = False,
    principal: Principal | None = None,
    seed: int | None = None,
) -> BuildReport:
    """Fill the day's queue with the picks that are due, and close it once the day is over.

    Idempotent: picks already made are kept; building again only adds what became due.
    `draw_now` draws every remaining pick from the calls already in. `seed` fixes the
    draws of a day built for the first time (tests, reproductions).
    """
    if principal is not None:
        access.require_queue_manager(principal)
    now = now or utcnow()
    _lock(session)
    report = BuildReport(day=day)
    team_days = _team_days(session, day, settings, now, draw_now=draw_now, seed=seed, report=report)
    if not team_days:
        return report
    reviewers = _reviewers(session, settings, day)
    excluding = {t.team.id for t in team_days.values() if t.policy.exclude_own_team}
    report.pooled_assigned = _assign_pool(session, day, reviewers, excluding)
    if report.pooled_assigned:
        reviewers = _reviewers(session, settings, day)
    inputs = _inputs(session, day, team_days)
    plan = plan_day(inputs, reviewers, now)
    _store_plan(session, plan, day, {i.rep_id: team_days[i.team_id] for i in inputs}, now)
    report.picked = len(plan.picks)
    report.assigned = sum(1 for p in plan.picks if p.reviewer_id is not None)
    for team_day in team_days.values():
        team_day.queue.builds += 1
        team_day.queue.built_at = now
        team_day.queue.policy = team_day.policy.as_dict()
        report.built.append(team_day.team.name)
        if team_day.closing:
            _close(session, team_day, now, report)
    session.flush()
    return report


def _lock(session: Session) -> None:
    """One builder at a time (the periodic job, a CLI run, a QC lead's button)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _QUEUE_LOCK_ID})
    # SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE).


def _team_days(
    session: Session,
    day: date,
    settings: Settings,
    now: datetime,
    *,
    draw_now: bool,
    seed: int | None,
    report: BuildReport,
) -> dict[int, _TeamDay]:
    existing = repo.queue_days(session, day)
    result = {}
    for team, policy in team_policies(session, settings):
        times = day_times(policy, day)
        queue = existing.get(team.id)
        if not policy.is_working_day(day) or policy.target == 0:
            report.skipped[team.name] = "not a working day" if policy.target else "target is 0"
            continue
        if now < times.start:
            report.skipped[team.name] = "the day has not started"
            continue
        if queue is not None and queue.is_closed:
            report.skipped[team.name] = "already closed"
            continue
        if queue is None:
            queue = QueueDay(
                team_id=team.id,
                day=day,
                seed=seed if seed is not None else secrets.randbits(62),
                policy=policy.as_dict(),
                mode=QueueMode.SPREAD,
                builds=0,
            )
            session.add(queue)
            session.flush()
        if draw_now:
            queue.mode = QueueMode.NOW
        closing = now >= times.end
        draw_all = closing or queue.mode is QueueMode.NOW
        result[team.id] = _TeamDay(team, policy, times, queue, draw_all, closing)
    return result


_STATE = {
    CallStatus.SCORED: CallState.SCORED,
    CallStatus.FAILED: CallState.FAILED,
}


def _inputs(session: Session, day: date, team_days: dict[int, _TeamDay]) -> list[RepDayInput]:
    start = min(t.times.start for t in team_days.values())
    end = max(t.times.end for t in team_days.values())
    reps = [(rep_id, team_id) for rep_id, team_id in repo.active_reps(session) if team_id in team_days]
    window = {rep_id: team_days[team_id].times for rep_id, team_id in reps}
    calls_by_rep: dict[int, list[CallFacts]] = defaultdict(list)
    for row in repo.calls_between(session, start, end):
        (
            call_id,
            rep_id,
            team_id,
            started_at,
            duration,
            status,
            language,
            score,
            critical,
            review,
            asr,
            taken,
        ) = row
        times = window.get(rep_id)
        if times is None or not times.start <= started_at < times.end:
            continue
        state = _STATE.get(status, CallState.PROCESSING)
        calls_by_rep[rep_id].append(
            CallFacts(
                call_id,
                rep_id,
                team_id,
                started_at,
                duration,
                state,
                language,
                score,
                bool(critical),
                review or 0,
                asr,
                bool(taken),
            )
        )
    existing: dict[int, list[ExistingPick]] = defaultdict(list)
    for pick in repo.picks_for_day(session, day):
        existing[pick.rep_id].append(ExistingPick(pick.call_id, pick.slot, pick.reviewer_id))
    return [
        RepDayInput(
            rep_id=rep_id,
            team_id=team_id,
            policy=team_days[team_id].policy,
            times=team_days[team_id].times,
            seed=team_days[team_id].queue.seed,
            draw_all=team_days[team_id].draw_all,
            calls=calls_by_rep.get(rep_id, []),
            existing=existing.get(rep_id, []),
        )
        for rep_id, team_id in sorted(reps)
    ]


def _assign_pool(session: Session, day: date, reviewers: list[Reviewer], excluding: set[int]) -> int:
    """Give waiting picks (no reviewer yet) to reviewers who have room, least loaded first."""
    room = {r.id: r.remaining for r in reviewers}
    count = 0
    for pick in repo.unassigned_open(session, day):
        group = Group(pick.rep_id, pick.team_id, pick.language)
        fits = [
            r
            for r in reviewers
            if room[r.id] > 0 and may_review(r, group, exclude_own_team=pick.team_id in excluding)
        ]
        if not fits:
            continue
        chosen = min(fits, key=lambda r: ((r.capacity - room[r.id]) / r.capacity, r.id))
        pick.reviewer_id = chosen.id
        room[chosen.id] -= 1
        count += 1
    return count


def _store_plan(
    session: Session, plan: Plan, day: date, rep_team: dict[int, _TeamDay], now: datetime
) -> None:
    repo.insert_picks(
        session,
        [
            {
                "call_id": p.call_id,
                "rep_id": p.rep_id,
                "team_id": p.team_id,
                "day": day,
                "queue_date": day,
                "reviewer_id": p.reviewer_id,
                "status": AssignmentStatus.OPEN,
                "reason": p.reason,
                "reason_detail": p.detail,
                "slot": p.slot,
                "risk": p.risk,
                "language": p.language,
                "overdue": False,
                "due_at": rep_team[p.rep_id].times.end,
                "picked_at": now,
            }
            for p in plan.picks
        ],
    )
    stored = repo.rep_days(session, day)
    new, changed = [], []
    for rep_id, outcome in plan.outcomes.items():
        team_day = rep_team[rep_id]
        values = {
            "queue_day_id": team_day.queue.id,
            "team_id": team_day.team.id,
            "target": outcome.target,
            "calls": outcome.calls,
            "eligible": outcome.eligible,
            "too_short": outcome.too_short,
            "processing": outcome.processing,
            "failed": outcome.failed,
            "reviewed_elsewhere": outcome.reviewed_elsewhere,
            "shortfall_reason": outcome.reason,
            "updated_at": now,
        }
        row = stored.get(rep_id)
        if row is None:
            new.append({"rep_id": rep_id, "day": day, **values})
        elif any(getattr(row, key) != value for key, value in values.items() if key != "updated_at"):
            changed.append({"id": row.id, **values})
    repo.save_rep_days(session, new, changed)


def _close(session: Session, team_day: _TeamDay, now: datetime, report: BuildReport) -> None:
    """End of the day: unfinished picks roll over once to the next working day, overdue;
    those already rolled over are missed."""
    policy = team_day.policy
    target = max(next_working_day(policy, team_day.times.day), local_today(policy, now))
    next_end = day_times(policy, target).end
    for pick in repo.unfinished_in_queue(session, team_day.team.id, team_day.times.day):
        if pick.overdue:
            pick.status = AssignmentStatus.MISSED
            report.missed += 1
            continue
        pick.queue_date = target
        pick.overdue = True
        pick.due_at = next_end
        report.rolled_over += 1
    team_day.queue.is_closed = True
    team_day.queue.closed_at = now
    report.closed.append(team_day.team.name)


def refresh_queues(session: Session, *, settings: Settings, now: datetime | None = None) -> list[BuildReport]:
    """The periodic job: fill every team's today, and close days that are over."""
    now = now or utcnow()
    policies = team_policies(session, settings)
    days = {local_today(policy, now) for _, policy in policies}
    days |= set(repo.open_days_before(session, max(days, default=now.date())))
    reports = []
    for day in sorted(days):
        report = build_queue(session, day=day, settings=settings, now=now)
        if report.built or report.closed:
            reports.append(report)
    return reports


# Claiming and handing out -------------------------------------------------------------------------


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    assignment = repo.get_assignment(session, assignment_id)
    if assignment is None:
        raise NotFound(f"Review {assignment_id} does not exist")
    return assignment


def check_rules(session: Session, assignment: Assignment, reviewer: User, settings: Settings) -> None:
    """Refuse a reviewer the rules bar: their own call, or their own team's where it says so."""
    if reviewer.id == assignment.rep_id:
        raise Forbidden("Nobody reviews their own calls")
    policy = team_policy(session, assignment.team_id, settings)
    if policy.exclude_own_team and reviewer.team_id == assignment.team_id:
        raise Forbidden("This team's calls are reviewed by people outside the team")


def claim(
    session: Session,
    principal: Principal,
    assignment_id: int,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Assignment:
    """Take a pick to review: yours, or one waiting for anyone. Two reviewers never hold one call."""
    access.require_reviewer(principal)
    assignment = get_assignment(session, assignment_id)
    if assignment.reviewer_id == principal.id and assignment.status is AssignmentStatus.IN_REVIEW:
        return assignment
    check_rules(session, assignment, _user(session, principal.id), settings)
    won = repo.claim(session, assignment.id, principal.id, now or utcnow())
    session.refresh(assignment)
    mine = assignment.reviewer_id == principal.id and assignment.status is AssignmentStatus.IN_REVIEW
    if not (won or mine):  # a second tab of the same reviewer is not a conflict
        raise _why_not_claimed(session, assignment)
    return assignment


def _why_not_claimed(session: Session, assignment: Assignment) -> Conflict:
    if assignment.status is AssignmentStatus.DONE:
        return Conflict("This call has already been reviewed")
    if assignment.status is AssignmentStatus.MISSED:
        return Conflict("This review was missed and closed; ask a QC lead to reopen it")
    holder = _user(session, assignment.reviewer_id) if assignment.reviewer_id else None
    who = holder.name if holder else "another reviewer"
    if assignment.status is AssignmentStatus.IN_REVIEW:
        return Conflict(f"{who} is reviewing this call")
    return Conflict(f"This call is assigned to {who}; ask a QC lead to reassign it")


def release(session: Session, principal: Principal, assignment_id: int) -> Assignment:
    """Give back a call you hold: it waits for any reviewer."""
    assignment = get_assignment(session, assignment_id)
    if not repo.release(session, assignment.id, principal.id):
        raise InvalidTransition("You are not reviewing this call")
    session.refresh(assignment)
    return assignment


def complete(session: Session, principal: Principal, assignment: Assignment, now: datetime) -> None:
    """Mark the pick reviewed (the evaluation was just submitted by its holder)."""
    if not repo.complete(session, assignment.id, principal.id, now):
        raise InvalidTransition("You no longer hold this review; it was reassigned or finished")
    session.refresh(assignment)


def reassign(
    session: Session,
    principal: Principal,
    assignment_id: int,
    *,
    reviewer_id: int | None,
    settings: Settings,
) -> Assignment:
    """Hand a pick to another reviewer, or back to the open pool (QC leads and administrators)."""
    access.require_queue_manager(principal)
    assignment = get_assignment(session, assignment_id)
    if assignment.status not in (AssignmentStatus.OPEN, AssignmentStatus.IN_REVIEW):
        raise InvalidTransition(f"A {assignment.status.label.lower()} review cannot be reassigned")
    if reviewer_id is not None:
        reviewer = session.get(User, reviewer_id)
        if reviewer is None or reviewer.role not in access.REVIEWERS or not reviewer.is_active:
            raise InvalidInput("Choose an active reviewer", field="reviewer")
        check_rules(session, assignment, reviewer, settings)
    assignment.reviewer_id = reviewer_id
    assignment.status = AssignmentStatus.OPEN
    assignment.claimed_at = None
    assignment.assigned_by_id = principal.id
    session.flush()
    return assignment


def pick_call(
    session: Session, principal: Principal, call_id: int, *, settings: Settings, now: datetime | None = None
) -> Assignment:
    """Review a call that the queue did not pick: it counts for the rep's day and is yours."""
    from qc.calls import service as calls

    access.require_reviewer(principal)
    now = now or utcnow()
    call = calls.get_call(session, principal, call_id)
    if call.status is not CallStatus.SCORED:
        raise InvalidTransition(f"Only processed calls can be reviewed; this one is {call.status.value}")
    existing = repo.get_assignment_for_call(session, call.id)
    if existing is not None:
        if existing.reviewer_id == principal.id and existing.status is not AssignmentStatus.DONE:
            return claim(session, principal, existing.id, settings=settings, now=now)
        raise Conflict("This call is already in the review queue", details={"assignment_id": existing.id})
    policy = team_policy(session, call.team_id, settings)
    reviewer = _user(session, principal.id)
    if reviewer.id == call.rep_id:
        raise Forbidden("Nobody reviews their own calls")
    if policy.exclude_own_team and reviewer.team_id == call.team_id:
        raise Forbidden("This team's calls are reviewed by people outside the team")
    day = call.started_at.astimezone(zone(policy.timezone)).date()
    today = local_today(policy, now)
    assignment = Assignment(
        call_id=call.id,
        rep_id=call.rep_id,
        team_id=call.team_id,
        day=day,
        queue_date=max(day, today),
        reviewer_id=principal.id,
        status=AssignmentStatus.IN_REVIEW,
        reason=PickReason.MANUAL,
        reason_detail=f"Chosen by {principal.name}",
        slot="manual",
        language=call.language or call.detected_language,
        due_at=day_times(policy, max(day, today)).end,
        picked_at=now,
        claimed_at=now,
        assigned_by_id=principal.id,
    )
    session.add(assignment)
    session.flush()
    return assignment


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user


# Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    assignment: Assignment
    rep_label: str
    overdue: bool


def my_queue(
    session: Session, principal: Principal, *, settings: Settings, now: datetime | None = None
) -> list[QueueEntry]:
    """Your picks: unfinished ones (overdue first, then by due time) and those done today."""
    access.require_reviewer(principal)
    now = now or utcnow()
    start_of_day = datetime.combine(local_today(default_policy(settings), now), time.min)
    since = start_of_day.replace(tzinfo=zone(settings.timezone))
    entries = [
        QueueEntry(a, rep_label(session, principal, a, settings), _is_overdue(a, now))
        for a in repo.mine(session, principal.id, since)
    ]
    return sorted(entries, key=lambda e: _queue_order(e, now))


def _is_overdue(assignment: Assignment, now: datetime) -> bool:
    unfinished = assignment.status in (AssignmentStatus.OPEN, AssignmentStatus.IN_REVIEW)
    return unfinished and (assignment.overdue or assignment.due_at <= now)


def _queue_order(entry: QueueEntry, now: datetime) -> tuple[int, int, datetime, float, int]:
    a = entry.assignment
    finished = a.status not in (AssignmentStatus.OPEN, AssignmentStatus.IN_REVIEW)
    return (int(finished), int(not entry.overdue), a.due_at, -a.risk, a.id)


def open_pool(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 50,
) -> list[QueueEntry]:
    """Picks waiting for any reviewer that you may take."""
    access.require_reviewer(principal)
    now = now or utcnow()
    me = _user(session, principal.id)
    latest = max((local_today(p, now) for _, p in team_policies(session, settings)), default=now.date())
    entries = []
    for a in repo.pool(session, latest, limit * 2):
        try:
            check_rules(session, a, me, settings)
        except Forbidden:
            continue
        entries.append(QueueEntry(a, rep_label(session, principal, a, settings), _is_overdue(a, now)))
    return entries[:limit]


def rep_label(session: Session, principal: Principal, assignment: Assignment, settings: Settings) -> str:
    """The rep's name, or a stable alias where the team reviews blind."""
    blind = team_policy(session, assignment.team_id, settings).blind
    if access.sees_rep_names(principal, blind=blind):
        return assignment.rep.name
    return blind_alias(assignment.rep_id, settings)


def blind_alias(rep_id: int, settings: Settings) -> str:
    import hashlib
    import hmac

    digest = hmac.new(settings.session_secret().encode(), f"rep:{rep_id}".encode(), hashlib.sha256)
    return f"Rep {digest.hexdigest()[:4].upper()}"


# Coverage -----------------------------------------------------------------------------------------


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
    setup: ReviewerSetup
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
    queues = repo.queue_days(session, day)
    teams = [
        TeamDayState(team, policy, policy.is_working_day(day) and policy.target > 0, queues.get(team.id))
        for team, policy in team_policies(session, settings)
        if (visible is None or team.id in visible) and (team_id is None or team.id == team_id)
    ]
    by_team = {t.team.id: t for t in teams}
    stored = repo.rep_days(session, day)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for pick in repo.picks_for_day(session, day):
        tally = counts[pick.rep_id]
        tally["picked"] += 1
        tally["assigned"] += pick.reviewer_id is not None
        tally["done"] += pick.status is AssignmentStatus.DONE
        tally["missed"] += pick.status is AssignmentStatus.MISSED
    people = repo.reps_by_id(session, [rep_id for rep_id, _ in repo.active_reps(session)] + list(stored))
    reps = []
    for rep in sorted(people.values(), key=lambda u: (u.name, u.id)):
        row = stored.get(rep.id)
        team_state = by_team.get(row.team_id if row else rep.team_id or -1)
        if team_state is None or (row is None and not rep.is_active):
            continue
        target = row.target if row else (team_state.policy.target if team_state.working_day else 0)
        tally = counts[rep.id]
        closed = bool(team_state.queue and team_state.queue.is_closed)
        reason = live_reason(row.shortfall_reason if row else None, target, tally, closed=closed)
        reps.append(
            RepCoverage(
                rep,
                team_state.team,
                target,
                tally["picked"],
                tally["assigned"],
                tally["done"],
                tally["missed"],
                reason,
                row,
            )
        )
    return Coverage(day, teams, reps, _reviewer_loads(session, settings, day) if visible is None else [])


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
    return [ReviewerLoad(s, assigned[s.user.id], done[s.user.id]) for s in reviewer_setups(session, settings)]


def day_assignments(session: Session, principal: Principal, *, day: date) -> list[Assignment]:
    """Every pick counting for `day` or sitting in its queue (QC leads and administrators)."""
    access.require_queue_manager(principal)
    return repo.day_assignments(session, day, None)


def team_settings(
    session: Session, principal: Principal, team_id: int, *, settings: Settings
) -> tuple[Team, Policy]:
    """A team and its review policy (administrators and QC leads)."""
    access.require_queue_manager(principal)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team")
    return team, team_policy(session, team_id, settings)


def list_reviewers(session: Session, principal: Principal, *, settings: Settings) -> list[ReviewerSetup]:
    access.require_queue_manager(principal)
    return reviewer_setups(session, settings)


def find_assignment(session: Session, call_id: int) -> Assignment | None:
    """The call's pick, if it has been picked for review (no access check: callers show
    only what the principal may see)."""
    return repo.get_assignment_for_call(session, call_id)
