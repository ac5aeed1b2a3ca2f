"""Building the day's queue: the picks that are due, shared out to reviewers; closing days."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from qc.calls.models import CallStatus
from qc.config import Settings
from qc.db import utcnow
from qc.errors import InvalidInput
from qc.kit.timeutil import MAX_YEAR, MIN_YEAR
from qc.reviews import access, service
from qc.reviews import repository as repo
from qc.reviews.allocation import Group, Reviewer, may_review
from qc.reviews.models import AssignmentStatus, QueueDay, QueueMode
from qc.reviews.planner import (
    CallFacts,
    CallState,
    ExistingPick,
    NewPick,
    Plan,
    RepDayInput,
    RepOutcome,
    plan_day,
)
from qc.reviews.policy import (
    DayTimes,
    Policy,
    day_times,
    local_today,
    next_working_day,
    previous_working_day,
    working_day_from,
)
from qc.users.models import Team
from qc.users.schemas import Principal


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


def check_day(day: date) -> None:
    """Refuse days no queue can be built for (far past or future)."""
    if not MIN_YEAR <= day.year <= MAX_YEAR - 1:
        raise InvalidInput(f"The day must be between {MIN_YEAR} and {MAX_YEAR - 1}", field="date")


# Who is being coached on what: rep id -> (scorecard, item) keys. The composition module
# hands this in (coaching sits above the queue); without it no call is preferred for it.
FocusSource = Callable[[Session, list[int], datetime], dict[int, set[tuple[str, str]]]]
_focus_source: FocusSource | None = None


def set_focus_source(source: FocusSource | None) -> None:
    global _focus_source
    _focus_source = source


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
    draws of a day built for the first time (tests, reproductions). A day keeps the
    policy it was started with.
    """
    if principal is not None:
        access.require_queue_manager(principal)
    check_day(day)
    now = now or utcnow()
    repo.lock_queue(session)
    report = BuildReport(day=day)
    team_days = _team_days(session, day, settings, now, draw_now=draw_now, seed=seed, report=report)
    if not team_days:
        return report
    reviewers = service.available_reviewers(session, settings, day)
    excluding = {t.team.id for t in team_days.values() if t.policy.exclude_own_team}
    report.pooled_assigned = _assign_pool(session, day, reviewers, excluding)
    if report.pooled_assigned:
        reviewers = service.available_reviewers(session, settings, day)
    inputs = _inputs(session, day, team_days, now)
    plan = plan_day(inputs, reviewers, now)
    _store_plan(session, plan, day, {i.rep_id: team_days[i.team_id] for i in inputs}, now)
    report.picked = len(plan.picks)
    report.assigned = sum(1 for p in plan.picks if p.reviewer_id is not None)
    for team_day in team_days.values():
        team_day.queue.builds += 1
        team_day.queue.built_at = now
        report.built.append(team_day.team.name)
        if team_day.closing:
            _close(session, team_day, now, report)
    session.flush()
    return report


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
    for team, current in service.team_policies(session, settings):
        queue = existing.get(team.id)
        policy = Policy.from_dict(queue.policy) if queue is not None else current
        times = day_times(policy, day)
        skip = _why_skipped(policy, times, queue, day, now)
        if skip:
            report.skipped[team.name] = skip
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
        closing = now >= times.close
        result[team.id] = _TeamDay(
            team, policy, times, queue, closing or queue.mode is QueueMode.NOW, closing
        )
    return result


def _why_skipped(
    policy: Policy, times: DayTimes, queue: QueueDay | None, day: date, now: datetime
) -> str | None:
    if not policy.is_working_day(day):
        return "not a working day"
    if policy.target == 0:
        return "target is 0"
    if now < times.midnight:
        return "the day has not started"
    if queue is not None and queue.is_closed:
        return "already closed"
    return None


_STATE = {
    CallStatus.SCORED: CallState.SCORED,
    CallStatus.FAILED: CallState.FAILED,
}


def _inputs(session: Session, day: date, team_days: dict[int, _TeamDay], now: datetime) -> list[RepDayInput]:
    """What the planner needs per rep: the rep's calls of the review day and existing picks."""
    reps = [(rep_id, team_id) for rep_id, team_id in repo.active_reps(session) if team_id in team_days]
    calls = _with_focus(session, _calls_by_rep(session, {r: team_days[t].times for r, t in reps}), now)
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
            calls=calls.get(rep_id, []),
            existing=existing.get(rep_id, []),
        )
        for rep_id, team_id in sorted(reps)
    ]


def _calls_by_rep(session: Session, window: dict[int, DayTimes]) -> dict[int, list[CallFacts]]:
    """Each rep's calls within their team's review day, read in one query."""
    result: dict[int, list[CallFacts]] = defaultdict(list)
    if not window:
        return result
    start = min(t.start for t in window.values())
    end = max(t.end for t in window.values())
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
            ok,
        ) = row
        times = window.get(rep_id)
        if times is None or not times.holds(started_at):
            continue
        state = _STATE.get(status, CallState.PROCESSING)
        facts = (call_id, rep_id, team_id, started_at, duration, state, language, score, bool(critical))
        result[rep_id].append(CallFacts(*facts, review or 0, asr, bool(taken), bool(ok)))
    return result


def _with_focus(
    session: Session, calls: dict[int, list[CallFacts]], now: datetime
) -> dict[int, list[CallFacts]]:
    """Mark the calls that failed (or left to a person) the items their rep is coached on."""
    focus = _focus_source(session, sorted(calls), now) if _focus_source is not None and calls else {}
    if not focus:
        return calls
    ids = [c.id for rep_id in focus for c in calls.get(rep_id, [])]
    keys = set().union(*focus.values())
    hits: dict[int, int] = defaultdict(int)
    rep_of = {c.id: c.rep_id for rep_id in focus for c in calls.get(rep_id, [])}
    for call_id, scorecard_id, item_id in repo.focus_hits(session, ids, keys):
        hits[call_id] += (scorecard_id, item_id) in focus.get(rep_of[call_id], set())
    return {
        rep_id: [c._replace(focus_hits=hits[c.id]) if hits.get(c.id) else c for c in rep_calls]
        for rep_id, rep_calls in calls.items()
    }


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
        if repo.assign_open(session, pick.id, chosen.id):  # a reviewer may have taken it meanwhile
            room[chosen.id] -= 1
            count += 1
    return count


def _store_plan(
    session: Session, plan: Plan, day: date, rep_team: dict[int, _TeamDay], now: datetime
) -> None:
    """Write the new picks and each rep's quota for the day (only rows that changed)."""
    repo.insert_picks(session, [_pick_row(p, day, rep_team[p.rep_id], now) for p in plan.picks])
    stored = repo.rep_days(session, day)
    new, changed = [], []
    for rep_id, outcome in plan.outcomes.items():
        values = _quota_values(outcome, rep_team[rep_id], now)
        row = stored.get(rep_id)
        if row is None:
            new.append({"rep_id": rep_id, "day": day, **values})
        elif any(getattr(row, key) != value for key, value in values.items() if key != "updated_at"):
            changed.append({"id": row.id, **values})
    repo.save_rep_days(session, new, changed)


def _pick_row(pick: NewPick, day: date, team_day: _TeamDay, now: datetime) -> dict[str, Any]:
    return {
        "call_id": pick.call_id,
        "rep_id": pick.rep_id,
        "team_id": pick.team_id,
        "day": day,
        "queue_date": day,
        "reviewer_id": pick.reviewer_id,
        "status": AssignmentStatus.OPEN,
        "reason": pick.reason,
        "reason_detail": pick.detail,
        "slot": pick.slot,
        "risk": pick.risk,
        "language": pick.language,
        "overdue": False,
        "due_at": team_day.times.close,
        "picked_at": now,
    }


def _quota_values(outcome: RepOutcome, team_day: _TeamDay, now: datetime) -> dict[str, Any]:
    return {
        "queue_day_id": team_day.queue.id,
        "team_id": team_day.team.id,
        "target": outcome.target,
        "calls": outcome.calls,
        "eligible": outcome.eligible,
        "too_short": outcome.too_short,
        "processing": outcome.processing,
        "failed": outcome.failed,
        "no_scorecard": outcome.no_scorecard,
        "reviewed_elsewhere": outcome.reviewed_elsewhere,
        "shortfall_reason": outcome.reason,
        "updated_at": now,
    }


def _close(session: Session, team_day: _TeamDay, now: datetime, report: BuildReport) -> None:
    """End of the day: unfinished picks roll over once to the next working day, overdue;
    those already rolled over are missed."""
    policy, day = team_day.policy, team_day.times.day
    target = working_day_from(policy, max(next_working_day(policy, day), local_today(policy, now)))
    report.missed += repo.mark_missed(session, team_day.team.id, day)
    report.rolled_over += repo.roll_over(
        session, team_day.team.id, day, to=target, due_at=day_times(policy, target).close
    )
    team_day.queue.is_closed = True
    team_day.queue.closed_at = now
    report.closed.append(team_day.team.name)


def refresh_queues(session: Session, *, settings: Settings, now: datetime | None = None) -> list[BuildReport]:
    """The periodic job: fill every team's today, and close days that are over."""
    now = now or utcnow()
    policies = service.team_policies(session, settings)
    days = {local_today(policy, now) for _, policy in policies}
    # A working day the job missed entirely (the worker was down) is drawn and closed late.
    days |= {previous_working_day(policy, local_today(policy, now)) for _, policy in policies}
    days |= set(repo.open_days_before(session, max(days, default=now.date())))
    reports = []
    for day in sorted(days):
        report = build_queue(session, day=day, settings=settings, now=now)
        if report.built or report.closed:
            reports.append(report)
    return reports
