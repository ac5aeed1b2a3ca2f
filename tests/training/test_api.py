"""The training API: modules and versions, assigning and completing, rules, and the records
as JSON and as CSV for HR."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from qc.training.models import TrainingModule
from tests.factories import Org
from tests.training.conftest import PRICE, assign_rep, make_module

COLUMNS = [
    *("rep name", "email", "team", "module", "version", "assigned at", "due date"),
    *("assigned by", "started", "completed", "result", "score", "minutes", "recorded by"),
]


MODULE = {
    "title": "Asking permission",
    "material_url": "https://wiki.example.test/permission",
    "items": ["outbound-sales:permission"],
    "expected_minutes": 20,
}


def test_a_module_is_created_and_edited_into_versions(client: Any, as_: Any, org: Org) -> None:
    created = client.post("/api/training/modules", json=MODULE, headers=as_(org.qc_lead))
    assert created.status_code == 201, created.text
    module_id = created.json()["id"]
    edited = client.post(
        f"/api/training/modules/{module_id}/versions",
        json={**MODULE, "expected_minutes": 25, "has_assessment": True, "pass_mark": 70},
        headers=as_(org.qc_lead),
    )
    body = edited.json()
    assert body["latest_version"] == 2 and body["current"]["pass_mark"] == 70
    assert [v["expected_minutes"] for v in body["versions"]] == [20, 25]
    read = client.get(f"/api/training/modules/{module_id}", headers=as_(org.rep))
    assert read.status_code == 200 and read.json()["current"]["version"] == 2
    assert client.get("/api/training/modules", headers=as_(org.reviewer)).status_code == 403


def test_module_errors_come_back_keyed_by_field(client: Any, as_: Any, org: Org) -> None:
    refused = client.post(
        "/api/training/modules", json={"title": "x", "items": ["nope"]}, headers=as_(org.qc_lead)
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"title", "material_text", "items"}
    assert client.post("/api/training/modules", json=MODULE, headers=as_(org.manager)).status_code == 403


def test_assign_a_team_then_complete_an_assessment(
    client: Any, as_: Any, db: Session, org: Org, module: TrainingModule
) -> None:
    assessed = make_module(db, org, title="Price quiz", assessment=True, pass_mark=75)
    due = (date.today() + timedelta(days=5)).isoformat()
    made = client.post(
        "/api/training/assignments",
        json={"module_id": assessed.id, "team_id": org.team.id, "due_date": due},
        headers=as_(org.manager),
    )
    assert made.status_code == 201, made.text
    [created] = made.json()["created"]
    assert (created["rep_id"], created["due_date"], created["status"]) == (org.rep.id, due, "assigned")
    path = f"/api/training/assignments/{created['id']}/complete"
    assert client.post(path, json={"score": 90}, headers=as_(org.rep)).status_code == 403
    done = client.post(path, json={"score": 70}, headers=as_(org.manager))
    assert done.status_code == 200
    assert (done.json()["result"], done.json()["score"], done.json()["recorded_by_id"]) == (
        "failed",
        70,
        org.manager.id,
    )
    mine = client.get("/api/training/assignments", headers=as_(org.rep)).json()
    assert [a["id"] for a in mine] == [created["id"]]
    assert client.get("/api/training/assignments", headers=as_(org.other_rep)).json() == []


def test_the_rep_starts_and_marks_reading_done(
    client: Any, as_: Any, db: Session, org: Org, module: TrainingModule
) -> None:
    assignment = assign_rep(db, org, module)
    started = client.post(f"/api/training/assignments/{assignment.id}/start", headers=as_(org.rep))
    assert started.json()["status"] == "started"
    done = client.post(f"/api/training/assignments/{assignment.id}/complete", json={}, headers=as_(org.rep))
    assert (done.json()["status"], done.json()["result"]) == ("completed", "done")
    hidden = client.post(f"/api/training/assignments/{assignment.id}/start", headers=as_(org.other_rep))
    assert hidden.status_code == 404


def test_rules_are_created_listed_and_disabled(
    client: Any, as_: Any, org: Org, module: TrainingModule
) -> None:
    body = {"name": "Price twice", "module_id": module.id, "item": PRICE, "min_failed": 2, "last_reviews": 5}
    created = client.post("/api/training/rules", json=body, headers=as_(org.qc_lead))
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    disabled = client.put(
        f"/api/training/rules/{rule_id}", json={**body, "is_active": False}, headers=as_(org.qc_lead)
    )
    assert disabled.json()["is_active"] is False
    listed = client.get("/api/training/rules", headers=as_(org.manager)).json()
    assert [(r["id"], r["item"], r["is_active"]) for r in listed] == [(rule_id, PRICE, False)]
    assert client.post("/api/training/rules", json=body, headers=as_(org.manager)).status_code == 403


def test_records_as_csv_for_a_team_and_a_rep(
    client: Any, as_: Any, db: Session, org: Org, module: TrainingModule
) -> None:
    assignment = assign_rep(db, org, module, due=date.today() + timedelta(days=3))
    client.post(f"/api/training/assignments/{assignment.id}/complete", json={}, headers=as_(org.rep))
    assign_rep(db, org, make_module(db, org, title="=HYPERLINK(evil)"), rep=org.other_rep, by=org.qc_lead)
    response = client.get(f"/api/training/records?team={org.team.id}&format=csv", headers=as_(org.manager))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == COLUMNS
    [row] = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    assert row["rep name"] == "Rex Rep" and row["email"] == "rep@example.test" and row["team"] == "Alpha"
    assert (row["module"], row["version"], row["assigned by"]) == ("Talking about price", "1", "Mia Manager")
    assert row["due date"] == assignment.due_date.isoformat()
    assert (row["result"], row["minutes"], row["recorded by"], row["score"]) == ("done", "45", "Rex Rep", "")
    assert row["completed"] and row["started"] and row["assigned at"]
    lead = client.get(f"/api/training/records?rep={org.other_rep.id}&format=csv", headers=as_(org.qc_lead))
    other = list(csv.reader(io.StringIO(lead.text)))[1]
    assert other[3] == "'=HYPERLINK(evil)"  # not run as a formula by a spreadsheet
    assert (
        client.get(f"/api/training/records?team={org.team.id}", headers=as_(org.outsider_manager)).status_code
        == 403
    )
    assert client.get("/api/training/records", headers=as_(org.reviewer)).status_code == 403
    own = client.get("/api/training/records", headers=as_(org.rep)).json()
    assert [r["module"] for r in own] == ["Talking about price"]
