"""CSRF protection bound to the sign-in session.

starlette-csrf's double-submit check compares the csrftoken cookie with the header, so any
validly signed pair passes: a pair minted for one client worked on another client's session.
Here a request carrying a session cookie must send the token derived from that session (an
HMAC of the session token under the app's secret), so a token is worth nothing on any other
session, and it changes whenever the session does: a response that signs in sets the token of
the new session, one that signs out a fresh unbound token.

Without a session (the sign-in form) the library's signed double-submit pair is checked as
before. Token-authenticated API calls carry no session cookie and are not CSRF-able. The wall
board (opened by its link alone) and static files get no cookie at all.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import http.cookies
import secrets
from re import Pattern

from itsdangerous import BadSignature
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_csrf import CSRFMiddleware

COOKIELESS_PREFIXES = ("/wall/", "/static/")


def session_csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token of a session: what the page's scripts send back in the header."""
    digest = hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256)
    return "s." + digest.hexdigest()


class SessionCSRFMiddleware(CSRFMiddleware):
    """starlette-csrf with the token bound to the session cookie (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        secret: str,
        *,
        session_cookie: str,
        required_urls: list[Pattern[str]],
        cookie_name: str,
        header_name: str,
        cookie_secure: bool,
    ) -> None:
        super().__init__(
            app,
            secret,
            required_urls=required_urls,
            sensitive_cookies={session_cookie},
            cookie_name=cookie_name,
            header_name=header_name,
            cookie_secure=cookie_secure,
            cookie_samesite="lax",
        )
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(COOKIELESS_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # `required_urls` would otherwise check safe methods too (GET /login).
        if request.method not in self.safe_methods and not self._token_accepted(request):
            await self._get_error_response(request)(scope, receive, send)
            return
        await self.app(scope, receive, functools.partial(self.send, send=send, scope=scope))

    def _token_accepted(self, request: Request) -> bool:
        submitted = request.headers.get(self.header_name) or ""
        session = request.cookies.get(self.session_cookie)
        if session:
            return hmac.compare_digest(submitted, session_csrf_token(self.secret, session))
        if not self._url_is_required(request.url):
            return True
        cookie = request.cookies.get(self.cookie_name)
        return bool(cookie and submitted) and self._csrf_tokens_match(cookie or "", submitted)

    def _csrf_tokens_match(self, token1: str, token2: str) -> bool:
        try:
            return secrets.compare_digest(self.serializer.loads(token1), self.serializer.loads(token2))
        except BadSignature:
            return False

    async def send(self, message: Message, send: Send, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            token = self._token_after(Request(scope), MutableHeaders(scope=message))
            if token is not None:
                message.setdefault("headers", [])
                MutableHeaders(scope=message).append("set-cookie", self._cookie(token))
        await send(message)

    def _token_after(self, request: Request, headers: MutableHeaders) -> str | None:
        """The token the client must hold after this response, if its cookie must change."""
        held = request.cookies.get(self.cookie_name)
        session: str | None = request.cookies.get(self.session_cookie)
        for value in headers.getlist("set-cookie"):
            cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie(value)
            if self.session_cookie in cookie:
                morsel = cookie[self.session_cookie]
                session = None if morsel["max-age"] in ("0", 0) or not morsel.value else morsel.value
                if session is None:  # signed out: a fresh token, unrelated to the old session
                    return self._generate_csrf_token()
        if session:
            wanted = session_csrf_token(self.secret, session)
            return wanted if held != wanted else None
        return self._generate_csrf_token() if not held or held.startswith("s.") else None

    def _cookie(self, token: str) -> str:
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie[self.cookie_name] = token
        cookie[self.cookie_name]["path"] = self.cookie_path
        cookie[self.cookie_name]["secure"] = self.cookie_secure
        cookie[self.cookie_name]["samesite"] = self.cookie_samesite
        return cookie.output(header="").strip()

    def _get_error_response(self, request: Request) -> Response:
        message = "Your form expired or was sent from another site. Reload the page and try again."
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": "csrf_failed", "detail": message}, status_code=403)
        return Response(message, status_code=403, media_type="text/plain")
