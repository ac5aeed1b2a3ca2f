"""The CSRF token is bound to the session: another client's token pair is refused, and the
token changes on signing in and out."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from qc.kit.web import CSRF_COOKIE, SESSION_COOKIE
from qc.users.models import Role
from tests.factories import Browser, Org, make_user

PASSWORD = "correct horse battery"


def post_team(app: FastAPI, name: str, *, session: str, token: str) -> Any:
    """A state-changing admin request on `session` with the CSRF pair `token` (cookie and header,
    as the page's scripts send it), from a client holding exactly those cookies."""
    with Browser(app) as client:
        client.cookies.set(SESSION_COOKIE, session)
        client.cookies.set(CSRF_COOKIE, token)
        return client.post("/admin/teams", data={"name": name}, headers={"X-CSRFToken": token})


def test_a_token_pair_from_another_client_is_refused_on_an_admin_session(app: FastAPI, org: Org) -> None:
    with Browser(app) as stranger, Browser(app).login_as(org.admin) as admin:
        anonymous_pair = stranger.ensure_csrf()  # a valid, signed pair minted for someone else
        stranger.login_as(org.rep)
        rep_pair = stranger.ensure_csrf()
        own = admin.ensure_csrf()

        session = str(admin.cookies[SESSION_COOKIE])

        refused = post_team(app, "Night shift", session=session, token=anonymous_pair)
        assert refused.status_code == 403
        assert "Reload the page" in refused.text
        assert post_team(app, "Night shift", session=session, token=rep_pair).status_code == 403
        assert post_team(app, "Night shift", session=session, token=own).status_code == 303


def test_signing_in_and_out_changes_the_token(app: FastAPI, db: Any) -> None:
    make_user(db, role=Role.ADMIN, email="boss@example.test", password=PASSWORD)
    db.commit()
    with Browser(app) as client:
        before = client.ensure_csrf()
        signed_in = client.post("/login", data={"email": "boss@example.test", "password": PASSWORD})
        assert signed_in.status_code == 303
        during = str(client.cookies[CSRF_COOKIE])
        assert during != before
        session = str(client.cookies[SESSION_COOKIE])
        assert post_team(app, "Night shift", session=session, token=before).status_code == 403, (
            "the old token is dead"
        )
        assert post_team(app, "Night shift", session=session, token=during).status_code == 303

        assert client.post("/logout").status_code == 303
        assert SESSION_COOKIE not in client.cookies
        assert str(client.cookies[CSRF_COOKIE]) not in (before, during)


def test_the_wall_board_and_static_files_get_no_cookie(browser: Browser) -> None:
    for path in ("/static/css/app.css", "/wall/not-a-token"):
        response = browser.get(path)
        assert "set-cookie" not in response.headers, path
