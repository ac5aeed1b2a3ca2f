"""The trends page as a browser gets it, its CSV links and its JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from bs4 import BeautifulSoup, Tag
from sqlalchemy.orm import Session

from qc.users.models import Role
from tests.factories import Browser, Org, make_user
from tests.feedback.conftest import submit_review
from tests.reports.test_trends import at


def _reviewed(db: Session, org: Org, settings: Any) -> None:
    make_user(db, role=Role.REP, team=org.team, name="=Eve <b>Formula</b>")
    db.commit()
    submit_review(db, org, settings, started_at=at(1, 1), statuses={"price": "fail"})
    submit_review(db, org, settings, started_at=at(2, 1), statuses={"greeting": "fail"}, greeting="yes")


def _cells(table: Tag) -> list[list[str]]:
    """The table's cells; a row name's pinned figure (its overall rate) is left out."""
    rows = [[c.get("data-column", "") for c in table.select("thead th")]]
    for tr in table.select("tbody tr"):
        for pinned in tr.select(".pinned-figure"):
            pinned.extract()
        rows.append([c.get_text(strip=True) for c in tr.find_all(["th", "td"])])
    return rows


# Columns of rates, which the page writes with one decimal and "%": the items' failure rates
# (overall and every week's), a reviewer's share overturned.
RATES = {"items": lambda i: i >= 3, "reviewers": lambda i: i == 5}


def _csv_as_page(text: str, chart: str) -> list[list[str]]:
    """CSV cells as the page writes them: nothing is a dash, 75.0 is 75 (a rate 75.0%), and a
    name is without the quote that keeps a spreadsheet from running it."""
    rows = list(csv.reader(io.StringIO(text)))
    shown = [rows[0]]
    is_rate = RATES.get(chart.removeprefix("chart-"), lambda i: False)
    for row in rows[1:]:
        shown.append([_as_page(v, is_rate(i)) for i, v in enumerate(row)])
    return shown


def _as_page(value: str, rate: bool) -> str:
    if value == "":
        return "—"
    if not _number(value):
        return value.removeprefix("'")
    return f"{float(value):.1f}%" if rate else f"{float(value):g}"


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_the_page_draws_every_chart_with_its_numbers_and_csv(
    db: Session, org: Org, settings: Any, browser: Browser
) -> None:
    _reviewed(db, org, settings)
    page = browser.login_as(org.qc_lead).page(f"/reports/trends?team={org.team.id}")
    assert page.h1 is not None and "Alpha" in page.h1.get_text()
    sections = {s["id"]: s for s in page.select("section.chart-card")}
    assert list(sections) == [
        "chart-score",
        "chart-reps",
        "chart-items",
        "chart-agreement",
        "chart-reviewers",
        "chart-coaching",
        "chart-training",
    ]
    assert sections["chart-score"].select_one("svg.line-chart polyline, svg.line-chart circle") is not None
    assert sections["chart-agreement"].select("svg.bar-chart rect.bar")
    assert len(sections["chart-reps"].select("svg.sparkline")) == 2
    price = sections["chart-items"].select_one("table.heatmap tbody tr")
    assert price is not None and price.th is not None
    # The overall failure rate is pinned beside the name, so it shows whatever week is in view.
    assert " ".join(price.th.get_text(" ", strip=True).split()) == "States the price clearly 50.0%"
    assert [td.get_text() for td in price.select("td")[:3]] == ["1", "2", "50.0%"]  # failed, answered, rate
    assert [td.get_text() for td in price.select("td.heat-5")] == ["100.0%"]  # failed in its week's review
    assert "older weeks are to the left" in sections["chart-items"].get_text()
    axis = sections["chart-score"].select_one(".axis-title")
    assert axis is not None and axis.get_text() == "Points (0-100)"
    ticks = [t.get_text() for t in sections["chart-score"].select("svg text.axis")][:3]
    assert ticks == ["0", "50", "100"]
    for key, section in sections.items():
        link = section.select_one(".chart-csv a")
        assert link is not None and link.get("hx-boost") == "false"
        response = browser.get(str(link["href"]))
        assert response.status_code == 200, (key, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        table = section.select_one("table.trend-table")
        assert table is not None
        if table.select_one("td.empty") is None:
            assert _cells(table) == _csv_as_page(response.text, key), key


def test_user_text_is_escaped_and_a_formula_is_quoted_in_the_csv(
    db: Session, org: Org, settings: Any, browser: Browser
) -> None:
    _reviewed(db, org, settings)
    browser.login_as(org.manager)
    response = browser.get("/reports/trends")
    assert response.status_code == 200
    assert "<b>Formula</b>" not in response.text and "&lt;b&gt;Formula&lt;/b&gt;" in response.text
    rows = list(csv.reader(io.StringIO(browser.get("/api/reports/trends.csv?chart=reps").text)))
    assert [r[0] for r in rows if "Eve" in r[0]] == ["'=Eve <b>Formula</b>"]


def test_the_filters_keep_their_choices(db: Session, org: Org, settings: Any, browser: Browser) -> None:
    _reviewed(db, org, settings)
    page = browser.login_as(org.admin).page(f"/reports/trends?team={org.team.id}&rep={org.rep.id}&weeks=26")
    form = page.select_one("form.trends-filters")
    assert form is not None
    chosen = {s["name"]: s.select_one("option[selected]") for s in form.select("select")}
    assert chosen["team"] is not None and chosen["team"]["value"] == str(org.team.id)
    assert chosen["rep"] is not None and chosen["rep"]["value"] == str(org.rep.id)
    assert chosen["weeks"] is not None and chosen["weeks"]["value"] == "26"
    score = page.select_one("#chart-score table")
    assert score is not None and len(score.select("tbody tr")) == 26
    csv_link = page.select_one("#chart-score .chart-csv a")
    assert (
        csv_link is not None
        and f"rep={org.rep.id}" in str(csv_link["href"])
        and "weeks=26" in str(csv_link["href"])
    )


def test_the_api_gives_every_charts_table(
    db: Session, org: Org, settings: Any, client: Any, as_: Any
) -> None:
    _reviewed(db, org, settings)
    body = client.get("/api/reports/trends", headers=as_(org.manager)).json()
    assert body["team"] == {"id": org.team.id, "name": "Alpha"}
    assert len(body["weeks"]) == 12 and body["item_scorecard"] == "outbound-sales"
    assert set(body["charts"]) == {"score", "reps", "items", "agreement", "coaching", "training"}
    score = body["charts"]["score"]
    assert sum(row[1] for row in score["rows"]) == 2
    csv_text = client.get("/api/reports/trends.csv?chart=score", headers=as_(org.manager)).text
    assert next(iter(csv.reader(io.StringIO(csv_text)))) == score["columns"]


def test_who_may_open_the_trends(db: Session, org: Org, browser_factory: Any, client: Any, as_: Any) -> None:
    expected = {org.rep: 403, org.reviewer: 403, org.outsider_manager: 404, org.manager: 200}
    for user, status in expected.items():
        browser = browser_factory().login_as(user)
        assert browser.get(f"/reports/trends?team={org.team.id}").status_code == status, user.name
    assert client.get("/api/reports/trends.csv?chart=reviewers", headers=as_(org.manager)).status_code == 403
    assert client.get("/api/reports/trends.csv?chart=nope", headers=as_(org.admin)).status_code == 422
    assert client.get("/api/reports/trends?weeks=5", headers=as_(org.admin)).status_code == 422
    anonymous = browser_factory()
    assert anonymous.get("/reports/trends").status_code == 303


def test_the_navigation_offers_trends_to_those_who_may_see_them(
    db: Session, org: Org, browser_factory: Any
) -> None:
    for user, offered in (
        (org.manager, True),
        (org.qc_lead, True),
        (org.admin, True),
        (org.rep, False),
        (org.reviewer, False),
    ):
        page = BeautifulSoup(browser_factory().login_as(user).get("/calls").text, "html.parser")
        links = [a["href"] for a in page.select("header.topbar a")]
        assert any(str(href).endswith("/reports/trends") for href in links) is offered, user.name


def test_changing_the_team_with_a_rep_chosen_shows_the_new_team(
    db: Session, org: Org, settings: Any, browser: Browser
) -> None:
    _reviewed(db, org, settings)
    page = browser.login_as(org.admin).page(f"/reports/trends?team={org.other_team.id}&rep={org.rep.id}")
    assert (
        page.h1 is not None
        and org.other_team.name in page.h1.get_text()
        and org.rep.name not in page.h1.get_text()
    )
    note = page.select_one("#trends-note")
    assert note is not None and f"not an active rep of {org.other_team.name}" in note.get_text()
    reps = [o["value"] for o in page.select("select[name=rep] option")]
    assert reps == ["", str(org.other_rep.id)], "only the chosen team's reps"
    assert page.select_one("select[name=rep] option[selected]") is None
