"""The review queue's settings and its daily work: team policies, reviewers, claiming,
handing out and reading picks. Building days is in `builder`, coverage in `coverage`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from qc.kit.forms import parse_int
from qc.kit.languages import clean_language
from qc.reviews import access
from qc.reviews import repository as repo
from qc.reviews.allocation import Reviewer
from qc.reviews.models import Assignment, AssignmentStatus, PickReason, ReviewerProfile, ReviewPolicy
from qc.reviews.policy import (
    Policy,
    day_times,
    format_working_days,
    local_today,
    parse_working_days,
    review_day,
    zone,
)
from qc.users import service as users
from qc.users.models import Role, Team, User
from qc.users.schemas import Principal

# Policies -----------------------------------------------------------------------------------------


def default_policy(settings: Settings) -> Policy:
    """The policy of teams that have not set their own."""
    return Policy(
        target=settings.review_target,
        timezone=settings.timezone,
        min_duration_s=settings.review_min_call_s,
    )


def policy_of(team: Team, row: ReviewPolicy | None, settings: Settings) -> Policy:
    """A team's stored policy as values, or the defaults when the team has none."""
    if row is None:
        return replace(default_policy(settings), blind=team.blind_review)
    return _policy_from_row(team, row)


def _policy_from_row(team: Team, row: ReviewPolicy) -> Policy:
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
        blind=team.blind_review,
    )


def team_policy(session: Session, team_id: int, settings: Settings) -> Policy:
    """The policy a team's queue is built with today."""
    team = session.get(Team, team_id)
    if team is None:
        return default_policy(settings)
    return policy_of(team, repo.get_policy(session, team_id), settings)


def team_policies(session: Session, settings: Settings) -> list[tuple[Team, Policy]]:
    """Every team with its policy (one query)."""
    return [(team, policy_of(team, row, settings)) for team, row in repo.teams_with_policies(session)]


def policy_map(session: Session, settings: Settings) -> dict[int, Policy]:
    """Every team's policy by team id (one query)."""
    return {team.id: policy for team, policy in team_policies(session, settings)}


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
    # Not sampling, but the team's too: swap a call's sides when its agent channel looks swapped.
    swap_sides: bool = False


def update_policy(session: Session, principal: Principal, *, team_id: int, form: PolicyForm) -> Policy:
    """Set how a team's calls are sampled (administrators and QC leads); it applies from the
    next day's queue (a day keeps the policy it was started with)."""
    access.require_queue_manager(principal)
    team = session.get(Team, team_id)
    if team is None:
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
    if not days:
        raise InvalidInput("Choose at least one working day", field="working_days")
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
    # Read when a reviewer signs in or sends a request: it applies at once, on every page.
    team.blind_review = form.blind
    team.swap_sides = form.swap_sides
    session.add(row)
    session.flush()
    return _policy_from_row(team, row)


def _minutes(value: str, field: str) -> int:
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput("Times look like 09:00", field=field) from exc
    minutes = parsed.hour * 60 + parsed.minute
    return 24 * 60 if field == "day_end" and minutes == 0 else minutes


def team_settings(
    session: Session, principal: Principal, team_id: int, *, settings: Settings
) -> tuple[Team, Policy]:
    """A team and its review policy (administrators and QC leads)."""
    access.require_queue_manager(principal)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team")
    return team, team_policy(session, team_id, settings)


# Reviewers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerSetup:
    user: User
    capacity: int
    languages: list[str]
    available: bool
    has_profile: bool
    locked_by: str | None = None  # who locked these settings (a QC lead or administrator)
    locked_at: datetime | None = None

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


def reviewer_setups(session: Session, settings: Settings) -> list[ReviewerSetup]:
    """Everyone who may take queue work, with their capacity and languages."""
    rows = repo.reviewers_with_profiles(session)
    lockers = {p.locked_by_id for _, p in rows if p is not None and p.locked_by_id is not None}
    names = users.names_of(session, lockers)
    return [_setup(user, profile, settings, names) for user, profile in rows]


def _setup(
    user: User, profile: ReviewerProfile | None, settings: Settings, names: dict[int, str]
) -> ReviewerSetup:
    if profile is None:
        # Reviewers take queue work by default; QC leads only once they set a capacity.
        return ReviewerSetup(user, settings.reviewer_capacity, [], user.role is Role.REVIEWER, False)
    locker = names.get(profile.locked_by_id, "A former QC lead") if profile.locked_by_id else None
    return ReviewerSetup(
        user,
        profile.daily_capacity,
        list(profile.languages),
        profile.is_available,
        True,
        locker if profile.locked_at else None,
        profile.locked_at,
    )


def list_reviewers(session: Session, principal: Principal, *, settings: Settings) -> list[ReviewerSetup]:
    """Reviewers with their settings (administrators and QC leads)."""
    access.require_queue_manager(principal)
    return reviewer_setups(session, settings)


def my_setup(session: Session, principal: Principal, *, settings: Settings) -> ReviewerSetup | None:
    """Your own capacity, languages and availability, and whether a QC lead locked them."""
    return next((s for s in reviewer_setups(session, settings) if s.user.id == principal.id), None)


def update_reviewer(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    capacity: int | str,
    languages: list[str],
    available: bool,
    locked: bool | None = None,
) -> ReviewerProfile:
    """Set a reviewer's daily capacity (a number, or the form's text), languages and availability.

    Reviewers may set their own unless a QC lead or administrator locked them (`locked`, which
    only they may set): work is shared by these numbers, so the QC lead has the last word."""
    manager = principal.role in access.QUEUE_MANAGERS
    if not (principal.id == user_id or manager):
        raise Forbidden("Only administrators and QC leads can change other reviewers' settings")
    user = session.get(User, user_id)
    if user is None or user.role not in repo.REVIEWING_ROLES:
        raise NotFound("No such reviewer")
    profile = repo.get_profile(session, user_id) or ReviewerProfile(user_id=user_id)
    if not manager and profile.locked_at is not None:
        raise Forbidden(
            "Your QC lead has locked your capacity, languages and availability; "
            "ask them to change them or to unlock them"
        )
    if isinstance(capacity, str):
        capacity = parse_int(capacity, field="capacity", low=0, high=1000)
    if not 0 <= capacity <= 1000:
        raise InvalidInput("Calls a day must be between 0 and 1000", field="capacity")
    cleaned = sorted({code for code in (clean_language(v) for v in languages) if code})
    profile.daily_capacity = capacity
    profile.languages = cleaned
    profile.is_available = available
    if manager and locked is not None and locked != (profile.locked_at is not None):
        profile.locked_by_id, profile.locked_at = (principal.id, utcnow()) if locked else (None, None)
    session.add(profile)
    session.flush()
    return profile


def available_reviewers(session: Session, settings: Settings, queue_date: date) -> list[Reviewer]:
    """Reviewers taking work, with what they already hold in the day's queue."""
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


def _languages(session: Session, user_id: int) -> frozenset[str]:
    profile = repo.get_profile(session, user_id)
    return frozenset(profile.languages) if profile else frozenset()


# Claiming and handing out -------------------------------------------------------------------------


def get_assignment(session: Session, assignment_id: int) -> Assignment:
    """A pick with its call, rep, reviewer and team (no access check)."""
    assignment = repo.get_assignment(session, assignment_id)
    if assignment is None:
        raise NotFound(f"Review {assignment_id} does not exist")
    return assignment


@dataclass(frozen=True)
class Rules:
    """What bars a reviewer from a pick: their own calls, their own team's where the team
    says so, and (for picks they take or are given) calls in a language they do not review."""

    reviewer_id: int
    team_id: int | None
    languages: frozenset[str]

    def refusal(self, assignment: Assignment, policy: Policy, *, language: bool) -> str | None:
        if self.reviewer_id == assignment.rep_id:
            return "Nobody reviews their own calls"
        if policy.exclude_own_team and self.team_id == assignment.team_id:
            return "This team's calls are reviewed by people outside the team"
        spoken = self.languages
        if language and spoken and assignment.language and assignment.language not in spoken:
            return f"This call is in {assignment.language}; the reviewer reviews {', '.join(sorted(spoken))}"
        return None


def rules_for(session: Session, user: User) -> Rules:
    """What bars `user` from picks (see `Rules`)."""
    return Rules(user.id, user.team_id, _languages(session, user.id))


def _check(
    session: Session, assignment: Assignment, user: User, settings: Settings, *, language: bool
) -> None:
    refusal = rules_for(session, user).refusal(
        assignment, team_policy(session, assignment.team_id, settings), language=language
    )
    if refusal:
        raise Forbidden(refusal)


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
    from_pool = assignment.reviewer_id is None
    _check(session, assignment, get_user(session, principal.id), settings, language=from_pool)
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
        return Conflict("This review was missed and closed")
    holder = get_user(session, assignment.reviewer_id) if assignment.reviewer_id else None
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
        _check(session, assignment, reviewer, settings, language=True)
    seen = (assignment.status, assignment.reviewer_id)
    if not repo.reassign(session, assignment.id, seen=seen, reviewer_id=reviewer_id, by=principal.id):
        raise Conflict("The review changed meanwhile (claimed or finished); reload the page")
    session.refresh(assignment)
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
    repo.lock_queue(session)  # builders insert picks too
    existing = repo.get_assignment_for_call(session, call.id)
    if existing is not None:
        if existing.reviewer_id == principal.id and existing.status is not AssignmentStatus.DONE:
            return claim(session, principal, existing.id, settings=settings, now=now)
        raise Conflict("This call is already in the review queue", details={"assignment_id": existing.id})
    policy = team_policy(session, call.team_id, settings)
    refusal = rules_for(session, get_user(session, principal.id)).refusal(
        _as_pick(call), policy, language=False
    )
    if refusal:
        raise Forbidden(refusal)
    assignment = _manual_pick(call, policy, principal, now)
    try:
        with session.begin_nested():
            session.add(assignment)
    except IntegrityError as exc:
        raise Conflict("This call was just picked by someone else; reload the page") from exc
    return assignment


def _as_pick(call: Call) -> Assignment:
    return Assignment(
        rep_id=call.rep_id, team_id=call.team_id, language=call.language or call.detected_language
    )


def _manual_pick(call: Call, policy: Policy, principal: Principal, now: datetime) -> Assignment:
    day = review_day(policy, call.started_at)
    queue_date = max(day, local_today(policy, now))
    return Assignment(
        call_id=call.id,
        rep_id=call.rep_id,
        team_id=call.team_id,
        day=day,
        queue_date=queue_date,
        reviewer_id=principal.id,
        status=AssignmentStatus.IN_REVIEW,
        reason=PickReason.MANUAL,
        reason_detail=f"Chosen by {principal.name}",
        slot="manual",
        language=call.language or call.detected_language,
        due_at=day_times(policy, queue_date).close,
        picked_at=now,
        claimed_at=now,
        assigned_by_id=principal.id,
    )


def may_pick(session: Session, principal: Principal, call: Call, *, settings: Settings) -> bool:
    """Would `pick_call` accept this call from `principal`? (For the call page's button.)"""
    if principal.role not in access.REVIEWERS or call.status is not CallStatus.SCORED:
        return False
    if repo.get_assignment_for_call(session, call.id) is not None:
        return False
    rules = rules_for(session, get_user(session, principal.id))
    return rules.refusal(_as_pick(call), team_policy(session, call.team_id, settings), language=False) is None


def find_assignment(session: Session, call_id: int) -> Assignment | None:
    """The call's pick, if it has been picked for review (no access check: callers show
    only what the principal may see)."""
    return repo.get_assignment_for_call(session, call_id)


def get_user(session: Session, user_id: int) -> User:
    """A user by id (NotFound otherwise)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user")
    return user
