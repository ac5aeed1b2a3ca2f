"""POSTing a JSON body to a URL that is a secret (a webhook, a bot token in the path).

Redirects are not followed (an answer, not a delivery: following one would post the body
elsewhere), only http and https are accepted, and whatever is reported (errors, what the
receiver said) names the URL's host at most: the rest of the URL never leaves this module.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_RETRY_AFTER_S = 3600.0


def host_of(url: str) -> str:
    """What logs and error messages may say about a URL: its host (and port)."""
    try:
        parts = urlsplit(url)
        return (parts.hostname or "?") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "?"


@dataclass(frozen=True)
class Posted:
    status_code: int | None  # None: no answer (refused, timed out, bad URL)
    error: str | None
    retry_after_s: float | None = None  # the receiver's Retry-After, in seconds

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: bytes, *, headers: dict[str, str], timeout: float) -> Posted:
    """POST `body`; any exception becomes a result whose error names the host at most."""
    if not url.lower().startswith(("http://", "https://")):  # never file:// and the like
        return Posted(None, "Only http and https URLs are accepted")
    sent = {"Content-Type": "application/json", **headers}
    request = urllib.request.Request(url, data=body, method="POST", headers=sent)  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(64 * 1024)
            return Posted(response.status, None)
    except urllib.error.HTTPError as exc:
        said = scrub(_first_words(exc), url)
        retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
        return Posted(
            exc.code, f"HTTP {exc.code} from {host_of(url)}" + (f": {said}" if said else ""), retry_after
        )
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        return Posted(None, scrub(failure(exc, host_of(url), timeout=timeout), url)[:500])


def failure(exc: BaseException, host: str, *, timeout: float) -> str:
    """A person's account of a POST that got no answer: what happened, and to which host."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, TimeoutError):  # socket.timeout too
        return f"Timed out after {timeout:g} s waiting for {host}"
    if isinstance(reason, ConnectionRefusedError):
        return f"Could not connect to {host} (connection refused)"
    if isinstance(reason, ConnectionResetError):
        return f"{host} closed the connection (connection reset)"
    if isinstance(reason, socket.gaierror):
        return f"Could not find {host} (no such host, or DNS is down)"
    if isinstance(reason, ssl.SSLError):
        return f"Secure connection to {host} failed ({getattr(reason, 'reason', None) or 'TLS error'})"
    if isinstance(reason, OSError) and reason.strerror:
        return f"Could not connect to {host} ({reason.strerror.lower()})"
    if isinstance(exc, http.client.HTTPException):
        return f"{host} sent an answer that is not HTTP ({type(exc).__name__})"
    return f"Could not post to {host}: {reason}"


def scrub(text: str, url: str) -> str:
    """`text` with the URL, and the part of it after the host, replaced by the host."""
    host = host_of(url)
    text = text.replace(url, host)
    secret = url.split("://", 1)[-1].partition("/")[2]
    return text.replace(secret, "…") if len(secret) >= 8 else text


def _first_words(response: urllib.error.HTTPError) -> str:
    """The start of what a refusing receiver said, on one line (it helps whoever runs it)."""
    try:
        raw = response.read(300) or b""
    except Exception:
        raw = b""
    finally:
        response.close()
    return " ".join(raw.decode("utf-8", "replace").split())[:200]


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds; an HTTP date is ignored)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S) if seconds is not None else None
