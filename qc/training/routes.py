"""Training: the catalogue, a module and its versions, assigning, rules, a rep's record, the
team's assignments; and the API, with the records as CSV for HR."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.kit.forms import MAX_ID
from qc.kit.web import DB, Id, SettingsDep, render
from qc.training import api_views, rulebook, service, views
from qc.training.catalogue import TrainingInvalid
from qc.training.rulebook import RuleInput
from qc.training.schemas import (
    AssignIn,
    AssignmentRead,
    AssignReportRead,
    CompleteIn,
    ModuleIn,
    ModuleRead,
    RecordRead,
    RuleIn,
    RuleRead,
)
from qc.training.views import FormValues, ModuleForm
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/training", tags=["training"])

MAX_FIELDS = 100
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


async def posted(request: Request) -> tuple[FormValues, list[str]]:
    data = await request.form(max_fields=MAX_FIELDS)
    return views.form_values(data.multi_items())


Posted = Annotated[tuple[FormValues, list[str]], Depends(posted)]


def _to(request: Request, name: str, anchor: str = "", **params: Any) -> Response:
    return RedirectResponse(request.url_for(name, **params).path + anchor, 303)


# The catalogue and modules ------------------------------------------------------------------------------


@pages.get("/training", name="training:catalogue")
def catalogue_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    return render(request, "training/catalogue.html", {"page": views.catalogue_page(session, principal)})


def _module_form(
    request: Request,
    session: DB,
    form: ModuleForm,
    errors: dict[str, str],
    module: Any = None,
    status: int = 200,
) -> Response:
    context = {"form": form, "errors": errors, "labels": views.item_choices(session), "module": module}
    return render(request, "training/module_form.html", context, status_code=status)


@pages.get("/training/modules/new", name="training:module_new")
def module_new(request: Request, session: DB, principal: CurrentUser) -> Response:
    views.require_keeper(principal)
    return _module_form(request, session, ModuleForm({"expected_minutes": "30"}), {})


@pages.post("/training/modules/new", name="training:module_create")
def module_create(request: Request, session: DB, principal: CurrentUser, form: Posted) -> Response:
    module_form = ModuleForm(*form)
    try:
        module = views.save_module(session, principal, module_form)
    except TrainingInvalid as exc:
        return _module_form(request, session, module_form, exc.errors, status=422)
    return _to(request, "training:module", module_id=module.id)


@pages.get("/training/modules/{module_id}", name="training:module")
def module_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    module_id: Id,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    page = views.module_page(session, principal, module_id, version=version)
    return render(request, "training/module.html", {"page": page})


@pages.get("/training/modules/{module_id}/edit", name="training:module_edit_form")
def module_edit_form(request: Request, session: DB, principal: CurrentUser, module_id: Id) -> Response:
    module, form = views.module_edit_form(session, principal, module_id)
    return _module_form(request, session, form, {}, module)


@pages.post("/training/modules/{module_id}/edit", name="training:module_edit")
def module_edit(
    request: Request, session: DB, principal: CurrentUser, module_id: Id, form: Posted
) -> Response:
    module_form = ModuleForm(*form)
    try:
        views.save_module(session, principal, module_form, module_id=module_id)
    except TrainingInvalid as exc:
        module, _form = views.module_edit_form(session, principal, module_id)
        return _module_form(request, session, module_form, exc.errors, module, status=422)
    return _to(request, "training:module", module_id=module_id)


# Assigning ---------------------------------------------------------------------------------------------


@pages.get("/training/assign", name="training:assign_form")
def assign_form(
    request: Request,
    session: DB,
    principal: CurrentUser,
    module: OptionalId = None,
    rep: OptionalId = None,
    team: OptionalId = None,
) -> Response:
    page = views.assign_page(session, principal)
    values = {"module": str(module or ""), "rep": str(rep or ""), "team": str(team or "")}
    values["target"] = "team" if team and not rep else "rep"
    return render(request, "training/assign.html", {"page": page, "values": values, "errors": {}})


@pages.post("/training/assign", name="training:assign")
def assign(request: Request, session: DB, principal: CurrentUser, form: Posted) -> Response:
    values, _items = form
    try:
        report = views.assign_from_form(session, principal, values)
    except TrainingInvalid as exc:
        page = views.assign_page(session, principal)
        context = {"page": page, "values": values, "errors": exc.errors}
        return render(request, "training/assign.html", context, status_code=422)
    if values.get("target") != "team":
        return _to(request, "training:rep", rep_id=report.created[0].rep_id)
    target = request.url_for("training:team").include_query_params(team=report.team_id)
    return RedirectResponse(f"{target.path}?{target.query}", 303)


# Records and the team's assignments ----------------------------------------------------------------------


@pages.get("/reps/{rep_id}/training", name="training:rep")
def record_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, rep_id: Id
) -> Response:
    page = views.record_page(session, principal, rep_id, settings=settings)
    return render(request, "training/record.html", {"page": page, "errors": {}, "failed": None, "values": {}})


@pages.get("/training/team", name="training:team")
def team_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, team: OptionalId = None
) -> Response:
    page = views.team_page(session, principal, team_id=team, settings=settings)
    return render(request, "training/team.html", {"page": page})


def _record_again(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: int,
    exc: TrainingInvalid,
    values: FormValues,
) -> Response:
    """The record page with the failed form's errors next to it."""
    rep_id = views.rep_of(session, principal, assignment_id)
    page = views.record_page(session, principal, rep_id, settings=settings)
    context = {"page": page, "errors": exc.errors, "failed": assignment_id, "values": values}
    return render(request, "training/record.html", context, status_code=422)


@pages.post("/training/assignments/{assignment_id}/start", name="training:start")
def start(request: Request, session: DB, principal: CurrentUser, assignment_id: Id) -> Response:
    assignment = service.start(session, principal, assignment_id)
    return _to(request, "training:rep", f"#assignment-{assignment.id}", rep_id=assignment.rep_id)


@pages.post("/training/assignments/{assignment_id}/complete", name="training:complete")
def complete(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: Id,
    form: Posted,
) -> Response:
    values, _items = form
    try:
        done = views.complete_from_form(session, principal, assignment_id, values, settings=settings)
    except TrainingInvalid as exc:
        return _record_again(request, session, principal, settings, assignment_id, exc, values)
    return _to(request, "training:rep", f"#assignment-{done.id}", rep_id=done.rep_id)


@pages.post("/training/assignments/{assignment_id}/withdraw", name="training:withdraw")
def withdraw(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: Id,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        done = service.withdraw(session, principal, assignment_id, reason=reason)
    except TrainingInvalid as exc:
        return _record_again(request, session, principal, settings, assignment_id, exc, {"reason": reason})
    return _to(request, "training:rep", f"#assignment-{done.id}", rep_id=done.rep_id)


# Rules -------------------------------------------------------------------------------------------------


@pages.get("/training/rules", name="training:rules")
def rules_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    return render(request, "training/rules.html", {"page": views.rules_page(session, principal)})


def _rule_form(
    request: Request, page: views.RuleFormPage, values: FormValues, errors: dict[str, str], status: int = 200
) -> Response:
    context = {"page": page, "values": values, "errors": errors}
    return render(request, "training/rule_form.html", context, status_code=status)


@pages.get("/training/rules/new", name="training:rule_new")
def rule_new(request: Request, session: DB, principal: CurrentUser) -> Response:
    page = views.rule_form_page(session, principal)
    return _rule_form(request, page, views.rule_values(RuleInput()), {})


@pages.post("/training/rules/new", name="training:rule_create")
def rule_create(request: Request, session: DB, principal: CurrentUser, form: Posted) -> Response:
    values, _items = form
    try:
        views.save_rule(session, principal, values)
    except TrainingInvalid as exc:
        return _rule_form(request, views.rule_form_page(session, principal), values, exc.errors, 422)
    return _to(request, "training:rules")


@pages.get("/training/rules/{rule_id}/edit", name="training:rule_edit_form")
def rule_edit_form(request: Request, session: DB, principal: CurrentUser, rule_id: Id) -> Response:
    page = views.rule_form_page(session, principal, rule_id)
    assert page.rule is not None
    return _rule_form(request, page, views.rule_values(rulebook.input_of(page.rule)), {})


@pages.post("/training/rules/{rule_id}/edit", name="training:rule_edit")
def rule_edit(request: Request, session: DB, principal: CurrentUser, rule_id: Id, form: Posted) -> Response:
    values, _items = form
    try:
        views.save_rule(session, principal, values, rule_id=rule_id)
    except TrainingInvalid as exc:
        return _rule_form(request, views.rule_form_page(session, principal, rule_id), values, exc.errors, 422)
    return _to(request, "training:rules")


@pages.post("/training/rules/{rule_id}/active", name="training:rule_active")
def rule_active(
    request: Request,
    session: DB,
    principal: CurrentUser,
    rule_id: Id,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    rulebook.set_active(session, principal, rule_id, active=active == "1")
    return _to(request, "training:rules")


# API --------------------------------------------------------------------------------------------------


@api.get("/modules", response_model=list[ModuleRead], name="api:training_modules")
def modules_api(session: DB, principal: CurrentUser) -> list[ModuleRead]:
    """The catalogue, by title, each module with every version."""
    return api_views.modules(session, principal)


@api.post("/modules", response_model=ModuleRead, status_code=201, name="api:training_module_create")
def module_create_api(session: DB, principal: CurrentUser, body: ModuleIn) -> ModuleRead:
    """Add a module (QC leads, administrators). 422 with `errors` keyed by field."""
    return api_views.create_module(session, principal, body)


@api.get("/modules/{module_id}", response_model=ModuleRead, name="api:training_module")
def module_api(session: DB, principal: CurrentUser, module_id: Id) -> ModuleRead:
    return api_views.module(session, principal, module_id)


@api.post(
    "/modules/{module_id}/versions",
    response_model=ModuleRead,
    status_code=201,
    name="api:training_module_version",
)
def module_version_api(session: DB, principal: CurrentUser, module_id: Id, body: ModuleIn) -> ModuleRead:
    """Edit a module: its next version. Started assignments keep theirs; waiting ones take
    the newest when started. Sending it unchanged writes nothing."""
    return api_views.edit_module(session, principal, module_id, body)


@api.get("/assignments", response_model=list[AssignmentRead], name="api:training_assignments")
def assignments_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One rep's")] = None,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One team's")] = None,
    open: Annotated[bool, Query(description="Only those assigned or started")] = False,
) -> list[AssignmentRead]:
    """Assignments you may see, the latest first: a rep's own, a manager's teams', all for QC staff."""
    return api_views.assignments(
        session, principal, rep_id=rep, team_id=team, open_only=open, settings=settings
    )


@api.post("/assignments", response_model=AssignReportRead, status_code=201, name="api:training_assign")
def assign_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, body: AssignIn
) -> AssignReportRead:
    """Assign a module to one rep (`rep_id`) or every active rep of a team (`team_id`);
    reps who have it open already are skipped."""
    return api_views.assign(session, principal, body, settings=settings)


@api.post("/assignments/{assignment_id}/start", response_model=AssignmentRead, name="api:training_start")
def start_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, assignment_id: Id
) -> AssignmentRead:
    """The rep starts it: a waiting assignment takes the newest version and keeps it."""
    return api_views.start(session, principal, assignment_id, settings=settings)


@api.post(
    "/assignments/{assignment_id}/complete", response_model=AssignmentRead, name="api:training_complete"
)
def complete_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, assignment_id: Id, body: CompleteIn
) -> AssignmentRead:
    """Record the completion: the rep for reading material; the rep's manager, a QC lead or
    an administrator for an assessment (`result`, or `score` against the pass mark)."""
    return api_views.complete(session, principal, assignment_id, body, settings=settings)


@api.get("/rules", response_model=list[RuleRead], name="api:training_rules")
def rules_api(session: DB, principal: CurrentUser) -> list[RuleRead]:
    """Every rule: managers read them, QC leads and administrators change them."""
    return api_views.rules(session, principal)


@api.post("/rules", response_model=RuleRead, status_code=201, name="api:training_rule_create")
def rule_create_api(session: DB, principal: CurrentUser, body: RuleIn) -> RuleRead:
    """ "Failed `item` in at least `min_failed` of the last `last_reviews` reviewed calls"
    assigns the module; it runs on every submitted review and nightly."""
    return api_views.save_rule(session, principal, body)


@api.put("/rules/{rule_id}", response_model=RuleRead, name="api:training_rule_update")
def rule_update_api(session: DB, principal: CurrentUser, rule_id: Id, body: RuleIn) -> RuleRead:
    """Change a rule, or disable it (`is_active: false`): what it assigned stays."""
    return api_views.save_rule(session, principal, body, rule_id=rule_id)


@api.get(
    "/records",
    response_model=list[RecordRead],
    name="api:training_records",
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with `format=csv`"}},
)
def records_api(
    session: DB,
    principal: CurrentUser,
    team: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One team's records")] = None,
    rep: Annotated[int | None, Query(ge=1, le=MAX_ID, description="One rep's records")] = None,
    format: Annotated[
        Literal["json", "csv"], Query(description="csv: for HR, one row per assignment")
    ] = "json",
) -> Any:
    """Training records with hours, results and dates: a rep's own, a manager's teams', all
    for QC staff. CSV columns: rep name, email, team, module, version, assigned at (UTC),
    due date, assigned by (a person, or "rule: <name>"), started (UTC), completed (day),
    result, score, minutes (once completed), recorded by."""
    return api_views.records_response(session, principal, team_id=team, rep_id=rep, as_csv=format == "csv")
