"""Signing in and out, sessions, CSRF, API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from qc.db import utcnow
from qc.kit.web import CSRF_COOKIE, SESSION_COOKIE
from qc.users import service
from qc.users.models import Role, UserSession
from tests.factories import Browser, make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def person(db: Any) -> Any:
    user = make_user(db, role=Role.QC_LEAD, email="signin@example.test", password=PASSWORD)
    db.commit()
    return user


def sign_in(browser: Browser, email: str, password: str, next: str = "/") -> Any:
    browser.ensure_csrf()
    return browser.post("/login", data={"email": email, "password": password, "next": next})


def test_login_opens_a_session_and_redirects(browser: Browser, db: Any, person: Any) -> None:
    response = sign_in(browser, "SIGNIN@example.test", PASSWORD, next="/calls?status=failed")

    assert response.status_code == 303
    assert response.headers["location"] == "/calls?status=failed"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    stored = db.scalars(select(UserSession)).all()
    assert len(stored) == 1
    assert stored[0].token_hash != browser.cookies[SESSION_COOKIE], "only a hash is stored"
    assert browser.get("/calls").status_code == 200


def test_wrong_password_rerenders_the_form(browser: Browser, person: Any) -> None:
    response = sign_in(browser, "signin@example.test", "wrong password")
    assert response.status_code == 401
    assert "Email or password is incorrect" in response.text
    assert 'value="signin@example.test"' in response.text
    assert SESSION_COOKIE not in browser.cookies


def test_unknown_email_gets_the_same_answer(browser: Browser, person: Any) -> None:
    response = sign_in(browser, "nobody@example.test", PASSWORD)
    assert response.status_code == 401
    assert "Email or password is incorrect" in response.text


def test_login_never_redirects_to_another_site(browser: Browser, person: Any) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = sign_in(browser, "signin@example.test", PASSWORD, next=target)
        assert response.headers["location"] == "/"


def test_login_without_csrf_token_is_refused(browser: Browser, person: Any) -> None:
    response = browser.post("/login", data={"email": "signin@example.test", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in browser.cookies


def test_state_changing_request_with_session_needs_csrf(app: Any, org: Any) -> None:
    with Browser(app) as browser:
        browser.login_as(org.admin)
        browser.cookies.delete(CSRF_COOKIE)
        response = browser.post("/admin/teams", data={"name": "Charlie"}, headers={"X-CSRFToken": "made-up"})
        assert response.status_code == 403
        assert "Reload the page" in response.text


def test_deactivated_user_cannot_sign_in(browser: Browser, db: Any, person: Any) -> None:
    person.is_active = False
    db.commit()
    response = sign_in(browser, "signin@example.test", PASSWORD)
    assert response.status_code == 401
    assert "deactivated" in response.text


def test_logout_ends_the_session(browser: Browser, db: Any, person: Any) -> None:
    sign_in(browser, "signin@example.test", PASSWORD)
    response = browser.post("/logout")
    assert response.status_code == 303
    assert db.scalars(select(UserSession)).all() == []
    assert browser.get("/calls").status_code == 303


def test_expired_session_is_ignored(browser: Browser, db: Any, person: Any) -> None:
    sign_in(browser, "signin@example.test", PASSWORD)
    record = db.scalars(select(UserSession)).one()
    record.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    assert browser.get("/calls").status_code == 303


def test_deactivating_a_user_ends_their_sessions(browser: Browser, db: Any, org: Any, person: Any) -> None:
    sign_in(browser, "signin@example.test", PASSWORD)
    admin = Browser(browser.app).login_as(org.admin)
    assert admin.post(f"/admin/users/{person.id}/active", data={"active": "false"}).status_code == 303
    assert browser.get("/calls").status_code == 303


def test_api_token_acts_as_its_user(browser: Browser, db: Any, org: Any) -> None:
    token = service.create_api_token(db, user=org.manager, name="telephony")
    db.commit()
    me = browser.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == "manager@example.test"
    assert token.startswith("qc_")


def test_token_names_are_unique_per_user_until_revoked(db: Any, org: Any) -> None:
    from qc.errors import Conflict

    service.create_api_token(db, user=org.admin, name="pbx")
    with pytest.raises(Conflict):
        service.create_api_token(db, user=org.admin, name="pbx")
    token = service.list_api_tokens(db, user=org.admin)[0]
    service.revoke_api_token(db, user=org.admin, token_id=token.id)
    assert service.create_api_token(db, user=org.admin, name="pbx").startswith("qc_")


def test_token_of_a_deactivated_user_stops_working(browser: Browser, db: Any, org: Any) -> None:
    token = service.create_api_token(db, user=org.manager, name="telephony")
    org.manager.is_active = False
    db.commit()
    assert browser.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_passwords_are_stored_as_argon2_hashes(person: Any) -> None:
    assert person.password_hash.startswith("$argon2")
    assert PASSWORD not in person.password_hash


def test_logs_never_show_local_variables(capsys: Any, settings: Any) -> None:
    import logging

    from qc.kit.logging import configure_logging

    for json_lines in (False, True):
        configure_logging(settings.model_copy(update={"log_json": json_lines}))

        def sign_in_backend(password: str = "hunter2-is-my-password") -> None:
            raise RuntimeError("database went away")

        try:
            sign_in_backend()
        except RuntimeError:
            logging.getLogger("qc.test").exception("sign-in failed")
        err = capsys.readouterr().err
        assert "database went away" in err
        assert "hunter2" not in err
    configure_logging(settings)
