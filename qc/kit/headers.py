"""Security headers on every response: the content policy, framing, sniffing, referrers, caching.

The content policy allows no inline script at all: every script is a file under /static. Styles
come from files too; the one inline `<style>` the pages need, the waveform's (wavesurfer.js
draws inside a shadow root and styles it with a `<style>` element), carries the per-response
nonce that this middleware puts on `request.state.csp_nonce` and base.html hands to the player
(`<meta name="csp-nonce">`). Style attributes in markup are refused; scripts set styles
through the CSSOM, which a policy does not restrict. /docs (Swagger UI, started from
web/static/js/api_docs.js) works under the same policy.

Signed-in pages and API answers must not be kept by the browser or a shared proxy
(`Cache-Control: no-store`) unless the route chose its own caching (a call's audio and peaks,
private to the browser); static files keep their caching.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
DISPLAY_PREFIX = "/wall/"

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "serial",
        "browsing-topics",
    )
)
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the company's other hosts are not ours


def content_policy(nonce: str, *, frame_ancestors: Sequence[str] = ()) -> str:
    """The Content-Security-Policy of one response."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "style-src-attr": "'none'",
        "img-src": "'self' blob: data:",  # data: Pico's icons (select arrows, check marks) are SVG data URLs
        "media-src": "'self' blob:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """ASGI middleware adding the security headers; add it outermost, so that error pages
    and the CSRF refusal carry them too."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False, wall_frame_ancestors: Sequence[str] = ()) -> None:
        self.app = app
        self.hsts = hsts
        self.wall_frame_ancestors = tuple(wall_frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        framed = self.wall_frame_ancestors if path.startswith(DISPLAY_PREFIX) else ()
        policy = content_policy(nonce, frame_ancestors=framed)
        static = path.startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["content-security-policy"] = policy
                if not framed:  # X-Frame-Options cannot name a list of sites; the policy does
                    headers["x-frame-options"] = "DENY"
                headers["x-content-type-options"] = "nosniff"
                headers.setdefault("referrer-policy", "same-origin")
                headers["permissions-policy"] = PERMISSIONS_POLICY
                if self.hsts:
                    headers["strict-transport-security"] = HSTS
                if not static:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
