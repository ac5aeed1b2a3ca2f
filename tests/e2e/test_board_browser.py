"""The wall board in a real browser: a manager makes a display link from the board's page; the
link opens the board on a TV (1920x1080 and 1280x720) without signing in, without scrolling,
rotating through the reps of a big team, and says so when the server is unreachable; a rep
sees their rank on their own page."""

from __future__ import annotations

from datetime import timedelta
from statistics import fmean
from typing import Any

import pytest

from qc.db import utcnow
from qc.kit.security import hash_password
from qc.performance import ranking
from qc.users.models import Role
from tests.e2e.test_browser import PASSWORD, chromium, server  # noqa: F401 - fixtures
from tests.e2e.test_feedback_browser import open_as
from tests.factories import make_checked_call, make_user
from tests.feedback.conftest import submit_review

pytestmark = pytest.mark.e2e

NAMES = [
    "Alexandra Konstantinopoulou-Smith",
    "Ben Ode",
    "Chiara Esposito",
    "Dmitri Volkov",
    "Eve Adams",
    "Farah Haddad",
    "Gustav Lindqvist",
    "Hana Sato",
    "Ian Murphy",
    "Jun Park",
    "Kofi Mensah",
    "Lena Novak",
    "Mateo Garcia",
    "Nia Roberts",
    "Omar Farouk",
    "Priya Nair",
    "Quentin Blake",
    "Rosa Diaz",
    "Sven Olsen",
    "Tariq Aziz",
    "Uma Thurman-Reed",
    "Viktor Horvat",
    "Wen Li",
    "Xavier Dupont",
    "Yara Nassar",
]


def _arrange(db: Any, org: Any, settings: Any) -> None:
    """26 reps in the rep's team (two pages: 24 at most on one); six reviewed today, some failing items."""
    reps = [org.rep] + [make_user(db, role=Role.REP, team=org.team, name=name) for name in NAMES]
    for user in (org.rep, org.manager):
        user.password_hash = hash_password(PASSWORD)
    db.commit()
    today = max(utcnow() - timedelta(hours=2), utcnow().replace(hour=0, minute=5))
    plans = [{"greeting": "pass"}, {"price": "fail"}, {"price": "fail", "greeting": "fail"}]
    for index, rep in enumerate(reps[:6]):
        for step in range(2 if index % 2 == 0 else 1):
            when = today + timedelta(minutes=step)
            submit_review(db, org, settings, rep=rep, started_at=when, statuses=plans[(index + step) % 3])
    for rep in reps[6:12]:
        make_checked_call(db, rep=rep, started_at=today)
    db.commit()


def _fits(page: Any, width: int, height: int) -> None:
    size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= width and size[1] <= height, size
    bottom = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.board-page.current tr')]"
        ".map(r => r.getBoundingClientRect().bottom))"
    )
    assert bottom <= height, bottom


def test_a_manager_puts_the_board_on_a_tv(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    org: Any,
    settings: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(ranking, "RANK_MIN_REVIEWS", 1)
    _arrange(db, org, settings)

    manager = open_as(chromium, server, org.manager.email)
    manager.goto(f"/team/{org.team.id}")
    manager.click("a.team-board-link")
    manager.wait_for_url(f"**/board/{org.team.id}")
    manager.fill("input[name=label]", "Sales floor TV")
    manager.check("input[name=show_ranking]")
    manager.click("button:has-text('Make a display link')")
    manager.wait_for_selector("#new-link-url")
    url = manager.input_value("#new-link-url")
    assert "/wall/" in url
    manager.screenshot(path="/tmp/board-page-manager.png", full_page=True)
    manager.set_viewport_size({"width": 390, "height": 844})
    assert manager.evaluate("document.documentElement.scrollWidth") <= 390
    manager.screenshot(path="/tmp/board-page-phone.png", full_page=True)

    tv = chromium.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    errors: list[str] = []
    tv.on("pageerror", lambda exc: errors.append(str(exc)))
    tv.goto(url)
    assert tv.context.cookies() == []  # nothing signs the screen in, so nothing can sign it out
    assert tv.locator(".board-page.current .board-table").count() == 2  # two columns
    assert tv.locator(".board-page.current tbody tr").count() == 13  # 26 reps: two pages of 13
    assert tv.locator(".board-page").count() == 2 and tv.locator(".board-page").nth(1).is_hidden()
    assert tv.locator(".board-podium li").count() == 3
    _fits(tv, 1920, 1080)
    tv.screenshot(path="/tmp/board-1920x1080.png")
    tv.evaluate("window.htmx.trigger('#wall', 'retry')")  # a refresh, as every minute
    tv.wait_for_function("() => document.querySelector('.board-pager') !== null")
    tv.route("**/wall/*/board", lambda route: route.abort())
    tv.evaluate("window.htmx.trigger('#wall', 'retry')")
    tv.wait_for_selector("#wall-status:not([hidden])")
    tv.screenshot(path="/tmp/board-offline.png")
    tv.evaluate("window.stillHere = true; document.getElementById('wall').qcReloadIfUp()")
    tv.wait_for_timeout(1000)
    assert tv.evaluate("window.stillHere === true")  # no reload onto an error page while offline
    tv.unroute("**/wall/*/board")
    tv.evaluate("window.htmx.trigger('#wall', 'retry')")
    tv.wait_for_selector("#wall-status", state="hidden")
    with tv.expect_navigation():  # the reload every few hours, when the server answers
        tv.evaluate("document.getElementById('wall').qcReloadIfUp()")
    tv.set_viewport_size({"width": 1280, "height": 720})
    _fits(tv, 1280, 720)
    tv.screenshot(path="/tmp/board-1280x720.png")
    assert not errors and not manager.errors

    rep = open_as(chromium, server, org.rep.email, width=390)
    rep.goto(f"/reps/{org.rep.id}")
    assert "Rank over the last 30 days" in rep.inner_text(".rep-rank")
    assert rep.evaluate("document.documentElement.scrollWidth") <= 390
    rep.screenshot(path="/tmp/board-rep-rank.png")


def test_a_small_team_fills_the_tv(chromium: Any, server: str, db: Any, org: Any, settings: Any) -> None:  # noqa: F811
    """Four reps at 1920x1080: rows sized to fill the screen, the most-missed item whole with
    its count, the trend's change in points beside its arrow."""
    from qc.board import links

    reps = [org.rep] + [make_user(db, role=Role.REP, team=org.team, name=n) for n in NAMES[1:4]]
    db.commit()
    now = utcnow()
    # Permission fails in every review, so it is the month's most-missed item whatever the date.
    weak, strong = {"greeting": "fail", "price": "fail", "permission": "fail"}, {"permission": "fail"}
    times = {
        now - timedelta(days=days, minutes=step): plan
        for days, plan in ((10, weak), (1, strong))
        for step in range(3)
    }
    scores = {
        when: submit_review(db, org, settings, started_at=when, statuses=plan).final_score
        for when, plan in times.items()
    }
    change = fmean(v for t, v in scores.items() if times[t] is strong) - fmean(
        v for t, v in scores.items() if times[t] is weak
    )
    this_month = sum(when.month == now.month for when in times)  # the team's zone is UTC
    for rep in reps[1:]:
        submit_review(db, org, settings, rep=rep, started_at=now - timedelta(days=1))
    made = links.make_link(db, org.team, label="TV", show_ranking=True, created_by_id=None)
    db.commit()
    tv = chromium.new_context(viewport={"width": 1920, "height": 1080}, base_url=server).new_page()
    tv.goto(f"/wall/{made.token}")
    _fits(tv, 1920, 1080)
    bottom = tv.evaluate("document.querySelector('.board-table').getBoundingClientRect().bottom")
    assert bottom > 0.7 * 1080, bottom  # the rows use the screen, not its top quarter
    row = tv.locator(f"tr[data-rep='{org.rep.id}']")
    label = row.locator(".missed-label")
    if this_month:  # none only in the first minutes of a month
        assert label.inner_text() == "Asks whether it is a good time to talk"
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight + 1")
        assert (
            row.locator(".missed-count").is_visible()
            and row.locator(".missed-count").inner_text() == f"{this_month}/{this_month}"
        )
    else:
        assert label.count() == 0
    trend = row.locator("td.trend").inner_text()
    assert change >= 2 and row.locator(".arrow").inner_text() == "▲", trend
    assert row.locator(".trend-points").inner_text().split() == [
        "up",
        f"{round(change):+d}",
    ]  # "up" for screen readers
    tv.screenshot(path="/tmp/board-small-team-1920x1080.png")
    tv.set_viewport_size({"width": 1280, "height": 720})
    _fits(tv, 1280, 720)
    tv.screenshot(path="/tmp/board-small-team-1280x720.png")
