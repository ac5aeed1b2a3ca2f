"""The evening digest's pages (a team's schedule, targets, deliveries, preview and "send now")
and its API (preview, deliveries, send)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from qc.digest import manual, service
from qc.digest.models import TargetKind
from qc.digest.schemas import DeliveryRead, SendRequest, SendResultRead, delivery_read, send_result_read
from qc.digest.service import DigestInvalid
from qc.kit.timeutil import Day
from qc.kit.web import DB, Id, SettingsDep, render
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["digest"])

DateText = Annotated[str, Query(alias="date", max_length=20)]
KindText = Annotated[str, Query(alias="kind", max_length=20)]


def _day(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DigestInvalid({field: "Enter a day such as 2026-11-23"}) from None


def _kinds(value: str) -> list[TargetKind] | None:
    if not value:
        return None
    try:
        return [TargetKind(value)]
    except ValueError:
        raise DigestInvalid({"kind": "Choose slack, teams, telegram or json"}) from None


def _team_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, team_id: int, **extra: Any
) -> Response:
    page = service.team_page(session, principal, team_id, settings=settings)
    status = extra.pop("status_code", 200)
    context = {"page": page, "kinds": list(TargetKind), "errors": {}, "form": {}, "notice": None, **extra}
    return render(request, "digest/team.html", context, status_code=status)


def _invalid(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: int,
    exc: DigestInvalid,
    form: dict[str, Any],
) -> Response:
    """The team's page again with what was typed and every field error (422)."""
    return _team_page(
        request, session, principal, settings, team_id, errors=exc.errors, form=form, status_code=422
    )


def _back(request: Request, team_id: int, anchor: str = "") -> Response:
    path = request.url_for("digest:team", team_id=team_id).path
    return RedirectResponse(path + (f"#{anchor}" if anchor else ""), status_code=303)


@pages.get("/digest", name="digest:teams")
def teams_page(request: Request, session: DB, principal: CurrentUser, settings: SettingsDep) -> Response:
    found = service.teams(session, principal, settings=settings)
    if len(found) == 1:
        return RedirectResponse(request.url_for("digest:team", team_id=found[0][0].team.id).path, 303)
    return render(request, "digest/teams.html", {"teams": found})


@pages.get("/digest/{team_id}", name="digest:team")
def team_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, team_id: Id
) -> Response:
    return _team_page(request, session, principal, settings, team_id)


@pages.post("/digest/{team_id}/schedule", name="digest:schedule_save")
def save_schedule(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    send_time: Annotated[str, Form(max_length=20)] = "",
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    try:
        service.save_schedule(session, principal, team_id, send_time=send_time, enabled=enabled)
    except DigestInvalid as exc:
        form = {"send_time": send_time, "enabled": enabled}
        return _invalid(request, session, principal, settings, team_id, exc, form)
    return _back(request, team_id, "schedule")


@pages.post("/digest/{team_id}/targets", name="digest:target_create")
def create_target(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    kind: Annotated[str, Form(max_length=20)] = "",
    url: Annotated[str, Form(max_length=4000)] = "",
    chat_id: Annotated[str, Form(max_length=200)] = "",
    label: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        service.add_target(session, principal, team_id, kind=kind, url=url, chat_id=chat_id, label=label)
    except DigestInvalid as exc:
        # The URL typed is not echoed back: it is a secret, and the page may be cached.
        form = {"kind": kind, "chat_id": chat_id, "label": label}
        return _invalid(request, session, principal, settings, team_id, exc, form)
    return _back(request, team_id, "targets")


@pages.post("/digest/{team_id}/targets/{target_id}/enabled", name="digest:target_enabled")
def enable_target(
    request: Request,
    session: DB,
    principal: CurrentUser,
    team_id: Id,
    target_id: Id,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    service.set_target_enabled(session, principal, team_id, target_id, enabled=enabled)
    return _back(request, team_id, "targets")


@pages.post("/digest/{team_id}/targets/{target_id}/delete", name="digest:target_delete")
def delete_target(
    request: Request, session: DB, principal: CurrentUser, team_id: Id, target_id: Id
) -> Response:
    service.delete_target(session, principal, team_id, target_id)
    return _back(request, team_id, "targets")


@pages.get("/digest/{team_id}/preview", name="digest:preview")
def preview_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    day: DateText = "",
    kind: KindText = "",
) -> Response:
    """The message as it would look, and the raw payload each kind of target would get."""
    page = service.team_page(session, principal, team_id, settings=settings)
    chosen = day or page.preview_day.isoformat()
    context: dict[str, Any] = {"page": page, "preview": None, "errors": {}, "day": chosen, "kind": kind}
    try:
        context["preview"] = manual.preview(
            session, principal, team_id, day=_day(chosen), kinds=_kinds(kind), settings=settings
        )
    except DigestInvalid as exc:
        return render(request, "digest/preview.html", {**context, "errors": exc.errors}, status_code=422)
    return render(request, "digest/preview.html", context)


@pages.post("/digest/{team_id}/send", name="digest:send")
def send_now(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    day: Annotated[str, Form(alias="date", max_length=20)] = "",
) -> Response:
    """Post the chosen day's digest to each target once; a day already sent is left alone."""
    try:
        result = manual.send_now(
            session, principal, team_id, day=_day(day), settings=settings, trigger="manual"
        )
    except DigestInvalid as exc:
        form = {"date": day}
        return _invalid(request, session, principal, settings, team_id, exc, form)
    response = _team_page(request, session, principal, settings, team_id, notice=result.message)
    response.headers["HX-Push-Url"] = request.url_for("digest:team", team_id=team_id).path
    return response


# API -------------------------------------------------------------------------------------------------


@api.get("/digest/{team_id}/preview", name="api:digest_preview")
def preview_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    day: Annotated[Day, Query(alias="date", description="The day, YYYY-MM-DD: today or before")],
    kind: Annotated[TargetKind, Query()] = TargetKind.JSON,
) -> JSONResponse:
    """The payload a target of `kind` would receive for the team's digest of `date` (nothing is sent)."""
    found = manual.preview(session, principal, team_id, day=day, kinds=[kind], settings=settings)
    return JSONResponse(found.documents[kind])


@api.get("/digest/{team_id}/deliveries", response_model=list[DeliveryRead], name="api:digest_deliveries")
def deliveries_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, team_id: Id
) -> list[DeliveryRead]:
    """The team's latest deliveries, newest day first (targets' URLs masked)."""
    page = service.team_page(session, principal, team_id, settings=settings)
    return [delivery_read(row, target) for row, target in page.deliveries]


@api.post("/digest/{team_id}/send", response_model=SendResultRead, name="api:digest_send")
def send_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, team_id: Id, body: SendRequest
) -> SendResultRead:
    """Post the team's digest of `date` to each enabled target that has not had it; a target that
    has is left alone (`already`), so repeating the call posts nothing twice."""
    result = manual.send_now(session, principal, team_id, day=body.date, settings=settings, trigger="api")
    return send_result_read(result)
