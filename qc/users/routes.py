"""Sign-in, administration of teams, people and API tokens; people for integrations."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.errors import QCError
from qc.kit.web import DB, SESSION_COOKIE, Id, SettingsDep, render
from qc.users import service
from qc.users.models import Role, User
from qc.users.schemas import TeamRead, UserRead
from qc.users.throttle import AddressThrottle, address_throttle, client_address
from qc.users.web import CurrentUser, MaybeUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["people"])


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a fresh login to another host."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


# Sign-in ---------------------------------------------------------------------------


@pages.get("/login", name="users:login")
def login_form(request: Request, principal: MaybeUser, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": _safe_next(next), "form": {}})


@pages.post("/login", name="users:login_submit")
def login(
    request: Request,
    session: DB,
    settings: SettingsDep,
    throttle: Annotated[AddressThrottle, Depends(address_throttle)],
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = service.authenticate(
            session, email=email, password=password, address=client_address(request), throttle=throttle
        )
    except QCError as exc:
        context = {"next": _safe_next(next), "form": {"email": email}, "error": exc.message}
        response = render(request, "auth/login.html", context, status_code=exc.status_code)
        if exc.retry_after_s is not None:
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    token = service.start_session(
        session,
        user=user,
        lifetime=timedelta(days=settings.session_days),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@pages.post("/logout", name="users:logout")
def logout(request: Request, session: DB) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(session, cookie)
    response = RedirectResponse(request.url_for("users:login").path, status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# Administration --------------------------------------------------------------------


def _teams_page(request: Request, session: DB, principal: CurrentUser, **extra: Any) -> dict[str, Any]:
    return {
        "teams": service.team_overview(session, principal),
        "form": {},
        "errors": {},
        **extra,
    }


@pages.get("/admin/teams", name="admin:teams")
def teams_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    service.require_admin(principal)
    return render(request, "admin/teams.html", _teams_page(request, session, principal))


@pages.post("/admin/teams", name="admin:teams_create")
def create_team(
    request: Request,
    session: DB,
    principal: CurrentUser,
    name: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    service.require_admin(principal)
    try:
        service.create_team(session, name=name, language=language)
    except QCError as exc:
        context = _teams_page(
            request,
            session,
            principal,
            form={"name": name, "language": language},
            errors={exc.field or "name": exc.message},
        )
        return render(request, "admin/teams.html", context, status_code=exc.status_code)
    return RedirectResponse(request.url_for("admin:teams").path, status_code=303)


def _users_page(session: DB, principal: CurrentUser, **extra: Any) -> dict[str, Any]:
    return {
        "users": service.list_people(session, principal),
        "teams": service.list_visible_teams(session, principal),
        "roles": list(Role),
        "form": {},
        "errors": {},
        **extra,
    }


@pages.get("/admin/users", name="admin:users")
def users_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    service.require_admin(principal)
    return render(request, "admin/users.html", _users_page(session, principal))


@pages.post("/admin/users", name="admin:users_create")
def create_user(
    request: Request,
    session: DB,
    principal: CurrentUser,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    external_id: Annotated[str, Form()] = "",
    managed_teams: Annotated[list[str] | None, Form()] = None,
) -> Response:
    service.require_admin(principal)
    form = {
        "email": email,
        "name": name,
        "role": role,
        "team": team,
        "external_id": external_id,
        "managed_teams": managed_teams or [],
    }
    try:
        with session.begin_nested():
            service.create_user(
                session,
                email=email,
                name=name,
                role=role,
                password=password or None,
                team=team or None,
                external_id=external_id or None,
                managed_teams=managed_teams or [],
            )
    except QCError as exc:
        context = _users_page(session, principal, form=form, errors={exc.field or "email": exc.message})
        return render(request, "admin/users.html", context, status_code=exc.status_code)
    return RedirectResponse(request.url_for("admin:users").path, status_code=303)


@pages.get("/admin/users/{user_id}", name="admin:user")
def user_page(request: Request, session: DB, principal: CurrentUser, user_id: Id) -> Response:
    service.require_admin(principal)
    user = service.get_person(session, user_id)
    tokens = service.list_api_tokens(session, user=user)
    return render(request, "admin/user.html", {"user": user, "tokens": tokens, "new_token": None})


@pages.post("/admin/users/{user_id}/active", name="admin:user_active")
def set_active(
    request: Request, session: DB, principal: CurrentUser, user_id: Id, active: Annotated[bool, Form()]
) -> Response:
    service.set_active(session, principal, user_id=user_id, active=active)
    return RedirectResponse(request.url_for("admin:user", user_id=user_id).path, status_code=303)


@pages.post("/admin/users/{user_id}/tokens", name="admin:token_create")
def create_token(
    request: Request, session: DB, principal: CurrentUser, user_id: Id, name: Annotated[str, Form()] = ""
) -> Response:
    service.require_admin(principal)
    user = service.get_person(session, user_id)
    error = None
    new_token = None
    try:
        with session.begin_nested():
            new_token = service.create_api_token(session, user=user, name=name)
    except QCError as exc:
        error = exc.message
    tokens = service.list_api_tokens(session, user=user)
    context = {"user": user, "tokens": tokens, "new_token": new_token, "token_error": error}
    # The plain token is shown once, on this response; it is never stored.
    response = render(request, "admin/user.html", context, status_code=422 if error else 200)
    response.headers["HX-Push-Url"] = request.url_for("admin:user", user_id=user_id).path
    return response


@pages.post("/admin/users/{user_id}/tokens/{token_id}/revoke", name="admin:token_revoke")
def revoke_token(
    request: Request, session: DB, principal: CurrentUser, user_id: Id, token_id: Id
) -> Response:
    service.require_admin(principal)
    user = service.get_person(session, user_id)
    service.revoke_api_token(session, user=user, token_id=token_id)
    return RedirectResponse(request.url_for("admin:user", user_id=user_id).path, status_code=303)


# API -----------------------------------------------------------------------------------


def _user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        team_id=user.team_id,
        team=user.team.name if user.team else None,
        external_id=user.external_id,
        is_active=user.is_active,
    )


@api.get("/me", response_model=UserRead, name="api:me")
def me(session: DB, principal: CurrentUser) -> UserRead:
    """The user behind the token or session."""
    user = service.get_person(session, principal.id)
    session.refresh(user, ["team"])
    return _user_read(user)


@api.get("/users", response_model=list[UserRead], name="api:users")
def list_users(
    session: DB, principal: CurrentUser, role: Annotated[Role | None, Query()] = None
) -> list[UserRead]:
    """People you may see (all for admins and QC leads, your teams for managers)."""
    return [_user_read(u) for u in service.list_people(session, principal, role=role)]


@api.get("/teams", response_model=list[TeamRead], name="api:teams")
def list_teams(session: DB, principal: CurrentUser) -> list[TeamRead]:
    return [TeamRead.model_validate(t) for t in service.list_visible_teams(session, principal)]
