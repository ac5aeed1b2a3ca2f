"""Who is asking: the person or integration behind a request, for every domain's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qc.db import Work, session_scope
from qc.errors import NotAuthenticated
from qc.kit.web import SESSION_COOKIE
from qc.users import service as users
from qc.users.schemas import Principal


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request) -> Principal | None:
    """The person or integration behind the request: API token first, then the cookie.

    Resolved in a short read transaction of its own, whatever the request's method: it never
    waits for SQLite's write lock, and the request's own transaction starts only when its
    service touches the database (an upload holds no lock while its audio is checked).
    """
    token = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    with session_scope(work=Work.READ) as session:
        if token is not None:
            principal = users.resolve_api_token(session, token)
        else:
            principal = users.resolve_session(session, cookie) if cookie else None
    if token is not None and principal is None:
        raise NotAuthenticated("The API token is invalid or revoked")
    request.state.principal = principal
    return principal


def require_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise NotAuthenticated("Sign in to continue")
    return principal


CurrentUser = Annotated[Principal, Depends(require_principal)]


MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
