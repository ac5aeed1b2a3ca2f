"""The signed-in board page and its display links: made, shown once, listed and revoked by
administrators and the team's managers."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.board.models import DisplayLink
from qc.kit.security import token_hash
from tests.factories import Browser, Org


def links_of(db: Session, org: Org) -> list[DisplayLink]:
    db.expire_all()
    return list(
        db.scalars(select(DisplayLink).where(DisplayLink.team_id == org.team.id).order_by(DisplayLink.id))
    )


def make(browser: Browser, org: Org, **data: str) -> Any:
    return browser.post(f"/board/{org.team.id}/links", data={"label": "Floor TV", **data})


def token_in(response: Any) -> str:
    """The token of the link shown once on the page."""
    url = BeautifulSoup(response.text, "html.parser").select_one("#new-link-url")
    assert url is not None
    return str(url["value"]).rsplit("/wall/", 1)[1]


def test_a_manager_makes_a_link_that_is_shown_once(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.manager)
    response = make(browser, org, show_ranking="true")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    token = token_in(response)
    [link] = links_of(db, org)
    assert (link.label, link.show_ranking, link.created_by_id) == ("Floor TV", True, org.manager.id)
    assert link.token_hash == token_hash(token) and link.prefix == token[:8]
    assert browser.get(f"/wall/{token}").status_code == 200
    again = browser.page(f"/board/{org.team.id}")
    assert token not in str(again) and again.select_one("#new-link-url") is None
    row = again.select_one("table.display-links tbody tr")
    assert row is not None and "Floor TV" in row.get_text() and f"{token[:8]}…" in row.get_text()
    assert org.manager.name in row.get_text()


def test_a_link_needs_a_name(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.admin)
    response = make(browser, org, label="   ")
    assert response.status_code == 422
    error = BeautifulSoup(response.text, "html.parser").select_one("#label-error")
    assert error is not None and "Name the screen" in error.get_text()
    assert links_of(db, org) == []


def test_a_manager_revokes_a_link_and_the_screen_stops(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.manager)
    token = token_in(make(browser, org))
    [link] = links_of(db, org)
    response = browser.post(f"/board/{org.team.id}/links/{link.id}/revoke")
    assert response.status_code == 303
    assert links_of(db, org)[0].revoked_at is not None
    assert browser.get(f"/wall/{token}").status_code == 404
    assert "revoked" in browser.page(f"/board/{org.team.id}").select_one("table.display-links").get_text()  # type: ignore[union-attr]


def test_only_admins_and_the_teams_managers_handle_links(browser_factory: Any, db: Session, org: Org) -> None:
    owner = browser_factory().login_as(org.manager)
    assert make(owner, org).status_code == 200
    [link] = links_of(db, org)
    lead = browser_factory().login_as(org.qc_lead)
    page = lead.page(f"/board/{org.team.id}")  # a QC lead sees the board...
    assert page.select_one("#display-links") is None and page.select(".board-table")  # ...not its links
    assert make(lead, org).status_code == 403
    assert lead.post(f"/board/{org.team.id}/links/{link.id}/revoke").status_code == 403
    outsider = browser_factory().login_as(org.outsider_manager)
    assert outsider.get(f"/board/{org.team.id}").status_code == 404
    assert outsider.post(f"/board/{org.team.id}/links/{link.id}/revoke").status_code == 404
    rep = browser_factory().login_as(org.rep)
    assert rep.get(f"/board/{org.team.id}").status_code == 403
    # A link of one team cannot be revoked through another team's board.
    other_admin = browser_factory().login_as(org.admin)
    assert other_admin.post(f"/board/{org.other_team.id}/links/{link.id}/revoke").status_code == 404
    assert [row.revoked_at for row in links_of(db, org)] == [None]


def test_making_a_link_needs_the_csrf_header(browser: Browser, db: Session, org: Org) -> None:
    browser.login_as(org.manager)
    response = browser.post(
        f"/board/{org.team.id}/links", data={"label": "Floor TV"}, headers={"X-CSRFToken": "forged"}
    )
    assert response.status_code == 403
    assert links_of(db, org) == []


def test_the_team_page_links_to_the_board(browser: Browser, org: Org) -> None:
    browser.login_as(org.manager)
    page = browser.page(f"/team/{org.team.id}")
    link = page.select_one("a.team-board-link")
    assert link is not None and link["href"].endswith(f"/board/{org.team.id}")
