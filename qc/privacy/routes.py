"""Privacy pages: access to originals (grants, opening one with a reason, streaming it), the
audit log with its CSV export, and the retention policy with its runs (administrators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from qc.db import utcnow
from qc.errors import InvalidInput
from qc.kit.forms import parse_id, parse_int
from qc.kit.pagination import PageRequest
from qc.kit.ranges import ranged_response
from qc.kit.web import DB, Id, PageNumber, SettingsDep, StorageDep, render
from qc.privacy import access, audit, originals, retention
from qc.privacy.models import AuditAction
from qc.users import service as users
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)

PRIVATE = {"Cache-Control": "no-store"}


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _to(request: Request, name: str, **params: Any) -> Response:
    return RedirectResponse(str(request.url_for(name, **params).path), status_code=303)


def _back_to_settings(request: Request, section: str, **query: str) -> Response:
    """The privacy settings again, at the section just changed, saying what was done."""
    url = request.url_for("privacy:settings").include_query_params(**query)
    return RedirectResponse(f"{url.path}?{url.query}#{section}", status_code=303)


# Administration: grants, retention -----------------------------------------------------------------


def _settings_context(
    session: DB, principal: CurrentUser, settings: SettingsDep, **extra: Any
) -> dict[str, Any]:
    return {
        "grants": originals.list_grants(session, principal),
        "people": [u for u in users.list_all(session) if u.is_active and u.role.value != "rep"],
        "roles": access.GRANTABLE_ROLES,
        "policy": retention.current_policy(session, settings=settings),
        "runs": retention.recent_runs(session, principal),
        "now": utcnow(),
        "grant_form": {"grantee": "", "reason": "", "expires_on": ""},
        "grant_errors": {},
        "policy_errors": {},
        "retention_saved": False,
        "grants_done": None,
        **extra,
    }


@pages.get("/admin/privacy", name="privacy:settings")
def settings_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    saved: bool = False,
    grants: Literal["granted", "revoked"] | None = None,
) -> Response:
    context = _settings_context(session, principal, settings, retention_saved=saved, grants_done=grants)
    return render(request, "privacy/settings.html", context)


@pages.post("/admin/privacy/grants", name="privacy:grant")
def grant(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    grantee: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    expires_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = originals.GrantForm(grantee, reason, expires_on)
    try:
        originals.grant(session, principal, form, client_address=_address(request))
    except originals.GrantInvalid as exc:
        shown = {"grantee": grantee, "reason": reason, "expires_on": expires_on}
        context = _settings_context(session, principal, settings, grant_form=shown, grant_errors=exc.errors)
        return render(request, "privacy/settings.html", context, status_code=exc.status_code)
    return _back_to_settings(request, "grants", grants="granted")


@pages.post("/admin/privacy/grants/{grant_id}/revoke", name="privacy:revoke")
def revoke(
    request: Request,
    session: DB,
    principal: CurrentUser,
    grant_id: Id,
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    originals.revoke(session, principal, grant_id, reason=reason, client_address=_address(request))
    return _back_to_settings(request, "grants", grants="revoked")


@pages.post("/admin/privacy/retention", name="privacy:retention_save")
def save_retention(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    original_audio_days: Annotated[str, Form(max_length=20)] = "",
    redacted_days: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        retention.update_policy(
            session,
            principal,
            original_audio_days=_days(original_audio_days, "original_audio_days"),
            redacted_days=_days(redacted_days, "redacted_days"),
            client_address=_address(request),
        )
    except retention.PolicyInvalid as exc:
        context = _settings_context(session, principal, settings, policy_errors=exc.errors)
        return render(request, "privacy/settings.html", context, status_code=exc.status_code)
    return _back_to_settings(request, "retention", saved="true")


def _days(value: str, field: str) -> int:
    try:
        return parse_int(value, field=field, low=0, high=36500)
    except InvalidInput as exc:
        raise retention.PolicyInvalid({field: exc.message}) from exc


# The audit log -------------------------------------------------------------------------------------


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("Enter a date like 2026-12-03", field=field) from exc


def _filter(
    actor: str | None, call: str | None, action: str | None, since: str | None, until: str | None
) -> audit.AuditFilter:
    try:
        kind = AuditAction(action) if action else None
    except ValueError as exc:
        raise InvalidInput(
            f"action must be one of: {', '.join(a.value for a in AuditAction)}", field="action"
        ) from exc
    return audit.AuditFilter(
        actor_id=parse_id(actor, field="actor") if actor else None,
        call_id=parse_id(call, field="call") if call else None,
        action=kind,
        since=_day(since, "since"),
        until=_day(until, "until"),
    )


@pages.get("/admin/privacy/audit", name="privacy:audit")
def audit_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    actor: str | None = None,
    call: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: PageNumber = 1,
) -> Response:
    f = _filter(actor, call, action, since, until)
    entries = audit.audit_page(session, principal, f, PageRequest(page, 50))
    filters = {
        "actor": actor or "",
        "call": call or "",
        "action": action or "",
        "since": since or "",
        "until": until or "",
    }
    context = {
        "entries": entries,
        "filters": filters,
        "query": {k: v for k, v in filters.items() if v},
        "actions": list(AuditAction),
        "people": users.list_all(session),
    }
    return render(request, "privacy/audit.html", context)


@pages.get("/admin/privacy/audit.csv", name="privacy:audit_csv")
def audit_csv(
    session: DB,
    principal: CurrentUser,
    actor: str | None = None,
    call: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    body = audit.audit_csv(session, principal, _filter(actor, call, action, since, until))
    headers = {"content-disposition": 'attachment; filename="privacy-audit.csv"', **PRIVATE}
    return PlainTextResponse(body, media_type="text/csv; charset=utf-8", headers=headers)


# Opening an original ------------------------------------------------------------------------------


@pages.get("/calls/{call_id}/original", name="privacy:original_form")
def original_form(request: Request, session: DB, principal: CurrentUser, call_id: Id) -> Response:
    call = originals.original_form(session, principal, call_id)
    context = {"call": call, "form": {"what": "transcript", "reason": ""}, "errors": {}}
    return render(request, "privacy/open.html", context)


@pages.post("/calls/{call_id}/original", name="privacy:open_original")
def open_original(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    call_id: Id,
    what: Annotated[str, Form(max_length=20)] = "transcript",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        token = originals.open_original(
            session,
            principal,
            call_id,
            what=what,
            reason=reason,
            client_address=_address(request),
            settings=settings,
        )
    except InvalidInput as exc:
        call = originals.original_form(session, principal, call_id)
        context = {
            "call": call,
            "form": {"what": what, "reason": reason},
            "errors": {exc.field or "reason": exc.message},
        }
        return render(request, "privacy/open.html", context, status_code=exc.status_code)
    return _to(request, "privacy:original", token=token)


@pages.get("/originals/{token}", name="privacy:original")
def original_page(request: Request, session: DB, principal: CurrentUser, token: str) -> Response:
    shown = originals.opened(session, principal, token)
    context = {"opened": shown, "call": shown.call, "entry": shown.entry, "token": token}
    response = render(request, "privacy/original.html", context)
    response.headers.update(PRIVATE)
    return response


@pages.get("/originals/{token}/audio", name="privacy:original_audio")
def original_audio(
    request: Request, session: DB, principal: CurrentUser, storage: StorageDep, token: str
) -> Response:
    key = originals.original_recording(session, principal, token)
    response = ranged_response(request, storage, key, filename=None)
    response.headers.update(PRIVATE)
    return response
