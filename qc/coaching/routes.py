"""Coaching sessions: the list, planning from reviews, the session page, a rep's history; and the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.coaching import forms, service, views
from qc.coaching.forms import PlanForm
from qc.coaching.schemas import (
    ActionDone,
    ActionRead,
    CancelIn,
    OutcomeIn,
    SessionCreate,
    SessionRead,
    SuggestionRead,
    action_read,
    session_read,
    suggestion_read,
)
from qc.coaching.service import ActionInput, SessionInput, SessionInvalid
from qc.coaching.views import SessionView
from qc.errors import InvalidInput
from qc.kit.forms import MAX_ID
from qc.kit.web import DB, Id, SettingsDep, is_htmx_fragment, render
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/coaching", tags=["coaching"])

MAX_FIELDS = 200
ONE_SESSION: dict[str, Any] = {"response_model": SessionRead, "response_model_exclude_unset": True}
RepId = Annotated[int, Query(ge=1, le=MAX_ID, description="The rep's id")]
EvaluationIds = Annotated[list[str], Query(max_length=50)]


async def plan_form(request: Request) -> PlanForm:
    data = await request.form(max_fields=MAX_FIELDS)
    return PlanForm.from_items(data.multi_items())


PostedPlan = Annotated[PlanForm, Depends(plan_form)]


def _to_session(request: Request, session_id: int, anchor: str = "") -> Response:
    return RedirectResponse(request.url_for("coaching:detail", session_id=session_id).path + anchor, 303)


# The list and a rep's history ------------------------------------------------------------------------


@pages.get("/coaching", name="coaching:list")
def list_page(request: Request, session: DB, principal: CurrentUser, settings: SettingsDep) -> Response:
    page = views.list_page(session, principal, settings=settings)
    return render(request, "coaching/list.html", {"page": page})


@pages.get("/reps/{rep_id}/coaching", name="coaching:rep")
def rep_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, rep_id: Id
) -> Response:
    history = views.rep_history(session, principal, rep_id, settings=settings)
    return render(request, "coaching/rep.html", {"history": history})


# Planning -------------------------------------------------------------------------------------------------


def _plan_context(page: views.PlanPage, form: PlanForm, errors: dict[str, str]) -> dict[str, Any]:
    shown, total = forms.action_rows(form)
    return {"page": page, "form": form, "errors": errors, "shown_actions": shown, "total_actions": total}


@pages.get("/coaching/new", name="coaching:new")
def plan_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The rep's id")] = None,
    evaluation: EvaluationIds = [],  # noqa: B006 - FastAPI copies query defaults
) -> Response:
    if rep is None:
        raise InvalidInput("Open the plan form from a rep or a review: it names the rep", field="rep")
    ids = forms.evaluation_ids(evaluation)
    page = views.plan_page(session, principal, rep_id=rep, evaluation_ids=ids, settings=settings)
    form = PlanForm({"duration_minutes": "30"}, page.preticked, ids)
    return render(request, "coaching/plan.html", _plan_context(page, form, {}))


@pages.post("/coaching/new", name="coaching:create")
def create_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, form: PostedPlan
) -> Response:
    rep_id = forms.record_id(form.values.get("rep", ""))
    if rep_id is None:
        raise InvalidInput("Open the plan form from a rep or a review: it names the rep", field="rep")
    try:
        coaching = forms.create_from_form(session, principal, rep_id=rep_id, form=form, settings=settings)
    except SessionInvalid as exc:
        page = views.plan_page(
            session, principal, rep_id=rep_id, evaluation_ids=form.evaluation_ids, settings=settings
        )
        return render(request, "coaching/plan.html", _plan_context(page, form, exc.errors), status_code=422)
    return _to_session(request, coaching.id)


# A session ----------------------------------------------------------------------------------------------


def _session_context(view: SessionView, errors: dict[str, str], values: dict[str, str]) -> dict[str, Any]:
    return {"view": view, "errors": errors, "values": values}


@pages.get("/coaching/{session_id}", name="coaching:detail")
def session_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id
) -> Response:
    view = views.session_view(session, principal, session_id, settings=settings)
    return render(request, "coaching/detail.html", _session_context(view, {}, {}))


@pages.get("/coaching/{session_id}/edit", name="coaching:edit_form")
def edit_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id
) -> Response:
    view = views.edit_page(session, principal, session_id, settings=settings)
    form = forms.form_of(view)
    shown, total = forms.action_rows(form)
    context = {"view": view, "form": form, "errors": {}, "shown_actions": shown, "total_actions": total}
    return render(request, "coaching/edit.html", context)


@pages.post("/coaching/{session_id}/edit", name="coaching:edit")
def edit(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    form: PostedPlan,
) -> Response:
    try:
        forms.update_from_form(session, principal, session_id, form=form, settings=settings)
    except SessionInvalid as exc:
        view = views.edit_page(session, principal, session_id, settings=settings)
        shown, total = forms.action_rows(form)
        context = {"view": view, "form": form, "errors": exc.errors, "shown_actions": shown}
        return render(request, "coaching/edit.html", {**context, "total_actions": total}, status_code=422)
    return _to_session(request, session_id)


@pages.post("/coaching/{session_id}/acknowledge", name="coaching:acknowledge")
def acknowledge(request: Request, session: DB, principal: CurrentUser, session_id: Id) -> Response:
    service.acknowledge(session, principal, session_id)
    return _to_session(request, session_id)


@pages.post("/coaching/{session_id}/held", name="coaching:held")
def mark_held(request: Request, session: DB, principal: CurrentUser, session_id: Id) -> Response:
    service.mark_held(session, principal, session_id)
    return _to_session(request, session_id)


def _close(
    request: Request,
    session_id: int,
    view_of: Callable[[], SessionView],
    close: Callable[[], object],
    values: dict[str, str],
) -> Response:
    """Complete or cancel; without an outcome or a reason, the page again with the error."""
    try:
        close()
    except SessionInvalid as exc:
        context = _session_context(view_of(), exc.errors, values)
        return render(request, "coaching/detail.html", context, status_code=422)
    return _to_session(request, session_id)


@pages.post("/coaching/{session_id}/complete", name="coaching:complete")
def complete(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    outcome: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    return _close(
        request,
        session_id,
        lambda: views.session_view(session, principal, session_id, settings=settings),
        lambda: service.complete_session(session, principal, session_id, outcome=outcome),
        {"outcome": outcome},
    )


@pages.post("/coaching/{session_id}/cancel", name="coaching:cancel")
def cancel(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    reason: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    return _close(
        request,
        session_id,
        lambda: views.session_view(session, principal, session_id, settings=settings),
        lambda: service.cancel_session(session, principal, session_id, reason=reason),
        {"reason": reason},
    )


@pages.post("/coaching/actions/{action_id}", name="coaching:action")
def tick_action(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    action_id: Id,
    done: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    action = service.set_action_done(session, principal, action_id, done=done == "1")
    if not is_htmx_fragment(request):
        return _to_session(request, action.session_id, f"#action-{action.id}")
    view, item = views.action_view(session, principal, action, settings=settings)
    return render(request, "coaching/_action.html", {"view": view, "item": item})


# API ---------------------------------------------------------------------------------------------------


def _links(request: Request, session_id: int) -> dict[str, str]:
    return {
        "self": str(request.url_for("api:coaching_session", session_id=session_id)),
        "page": str(request.url_for("coaching:detail", session_id=session_id)),
    }


@contextmanager
def _field_errors() -> Iterator[None]:
    """The service's field errors in the JSON body (`errors`, keyed by field)."""
    try:
        yield
    except SessionInvalid as exc:
        raise InvalidInput(exc.message, details={"errors": exc.errors}) from None


@api.get(
    "/sessions",
    response_model=list[SessionRead],
    name="api:coaching_sessions",
    response_model_exclude_unset=True,
)
def list_sessions_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this rep's sessions")] = None,
    open: Annotated[bool, Query(description="Only scheduled and held sessions")] = False,
) -> list[SessionRead]:
    """Sessions you may see, the latest planned first: a rep's own, a manager's teams',
    everyone's for QC leads and administrators. Focus effects are on the single session."""
    listed = views.api_list(session, principal, rep_id=rep, open_only=open, settings=settings)
    return [session_read(v, _links(request, v.coaching.id)) for v in listed]


@api.post(
    "/sessions",
    response_model=SessionRead,
    status_code=201,
    name="api:coaching_create",
    response_model_exclude_unset=True,
)
def create_session_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, body: SessionCreate
) -> SessionRead:
    """Plan a session for a rep you coach; `focus` comes from the suggestions. 422 with
    `errors` keyed by field when the plan is incomplete."""
    data = SessionInput(
        scheduled_at=body.scheduled_at.astimezone(UTC),
        duration_minutes=body.duration_minutes,
        agenda=body.agenda,
        shared_notes=body.shared_notes,
        private_notes=body.private_notes,
        focus=body.focus,
        evaluation_ids=body.evaluation_ids,
        actions=[ActionInput(text=a.text, due_date=a.due_date) for a in body.actions],
    )
    with _field_errors():
        coaching = service.create_session(
            session, principal, rep_id=body.rep_id, data=data, settings=settings
        )
    view = views.session_view(session, principal, coaching.id, settings=settings)
    return session_read(view, _links(request, coaching.id))


def _read(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: int
) -> SessionRead:
    view = views.session_view(session, principal, session_id, settings=settings)
    return session_read(view, _links(request, session_id))


@api.get(
    "/sessions/{session_id}",
    name="api:coaching_session",
    **ONE_SESSION,
)
def session_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id
) -> SessionRead:
    """A session with each focus item's effect; `private_notes` is left out for the rep."""
    return _read(request, session, principal, settings, session_id)


@api.post(
    "/sessions/{session_id}/acknowledge",
    name="api:coaching_acknowledge",
    **ONE_SESSION,
)
def acknowledge_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id
) -> SessionRead:
    """The rep confirms they have read the plan; repeating it changes nothing."""
    service.acknowledge(session, principal, session_id)
    return _read(request, session, principal, settings, session_id)


@api.post(
    "/sessions/{session_id}/held",
    name="api:coaching_held",
    **ONE_SESSION,
)
def held_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id
) -> SessionRead:
    """The session took place (its effect is measured from now); the outcome follows."""
    service.mark_held(session, principal, session_id)
    return _read(request, session, principal, settings, session_id)


@api.post(
    "/sessions/{session_id}/complete",
    name="api:coaching_complete",
    **ONE_SESSION,
)
def complete_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    body: OutcomeIn,
) -> SessionRead:
    """Close the session with its outcome, which the rep reads."""
    with _field_errors():
        service.complete_session(session, principal, session_id, outcome=body.outcome)
    return _read(request, session, principal, settings, session_id)


@api.post(
    "/sessions/{session_id}/cancel",
    name="api:coaching_cancel",
    **ONE_SESSION,
)
def cancel_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    body: CancelIn,
) -> SessionRead:
    """Cancel an open session, saying why (the rep reads it)."""
    with _field_errors():
        service.cancel_session(session, principal, session_id, reason=body.reason)
    return _read(request, session, principal, settings, session_id)


@api.post("/actions/{action_id}", response_model=ActionRead, name="api:coaching_action")
def action_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, action_id: Id, body: ActionDone
) -> ActionRead:
    """Tick an action item off, or untick it: the rep, or whoever coaches them."""
    action = service.set_action_done(session, principal, action_id, done=body.done)
    _view, item = views.action_view(session, principal, action, settings=settings)
    return action_read(item.action, overdue=item.overdue)


@api.get("/suggestions", response_model=list[SuggestionRead], name="api:coaching_suggestions")
def suggestions_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: RepId,
    evaluation: Annotated[list[int], Query(max_length=50, description="Reviews to start from")] = [],  # noqa: B006
) -> list[SuggestionRead]:
    """The rep's items, most failed first, with how many of their last reviewed calls failed
    each and the reviews to open; those failed in `evaluation` come first, pre-ticked."""
    found = service.suggest_focus(
        session, principal, rep_id=rep, evaluation_ids=evaluation, settings=settings
    )
    return [suggestion_read(s) for s in found]
