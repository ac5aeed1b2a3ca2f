"""Training rules: kept by QC leads and administrators, run for a rep on every submitted
review of their calls and for every rep nightly. The decision itself is `rules.decide`;
this module gathers what it needs and carries it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, NotFound
from qc.evaluations import outcomes as item_outcomes
from qc.jobs.events import EventRecord
from qc.training import access, service
from qc.training import repository as repo
from qc.training.catalogue import TrainingInvalid, find_module, item_choices
from qc.training.models import TrainingAssignment, TrainingRule
from qc.training.rules import Action, AssignmentState, Decision, RuleSpec, decide
from qc.users import service as users
from qc.users.models import Role, User
from qc.users.schemas import Principal

MAX_N = 100
MAX_DAYS = 365
WITHDRAWN_BY_RULE = "The reviews no longer show the need: the rule that assigned it took it back"


@dataclass
class RuleInput:
    name: str = ""
    module_id: int | None = None
    team_id: int | None = None  # None: every team
    item: str = ""  # "scorecard:item"
    min_failed: int | None = 2
    last_reviews: int | None = 5
    cooldown_days: int | None = 30
    due_days: int | None = 14
    withdraw_unmatched: bool = True


def _require_keeper(principal: Principal) -> None:
    if not access.keeps_catalogue(principal):
        raise Forbidden("Training rules are kept by QC leads and administrators")


def _number(value: int | None, low: int, high: int, name: str, label: str, errors: dict[str, str]) -> int:
    if value is None or not low <= value <= high:
        errors[name] = f"Enter {label}, a whole number from {low} to {high}"
        return low
    return value


def _team_exists(session: Session, team_id: int) -> bool:
    try:
        users.get_team(session, team_id)
    except NotFound:
        return False
    return True


def _check(session: Session, data: RuleInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 3 <= len(data.name.strip()) <= 200:
        errors["name"] = "Name the rule (3 to 200 characters)"
    if data.module_id is None or find_module(session, data.module_id) is None:
        errors["module"] = "Choose the module it assigns"
    if data.item not in item_choices(session):
        errors["item"] = "Choose the item from the list"
    if data.team_id is not None and not _team_exists(session, data.team_id):
        errors["team"] = "Choose a team from the list, or every team"
    n = _number(data.last_reviews, 1, MAX_N, "last_reviews", "how many recent calls count", errors)
    k = _number(data.min_failed, 1, MAX_N, "min_failed", "how many of them must fail", errors)
    if "last_reviews" not in errors and "min_failed" not in errors and k > n:
        errors["min_failed"] = f"At most {n}: it counts failures among the last {n} calls"
    _number(data.cooldown_days, 0, MAX_DAYS, "cooldown_days", "the cooldown in days", errors)
    _number(data.due_days, 1, MAX_DAYS, "due_days", "the days to complete it", errors)
    return errors


def _apply(rule: TrainingRule, data: RuleInput) -> None:
    assert data.module_id is not None and data.min_failed is not None and data.last_reviews is not None
    assert data.cooldown_days is not None and data.due_days is not None
    rule.name, rule.module_id, rule.team_id = data.name.strip(), data.module_id, data.team_id
    rule.scorecard_id, rule.item_id = data.item.split(":", 1)
    rule.min_failed, rule.last_reviews = data.min_failed, data.last_reviews
    rule.cooldown_days, rule.due_days = data.cooldown_days, data.due_days
    rule.withdraw_unmatched = data.withdraw_unmatched


def create_rule(session: Session, principal: Principal, *, data: RuleInput) -> TrainingRule:
    """Add a rule; it runs from the next submitted review (and nightly)."""
    _require_keeper(principal)
    errors = _check(session, data)
    if errors:
        raise TrainingInvalid(errors)
    rule = TrainingRule(created_by_id=principal.id)
    _apply(rule, data)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, principal: Principal, rule_id: int, *, data: RuleInput) -> TrainingRule:
    _require_keeper(principal)
    rule = get_rule(session, principal, rule_id)
    errors = _check(session, data)
    if errors:
        raise TrainingInvalid(errors)
    _apply(rule, data)
    session.flush()
    return rule


def set_active(session: Session, principal: Principal, rule_id: int, *, active: bool) -> TrainingRule:
    """Disable a rule (what it assigned stays) or enable it again."""
    _require_keeper(principal)
    rule = get_rule(session, principal, rule_id)
    rule.is_active = active
    session.flush()
    return rule


def get_rule(session: Session, principal: Principal, rule_id: int) -> TrainingRule:
    if principal.role not in access.TRAINERS:
        raise Forbidden("Training rules are for managers, QC leads and administrators")
    rule = repo.get_rule(session, rule_id)
    if rule is None:
        raise NotFound(f"Training rule {rule_id} does not exist")
    return rule


def list_rules(session: Session, principal: Principal) -> list[TrainingRule]:
    """Every rule, by name: managers read them, QC leads and administrators change them."""
    if principal.role not in access.TRAINERS:
        raise Forbidden("Training rules are for managers, QC leads and administrators")
    return repo.rules(session)


def input_of(rule: TrainingRule) -> RuleInput:
    return RuleInput(
        name=rule.name,
        module_id=rule.module_id,
        team_id=rule.team_id,
        item=rule.item_key,
        min_failed=rule.min_failed,
        last_reviews=rule.last_reviews,
        cooldown_days=rule.cooldown_days,
        due_days=rule.due_days,
        withdraw_unmatched=rule.withdraw_unmatched,
    )


# Running ----------------------------------------------------------------------------------------------


def spec_of(rule: TrainingRule) -> RuleSpec:
    return RuleSpec(
        rule.id,
        rule.scorecard_id,
        rule.item_id,
        rule.min_failed,
        rule.last_reviews,
        rule.cooldown_days,
        rule.withdraw_unmatched,
    )


def state_of(assignment: TrainingAssignment) -> AssignmentState:
    done = (
        datetime.combine(assignment.completed_on, time(0), tzinfo=UTC)
        if assignment.completed_on is not None
        else None
    )
    return AssignmentState(
        assignment.id, assignment.rule_id, assignment.status, assignment.started_at is not None, done
    )


def run_for_rep(
    session: Session, rep: User, *, settings: Settings, now: datetime | None = None
) -> list[tuple[TrainingRule, Decision]]:
    """Run every active rule for the rep; what was decided (and done), rule by rule."""
    now = now or utcnow()
    if rep.role is not Role.REP or not rep.is_active or rep.team_id is None:
        return []
    rules = [r for r in repo.rules(session, active_only=True) if r.team_id in (None, rep.team_id)]
    if not rules:
        return []
    recent = item_outcomes.last_reviewed(session, rep.id, last=max(r.last_reviews for r in rules))
    held = repo.assignments(session, rep_ids=[rep.id])
    done = []
    for rule in rules:
        mine = [a for a in held if a.module_id == rule.module_id]
        decision = decide(spec_of(rule), recent, [state_of(a) for a in mine], now)
        _carry_out(session, rule, rep, decision, mine, settings=settings, now=now)
        if decision.action is Action.ASSIGN:
            held = repo.assignments(session, rep_ids=[rep.id])
        done.append((rule, decision))
    return done


def _carry_out(
    session: Session,
    rule: TrainingRule,
    rep: User,
    decision: Decision,
    mine: Sequence[TrainingAssignment],
    *,
    settings: Settings,
    now: datetime,
) -> None:
    if decision.action is Action.ASSIGN:
        module = find_module(session, rule.module_id)
        assert rep.team_id is not None and module is not None
        due = service.team_today(session, rep.team_id, settings, now) + timedelta(days=rule.due_days)
        service.new_assignment(session, module, rep, due_date=due, rule_id=rule.id, now=now)
    elif decision.action is Action.WITHDRAW:
        for assignment in (a for a in mine if a.id in decision.withdraw):
            service.withdraw_now(session, assignment, reason=WITHDRAWN_BY_RULE, now=now)


def run_all(session: Session, *, settings: Settings, now: datetime | None = None) -> int:
    """Run the rules for every active rep (nightly); how many assignments they changed."""
    if not repo.rules(session, active_only=True):
        return 0
    changed = 0
    for rep in users.list_all(session, role=Role.REP):
        decisions = run_for_rep(session, rep, settings=settings, now=now)
        changed += sum(d.action is not Action.NOTHING for _rule, d in decisions)
    return changed


def on_evaluation_submitted(session: Session, event: EventRecord, *, settings: Settings) -> None:
    """Run the rules for the rep of a submitted (or corrected) review. Idempotent: an open
    assignment of a module is never given twice."""
    try:
        rep = users.get_person(session, int(event.payload["rep_id"]))
    except (KeyError, TypeError, ValueError, NotFound):
        return
    run_for_rep(session, rep, settings=settings)
