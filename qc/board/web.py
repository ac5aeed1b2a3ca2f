"""What every display response carries: never cached, no referrer, not indexed.

A wall screen is opened by its link alone: it must not leak its URL, which is its key,
through a Referer, and must not be kept by caches or search engines. It is handed no cookie
either: the CSRF middleware (qc.kit.csrf) leaves /wall/ and /static/ alone.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISPLAY_PREFIX = "/wall/"
HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
}


class DisplayHeaders:
    """ASGI middleware for the display's paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if not path.startswith(DISPLAY_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
