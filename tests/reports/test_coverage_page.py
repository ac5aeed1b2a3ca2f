"""The coverage page's reading aids on the `history` of test_coverage: the day it opens on, a
day in progress read as work to do, the CSV's name and label column, and sortable tables."""

from __future__ import annotations

import csv
import io
from typing import Any

from bs4 import Tag

from tests.reports.test_coverage import MON, THU, TUE, WED, History, history  # noqa: F401 - fixture


def _cells(row: Tag) -> list[str]:
    return [" ".join(c.get_text(" ", strip=True).split()) for c in row.find_all(["td", "th"])]


def test_it_opens_on_the_last_closed_day_with_today_one_click_away(browser: Any, history: History) -> None:  # noqa: F811
    page = browser.login_as(history.org.qc_lead).page("/reports/coverage")
    # Wednesday's queue is still open (and later days had none): Tuesday is the last closed day.
    assert page.select_one("input[name=from]")["value"] == str(TUE)
    assert page.h1 is not None and "Tue 24 Nov 2026" in page.h1.get_text()
    labels = [a.get_text(strip=True) for a in page.select(".quick-ranges a")]
    assert labels[0] == "Today" and labels[1].startswith("Last closed day (Tue 24 Nov")


def test_a_day_in_progress_reads_as_work_to_do_not_missed(browser: Any, history: History) -> None:  # noqa: F811
    page = browser.login_as(history.org.qc_lead).page(f"/reports/coverage?from={WED}")
    summary = page.select_one("#coverage-summary")
    assert summary is not None and summary.get_text(" ", strip=True).startswith("In progress")
    assert " 0 missed " in summary.get_text(" ", strip=True) + " "
    assert page.select("#coverage-reps td.behind") == [], "nothing red on a day in progress"
    rows = {int(r["data-rep"]): r for r in page.select("#coverage-reps tbody tr")}
    ben = rows[history.ben.id]
    cells = _cells(ben)
    # Two teams: rep, team, reviewed, target, missed, to do, why.
    assert cells[4] == "0" and int(cells[5]) > 0 and cells[6] == "To do: Picked, review not done yet"
    assert ben.select_one("td.to-do") is not None
    olly = next(r for r in rows.values() if "No calls yet" in _cells(r)[6])
    assert "Rep absent" not in " ".join(_cells(olly))


def test_the_csv_is_named_for_its_team_and_labels_its_reasons(
    client: Any,
    history: History,  # noqa: F811
    as_: Any,
) -> None:
    org = history.org
    params = {"from": str(MON), "to": str(THU), "format": "csv"}
    one = client.get(
        "/api/reports/coverage", params={**params, "team": org.other_team.id}, headers=as_(org.admin)
    )
    every = client.get("/api/reports/coverage", params=params, headers=as_(org.admin))
    assert f'filename="coverage-bravo-{MON}-{THU}.csv"' in one.headers["content-disposition"]
    assert f'filename="coverage-all-teams-{MON}-{THU}.csv"' in every.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(every.text)))
    header = list(rows[0])
    assert header.index("missed_reason_label") == header.index("missed_reason") + 1
    absent = [r for r in rows if r["missed_reason"] == "rep_absent"]
    assert absent and {r["missed_reason_label"] for r in absent} == {"Rep absent (no calls)"}
    assert {r["missed"] for r in rows if r["date"] == str(WED)} == {"0"}


def test_the_teams_and_reviewers_tables_sort_like_the_reps(browser: Any, history: History) -> None:  # noqa: F811
    browser.login_as(history.org.qc_lead)
    base = f"/reports/coverage?from={MON}&to={THU}"
    page = browser.page(f"{base}&team_sort=-calls&reviewer_sort=-reviews")
    calls = [int(_cells(r)[7]) for r in page.select("#coverage-teams tbody tr")]
    assert len(calls) == 2 and calls == sorted(calls, reverse=True) and calls[0] > calls[1]
    reviews = [int(_cells(r)[1]) for r in page.select("#coverage-reviewers tbody tr")]
    assert reviews == sorted(reviews, reverse=True) and reviews[0] > reviews[-1]
    head = page.select_one("#coverage-reviewers th[aria-sort]")
    assert head is not None and head.get_text(strip=True).startswith("Reviews")
    by_name = browser.page(f"{base}&reviewer_sort=reviewer")
    names = [_cells(r)[0] for r in by_name.select("#coverage-reviewers tbody tr")]
    assert names == sorted(names, key=str.casefold)
    overrides = by_name.select_one("#coverage-reviewers thead")
    assert overrides is not None and "Items overridden" in overrides.get_text()
    # A sort link keeps the other tables' sorts and the range.
    link = page.select_one("#coverage-teams th a[href*='team_sort=team']")
    assert link is not None and "reviewer_sort=-reviews" in link["href"] and f"from={MON}" in link["href"]
