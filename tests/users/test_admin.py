"""Administration pages for teams, people and tokens; the people API for integrations."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from qc.users.models import ApiToken, Role, Team, User
from tests.factories import api_token, bearer

NON_ADMINS = ["qc_lead", "reviewer", "manager", "rep", "other_rep"]


@pytest.mark.parametrize("page", ["/admin/teams", "/admin/users"])
@pytest.mark.parametrize("persona", NON_ADMINS)
def test_admin_pages_are_for_admins_only(browser: Any, org: Any, page: str, persona: str) -> None:
    browser.login_as(getattr(org, persona))
    assert browser.get(page).status_code == 403
    assert browser.post(page, data={"name": "X", "email": "x@example.test", "role": "rep"}).status_code == 403


def test_signed_out_visitor_is_sent_to_login_from_admin(browser: Any) -> None:
    assert browser.get("/admin/users").headers["location"] == "/login?next=%2Fadmin%2Fusers"


def test_admin_creates_a_team(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.admin)
    response = browser.post("/admin/teams", data={"name": "Charlie", "language": "RO"})
    assert response.status_code == 303
    team = db.scalar(select(Team).where(Team.name == "Charlie"))
    assert team.language == "ro"
    rows = browser.page("/admin/teams").select("table tbody tr")
    assert [r.select("td")[0].get_text() for r in rows] == ["Alpha", "Bravo", "Charlie"]


def test_duplicate_team_name_rerenders_with_the_error(browser: Any, org: Any) -> None:
    browser.login_as(org.admin)
    response = browser.post("/admin/teams", data={"name": "alpha", "language": ""})
    assert response.status_code == 409
    assert "already exists" in response.text
    assert 'aria-invalid="true"' in response.text


def test_admin_creates_a_rep_and_a_manager(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.admin)
    rep = browser.post(
        "/admin/users",
        data={
            "name": "Nina New",
            "email": "Nina@Example.test",
            "role": "rep",
            "team": "Bravo",
            "password": "a-long-enough-password",
            "external_id": "crm-nina",
        },
    )
    manager = browser.post(
        "/admin/users",
        data={
            "name": "Max Manager",
            "email": "max@example.test",
            "role": "manager",
            "managed_teams": ["Alpha", "Bravo"],
        },
    )
    assert rep.status_code == 303, rep.text
    assert manager.status_code == 303, manager.text
    nina = db.scalar(select(User).where(User.email == "nina@example.test"))
    assert (nina.role, nina.team_id, nina.external_id) == (Role.REP, org.other_team.id, "crm-nina")
    from qc.users import repository

    maxim = db.scalar(select(User).where(User.email == "max@example.test"))
    assert repository.managed_team_ids(db, maxim.id) == {org.team.id, org.other_team.id}


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"name": "No Team", "email": "nt@example.test", "role": "rep"},
            "team",
            "A rep must belong to a team",
        ),
        ({"name": "Bad", "email": "not-an-email", "role": "rep", "team": "Alpha"}, "email", "valid email"),
        (
            {"name": "Dup", "email": "rep@example.test", "role": "rep", "team": "Alpha"},
            "email",
            "already exists",
        ),
        (
            {"name": "Short", "email": "s@example.test", "role": "reviewer", "password": "short"},
            "password",
            "at least 10",
        ),
        ({"name": "Role", "email": "r@example.test", "role": "boss"}, "role", "Role must be one of"),
    ],
)
def test_invalid_person_rerenders_with_field_error(
    browser: Any, db: Any, org: Any, form: dict[str, str], field: str, message: str
) -> None:
    browser.login_as(org.admin)
    before = len(db.scalars(select(User)).all())
    response = browser.post("/admin/users", data=form)
    assert response.status_code in (409, 422)
    assert message in response.text
    assert f'id="{field}-error"' in response.text
    db.rollback()
    assert len(db.scalars(select(User)).all()) == before


def test_admin_issues_a_token_shown_once(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.admin)
    response = browser.post(f"/admin/users/{org.manager.id}/tokens", data={"name": "telephony"})
    assert response.status_code == 200
    from bs4 import BeautifulSoup

    token = BeautifulSoup(response.text, "html.parser").select_one("#new-token").get_text()
    assert browser.get("/api/me", headers=bearer(token)).json()["email"] == "manager@example.test"
    assert response.headers["HX-Push-Url"] == f"/admin/users/{org.manager.id}"
    again = browser.page(f"/admin/users/{org.manager.id}")
    assert again.select_one("#new-token") is None
    assert token not in again.get_text()


def test_admin_revokes_a_token(browser: Any, db: Any, org: Any) -> None:
    token = api_token(db, org.manager, name="old")
    db.commit()
    record = db.scalar(select(ApiToken))
    browser.login_as(org.admin)
    assert browser.post(f"/admin/users/{org.manager.id}/tokens/{record.id}/revoke").status_code == 303
    assert browser.get("/api/me", headers=bearer(token)).status_code == 401


def test_admin_cannot_deactivate_themselves(browser: Any, org: Any) -> None:
    browser.login_as(org.admin)
    response = browser.post(f"/admin/users/{org.admin.id}/active", data={"active": "false"})
    assert response.status_code == 409


# People API ------------------------------------------------------------------------------------


def test_admin_lists_reps_for_integrations(browser: Any, db: Any, org: Any) -> None:
    token = api_token(db, org.admin)
    db.commit()
    reps = browser.get("/api/users", params={"role": "rep"}, headers=bearer(token)).json()
    assert [(r["email"], r["team"], r["external_id"]) for r in reps] == [
        ("other@example.test", "Bravo", None),
        ("rep@example.test", "Alpha", "crm-rex"),
    ]


def test_manager_lists_only_their_teams_people(browser: Any, db: Any, org: Any) -> None:
    token = api_token(db, org.manager)
    db.commit()
    reps = browser.get("/api/users", params={"role": "rep"}, headers=bearer(token)).json()
    assert [r["email"] for r in reps] == ["rep@example.test"]


@pytest.mark.parametrize("persona", ["rep", "reviewer"])
def test_people_api_is_not_for_reps_or_reviewers(browser: Any, db: Any, org: Any, persona: str) -> None:
    token = api_token(db, getattr(org, persona))
    db.commit()
    assert browser.get("/api/users", headers=bearer(token)).status_code == 403


def test_people_api_rejects_an_unknown_role(browser: Any, db: Any, org: Any) -> None:
    token = api_token(db, org.admin)
    db.commit()
    response = browser.get("/api/users", params={"role": "boss"}, headers=bearer(token))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "role"


def test_team_language_must_be_one_the_model_knows(browser: Any, org: Any) -> None:
    browser.login_as(org.admin)
    response = browser.post("/admin/teams", data={"name": "Klingon desk", "language": "tlh"})
    assert response.status_code == 422
    assert "not a language code the speech model knows" in response.text


def test_overlong_names_are_refused(browser: Any, org: Any) -> None:
    browser.login_as(org.admin)
    assert browser.post("/admin/teams", data={"name": "T" * 121}).status_code == 422
    response = browser.post(
        "/admin/users", data={"name": "N" * 201, "email": "n@example.test", "role": "reviewer"}
    )
    assert response.status_code == 422
    assert "longer than 200" in response.text
