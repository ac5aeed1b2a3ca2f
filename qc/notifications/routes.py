"""The inbox (every signed-in person), its header badge, the webhooks admin pages; and the API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.routing import NoMatchFound

from qc.kit.pagination import PageRequest
from qc.kit.web import DB, Id, PageNumber, render
from qc.notifications import service, webhooks
from qc.notifications.models import Notification
from qc.notifications.schemas import NotificationList, NotificationRead, notification_read
from qc.notifications.webhooks import EndpointForm, WebhookFormInvalid
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["notifications"])

Show = Annotated[Literal["inbox", "done"], Query(description="inbox: open notices; done: cleared ones")]
PAGE_SIZE = 25


def link(request: Request, notification: Notification) -> str:
    """Where the notice leads, resolved now; "/" while its page does not exist (yet)."""
    if not notification.link_route:
        return "/"
    try:
        path = str(request.url_for(notification.link_route, **notification.link_params).path)
    except (NoMatchFound, TypeError):
        return "/"
    return path + (f"#{notification.link_anchor}" if notification.link_anchor else "")


def _to(request: Request, name: str, **params: Any) -> Response:
    return RedirectResponse(str(request.url_for(name, **params).path), status_code=303)


# The inbox ------------------------------------------------------------------------------------------


@pages.get("/inbox", name="notifications:inbox")
def inbox_page(
    request: Request, session: DB, principal: CurrentUser, show: Show = "inbox", page: PageNumber = 1
) -> Response:
    box = service.inbox(session, principal, done=show == "done", page=PageRequest(page, PAGE_SIZE))
    links = {n.id: link(request, n) for n in box.page.items}
    return render(request, "notifications/inbox.html", {"box": box, "links": links, "show": show})


@pages.get("/inbox/badge", name="notifications:badge")
def badge(request: Request, session: DB, principal: CurrentUser) -> Response:
    """The header's "Inbox (3)" link, polled by every open page: one indexed COUNT."""
    response = render(
        request, "notifications/_badge.html", {"unread": service.unread_count(session, principal)}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/inbox/{notification_id}/read", name="notifications:read")
def mark_read(
    request: Request,
    session: DB,
    principal: CurrentUser,
    notification_id: Id,
    then: Annotated[Literal["inbox", "open"], Form()] = "inbox",
) -> Response:
    """Mark one notice read; then back to the inbox, or on to what it is about."""
    notification = service.mark_read(session, principal, notification_id)
    if then != "open":
        return _to(request, "notifications:inbox")
    target = link(request, notification)
    if request.headers.get("hx-request") == "true":
        # A full navigation: an XMLHttpRequest following a redirect would drop the #anchor.
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@pages.post("/inbox/read-all", name="notifications:read_all")
def mark_all_read(request: Request, session: DB, principal: CurrentUser) -> Response:
    service.mark_all_read(session, principal)
    return _to(request, "notifications:inbox")


# Webhooks (administrators) ----------------------------------------------------------------------------


def _form(url: str, event_types: list[str] | None, enabled: bool) -> EndpointForm:
    return EndpointForm(url=url, event_types=tuple(event_types or ()), enabled=enabled)


def _webhooks_context(session: DB, principal: CurrentUser, **extra: Any) -> dict[str, Any]:
    return {
        "endpoints": webhooks.list_endpoints(session, principal),
        "event_types": webhooks.EVENT_TYPES,
        "form": {"url": "", "event_types": list(webhooks.DEFAULT_EVENT_TYPES), "enabled": True},
        "errors": {},
        "created": None,
        **extra,
    }


@pages.get("/admin/webhooks", name="notifications:webhooks")
def webhooks_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    return render(request, "notifications/webhooks.html", _webhooks_context(session, principal))


@pages.post("/admin/webhooks", name="notifications:webhooks_create")
def create_webhook(
    request: Request,
    session: DB,
    principal: CurrentUser,
    url: Annotated[str, Form(max_length=4000)] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    form = _form(url, event_types, enabled)
    try:
        endpoint, secret = webhooks.create_endpoint(session, principal, form)
    except WebhookFormInvalid as exc:
        shown = {"url": url, "event_types": list(form.event_types), "enabled": enabled}
        context = _webhooks_context(session, principal, form=shown, errors=exc.errors)
        return render(request, "notifications/webhooks.html", context, status_code=exc.status_code)
    # The secret is on this response only: it is never shown again.
    context = _webhooks_context(session, principal, created={"endpoint": endpoint, "secret": secret})
    response = render(request, "notifications/webhooks.html", context)
    response.headers["HX-Push-Url"] = str(request.url_for("notifications:webhooks").path)
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.get("/admin/webhooks/{endpoint_id}", name="notifications:webhook")
def webhook_page(request: Request, session: DB, principal: CurrentUser, endpoint_id: Id) -> Response:
    page = webhooks.endpoint_page(session, principal, endpoint_id)
    form = {
        "url": page.endpoint.url,
        "event_types": page.endpoint.event_types,
        "enabled": page.endpoint.enabled,
    }
    context = {"page": page, "form": form, "errors": {}, "event_types": webhooks.EVENT_TYPES}
    return render(request, "notifications/webhook.html", context)


@pages.post("/admin/webhooks/{endpoint_id}", name="notifications:webhook_save")
def save_webhook(
    request: Request,
    session: DB,
    principal: CurrentUser,
    endpoint_id: Id,
    url: Annotated[str, Form(max_length=4000)] = "",
    event_types: Annotated[list[str] | None, Form()] = None,
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    form = _form(url, event_types, enabled)
    try:
        webhooks.update_endpoint(session, principal, endpoint_id, form)
    except WebhookFormInvalid as exc:
        page = webhooks.endpoint_page(session, principal, endpoint_id)
        shown = {"url": url, "event_types": list(form.event_types), "enabled": enabled}
        context = {"page": page, "form": shown, "errors": exc.errors, "event_types": webhooks.EVENT_TYPES}
        return render(request, "notifications/webhook.html", context, status_code=exc.status_code)
    return _to(request, "notifications:webhook", endpoint_id=endpoint_id)


@pages.post("/admin/webhooks/{endpoint_id}/delete", name="notifications:webhook_delete")
def delete_webhook(request: Request, session: DB, principal: CurrentUser, endpoint_id: Id) -> Response:
    webhooks.delete_endpoint(session, principal, endpoint_id)
    return _to(request, "notifications:webhooks")


@pages.post("/admin/webhooks/{endpoint_id}/test", name="notifications:webhook_test")
def test_webhook(request: Request, session: DB, principal: CurrentUser, endpoint_id: Id) -> Response:
    """Queue a `webhook.test` delivery to this endpoint; its outcome shows in the list below."""
    webhooks.send_test(session, principal, endpoint_id)
    return _to(request, "notifications:webhook", endpoint_id=endpoint_id)


# API ------------------------------------------------------------------------------------------------


@api.get("/notifications", response_model=NotificationList, name="api:notifications")
def notifications_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    show: Show = "inbox",
    page: PageNumber = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationList:
    """Your notices: open ones unread first, then newest first; `show=done` for cleared ones."""
    box = service.inbox(session, principal, done=show == "done", page=PageRequest(page, size))
    return NotificationList(
        items=[notification_read(n, link(request, n)) for n in box.page.items],
        total=box.page.total,
        page=box.page.request.page,
        pages=box.page.pages,
        unread=box.unread,
    )


@api.post(
    "/notifications/{notification_id}/read", response_model=NotificationRead, name="api:notification_read"
)
def mark_read_api(
    request: Request, session: DB, principal: CurrentUser, notification_id: Id
) -> NotificationRead:
    """Mark one of your notices read (404 for anybody else's)."""
    notification = service.mark_read(session, principal, notification_id)
    return notification_read(notification, link(request, notification))
