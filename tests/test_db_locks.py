"""Requests beside a writer that holds the database: reads go on, writes wait a bounded time
and then answer 503 with Retry-After, leaving nothing behind.

Another connection holds the lock for the whole of each request (it is released only after
the response is back), so "answered while the lock was held" is a matter of order, not of
timing. On SQLite it holds the write lock (BEGIN IMMEDIATE); on PostgreSQL an EXCLUSIVE lock
on the call and session tables, which lets plain reads through and stops every write to them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.config import get_settings
from qc.db import utcnow
from qc.kit.security import token_hash
from qc.kit.web import SESSION_COOKIE
from qc.users.models import Role, UserSession
from tests.calls.test_upload_api import leftover_temp_files, stored_files, upload
from tests.factories import SAMPLES, Browser, Org, api_token, bearer, make_call, make_user


class HeldLock:
    """A connection of its own holding the database the way a long write would."""

    def __init__(self) -> None:
        dsn = get_settings().database_dsn
        self.sqlite = dsn.startswith("sqlite")
        self._conn: Any
        if self.sqlite:
            self._conn = sqlite3.connect(make_url(dsn).database or "", isolation_level=None)
            self._conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self._conn = psycopg.connect(dsn)
            # A fix undone must fail this test, not hang it: the server ends a holder left idle.
            self._conn.execute("SET idle_in_transaction_session_timeout = '60s'")
            self._conn.execute('LOCK TABLE "call", user_session IN EXCLUSIVE MODE')

    def still_held(self) -> bool:
        """Whether the lock survived until now (nothing timed it out while we waited)."""
        if self.sqlite:
            return bool(self._conn.in_transaction)
        self._conn.execute("SELECT 1")  # fails if the server ended the session
        return True

    def release(self) -> None:
        self._conn.rollback()
        self._conn.close()


@contextmanager
def held_lock() -> Iterator[HeldLock]:
    lock = HeldLock()
    try:
        yield lock
    finally:
        lock.release()


@pytest.fixture
def bound(configure: Any) -> float:
    """A short wait for the lock, so that a write beside a held lock gives up quickly."""
    return float(configure(db_lock_wait_s=0.3).db_lock_wait_s)


def _session_row(db: Session, cookie: str) -> UserSession:
    db.expire_all()
    return db.scalars(select(UserSession).where(UserSession.token_hash == token_hash(cookie))).one()


def _age_session(db: Session, cookie: str) -> None:
    """Make the session due for its last-seen mark (a write, on the next request)."""
    _session_row(db, cookie).last_seen_at = utcnow() - timedelta(hours=1)
    db.commit()


# Reads go on ------------------------------------------------------------------------------


def test_a_call_is_read_through_the_api_while_a_writer_holds_the_database(
    client: Any, db: Session, org: Org
) -> None:
    call = make_call(db, rep=org.rep)
    headers = bearer(api_token(db, org.admin))
    db.commit()

    with held_lock() as lock:
        response = client.get(f"/api/calls/{call.id}", headers=headers)
        health = client.get("/healthz")
        assert lock.still_held()

    assert response.status_code == 200, response.text
    assert response.json()["id"] == call.id
    assert health.status_code == 200


def test_pages_answer_while_a_writer_holds_the_database_and_the_last_seen_mark_waits(
    browser: Browser, db: Session, org: Org
) -> None:
    call = make_call(db, rep=org.rep)
    db.commit()
    browser.login_as(org.rep)
    cookie = str(browser.cookies[SESSION_COOKIE])
    _age_session(db, cookie)
    stale = _session_row(db, cookie).last_seen_at
    signed_out = Browser(browser.app)
    signed_out.cookies.set(SESSION_COOKIE, "a-session-that-ended-long-ago")

    with held_lock() as lock:
        call_page = browser.get(f"/calls/{call.id}")
        sign_in_page = signed_out.get("/login")
        assert lock.still_held()
        assert _session_row(db, cookie).last_seen_at == stale  # the mark gave way to the writer

    assert call_page.status_code == 200, call_page.text[:300]
    assert sign_in_page.status_code == 200, sign_in_page.text[:300]
    assert BeautifulSoup(sign_in_page.text, "html.parser").find("input", attrs={"name": "password"})
    # With the database free again, the next request writes the mark it skipped.
    assert browser.get(f"/calls/{call.id}").status_code == 200
    assert _session_row(db, cookie).last_seen_at > stale


# Writes give up with 503 -----------------------------------------------------------------------


def test_an_upload_beside_a_held_lock_answers_503_and_leaves_nothing_behind(
    client: Any, db: Session, org: Org, bound: float
) -> None:
    headers = bearer(api_token(db, org.admin))
    db.commit()

    with held_lock() as lock:
        refused = upload(client, SAMPLES / "outbound_en_followed.ogg", headers)
        assert lock.still_held()

    assert refused.status_code == 503, refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"] == "database_busy"
    assert "try again" in refused.json()["detail"].lower()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Call)) == 0
    assert stored_files() == leftover_temp_files() == []
    # Trying again once the writer is done works.
    assert upload(client, SAMPLES / "outbound_en_followed.ogg", headers).status_code == 201


def test_signing_in_beside_a_held_lock_shows_a_busy_page_and_works_afterwards(
    browser: Browser, db: Session, bound: float
) -> None:
    make_user(db, role=Role.QC_LEAD, email="signin@example.test", password="a long enough password")
    db.commit()
    browser.ensure_csrf()
    form = {"email": "signin@example.test", "password": "a long enough password", "next": "/"}

    with held_lock() as lock:
        refused = browser.post("/login", data=form)
        assert lock.still_held()

    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) >= 1
    message = BeautifulSoup(refused.text, "html.parser").get_text(" ", strip=True)
    assert "busy" in message and "try again" in message.lower()
    assert SESSION_COOKIE not in browser.cookies
    db.rollback()
    assert db.scalar(select(func.count()).select_from(UserSession)) == 0
    signed_in = browser.post("/login", data=form)
    assert signed_in.status_code == 303
    assert SESSION_COOKIE in browser.cookies
