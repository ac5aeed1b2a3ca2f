"""Sign-in throttling: failures per client address (429 with Retry-After), a growing delay per
account rather than a lock a stranger can impose, trusted proxies only, every attempt logged."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from qc.kit.web import SESSION_COOKIE
from qc.users.models import LoginFailure, Role, User
from qc.users.service import LOGIN_FREE_FAILURES, LOGIN_MAX_DELAY, login_delay
from tests.factories import Browser, make_user

PASSWORD = "correct horse battery"


class Client(Browser):
    """A browser at its own network address (or behind a proxy at that address)."""

    def __init__(self, app: Any, address: str) -> None:
        TestClient.__init__(
            self, app, base_url="http://testserver", follow_redirects=False, client=(address, 50000)
        )

    def sign_in(self, email: str, password: str, **headers: str) -> Any:
        self.ensure_csrf()
        return self.post("/login", data={"email": email, "password": password}, headers=headers)


def fresh_address() -> str:
    """An address no other test used (the counts may live in a shared Redis)."""
    return f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
def admin(db: Session) -> User:
    user = make_user(db, role=Role.ADMIN, email="admin@example.test", password=PASSWORD)
    db.commit()
    return user


@pytest.fixture
def client(app: FastAPI) -> Iterator[Client]:
    with Client(app, fresh_address()) as opened:
        yield opened


def backdate_failures(db: Session, by: timedelta) -> None:
    """Let `by` pass for the account delay: every recorded failure moves back in time."""
    for failure in db.scalars(select(LoginFailure)):
        failure.created_at -= by
    db.commit()


# Per address -------------------------------------------------------------------------------------


def test_an_address_guessing_across_many_accounts_is_stopped_with_429(
    app: FastAPI, client: Client, admin: User
) -> None:
    for n in range(10):
        assert client.sign_in(f"person{n}@example.test", "guess").status_code == 401

    refused = client.sign_in("admin@example.test", PASSWORD)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "Too many failed sign-ins from your network" in refused.text
    assert SESSION_COOKIE not in client.cookies
    with Client(app, fresh_address()) as elsewhere:  # another address is not affected
        assert elsewhere.sign_in("admin@example.test", PASSWORD).status_code == 303


def test_successful_sign_ins_from_one_address_are_not_limited(client: Client, admin: User) -> None:
    for _ in range(11):  # a call centre behind one address signs everyone in at nine
        assert client.sign_in("admin@example.test", PASSWORD).status_code == 303
        client.cookies.clear()


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client: Client, admin: User) -> None:
    for n in range(10):
        response = client.sign_in(f"person{n}@example.test", "guess", **{"X-Forwarded-For": fresh_address()})
        assert response.status_code == 401
    forged = client.sign_in("admin@example.test", PASSWORD, **{"X-Forwarded-For": fresh_address()})
    assert forged.status_code == 429


def test_forwarded_for_from_a_trusted_proxy_names_the_client(configure: Any, admin: User) -> None:
    from qc.app import create_app

    proxy = fresh_address()
    app = create_app(configure(trusted_proxies=f"127.0.0.1,{proxy}"), run_worker=False)
    guesser, colleague = fresh_address(), fresh_address()
    with Client(app, proxy) as behind_proxy:
        for n in range(10):
            response = behind_proxy.sign_in(f"p{n}@example.test", "guess", **{"X-Forwarded-For": guesser})
            assert response.status_code == 401
        blocked = behind_proxy.sign_in("admin@example.test", PASSWORD, **{"X-Forwarded-For": guesser})
        allowed = behind_proxy.sign_in("admin@example.test", PASSWORD, **{"X-Forwarded-For": colleague})
    assert blocked.status_code == 429
    assert allowed.status_code == 303


# Per account -------------------------------------------------------------------------------------


def test_a_stranger_cannot_lock_the_admin_out(app: FastAPI, db: Session, admin: User) -> None:
    for _ in range(3):  # three strangers, three guesses each: no address reaches its limit
        with Client(app, fresh_address()) as stranger:
            for _ in range(3):
                backdate_failures(db, by=LOGIN_MAX_DELAY)  # each waits out the delay it was given
                assert stranger.sign_in("admin@example.test", "guess").status_code == 401
    with Client(app, fresh_address()) as stranger:
        assert stranger.sign_in("admin@example.test", "guess").status_code == 429  # must wait

    with Client(app, fresh_address()) as owner:
        delayed = owner.sign_in("admin@example.test", PASSWORD)
        assert delayed.status_code == 429
        assert "Too many failed sign-ins for this account" in delayed.text
        assert int(delayed.headers["retry-after"]) <= LOGIN_MAX_DELAY.total_seconds()
        assert SESSION_COOKIE not in owner.cookies

        backdate_failures(db, by=LOGIN_MAX_DELAY)  # the longest delay has passed
        assert owner.sign_in("admin@example.test", PASSWORD).status_code == 303
    assert db.scalars(select(LoginFailure)).all() == [], "a success forgets the failures"


def test_the_delay_grows_after_five_failures_and_is_capped() -> None:
    delays = [login_delay(n).total_seconds() for n in range(1, 16)]
    assert delays[: LOGIN_FREE_FAILURES - 1] == [0, 0, 0, 0]
    assert delays[4:10] == [2, 4, 8, 16, 32, 64]
    assert max(delays) == LOGIN_MAX_DELAY.total_seconds() == 900


def test_attempts_during_the_delay_are_refused_without_checking_the_password(
    client: Client, db: Session, admin: User
) -> None:
    for _ in range(LOGIN_FREE_FAILURES):
        assert client.sign_in("admin@example.test", "guess").status_code == 401
    too_soon = client.sign_in("admin@example.test", PASSWORD)
    assert too_soon.status_code == 429
    assert int(too_soon.headers["retry-after"]) == 2
    assert len(db.scalars(select(LoginFailure)).all()) == LOGIN_FREE_FAILURES, "not counted"

    backdate_failures(db, by=timedelta(seconds=2))
    assert client.sign_in("admin@example.test", PASSWORD).status_code == 303


# Logs --------------------------------------------------------------------------------------------


def test_every_attempt_is_logged_without_the_password(
    client: Client, admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="qc.users.signin")
    client.sign_in("admin@example.test", "wrong-password-xyz")
    client.sign_in("nobody@example.test", "wrong-password-xyz")
    client.sign_in("admin@example.test", PASSWORD)

    events = [r.msg for r in caplog.records if r.name == "qc.users.signin"]
    assert [(e["outcome"], e["email"]) for e in events] == [  # type: ignore[index]
        ("failed: wrong password", "admin@example.test"),
        ("failed: unknown account", "nobody@example.test"),
        ("succeeded", "admin@example.test"),
    ]
    assert all(e["address"] == events[0]["address"] and e["address"].startswith("198.51.") for e in events)  # type: ignore[index]
    assert "wrong-password-xyz" not in caplog.text and PASSWORD not in caplog.text


# Settings and the shared store ----------------------------------------------------------------


def test_limits_that_cannot_be_read_are_refused_at_start() -> None:
    from pydantic import ValidationError

    from qc.config import Settings

    with pytest.raises(ValidationError, match="not a list of limits like '10/minute;50/hour'"):
        Settings(login_address_limits="ten a minute")


@pytest.mark.skipif(
    not os.environ.get("QC_TEST_REDIS_URL"), reason="the scale-out run sets QC_TEST_REDIS_URL"
)
def test_replicas_share_the_counts_through_redis() -> None:
    from qc.users.throttle import SharedStoreThrottle

    url = os.environ["QC_TEST_REDIS_URL"]
    replica_a, replica_b = SharedStoreThrottle(url, "3/minute"), SharedStoreThrottle(url, "3/minute")
    address = fresh_address()
    for _ in range(3):
        assert replica_b.retry_after(None, address) is None  # type: ignore[arg-type]
        replica_a.record_failure(None, address)  # type: ignore[arg-type]
    wait = replica_b.retry_after(None, address)  # type: ignore[arg-type]
    assert wait is not None and 1 <= wait <= 60
    assert replica_b.retry_after(None, fresh_address()) is None  # type: ignore[arg-type]


def test_an_empty_form_is_refused_without_counting_against_anyone(client: Client, db: Session) -> None:
    for _ in range(12):
        response = client.sign_in("", "")
        assert response.status_code == 401
        assert "Enter your email and password" in response.text
    assert client.sign_in("admin@example.test", "").status_code == 401
    assert db.scalars(select(LoginFailure)).all() == []


def test_web_processes_share_the_address_counts_through_the_database(configure: Any, admin: User) -> None:
    """`qc serve` runs several web processes: a guesser spread across them by the kernel
    still meets one limit, counted in the database when no Redis is configured."""
    from qc.app import create_app

    settings = configure(rate_limit_url="", login_address_limits="3/minute")
    address = fresh_address()
    with (
        Client(create_app(settings, run_worker=False), address) as first,
        Client(create_app(settings, run_worker=False), address) as second,
    ):
        for n, process in enumerate((first, second, first)):
            assert process.sign_in(f"nobody{n}@example.test", "guess").status_code == 401
        refused = second.sign_in(admin.email, PASSWORD)
        assert refused.status_code == 429
        assert "from your network" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        with Client(create_app(settings, run_worker=False), fresh_address()) as elsewhere:
            assert elsewhere.sign_in(admin.email, PASSWORD).status_code == 303
