"""Failed sign-ins counted per client address (QC_LOGIN_ADDRESS_LIMITS, default 10 a minute
and 50 an hour), in a moving window kept by `limits` (slowapi's engine): in memory for the
embedded single process, in Redis when scaled out, so every replica sees the same counts.

Only failures count: a call centre signs two hundred people in from one address at the start of
a shift. Once an address is over a limit, its sign-ins are refused (429) without a password
being checked until the oldest failure leaves the window. The per-account delay is
`qc.users.service.authenticate`'s, kept in the database with the failures themselves.
"""

from __future__ import annotations

import logging
import math
import time

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from qc.config import Settings

log = logging.getLogger(__name__)

_NAMESPACE = "qc-login-failures"


class AddressThrottle:
    """Counts failed sign-ins per client address and says how long an address must wait."""

    def __init__(self, storage_url: str, limits: str) -> None:
        self.limits: list[RateLimitItem] = parse_many(limits)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_url, key_prefix="qc"))

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may now."""
        try:
            waits = [
                self.limiter.get_window_stats(limit, _NAMESPACE, address).reset_time - time.time()
                for limit in self.limits
                if not self.limiter.test(limit, _NAMESPACE, address)
            ]
        except Exception:  # the counter's store is down: sign-in stays open, the account delay holds
            log.warning("sign-in throttle store unavailable; address limits not applied", exc_info=True)
            return None
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, address: str) -> None:
        try:
            for limit in self.limits:
                self.limiter.hit(limit, _NAMESPACE, address)
        except Exception:
            log.warning("sign-in throttle store unavailable; failure not counted", exc_info=True)


def address_throttle(request: Request) -> AddressThrottle:
    """The app's throttle (one per app: its memory store is the process's)."""
    throttle: AddressThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        settings: Settings = request.app.state.settings
        throttle = AddressThrottle(settings.rate_limit_dsn, settings.login_address_limits)
        request.app.state.login_throttle = throttle
    return throttle


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy (QC_TRUSTED_PROXIES) forwarded."""
    return request.client.host if request.client else "unknown"
