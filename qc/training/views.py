"""What the training pages and API show: rows with their names, due state, effects and
what the viewer may do; and the forms read from their fields (every field's error at once).

The rules stay in the services and `access`; this module only gathers and shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from sqlalchemy.orm import Session

from qc.coaching.effect import FocusEffect
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, NotFound
from qc.training import access, catalogue, rulebook, service
from qc.training import repository as repo
from qc.training.catalogue import ModuleInput, TrainingInvalid
from qc.training.effect import effects
from qc.training.models import (
    TrainingAssignment,
    TrainingModule,
    TrainingModuleVersion,
    TrainingRule,
)
from qc.training.rulebook import RuleInput
from qc.training.service import AssignInput, CompletionInput
from qc.users import service as users
from qc.users.models import Team, User
from qc.users.schemas import Principal

FormValues = dict[str, str]
T = TypeVar("T")


# Reading typed fields ---------------------------------------------------------------------------------


def _int(values: FormValues, name: str, errors: dict[str, str], *, required: bool = True) -> int | None:
    text = values.get(name, "").strip()
    if not text:
        if required:
            errors[name] = "Enter a whole number"
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        errors[name] = "Enter a whole number"
        return None
    return int(text)


def _date(values: FormValues, name: str, errors: dict[str, str]) -> date | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter the date like 2026-11-30"
        return None


def _together(session: Session, errors: dict[str, str], change: Callable[[], T]) -> T:
    """Run the service's change in a savepoint, undone when the form had errors of its own,
    so that the form's errors and the service's are reported together."""
    try:
        with session.begin_nested():
            done = change()
            if errors:
                raise TrainingInvalid(errors)
    except TrainingInvalid as exc:
        raise TrainingInvalid({**exc.errors, **errors}) from None
    return done


# The catalogue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CataloguePage:
    modules: list[TrainingModule]
    can_edit: bool
    can_assign: bool
    own_record: int | None  # the rep's id, for the link to their record


def catalogue_page(session: Session, principal: Principal) -> CataloguePage:
    modules = catalogue.list_modules(session, principal)
    own = principal.id if principal.role.value == "rep" else None
    return CataloguePage(modules, access.keeps_catalogue(principal), principal.role in access.TRAINERS, own)


@dataclass(frozen=True)
class ModulePage:
    module: TrainingModule
    shown: TrainingModuleVersion
    labels: dict[str, str]
    can_edit: bool
    can_assign: bool

    @property
    def is_latest(self) -> bool:
        return self.shown.version == self.module.latest_version


def module_page(session: Session, principal: Principal, module_id: int, *, version: int | None) -> ModulePage:
    """A module as one of its versions says it (the newest by default), with its history."""
    module = catalogue.get_module(session, principal, module_id)
    number = version or module.latest_version
    shown = next((v for v in module.versions if v.version == number), None)
    if shown is None:
        raise NotFound(f"Module {module_id} has no version {number}")
    return ModulePage(
        module,
        shown,
        catalogue.item_choices(session),
        access.keeps_catalogue(principal),
        principal.role in access.TRAINERS,
    )


@dataclass
class ModuleForm:
    values: FormValues = field(default_factory=dict)
    items: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, data: ModuleInput) -> ModuleForm:
        values = {
            "title": data.title,
            "description": data.description,
            "material_url": data.material_url,
            "material_text": data.material_text,
            "expected_minutes": str(data.expected_minutes or ""),
            "pass_mark": str(data.pass_mark) if data.pass_mark is not None else "",
        }
        if data.has_assessment:
            values["has_assessment"] = "1"
        return cls(values, list(data.items))


def module_input(form: ModuleForm) -> tuple[ModuleInput, dict[str, str]]:
    errors: dict[str, str] = {}
    values = form.values
    data = ModuleInput(
        title=values.get("title", ""),
        description=values.get("description", ""),
        material_url=values.get("material_url", ""),
        material_text=values.get("material_text", ""),
        items=list(dict.fromkeys(form.items)),
        expected_minutes=_int(values, "expected_minutes", errors),
        has_assessment=bool(values.get("has_assessment")),
        pass_mark=_int(values, "pass_mark", errors, required=False),
    )
    return data, errors


def save_module(
    session: Session, principal: Principal, form: ModuleForm, *, module_id: int | None = None
) -> TrainingModule:
    """Create the module, or write its next version; TrainingInvalid carries every error."""
    data, errors = module_input(form)
    if module_id is None:
        return _together(session, errors, lambda: catalogue.create_module(session, principal, data=data))
    return _together(session, errors, lambda: catalogue.edit_module(session, principal, module_id, data=data))


def require_keeper(principal: Principal) -> None:
    if not access.keeps_catalogue(principal):
        raise Forbidden("The training catalogue is kept by QC leads and administrators")


def module_edit_form(
    session: Session, principal: Principal, module_id: int
) -> tuple[TrainingModule, ModuleForm]:
    """The module and its edit form, filled in from the newest version."""
    require_keeper(principal)
    module = catalogue.get_module(session, principal, module_id)
    return module, ModuleForm.of(ModuleInput.of(module.current))


def item_choices(session: Session) -> dict[str, str]:
    return catalogue.item_choices(session)


# Assigning ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignPage:
    modules: list[TrainingModule]
    reps: list[User]
    teams: list[Team]


def assign_page(session: Session, principal: Principal) -> AssignPage:
    if principal.role not in access.TRAINERS:
        raise Forbidden("Training is assigned by managers, QC leads and administrators")
    return AssignPage(
        catalogue.list_modules(session, principal),
        service.trainable_reps(session, principal),
        service.trainable_teams(session, principal),
    )


def assign_from_form(session: Session, principal: Principal, values: FormValues) -> service.AssignReport:
    errors: dict[str, str] = {}
    target = values.get("target", "")
    rep_id = _int(values, "rep", errors, required=False) if target != "team" else None
    team_id = _int(values, "team", errors, required=False) if target == "team" else None
    data = AssignInput(
        module_id=_int(values, "module", errors, required=False),
        rep_id=rep_id,
        team_id=team_id,
        due_date=_date(values, "due_date", errors),
    )
    return _together(session, errors, lambda: service.assign(session, principal, data=data))


# Records ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentView:
    assignment: TrainingAssignment
    version: TrainingModuleVersion  # the one started, else the newest (what the rep opens)
    rep_name: str
    assigned_by: str
    recorded_by: str
    overdue: bool
    effects: dict[str, FocusEffect]
    can_start: bool
    can_record: bool
    can_withdraw: bool
    is_rep: bool

    @property
    def minutes(self) -> int:
        return self.assignment.version.expected_minutes


class _Shaper:
    def __init__(self, session: Session, found: Sequence[TrainingAssignment], settings: Settings) -> None:
        self.session, self.settings, self.now = session, settings, utcnow()
        ids = {a.rep_id for a in found} | {a.assigned_by_id for a in found if a.assigned_by_id}
        ids |= {a.recorded_by_id for a in found if a.recorded_by_id}
        self.names = users.names_of(session, ids)
        self.rules = {r.id: r.name for r in repo.rules(session)}
        self.todays: dict[int, date] = {}

    def today(self, team_id: int) -> date:
        if team_id not in self.todays:
            self.todays[team_id] = service.team_today(self.session, team_id, self.settings, self.now)
        return self.todays[team_id]

    def view(self, a: TrainingAssignment, principal: Principal, *, with_effects: bool) -> AssignmentView:
        version = service.version_to_complete(self.session, a)
        by = (
            f"Rule: {self.rules.get(a.rule_id, 'removed')}"
            if a.rule_id
            else self.names.get(a.assigned_by_id or 0, "")
        )
        return AssignmentView(
            assignment=a,
            version=version,
            rep_name=self.names.get(a.rep_id, f"Rep {a.rep_id}"),
            assigned_by=by,
            recorded_by=self.names.get(a.recorded_by_id or 0, ""),
            overdue=a.overdue(self.today(a.team_id)),
            effects=effects(self.session, a, settings=self.settings) if with_effects else {},
            can_start=access.can_start(principal, a),
            can_record=access.can_record(principal, a, version),
            can_withdraw=access.can_withdraw(principal, a),
            is_rep=access.is_the_rep(principal, a),
        )


def assignment_views(
    session: Session,
    principal: Principal,
    found: Sequence[TrainingAssignment],
    *,
    settings: Settings,
    with_effects: bool = False,
) -> list[AssignmentView]:
    shaper = _Shaper(session, found, settings)
    return [shaper.view(a, principal, with_effects=with_effects) for a in found]


@dataclass(frozen=True)
class RecordPage:
    rep: User
    team: Team | None
    rows: list[AssignmentView]
    labels: dict[str, str]
    can_assign: bool

    @property
    def open_rows(self) -> list[AssignmentView]:
        return [r for r in self.rows if r.assignment.status.is_open]

    @property
    def closed_rows(self) -> list[AssignmentView]:
        return [r for r in self.rows if not r.assignment.status.is_open]

    @property
    def hours(self) -> float:
        done = [r.minutes for r in self.rows if r.assignment.status.value == "completed"]
        return round(sum(done) / 60, 1)


def record_page(session: Session, principal: Principal, rep_id: int, *, settings: Settings) -> RecordPage:
    """A rep's training record: open assignments first (overdue ones flagged), then the rest."""
    found = service.assignments_of_rep(session, principal, rep_id)
    rep = users.get_person(session, rep_id)
    team = users.get_team(session, rep.team_id) if rep.team_id else None
    rows = assignment_views(session, principal, found, settings=settings, with_effects=True)
    return RecordPage(rep, team, rows, item_choices(session), access.trains_team(principal, rep.team_id))


def completion_input(values: FormValues) -> tuple[CompletionInput, dict[str, str]]:
    errors: dict[str, str] = {}
    score = None
    text = values.get("score", "").strip()
    if text:
        try:
            score = float(text)
        except ValueError:
            errors["score"] = "Enter the score as a number out of 100"
    data = CompletionInput(
        completed_on=_date(values, "completed_on", errors), result=values.get("result", ""), score=score
    )
    return data, errors


def complete_from_form(
    session: Session, principal: Principal, assignment_id: int, values: FormValues, *, settings: Settings
) -> TrainingAssignment:
    data, errors = completion_input(values)
    return _together(
        session,
        errors,
        lambda: service.complete(session, principal, assignment_id, data=data, settings=settings),
    )


def rep_of(session: Session, principal: Principal, assignment_id: int) -> int:
    return service.get_assignment(session, principal, assignment_id).rep_id


@dataclass(frozen=True)
class TeamPage:
    teams: list[Team]
    team: Team | None  # None: every team the viewer follows
    rows: list[AssignmentView]

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.rows)


def team_page(session: Session, principal: Principal, *, team_id: int | None, settings: Settings) -> TeamPage:
    """The open assignments of a team (or of every team one follows), overdue ones first,
    then those completed or withdrawn in the last ones assigned."""
    service.visible_team_ids(principal)  # a team's page is for those who train it
    teams = service.trainable_teams(session, principal)
    found = service.list_assignments(session, principal, team_id=team_id)
    rows = assignment_views(session, principal, found, settings=settings)
    rows.sort(key=lambda r: (not r.overdue, not r.assignment.status.is_open))
    team = next((t for t in teams if t.id == team_id), None)
    return TeamPage(teams, team, rows)


# Rules ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesPage:
    rules: list[TrainingRule]
    modules: dict[int, str]
    teams: dict[int, str]
    labels: dict[str, str]
    can_edit: bool


def rules_page(session: Session, principal: Principal) -> RulesPage:
    rules = rulebook.list_rules(session, principal)
    modules = {m.id: m.title for m in catalogue.list_modules(session, principal)}
    teams = {t.id: t.name for t in users.list_visible_teams(session, principal)}
    return RulesPage(rules, modules, teams, item_choices(session), access.keeps_catalogue(principal))


@dataclass(frozen=True)
class RuleFormPage:
    modules: list[TrainingModule]
    teams: list[Team]
    labels: dict[str, str]
    rule: TrainingRule | None = None


def rule_form_page(session: Session, principal: Principal, rule_id: int | None = None) -> RuleFormPage:
    rule = rulebook.get_rule(session, principal, rule_id) if rule_id is not None else None
    if not access.keeps_catalogue(principal):
        raise Forbidden("Training rules are kept by QC leads and administrators")
    return RuleFormPage(
        catalogue.list_modules(session, principal),
        users.list_visible_teams(session, principal),
        item_choices(session),
        rule,
    )


def rule_values(data: RuleInput) -> FormValues:
    values = {
        "name": data.name,
        "module": str(data.module_id or ""),
        "team": str(data.team_id or ""),
        "item": data.item,
        "min_failed": str(data.min_failed or ""),
        "last_reviews": str(data.last_reviews or ""),
        "cooldown_days": "" if data.cooldown_days is None else str(data.cooldown_days),
        "due_days": str(data.due_days or ""),
    }
    if data.withdraw_unmatched:
        values["withdraw_unmatched"] = "1"
    return values


def rule_input(values: FormValues) -> tuple[RuleInput, dict[str, str]]:
    errors: dict[str, str] = {}
    data = RuleInput(
        name=values.get("name", ""),
        module_id=_int(values, "module", errors, required=False),
        team_id=_int(values, "team", errors, required=False),
        item=values.get("item", ""),
        min_failed=_int(values, "min_failed", errors),
        last_reviews=_int(values, "last_reviews", errors),
        cooldown_days=_int(values, "cooldown_days", errors),
        due_days=_int(values, "due_days", errors),
        withdraw_unmatched=bool(values.get("withdraw_unmatched")),
    )
    return data, errors


def save_rule(
    session: Session, principal: Principal, values: FormValues, *, rule_id: int | None = None
) -> TrainingRule:
    data, errors = rule_input(values)
    if rule_id is None:
        return _together(session, errors, lambda: rulebook.create_rule(session, principal, data=data))
    return _together(session, errors, lambda: rulebook.update_rule(session, principal, rule_id, data=data))


def form_values(items: Iterable[tuple[str, object]]) -> tuple[FormValues, list[str]]:
    """Posted fields as strings; repeated `items` fields as a list."""
    values: FormValues = {}
    chosen: list[str] = []
    for key, value in items:
        if not isinstance(value, str):
            continue
        if key == "items":
            chosen.append(value[:130])
        else:
            values[key] = value
    return values, chosen
