"""The coaching API: planning, reading (private notes never reach the rep), the session's
course, action items and focus suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qc.coaching.models import CoachingSession
from qc.evaluations.models import Evaluation
from tests.coaching.conftest import plan
from tests.factories import Org

PRICE, GREETING = "outbound-sales:price", "outbound-sales:greeting"


def _body(org: Org, review: Evaluation, **changes: Any) -> dict[str, Any]:
    return {
        "rep_id": org.rep.id,
        "scheduled_at": "2026-12-01T10:30:00+02:00",
        "duration_minutes": 45,
        "agenda": "Listen to the call together",
        "shared_notes": "Ask about the budget first",
        "private_notes": "Lacks confidence on price",
        "focus": [PRICE, GREETING],
        "evaluation_ids": [review.id],
        "actions": [{"text": "Role-play the price talk", "due_date": "2026-12-05"}],
        **changes,
    }


# Planning -------------------------------------------------------------------------------------------


def test_a_manager_plans_a_session(client: TestClient, as_: Any, org: Org, review: Evaluation) -> None:
    response = client.post("/api/coaching/sessions", json=_body(org, review), headers=as_(org.manager))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["scheduled_at"] == "2026-12-01T08:30:00Z"
    assert body["status"] == "scheduled" and body["timezone"] == "UTC"
    assert (body["rep"]["name"], body["coach"]["name"]) == ("Rex Rep", "Mia Manager")
    assert [(f["key"], f["failed"], f["reviewed"]) for f in body["focus"]] == [
        (PRICE, 1, 1),
        (GREETING, 1, 1),
    ]
    assert body["private_notes"] == "Lacks confidence on price"
    assert body["evaluation_ids"] == [review.id]
    assert [(a["text"], a["due_date"], a["overdue"]) for a in body["actions"]] == [
        ("Role-play the price talk", "2026-12-05", False)
    ]
    assert body["links"]["page"].endswith(f"/coaching/{body['id']}")


def test_an_incomplete_plan_names_each_field(
    client: TestClient, as_: Any, org: Org, review: Evaluation
) -> None:
    body = _body(org, review, focus=[], duration_minutes=1, actions=[{"text": "x" * 500}] * 11)
    response = client.post("/api/coaching/sessions", json=body, headers=as_(org.manager))
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"focus", "duration_minutes", "actions"}


def test_a_time_without_its_offset_is_refused(
    client: TestClient, as_: Any, org: Org, review: Evaluation
) -> None:
    body = _body(org, review, scheduled_at="2026-12-01T10:30:00")
    response = client.post("/api/coaching/sessions", json=body, headers=as_(org.manager))
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "scheduled_at"


@pytest.mark.parametrize(("persona", "status"), [("rep", 403), ("outsider_manager", 404), ("reviewer", 403)])
def test_only_the_reps_coaches_plan(
    client: TestClient, as_: Any, org: Org, review: Evaluation, persona: str, status: int
) -> None:
    response = client.post(
        "/api/coaching/sessions", json=_body(org, review), headers=as_(getattr(org, persona))
    )
    assert response.status_code == status  # another team's rep reads like a missing one


def test_suggestions_put_the_reviews_failed_items_first(
    client: TestClient, as_: Any, org: Org, review: Evaluation
) -> None:
    url = f"/api/coaching/suggestions?rep={org.rep.id}&evaluation={review.id}"
    response = client.get(url, headers=as_(org.manager))
    assert response.status_code == 200
    found = {s["key"]: s for s in response.json()}
    assert found[PRICE]["chosen"] and found[GREETING]["chosen"]
    assert found[PRICE]["failing_evaluations"] == [review.id]
    assert (found[PRICE]["failed"], found[PRICE]["reviewed"]) == (1, 1)
    assert client.get(url, headers=as_(org.rep)).status_code == 403


# Reading --------------------------------------------------------------------------------------------


def test_the_rep_never_receives_the_private_notes(
    client: TestClient, as_: Any, org: Org, planned: CoachingSession
) -> None:
    rep = as_(org.rep)
    one = client.get(f"/api/coaching/sessions/{planned.id}", headers=rep).json()
    listed = client.get("/api/coaching/sessions", headers=rep).json()
    assert "private_notes" not in one and all("private_notes" not in s for s in listed)
    assert "Struggles with confidence" not in str(one) + str(listed)
    assert one["shared_notes"] == "Ask about the budget before the offer"
    assert one["held_at"] is None and one["outcome"] == ""  # every other field is there
    manager = client.get(f"/api/coaching/sessions/{planned.id}", headers=as_(org.manager)).json()
    assert manager["private_notes"] == "Struggles with confidence on price"


def test_a_session_of_another_team_reads_like_a_missing_one(
    client: TestClient, as_: Any, org: Org, planned: CoachingSession
) -> None:
    for persona in (org.other_rep, org.outsider_manager, org.reviewer):
        seen = client.get(f"/api/coaching/sessions/{planned.id}", headers=as_(persona))
        missing = client.get(f"/api/coaching/sessions/{2**31 - 1}", headers=as_(persona))
        assert seen.status_code == missing.status_code == 404


def test_the_list_filters_by_rep_and_open(
    client: TestClient,
    as_: Any,
    db: Session,
    org: Org,
    settings: Any,
    review: Evaluation,
    planned: CoachingSession,
) -> None:
    done = plan(db, org, settings, review, at=datetime.now(UTC) - timedelta(days=3))
    manager = as_(org.manager)
    client.post(f"/api/coaching/sessions/{done.id}/complete", json={"outcome": "Went well"}, headers=manager)
    every = client.get(f"/api/coaching/sessions?rep={org.rep.id}", headers=manager).json()
    assert [s["id"] for s in every] == [planned.id, done.id]  # the latest planned first
    still_open = client.get(f"/api/coaching/sessions?rep={org.rep.id}&open=true", headers=manager).json()
    assert [s["id"] for s in still_open] == [planned.id]
    assert client.get("/api/coaching/sessions?open=true", headers=manager).json()[0]["id"] == planned.id
    assert client.get("/api/coaching/sessions", headers=as_(org.outsider_manager)).json() == []
    assert (
        client.get(f"/api/coaching/sessions?rep={org.rep.id}", headers=as_(org.other_rep)).status_code == 404
    )
    assert client.get("/api/coaching/sessions", headers=as_(org.reviewer)).status_code == 403


# The session's course -------------------------------------------------------------------------------


def test_the_rep_acknowledges_and_ticks_an_action_item(
    client: TestClient, as_: Any, org: Org, planned: CoachingSession
) -> None:
    rep = as_(org.rep)
    response = client.post(f"/api/coaching/sessions/{planned.id}/acknowledge", headers=rep)
    assert response.status_code == 200 and response.json()["acknowledged_at"] is not None
    assert client.post(f"/api/coaching/sessions/{planned.id}/acknowledge", headers=rep).status_code == 200
    assert (
        client.post(f"/api/coaching/sessions/{planned.id}/acknowledge", headers=as_(org.manager)).status_code
        == 403
    )

    action_id = planned.actions[0].id
    ticked = client.post(f"/api/coaching/actions/{action_id}", json={"done": True}, headers=rep).json()
    assert ticked["done_at"] is not None and ticked["done_by_id"] == org.rep.id
    unticked = client.post(f"/api/coaching/actions/{action_id}", json={"done": False}, headers=rep).json()
    assert unticked["done_at"] is None
    other = client.post(f"/api/coaching/actions/{action_id}", json={"done": True}, headers=as_(org.other_rep))
    assert other.status_code == 404


def test_the_manager_holds_and_completes_the_session(
    client: TestClient, as_: Any, org: Org, planned: CoachingSession
) -> None:
    manager = as_(org.manager)
    assert client.post(f"/api/coaching/sessions/{planned.id}/held", headers=as_(org.rep)).status_code == 403
    held = client.post(f"/api/coaching/sessions/{planned.id}/held", headers=manager)
    assert held.status_code == 200 and held.json()["status"] == "held" and held.json()["held_at"]
    assert client.post(f"/api/coaching/sessions/{planned.id}/held", headers=manager).status_code == 409
    empty = client.post(
        f"/api/coaching/sessions/{planned.id}/complete", json={"outcome": " "}, headers=manager
    )
    assert empty.status_code == 422 and set(empty.json()["errors"]) == {"outcome"}
    done = client.post(
        f"/api/coaching/sessions/{planned.id}/complete",
        json={"outcome": "Says the price up front"},
        headers=manager,
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"]) == ("completed", "Says the price up front")
    again = client.post(
        f"/api/coaching/sessions/{planned.id}/cancel", json={"reason": "Oops"}, headers=manager
    )
    assert again.status_code == 409


def test_a_cancelled_sessions_items_are_closed(
    client: TestClient, as_: Any, org: Org, planned: CoachingSession
) -> None:
    manager = as_(org.manager)
    no_reason = client.post(
        f"/api/coaching/sessions/{planned.id}/cancel", json={"reason": ""}, headers=manager
    )
    assert no_reason.status_code == 422 and set(no_reason.json()["errors"]) == {"reason"}
    cancelled = client.post(
        f"/api/coaching/sessions/{planned.id}/cancel", json={"reason": "The rep is on leave"}, headers=manager
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "The rep is on leave",
    )
    ticked = client.post(
        f"/api/coaching/actions/{planned.actions[0].id}", json={"done": True}, headers=as_(org.rep)
    )
    assert ticked.status_code == 409


def test_the_api_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {p for p in spec["paths"] if p.startswith("/api/coaching")}
    assert paths == {
        "/api/coaching/sessions",
        "/api/coaching/sessions/{session_id}",
        "/api/coaching/sessions/{session_id}/acknowledge",
        "/api/coaching/sessions/{session_id}/held",
        "/api/coaching/sessions/{session_id}/complete",
        "/api/coaching/sessions/{session_id}/cancel",
        "/api/coaching/actions/{action_id}",
        "/api/coaching/suggestions",
    }
    created = spec["paths"]["/api/coaching/sessions"]["post"]["responses"]["201"]
    schema = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "private_notes" in spec["components"]["schemas"][schema]["properties"]
