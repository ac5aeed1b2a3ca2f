"""The inbox page, its header badge and the API: your own notices only, marking them read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from starlette.routing import NoMatchFound

from qc.db import get_engine, utcnow
from qc.notifications import service
from qc.notifications.models import Notification
from qc.notifications.service import Link
from qc.users.models import User
from tests.factories import Org, api_token, bearer


def give(
    db: Session,
    user: User,
    text: str,
    *,
    subject: str,
    minutes_ago: int = 0,
    link: Link | None = None,
    read: bool = False,
    cleared: bool = False,
) -> int:
    at = utcnow() - timedelta(minutes=minutes_ago)
    service.notify(
        db,
        user_ids=[user.id],
        kind="evaluation_released",
        subject=subject,
        text=text,
        link=link or Link("feedback:mine", {}, subject.replace(":", "-")),
        now=at,
    )
    db.flush()
    notice = db.query(Notification).filter_by(user_id=user.id, subject=subject).one()
    notice.read_at = at if read else None
    notice.cleared_at = at if cleared else None
    db.commit()
    return notice.id


def texts(page: BeautifulSoup) -> list[str]:
    return [p.get_text(" ", strip=True).removeprefix("New ") for p in page.select("article.notification p")]


def badge_count(browser: Any) -> int:
    response = browser.get("/inbox/badge", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    fragment = BeautifulSoup(response.text, "html.parser")
    assert fragment.find("html") is None, "a fragment, not a page"
    link = fragment.select_one("a#inbox-badge")
    assert link is not None and urlsplit(link["href"]).path == "/inbox"
    count = link.select_one("[data-unread]")
    return int(count["data-unread"]) if count else 0


def expected_path(app: Any, name: str, anchor: str = "", **params: Any) -> str:
    try:
        return str(app.url_path_for(name, **params)) + anchor
    except NoMatchFound:
        return "/"


def test_the_inbox_lists_only_your_own_notices_unread_first_then_newest(
    db: Session, org: Org, browser: Any
) -> None:
    give(db, org.rep, "Old and read", subject="evaluation:1", minutes_ago=1, read=True)
    give(db, org.rep, "Older unread", subject="evaluation:2", minutes_ago=30)
    give(db, org.rep, "Newest unread", subject="evaluation:3", minutes_ago=5)
    give(db, org.rep, "Done already", subject="evaluation:4", cleared=True)
    give(db, org.other_rep, "Not yours", subject="evaluation:5")

    page = browser.login_as(org.rep).page("/inbox")

    assert texts(page) == ["Newest unread", "Older unread", "Old and read"]
    unread = [a["id"] for a in page.select("article.notification.unread")]
    assert len(unread) == 2
    assert "2 unread" in page.select_one("#unread-count").get_text()
    done = browser.page("/inbox?show=done")
    assert texts(done) == ["Done already"]


def test_marking_one_read_updates_the_badge_and_the_page(db: Session, org: Org, browser: Any) -> None:
    first = give(db, org.rep, "First", subject="evaluation:1")
    give(db, org.rep, "Second", subject="evaluation:2")
    browser.login_as(org.rep)
    assert badge_count(browser) == 2

    response = browser.post(f"/inbox/{first}/read")

    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    assert badge_count(browser) == 1
    page = browser.page("/inbox")
    article = page.select_one(f"#notification-{first}")
    assert "unread" not in article["class"]
    assert [b.get_text(strip=True) for b in article.select("button")] == ["Open"]


def test_opening_a_notice_marks_it_read_and_goes_to_what_it_is_about(
    db: Session, org: Org, browser: Any, app: Any
) -> None:
    notice = give(db, org.rep, "Your call was reviewed", subject="evaluation:12")
    browser.login_as(org.rep)
    target = expected_path(app, "feedback:mine", "#evaluation-12")

    plain = browser.post(f"/inbox/{notice}/read", data={"then": "open"})
    boosted = browser.post(f"/inbox/{notice}/read", data={"then": "open"}, headers={"HX-Request": "true"})

    assert plain.status_code == 303 and plain.headers["location"] == target
    # htmx navigates the whole page, which keeps the #anchor an XHR redirect would lose.
    assert boosted.status_code == 204 and boosted.headers["hx-redirect"] == target
    assert badge_count(browser) == 0


def test_a_notice_whose_page_does_not_exist_yet_still_renders_and_opens_home(
    db: Session, org: Org, browser: Any
) -> None:
    notice = give(db, org.rep, "Somewhere new", subject="thing:1", link=Link("nowhere:yet", {"thing_id": 1}))
    browser.login_as(org.rep)

    page = browser.page("/inbox")
    response = browser.post(f"/inbox/{notice}/read", data={"then": "open"})

    assert page.select_one(f"#notification-{notice} button[data-href]")["data-href"] == "/"
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_somebody_elses_notice_reads_like_a_missing_one(db: Session, org: Org, browser: Any) -> None:
    theirs = give(db, org.other_rep, "Olly's call", subject="evaluation:1")
    browser.login_as(org.rep)
    token = api_token(db, org.rep)
    db.commit()

    page = browser.post(f"/inbox/{theirs}/read")
    api = browser.post(f"/api/notifications/{theirs}/read", headers=bearer(token))
    missing = browser.post(f"/api/notifications/{theirs + 1000}/read", headers=bearer(token))

    assert page.status_code == api.status_code == missing.status_code == 404
    assert api.json()["detail"] == missing.json()["detail"].replace(str(theirs + 1000), str(theirs))
    db.expire_all()
    assert db.get_one(Notification, theirs).read_at is None


def test_mark_all_read_marks_only_your_own(db: Session, org: Org, browser: Any) -> None:
    give(db, org.rep, "One", subject="evaluation:1")
    give(db, org.rep, "Two", subject="evaluation:2")
    theirs = give(db, org.other_rep, "Olly's", subject="evaluation:3")
    browser.login_as(org.rep)
    page = browser.page("/inbox")
    form = page.select_one("form[action$='/inbox/read-all']")
    assert form is not None and form["method"] == "post"

    response = browser.post("/inbox/read-all")

    assert response.status_code == 303 and response.headers["location"] == "/inbox"
    assert badge_count(browser) == 0
    assert browser.page("/inbox").select_one("form[action$='/inbox/read-all']") is None
    db.expire_all()
    assert db.get_one(Notification, theirs).read_at is None


def test_cleared_notices_leave_the_unread_count(db: Session, org: Org, browser: Any) -> None:
    give(db, org.rep, "Open", subject="evaluation:1")
    give(db, org.rep, "Dealt with", subject="evaluation:2")
    service.clear(db, kinds=["evaluation_released"], subject="evaluation:2", user_id=org.rep.id)
    db.commit()
    assert badge_count(browser.login_as(org.rep)) == 1


def test_notice_text_is_shown_as_text_never_as_markup(db: Session, org: Org, browser: Any) -> None:
    give(db, org.rep, '<img src=x onerror="alert(1)"> was here', subject="evaluation:1")
    page = browser.login_as(org.rep).page("/inbox")
    article = page.select_one("article.notification")
    assert article.find("img") is None
    assert '<img src=x onerror="alert(1)"> was here' in article.get_text()


def test_the_badge_is_one_count_query_on_the_unread_index(db: Session, org: Org, browser: Any) -> None:
    for n in range(3):
        give(db, org.rep, f"Notice {n}", subject=f"evaluation:{n}")
    browser.login_as(org.rep)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "notification" in statement:
            seen.append(statement)

    engine = get_engine()
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        assert badge_count(browser) == 3
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)

    assert len(seen) == 1 and "count(" in seen[0].lower()
    if engine.dialect.name == "sqlite":
        plan = db.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0], (org.rep.id,)).all()
        # A search on an index by user, never a scan of the table (PostgreSQL, with statistics,
        # picks the partial unread index; SQLite without them may pick another by user).
        assert all("SEARCH notification USING" in row[3] and "user_id=?" in row[3] for row in plan), plan


def test_the_api_lists_your_notices_and_marks_one_read(db: Session, org: Org, client_app: Any) -> None:
    first = give(db, org.rep, "First", subject="evaluation:1", minutes_ago=2)
    give(db, org.rep, "Second", subject="evaluation:2")
    give(db, org.rep, "Done", subject="evaluation:3", cleared=True)
    give(db, org.other_rep, "Not yours", subject="evaluation:4")
    token = api_token(db, org.rep)
    db.commit()

    listed = client_app.get("/api/notifications", headers=bearer(token)).json()
    marked = client_app.post(f"/api/notifications/{first}/read", headers=bearer(token))
    done = client_app.get("/api/notifications", params={"show": "done"}, headers=bearer(token)).json()

    assert [n["text"] for n in listed["items"]] == ["Second", "First"]
    assert (listed["total"], listed["unread"], listed["pages"]) == (2, 2, 1)
    assert listed["items"][1]["subject"] == "evaluation:1" and listed["items"][1]["unread"] is True
    assert listed["items"][1]["url"] == expected_path(client_app.app, "feedback:mine", "#evaluation-1")
    assert marked.status_code == 200
    assert marked.json()["unread"] is False and marked.json()["read_at"] is not None
    assert [n["text"] for n in done["items"]] == ["Done"] and done["unread"] == 1


def test_the_inbox_pages_through_many_notices(db: Session, org: Org, browser: Any) -> None:
    for n in range(30):
        give(db, org.rep, f"Notice {n:02d}", subject=f"evaluation:{n}", minutes_ago=n)
    browser.login_as(org.rep)

    first = browser.page("/inbox")
    second = browser.page("/inbox?page=2")

    assert len(texts(first)) == 25 and texts(first)[0] == "Notice 00"
    assert texts(second) == [f"Notice {n}" for n in range(25, 30)]
    older = first.select_one("nav.pager a")
    assert older is not None and "page=2" in older["href"]


def test_every_signed_in_role_has_an_inbox(org: Org, browser_factory: Any) -> None:
    for user in (org.rep, org.manager, org.reviewer, org.qc_lead, org.admin):
        page = browser_factory().login_as(user).page("/inbox")
        assert page.select_one("h1").get_text() == "Inbox"
        assert page.select_one(".empty") is not None


@pytest.fixture
def client_app(app: Any) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client
