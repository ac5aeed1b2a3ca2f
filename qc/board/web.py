"""What every display response carries: never cached, no referrer, not indexed, no cookie.

A wall screen is opened by its link alone: it must not be handed a session or CSRF cookie
(nothing on it needs one, and a cookie could be read off a shared screen), must not leak its
URL, which is its key, through a Referer, and must not be kept by caches or search engines.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISPLAY_PREFIX = "/wall/"
STATIC_PREFIX = "/static/"  # the display's scripts and styles: files, which set no cookie either
HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
}


class DisplayHeaders:
    """ASGI middleware for the display's paths (and the static files it loads); add it outside
    the CSRF middleware, so the cookie that one sets on every response is taken off again here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        display = path.startswith(DISPLAY_PREFIX)
        if not (display or path.startswith(STATIC_PREFIX)):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                del headers["set-cookie"]
                for name, value in HEADERS.items() if display else ():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
