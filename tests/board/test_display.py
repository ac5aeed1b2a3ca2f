"""The display: a team's board through its token, without signing in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qc.board import links
from qc.board.models import DisplayLink
from qc.db import utcnow
from qc.kit.security import token_hash
from tests.factories import Browser, Org
from tests.feedback.conftest import submit_review

DISPLAY_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


def link_row(db: Session, token: str) -> DisplayLink:
    db.expire_all()
    found = db.query(DisplayLink).filter_by(token_hash=token_hash(token)).one()
    return found


def names_on(html: str) -> set[str]:
    return {
        cell.get_text(strip=True)
        for cell in BeautifulSoup(html, "html.parser").select(".board-table .rep-name")
    }


def assert_display_headers(response: Any) -> None:
    for name, value in DISPLAY_HEADERS.items():
        assert response.headers[name] == value
    assert "noindex" in response.headers["x-robots-tag"]
    assert "set-cookie" not in response.headers


def test_a_valid_token_opens_its_teams_board_without_a_cookie(
    browser: Browser, db: Session, org: Org, settings: Any, display_link: str
) -> None:
    submit_review(db, org, settings, started_at=utcnow() - timedelta(hours=1))
    submit_review(db, org, settings, rep=org.other_rep, started_at=utcnow() - timedelta(hours=1))
    browser.cookies.clear()
    page = browser.get(f"/wall/{display_link}")
    assert page.status_code == 200
    assert_display_headers(page)
    assert names_on(page.text) == {org.rep.name}  # the other team's rep is nowhere
    assert org.other_rep.name not in page.text and org.other_team.name not in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select("form") == [] and soup.select("nav") == []  # read-only, no navigation
    assert [a["href"] for a in soup.select("a[href]")] == []  # no links out
    wall = soup.select_one("#wall")
    assert wall is not None and str(wall["hx-get"]).endswith(f"/wall/{display_link}/board")
    fragment = browser.get(f"/wall/{display_link}/board", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert_display_headers(fragment)
    assert names_on(fragment.text) == {org.rep.name}
    assert "<html" not in fragment.text


def test_a_signed_in_browser_gets_no_new_cookie_on_the_display(
    browser: Browser, org: Org, display_link: str
) -> None:
    browser.login_as(org.manager)
    page = browser.get(f"/wall/{display_link}")
    assert page.status_code == 200
    assert "set-cookie" not in page.headers


def test_unknown_and_revoked_tokens_are_a_plain_not_found(
    browser: Browser, db: Session, org: Org, display_link: str
) -> None:
    unknown = browser.get("/wall/" + "x" * 43)
    nonsense = browser.get("/wall/no-such-page-at-all")
    assert unknown.status_code == nonsense.status_code == 404
    assert_display_headers(unknown)
    link = link_row(db, display_link)
    links.revoke(db, link.id)
    db.commit()
    revoked = browser.get(f"/wall/{display_link}")
    assert revoked.status_code == 404
    assert_display_headers(revoked)
    assert browser.get(f"/wall/{display_link}/board", headers={"HX-Request": "true"}).status_code == 404
    # The answer is the same as for any token that never was: nothing about the team or the link.
    text = BeautifulSoup(revoked.text, "html.parser").get_text(" ", strip=True)
    assert text == BeautifulSoup(unknown.text, "html.parser").get_text(" ", strip=True)
    assert org.team.name not in revoked.text and "Floor TV" not in revoked.text


def test_last_seen_is_written_at_most_once_a_minute(browser: Browser, db: Session, display_link: str) -> None:
    assert link_row(db, display_link).last_seen_at is None
    browser.get(f"/wall/{display_link}")
    first = link_row(db, display_link).last_seen_at
    assert first is not None
    browser.get(f"/wall/{display_link}/board")
    assert link_row(db, display_link).last_seen_at == first
    link = link_row(db, display_link)
    link.last_seen_at = first - timedelta(minutes=2)
    db.commit()
    browser.get(f"/wall/{display_link}/board")
    assert link_row(db, display_link).last_seen_at > first - timedelta(minutes=1)


def test_the_ranking_shows_only_on_links_that_ask_for_it(
    browser: Browser, db: Session, org: Org, settings: Any, monkeypatch: Any
) -> None:
    from qc.performance import ranking
    from qc.users.models import Role
    from tests.factories import make_user

    monkeypatch.setattr(ranking, "RANK_MIN_REVIEWS", 1)
    others = [make_user(db, role=Role.REP, team=org.team, name=f"Rep {n}") for n in range(3)]
    db.commit()
    when = utcnow() - timedelta(hours=1)
    for rep, statuses in zip(
        [org.rep, *others],
        [
            {"greeting": "pass"},
            {"price": "fail"},
            {"price": "fail", "greeting": "fail"},
            {"price": "fail", "greeting": "fail", "permission": "fail"},
        ],
        strict=True,
    ):
        submit_review(db, org, settings, rep=rep, started_at=when, statuses=statuses)
    plain = links.make_link(db, org.team, label="Plain", show_ranking=False, created_by_id=None)
    ranked = links.make_link(db, org.team, label="Ranked", show_ranking=True, created_by_id=None)
    db.commit()
    assert (
        BeautifulSoup(browser.get(f"/wall/{plain.token}").text, "html.parser").select(".board-podium") == []
    )
    podium = BeautifulSoup(browser.get(f"/wall/{ranked.token}").text, "html.parser").select(
        ".board-podium li"
    )
    # Four ranked reps: two are named, never the whole order.
    assert len(podium) == 2
    assert org.rep.name in podium[0].get_text()


def test_a_ranking_link_says_so_while_nobody_is_ranked_yet(
    browser: Browser, db: Session, org: Org, settings: Any
) -> None:
    from qc.performance import ranking

    submit_review(db, org, settings, started_at=utcnow() - timedelta(hours=1))
    ranked = links.make_link(db, org.team, label="Ranked", show_ranking=True, created_by_id=None)
    db.commit()
    soup = BeautifulSoup(browser.get(f"/wall/{ranked.token}").text, "html.parser")
    podium = soup.select_one(".board-podium")
    assert podium is not None and podium.select("li") == []
    reps = len(soup.select(".board-table .rep-name"))
    assert podium.get_text(" ", strip=True) == (
        f"Top three, last 30 days nobody yet (a rank needs {ranking.RANK_MIN_REVIEWS} released "
        f"reviews; ranked so far: 0 of {reps} reps)"
    )
