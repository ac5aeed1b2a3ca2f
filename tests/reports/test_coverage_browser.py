"""The coverage report in a real browser: a week of two teams, the team filter, sorting, a CSV
download, and the page on a 1280 px desktop and a 390 px phone."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from qc.kit.security import hash_password
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.e2e.test_feedback_browser import open_as
from tests.reports.test_coverage import MON, THU, History, history  # noqa: F401 - fixture

pytestmark = pytest.mark.e2e
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_a_week_filtered_to_a_team_sorted_and_downloaded(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    history: History,  # noqa: F811
) -> None:
    org = history.org
    org.qc_lead.password_hash = hash_password(PASSWORD)
    db.commit()
    SCREENSHOTS.mkdir(exist_ok=True)
    page = open_as(chromium, server, org.qc_lead.email)
    page.goto(f"/reports/coverage?from={MON}&to={THU}")
    assert page.locator("#coverage-reps tbody tr").count() == 5
    page.select_option("select[name=team]", str(org.other_team.id))
    page.click("form.report-picker button[type=submit]")
    page.wait_for_url(f"**team={org.other_team.id}**")
    rows = page.locator("#coverage-reps tbody tr")
    assert rows.count() == 2 and {rows.nth(i).get_attribute("data-team") for i in range(2)} == {
        str(org.other_team.id)
    }
    page.click("#coverage-reps th a:has-text('Reviewed')")  # numbers sort the largest first
    page.wait_for_url("**sort=-reviewed**")
    # One team shown: no Team column, so Reviewed is the cell after the rep's.
    assert page.locator("#coverage-reps thead th:has-text('Team')").count() == 0
    reviewed = [int(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(rows.count())]
    assert reviewed == sorted(reviewed, reverse=True)
    assert page.evaluate(OVERFLOW) == 0
    page.screenshot(path=str(SCREENSHOTS / "coverage_desktop.png"), full_page=True)

    with page.expect_download() as download:
        page.click(".quick-ranges a:has-text('CSV')")
    text = download.value.path().read_text(encoding="utf-8")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert len(lines) == 6 and {line["team"] for line in lines} == {org.other_team.name}

    phone = open_as(chromium, server, org.qc_lead.email, width=390)
    phone.goto(f"/reports/coverage?from={MON}&to={THU}")
    assert phone.evaluate(OVERFLOW) == 0, "the tables scroll in their own box"
    # The columns that matter come first: a manager of one team sees rep, reviewed, target and
    # missed on a phone without scrolling, and is told more columns are to the right.
    phone.goto(f"/reports/coverage?from={MON}&to={THU}&team={org.team.id}")
    for heading in ("Reviewed", "Target", "Missed"):
        cell = phone.locator(f"#coverage-reps thead th:has-text('{heading}')").first.bounding_box()
        assert cell is not None and cell["x"] + cell["width"] <= 390, heading
    assert phone.locator(".scroll-hint").is_visible()
    box = phone.locator(".quick-ranges").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    phone.screenshot(path=str(SCREENSHOTS / "coverage_phone.png"), full_page=True)
    assert page.errors == [] and phone.errors == []
