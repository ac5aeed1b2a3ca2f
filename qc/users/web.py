"""Who is asking: the person or integration behind a request, for every domain's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qc.db import session_scope
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

    Resolved in its own short transaction, so that the request's own transaction starts
    only when its service touches the database: on SQLite a transaction holds the write
    lock, and an upload must not hold it while its audio is being checked.
    """
    token = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    with session_scope() as session:
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
