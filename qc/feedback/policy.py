"""A team's feedback rules: release delay, acknowledgement, dispute window, cap, resolver, due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.errors import Forbidden, InvalidInput
from qc.feedback import access
from qc.feedback.models import DisputeResolver, FeedbackPolicy
from qc.reviews import service as queue
from qc.reviews.policy import zone
from qc.users import service as users
from qc.users.models import Team
from qc.users.schemas import Principal


@dataclass(frozen=True)
class Rules:
    release_delay_hours: float
    acknowledge_within_days: int
    dispute_window_days: int
    dispute_max_items: int
    dispute_resolver: DisputeResolver
    dispute_due_working_days: int


def default_rules(settings: Settings) -> Rules:
    return Rules(
        release_delay_hours=settings.release_delay_hours,
        acknowledge_within_days=settings.acknowledge_within_days,
        dispute_window_days=settings.dispute_window_days,
        dispute_max_items=settings.dispute_max_items,
        dispute_resolver=DisputeResolver(settings.dispute_resolver),
        dispute_due_working_days=settings.dispute_due_working_days,
    )


def team_rules(session: Session, team_id: int, settings: Settings) -> Rules:
    """The team's rules, or the settings' defaults when it has none of its own."""
    row = session.get(FeedbackPolicy, team_id)
    if row is None:
        return default_rules(settings)
    return Rules(
        release_delay_hours=row.release_delay_hours,
        acknowledge_within_days=row.acknowledge_within_days,
        dispute_window_days=row.dispute_window_days,
        dispute_max_items=row.dispute_max_items,
        dispute_resolver=row.dispute_resolver,
        dispute_due_working_days=row.dispute_due_working_days,
    )


def editable_rules(
    session: Session, principal: Principal, *, team_id: int, settings: Settings
) -> tuple[Team, Rules]:
    """A team and its rules, for the people who may change them."""
    if principal.role not in access.POLICY_EDITORS:
        raise Forbidden("Only QC leads and administrators change a team's feedback rules")
    return users.get_team(session, team_id), team_rules(session, team_id, settings)


LIMITS = {
    "release_delay_hours": (0, 24 * 14),
    "acknowledge_within_days": (1, 60),
    "dispute_window_days": (1, 90),
    "dispute_max_items": (1, 50),
    "dispute_due_working_days": (1, 30),
}


def update_team_rules(
    session: Session, principal: Principal, *, team_id: int, values: dict[str, str], settings: Settings
) -> Rules:
    """Change a team's feedback rules (QC leads and administrators); InvalidInput lists every
    field that is wrong, keyed by field name."""
    if principal.role not in access.POLICY_EDITORS:
        raise Forbidden("Only QC leads and administrators change a team's feedback rules")
    users.get_team(session, team_id)
    errors: dict[str, str] = {}
    parsed: dict[str, float] = {}
    for name, (low, high) in LIMITS.items():
        raw = (values.get(name) or "").strip()
        try:
            number = float(raw)
        except ValueError:
            errors[name] = f"Enter a number between {low} and {high}"
            continue
        whole = name != "release_delay_hours"
        if not low <= number <= high or (whole and number != int(number)):
            kind = "a whole number" if whole else "hours"
            errors[name] = f"Enter {kind} between {low} and {high}"
            continue
        parsed[name] = number
    resolver = values.get("dispute_resolver", "")
    if resolver not in {r.value for r in DisputeResolver}:
        errors["dispute_resolver"] = "Choose who resolves disputes"
    if errors:
        raise InvalidInput(f"{len(errors)} field(s) need your attention", details={"errors": errors})
    row = session.get(FeedbackPolicy, team_id) or FeedbackPolicy(team_id=team_id)
    row.release_delay_hours = parsed["release_delay_hours"]
    row.acknowledge_within_days = int(parsed["acknowledge_within_days"])
    row.dispute_window_days = int(parsed["dispute_window_days"])
    row.dispute_max_items = int(parsed["dispute_max_items"])
    row.dispute_due_working_days = int(parsed["dispute_due_working_days"])
    row.dispute_resolver = DisputeResolver(resolver)
    session.add(row)
    session.flush()
    return team_rules(session, team_id, settings)


def add_working_days(
    session: Session, team_id: int, start: datetime, days: int, *, settings: Settings
) -> datetime:
    """`start` moved on by `days` of the team's working days, at the same local clock time."""
    policy = queue.team_policy(session, team_id, settings)
    tz = zone(policy.timezone)
    local = start.astimezone(tz)
    day, counted = local.date(), 0
    for _ in range(days * 7 + 7):
        if counted >= days:
            break
        day += timedelta(days=1)
        if policy.is_working_day(day):
            counted += 1
    moment = datetime.combine(day, time(local.hour, local.minute, local.second), tzinfo=tz)
    return moment.astimezone(start.tzinfo)
