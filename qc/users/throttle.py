"""Failed sign-ins counted per client address (QC_LOGIN_ADDRESS_LIMITS, default 10 a minute
and 50 an hour), in a moving window: in the database by default, so that every web process
of one `qc serve` counts together; in Redis (QC_RATE_LIMIT_URL, through `limits`, slowapi's
engine) when scaled out, so that every replica does.

Only failures count: a call centre signs two hundred people in from one address at the start of
a shift. Once an address is over a limit, its sign-ins are refused (429) without a password
being checked until the oldest failure leaves the window. The per-account delay is
`qc.users.service.authenticate`'s, kept in the database with the failures themselves.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta
from typing import Protocol

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.users import repository as repo

log = logging.getLogger(__name__)

_NAMESPACE = "qc-login-failures"


class AddressThrottle(Protocol):
    """Counts failed sign-ins per client address and says how long an address must wait."""

    def retry_after(self, session: Session, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may now."""

    def record_failure(self, session: Session, address: str) -> None:
        """Count a failed sign-in (in the caller's transaction when the count is in the database)."""


class DatabaseThrottle:
    """The counts in the database: one row per failure, kept as long as the longest window."""

    def __init__(self, limits: str) -> None:
        self.limits: list[RateLimitItem] = parse_many(limits)
        self.longest = timedelta(seconds=max(limit.get_expiry() for limit in self.limits))

    def retry_after(self, session: Session, address: str) -> int | None:
        now = utcnow()
        waits = []
        for limit in self.limits:
            window = timedelta(seconds=limit.get_expiry())
            # Over the limit while the limit-th latest failure is still inside the window.
            nth = repo.nth_latest_address_failure(session, address, limit.amount, now - window)
            if nth is not None:
                waits.append((nth + window - now).total_seconds())
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, session: Session, address: str) -> None:
        now = utcnow()
        repo.add_address_failure(session, address, now, forget_before=now - self.longest)


class SharedStoreThrottle:
    """The counts in `limits`' store (Redis when scaled out), shared by every replica."""

    def __init__(self, storage_url: str, limits: str) -> None:
        self.limits: list[RateLimitItem] = parse_many(limits)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_url, key_prefix="qc"))

    def retry_after(self, session: Session, address: str) -> int | None:
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

    def record_failure(self, session: Session, address: str) -> None:
        try:
            for limit in self.limits:
                self.limiter.hit(limit, _NAMESPACE, address)
        except Exception:
            log.warning("sign-in throttle store unavailable; failure not counted", exc_info=True)


def throttle_for(settings: Settings) -> AddressThrottle:
    url = settings.rate_limit_url.get_secret_value()
    if url:
        return SharedStoreThrottle(url, settings.login_address_limits)
    return DatabaseThrottle(settings.login_address_limits)


def address_throttle(request: Request) -> AddressThrottle:
    """The app's throttle, built once per app."""
    throttle: AddressThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = throttle_for(request.app.state.settings)
        request.app.state.login_throttle = throttle
    return throttle


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy (QC_TRUSTED_PROXIES) forwarded."""
    return request.client.host if request.client else "unknown"
