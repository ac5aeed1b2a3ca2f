"""The trends page in a real browser on a 390 px phone: every chart drawn within the screen,
the page body never wider than it, a chart's numbers opened in place and its CSV downloaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qc.kit.security import hash_password
from qc.users.models import Role
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.e2e.test_feedback_browser import open_as
from tests.factories import make_user
from tests.feedback.conftest import submit_review
from tests.reports.test_trends import at
from tests.training.conftest import assign_rep, make_module

pytestmark = pytest.mark.e2e
PHONE = 390


def test_the_trends_page_fits_a_phone(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    org: Any,
    settings: Any,
) -> None:
    org.qc_lead.password_hash = hash_password(PASSWORD)
    tia = make_user(db, role=Role.REP, team=org.team, name="Tia Teammate-With-A-Long-Double-Name")
    db.commit()
    for weeks_ago, statuses in ((1, {"price": "fail"}), (2, {"greeting": "fail"}), (4, {"price": "fail"})):
        submit_review(db, org, settings, started_at=at(weeks_ago), statuses=statuses)
        submit_review(db, org, settings, rep=tia, started_at=at(weeks_ago, 2), statuses={"greeting": "pass"})
    assign_rep(db, org, make_module(db, org), due=at(1).date(), now=at(3))
    SCREENSHOTS.mkdir(exist_ok=True)

    page = open_as(chromium, server, org.qc_lead.email, width=PHONE)
    page.goto(f"/reports/trends?team={org.team.id}")
    page.wait_for_selector("#chart-score svg.line-chart")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    charts = page.locator("svg.line-chart, svg.bar-chart")
    assert charts.count() >= 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and 200 < box["width"] <= PHONE and box["height"] > 50, (i, box)
    # The axis labels stay legible once the chart is scaled down to the phone.
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#chart-score text.axis')).fontSize)"
        " * document.querySelector('#chart-score svg').getBoundingClientRect().width / 400"
    )
    assert size >= 9, size
    # The failure table opens on this week; the worst item's overall rate shows beside its name.
    rate = page.locator("#chart-items tbody tr").first.locator(".pinned-figure")
    box = rate.bounding_box()
    assert (
        rate.inner_text() == "33.3%"
        and box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= PHONE
    )
    page.screenshot(path="/tmp/trends-390.png", full_page=True)
    page.screenshot(path=str(SCREENSHOTS / "trends_phone.png"), full_page=True)

    page.click("#chart-score details summary")
    assert page.locator("#chart-score details table").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE  # the table scrolls in its box
    with page.expect_download() as download:
        page.click("#chart-items .chart-csv a")
    assert download.value.suggested_filename == "trends-items.csv"
    assert "States the price clearly" in Path(download.value.path()).read_text(encoding="utf-8")
    assert not page.errors
