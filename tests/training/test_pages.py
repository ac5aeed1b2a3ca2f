"""The training pages: the catalogue and its versions, assigning, a rep's record (marking
done, recording a result), the team's assignments, the rules; forms answer 422 with every
field's error, tables scroll in their own box, and nobody sees what is not theirs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.training.models import AssignmentStatus, TrainingAssignment, TrainingModule, TrainingRule
from tests.factories import Browser, Org
from tests.training.conftest import PRICE, assign_rep, make_module, make_rule


def _soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _errors(soup: BeautifulSoup) -> set[str]:
    return {e["id"].removesuffix("-error") for e in soup.select(".field-error")}


def _assignments(db: Session) -> list[TrainingAssignment]:
    db.rollback()
    db.expire_all()  # rolling back outside a transaction expires nothing
    return list(db.scalars(select(TrainingAssignment).order_by(TrainingAssignment.id)))


def test_a_qc_lead_adds_a_module_then_edits_it_into_a_second_version(
    browser: Browser, db: Session, org: Org
) -> None:
    browser.login_as(org.qc_lead)
    form = browser.page("/training/modules/new").select_one("form.training-form")
    assert form is not None and form.select_one(f"input[name=items][value='{PRICE}']") is not None
    refused = browser.post("/training/modules/new", data={"title": "x", "expected_minutes": "lots"})
    assert refused.status_code == 422
    assert _errors(_soup(refused)) == {"title", "material_text", "expected_minutes"}
    data = {
        "title": "Price talk",
        "material_text": "Say it plainly",
        "items": [PRICE],
        "expected_minutes": "30",
    }
    created = browser.post("/training/modules/new", data=data)
    assert created.status_code == 303
    module_path = urlsplit(created.headers["location"]).path
    edited = browser.post(
        f"{module_path}/edit", data={**data, "expected_minutes": "40", "has_assessment": "1"}
    )
    assert edited.status_code == 303
    page = browser.page(module_path)
    assert "Version 2" in page.select_one(".page-head").get_text()
    versions = [tr.select("td")[0].get_text(strip=True) for tr in page.select("#module-versions tbody tr")]
    assert versions == ["2", "1"]
    old = browser.page(f"{module_path}?version=1")
    assert "an earlier version" in old.select_one(".page-head").get_text()
    listed = browser.page("/training").select("#training-modules tbody tr")
    assert [tr.select_one("a").get_text() for tr in listed] == ["Price talk"]


def test_a_manager_assigns_a_rep_and_a_team(
    browser: Browser, db: Session, org: Org, module: TrainingModule
) -> None:
    browser.login_as(org.manager)
    page = browser.page(f"/training/assign?module={module.id}")
    assert [o["value"] for o in page.select("select[name=team] option") if o["value"]] == [str(org.team.id)]
    refused = browser.post("/training/assign", data={"target": "rep", "module": "", "due_date": "soon"})
    assert refused.status_code == 422 and _errors(_soup(refused)) == {"module", "due_date", "rep"}
    due = (date.today() + timedelta(days=7)).isoformat()
    one = browser.post(
        "/training/assign",
        data={"target": "rep", "module": str(module.id), "rep": str(org.rep.id), "due_date": due},
    )
    assert one.status_code == 303 and urlsplit(one.headers["location"]).path == f"/reps/{org.rep.id}/training"
    other = make_module(db, org, title="Objections")
    team = browser.post(
        "/training/assign", data={"target": "team", "module": str(other.id), "team": str(org.team.id)}
    )
    assert team.status_code == 303 and f"team={org.team.id}" in team.headers["location"]
    assert [(a.rep_id, a.assigned_by_id) for a in _assignments(db)] == [(org.rep.id, org.manager.id)] * 2


def test_the_rep_starts_and_marks_reading_done_on_their_record(
    browser: Browser, db: Session, org: Org, module: TrainingModule
) -> None:
    assignment = assign_rep(db, org, module)
    browser.login_as(org.rep)
    record = browser.page(f"/reps/{org.rep.id}/training")
    block = record.select_one(f"#assignment-{assignment.id}")
    assert block is not None and "Mark as done" in block.get_text()
    assert block.select_one("details.withdraw") is None  # the rep does not withdraw
    assert browser.post(f"/training/assignments/{assignment.id}/start").status_code == 303
    done = browser.post(f"/training/assignments/{assignment.id}/complete", data={"completed_on": ""})
    assert done.status_code == 303
    assert _assignments(db)[0].status is AssignmentStatus.COMPLETED
    history = browser.page(f"/reps/{org.rep.id}/training").select_one(f"#history-{assignment.id}")
    cells = [td.get_text(" ", strip=True) for td in history.select("td")]
    assert (
        cells[0] == "Talking about price"
        and cells[7] == "Done"
        and cells[8] == "45"
        and cells[9] == "Rex Rep"
    )
    browser.page(f"/reps/{org.other_rep.id}/training", status=404)


def test_a_manager_records_an_assessment_score_with_errors_shown_at_422(
    browser: Browser, db: Session, org: Org, assessed: TrainingModule
) -> None:
    assignment = assign_rep(db, org, assessed)
    browser.login_as(org.rep)
    mine = browser.page(f"/reps/{org.rep.id}/training").select_one(f"#assignment-{assignment.id}")
    assert mine.select_one("form.complete-form") is None  # the result is not the rep's to record
    browser.login_as(org.manager)
    path = f"/training/assignments/{assignment.id}/complete"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    refused = browser.post(path, data={"completed_on": tomorrow, "score": "lots"})
    assert refused.status_code == 422
    assert _errors(_soup(refused)) == {"completed_on", "score"}
    assert browser.post(path, data={"score": "85"}).status_code == 303
    [done] = _assignments(db)
    assert (done.result.value, done.score, done.recorded_by_id) == ("passed", 85, org.manager.id)


def test_the_team_page_shows_overdue_assignments_first(
    browser: Browser, db: Session, org: Org, module: TrainingModule
) -> None:
    assign_rep(db, org, make_module(db, org, title="On time"), due=date.today() + timedelta(days=9))
    late = assign_rep(db, org, module, due=date.today() + timedelta(days=1))
    late.due_date = date.today() - timedelta(days=3)
    db.commit()
    browser.login_as(org.manager)
    rows = browser.page(f"/training/team?team={org.team.id}").select("#team-training tbody tr")
    assert [r.select("td")[1].get_text() for r in rows] == ["Talking about price", "On time"]
    assert "is-overdue" in rows[0].get("class", []) and not rows[1].get("class")
    browser.login_as(org.outsider_manager)
    browser.page(f"/training/team?team={org.team.id}", status=403)


def test_rules_are_created_with_every_error_at_once_and_disabled(
    browser: Browser, db: Session, org: Org, module: TrainingModule
) -> None:
    browser.login_as(org.qc_lead)
    refused = browser.post(
        "/training/rules/new",
        data={"name": "", "min_failed": "9", "last_reviews": "3", "cooldown_days": "x", "due_days": "14"},
    )
    assert refused.status_code == 422
    assert _errors(_soup(refused)) == {"name", "module", "item", "min_failed", "cooldown_days"}
    data = {
        "name": "Price twice",
        "module": str(module.id),
        "item": PRICE,
        "min_failed": "2",
        "last_reviews": "5",
        "cooldown_days": "30",
        "due_days": "14",
        "withdraw_unmatched": "1",
    }
    assert browser.post("/training/rules/new", data=data).status_code == 303
    db.rollback()
    rule = db.scalars(select(TrainingRule)).one()
    assert (rule.min_failed, rule.last_reviews, rule.withdraw_unmatched) == (2, 5, True)
    assert browser.post(f"/training/rules/{rule.id}/active", data={"active": "0"}).status_code == 303
    row = browser.page("/training/rules").select_one(f"#rule-{rule.id}")
    assert "Disabled" in row.get_text() and "Enable" in row.get_text()
    form = browser.page(f"/training/rules/{rule.id}/edit")
    assert form.select_one("input[name=min_failed]")["value"] == "2"


def test_every_training_page_fits_a_phone(
    browser: Browser, db: Session, org: Org, module: TrainingModule
) -> None:
    """Wide tables scroll in their own box; no page carries an inline script."""
    rule = make_rule(db, org, module)
    assign_rep(db, org, module)
    browser.login_as(org.qc_lead)
    for url in (
        "/training",
        f"/training/modules/{module.id}",
        "/training/modules/new",
        f"/training/modules/{module.id}/edit",
        "/training/assign",
        "/training/rules",
        "/training/rules/new",
        f"/training/rules/{rule.id}/edit",
        f"/reps/{org.rep.id}/training",
        "/training/team",
    ):
        page = browser.page(url)
        assert all(t.find_parent("div", class_="table-wrap") for t in page.select("main table")), url
        assert not [s for s in page.select("script") if not s.get("src")], url


def test_reviewers_see_no_training(browser: Browser, org: Org, module: TrainingModule) -> None:
    browser.login_as(org.reviewer)
    for url in (
        "/training",
        f"/training/modules/{module.id}",
        "/training/rules",
        "/training/team",
        "/training/assign",
    ):
        browser.page(url, status=403)
