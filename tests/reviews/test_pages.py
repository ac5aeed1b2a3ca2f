"""The queue, the review workspace and the coverage pages, and the queue API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.evaluations.models import Evaluation, EvaluationStatus
from qc.jobs.queue import Lane, drain
from qc.reviews import builder, service
from qc.reviews.models import Assignment, AssignmentStatus
from tests.factories import Org, api_token, bearer, make_checked_call, make_reviewer

TODAY = date(2026, 11, 23)  # a Monday: the queue is built as if it were noon that day
NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


def queue_with_picks(db: Session, org: Org, settings: Any, *, count: int = 2) -> list[Assignment]:
    """Calls of the rep that morning, and the queue drawn at noon."""
    start = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    for hour in range(count):
        make_checked_call(
            db, rep=org.rep, started_at=start + timedelta(hours=8 + hour), statuses={"price": "fail"}
        )
    db.commit()
    builder.build_queue(db, day=TODAY, settings=settings, draw_now=True, now=NOON)
    db.commit()
    return list(db.scalars(select(Assignment).order_by(Assignment.id)))


def test_my_queue_lists_my_picks_with_due_times(browser: Any, db: Session, org: Org, settings: Any) -> None:
    picks = queue_with_picks(db, org, settings)
    page = browser.login_as(org.reviewer).page("/queue")
    rows = page.select("#my-queue tbody tr")
    # Due at the same time: in the order the calls were made (the factory made them in order).
    assert [int(r["data-assignment"]) for r in rows] == [p.id for p in sorted(picks, key=lambda p: p.call_id)]
    assert "Start review" in rows[0].get_text()
    assert org.rep.name in rows[0].get_text()
    assert page.select_one("h1").get_text() == "My queue"


def test_the_queue_is_for_reviewers(browser_factory: Any, org: Org) -> None:
    for persona in (org.rep, org.manager):
        response = browser_factory().login_as(persona).get("/queue")
        assert response.status_code == 403


def test_a_reviewer_starts_scores_and_submits_a_review(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = queue_with_picks(db, org, settings)[0]
    browser.login_as(org.reviewer)
    started = browser.post(f"/queue/{pick.id}/start")
    assert started.status_code == 303 and started.headers["location"] == f"/reviews/{pick.id}"
    page = browser.page(f"/reviews/{pick.id}")
    price = page.select_one("fieldset[data-item=price]")
    assert price["data-suggested"] == "no"
    assert price.select_one("input[value=no]").has_attr("checked")
    assert page.select_one("#waveform")["data-peaks"].endswith(f"/calls/{pick.call_id}/peaks.json")
    assert page.select("#transcript .w"), "the transcript is on the page"
    fields = _form_fields(page)
    fields["answer-price"] = "yes"  # an override without a reason
    refused = browser.post(f"/reviews/{pick.id}", data=fields)
    assert refused.status_code == 422
    again = BeautifulSoup(refused.text, "html.parser")
    assert again.select_one("#form-errors")
    assert "Say briefly why" in again.select_one("fieldset[data-item=price]").get_text()
    assert again.select_one("fieldset[data-item=price] input[value=yes]").has_attr("checked"), "kept"
    fields["reason-price"] = "The price came at 1:05"
    fields["active_seconds"] = "40"
    done = browser.post(f"/reviews/{pick.id}", data=fields)
    assert done.status_code == 303 and done.headers["location"].startswith("/queue?submitted=")
    db.expire_all()
    evaluation = db.scalar(select(Evaluation).where(Evaluation.assignment_id == pick.id))
    assert evaluation is not None and evaluation.status is EvaluationStatus.SUBMITTED
    queue = browser.page(done.headers["location"])
    row = queue.select_one(f"#my-queue tr[data-assignment='{pick.id}']")
    assert "Done" in row.get_text()
    detail = browser.page(f"/evaluations/{evaluation.id}")
    price_answer = detail.select_one("li[data-item=price]")
    assert "overridden" in price_answer["class"] and "The price came at 1:05" in price_answer.get_text()


def _form_fields(page: BeautifulSoup) -> dict[str, str]:
    fields: dict[str, str] = {}
    for element in page.select("#review-form input, #review-form textarea"):
        name = element.get("name")
        if not name:
            continue
        if element.get("type") == "radio":
            if element.has_attr("checked"):
                fields[name] = element["value"]
            continue
        fields[name] = element.get("value") or element.get_text()
    for fieldset in page.select("#review-form fieldset.item"):  # answer what the check left open
        fields.setdefault(
            f"answer-{fieldset['data-item']}", "yes" if fieldset.select("input[value=yes]") else "3"
        )
    return fields


def test_autosave_keeps_answers_and_returns_the_score(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = queue_with_picks(db, org, settings)[0]
    browser.login_as(org.reviewer)
    browser.post(f"/queue/{pick.id}/start")
    response = browser.post(
        f"/reviews/{pick.id}/draft", data={"answer-greeting": "no"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert BeautifulSoup(response.text, "html.parser").select_one(".score-value")
    page = browser.page(f"/reviews/{pick.id}")
    assert page.select_one("fieldset[data-item=greeting] input[value=no]").has_attr("checked")


def test_someone_elses_review_page_is_refused(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = queue_with_picks(db, org, settings)[0]
    owner = browser_factory().login_as(org.reviewer)
    owner.post(f"/queue/{pick.id}/start")
    other = make_reviewer(db)
    db.commit()
    intruder = browser_factory().login_as(other)
    assert intruder.get(f"/reviews/{pick.id}").status_code == 403
    assert intruder.post(f"/queue/{pick.id}/start").status_code == 409
    assert intruder.post(f"/reviews/{pick.id}", data={}).status_code == 403


def test_comments_are_added_at_the_players_moment(browser: Any, db: Session, org: Org, settings: Any) -> None:
    pick = queue_with_picks(db, org, settings)[0]
    browser.login_as(org.reviewer)
    browser.post(f"/queue/{pick.id}/start")
    page = browser.page(f"/reviews/{pick.id}")
    url = page.select_one("#comment-form")["hx-post"]
    added = browser.post(
        url, data={"text": "<b>Rushed</b> the price", "at_s": "2.5"}, headers={"HX-Request": "true"}
    )
    assert added.status_code == 200
    fragment = BeautifulSoup(added.text, "html.parser")
    assert fragment.select_one("li")["data-at"] == "2.5"
    assert "<b>Rushed</b> the price" in fragment.select_one(".comment-text").get_text(), (
        "escaped, shown as text"
    )
    assert fragment.select_one(".comment-text b") is None


def test_the_day_page_shows_coverage_and_lets_a_lead_reassign(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    picks = queue_with_picks(db, org, settings)
    other = make_reviewer(db, name="Val Second")
    db.commit()
    page = browser.login_as(org.qc_lead).page(f"/queue/day?date={TODAY.isoformat()}")
    rep_row = page.select_one(f"#rep-coverage tr[data-rep='{org.rep.id}']")
    cells = [td.get_text(strip=True) for td in rep_row.select("td")]
    assert cells[2:6] == ["2", "2", "2", "0"]
    short = page.select_one(f"#rep-coverage tr[data-rep='{org.other_rep.id}'] td.shortfall").get_text()
    assert "No calls" in short, "the day was drawn in full: the rep had none"
    moved = browser.post(
        f"/queue/{picks[0].id}/reassign", data={"reviewer": str(other.id), "date": TODAY.isoformat()}
    )
    assert moved.status_code == 303
    db.expire_all()
    assert db.get(Assignment, picks[0].id).reviewer_id == other.id  # type: ignore[union-attr]


def test_managers_see_their_teams_coverage_only(browser: Any, db: Session, org: Org, settings: Any) -> None:
    queue_with_picks(db, org, settings)
    page = browser.login_as(org.manager).page(f"/queue/day?date={TODAY.isoformat()}")
    reps = {int(r["data-rep"]) for r in page.select("#rep-coverage tbody tr[data-rep]")}
    assert reps == {org.rep.id}
    assert page.select("#day-picks") == [], "no reassigning for managers"
    assert browser.post("/queue/build", data={"date": TODAY.isoformat()}).status_code == 403


def test_team_settings_are_edited_with_field_errors(browser: Any, db: Session, org: Org) -> None:
    browser.login_as(org.qc_lead)
    page = browser.page(f"/queue/teams/{org.team.id}")
    assert page.select_one("input[name=target]")["value"] == "2"
    data = {
        "target": "3",
        "working_days": ["1", "2", "3"],
        "timezone": "Europe/Bucharest",
        "day_start": "08:00",
        "day_end": "17:00",
        "min_duration_s": "45",
        "risk_share": "40",
        "low_score": "65",
        "blind": "true",
    }
    saved = browser.post(f"/queue/teams/{org.team.id}", data=data)
    assert saved.status_code == 303
    page = browser.page(f"/queue/teams/{org.team.id}")
    assert page.select_one("input[name=timezone]")["value"] == "Europe/Bucharest"
    assert page.select_one("input[name=blind]").has_attr("checked")
    bad = browser.post(f"/queue/teams/{org.team.id}", data={**data, "timezone": "Nowhere/Land"})
    assert bad.status_code == 422
    error = BeautifulSoup(bad.text, "html.parser").select_one("#timezone-error")
    assert error and "Unknown time zone" in error.get_text()
    assert browser.get(f"/queue/teams/{org.team.id}").status_code == 200
    reviewer = browser.__class__(browser.app).login_as(org.reviewer)
    assert reviewer.get(f"/queue/teams/{org.team.id}").status_code == 403


def test_reviewer_capacity_and_languages_are_set_by_leads(browser: Any, db: Session, org: Org) -> None:
    browser.login_as(org.qc_lead)
    page = browser.page("/queue/reviewers")
    assert org.reviewer.name in page.select_one("#reviewers").get_text()
    saved = browser.post(
        f"/queue/reviewers/{org.reviewer.id}",
        data={"capacity": "12", "languages": ["en", "ro"], "available": "true"},
    )
    assert saved.status_code == 303
    page = browser.page("/queue/reviewers")
    assert page.select_one(f"input[form=reviewer-{org.reviewer.id}][name=capacity]")["value"] == "12"


# API ---------------------------------------------------------------------------------------------------


def test_queue_api_reports_per_rep_target_assigned_done_and_shortfall(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    queue_with_picks(db, org, settings)
    token = api_token(db, org.qc_lead)
    db.commit()
    body = browser.get(f"/api/queue?date={TODAY.isoformat()}", headers=bearer(token)).json()
    reps = {r["rep_id"]: r for r in body["reps"]}
    assert {
        k: reps[org.rep.id][k] for k in ("target", "picked", "assigned", "done", "shortfall", "reason")
    } == {
        "target": 2,
        "picked": 2,
        "assigned": 2,
        "done": 0,
        "shortfall": 0,
        "reason": None,
    }
    other = reps[org.other_rep.id]
    assert other["shortfall"] == 2 and other["reason"] == "no_calls"
    assert {t["team"] for t in body["teams"]} == {"Alpha", "Bravo"}
    loads = {r["reviewer_id"]: r for r in body["reviewers"]}
    assert loads[org.reviewer.id]["assigned"] == 2
    assert loads[org.qc_lead.id]["available"] is False, "QC leads take queue work once they set a capacity"
    assert browser.get("/api/queue?date=yesterday", headers=bearer(token)).status_code == 422


def test_queue_api_access(browser: Any, db: Session, org: Org) -> None:
    tokens = {p.email: api_token(db, p) for p in (org.rep, org.reviewer, org.manager)}
    db.commit()
    assert browser.get("/api/queue", headers=bearer(tokens[org.rep.email])).status_code == 403
    assert browser.get("/api/queue", headers=bearer(tokens[org.reviewer.email])).status_code == 403
    mine = browser.get("/api/queue", headers=bearer(tokens[org.manager.email])).json()
    assert {r["team"] for r in mine["reps"]} == {"Alpha"}
    assert browser.post("/api/queue/build", headers=bearer(tokens[org.manager.email])).status_code == 403
    assert browser.get("/api/queue").status_code == 401


def test_building_through_the_api_is_idempotent(browser: Any, db: Session, org: Org) -> None:
    start = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
    for hour in (1, 2, 3):
        make_checked_call(db, rep=org.rep, started_at=start + timedelta(hours=hour))
    token = api_token(db, org.qc_lead)
    db.commit()
    first = browser.post(f"/api/queue/build?date={TODAY.isoformat()}", headers=bearer(token)).json()
    # The day is long over: it is drawn in full and closed, its picks roll over to today.
    assert (first["picked"], first["closed"], first["rolled_over"]) == (2, ["Alpha", "Bravo"], 2)
    again = browser.post(f"/api/queue/build?date={TODAY.isoformat()}", headers=bearer(token)).json()
    assert again["picked"] == 0 and again["skipped"] == {"Alpha": "already closed", "Bravo": "already closed"}


def test_claims_through_the_api_conflict_for_a_second_reviewer(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = queue_with_picks(db, org, settings)[0]
    service.reassign(db, _lead(db, org), pick.id, reviewer_id=None, settings=settings)
    second = make_reviewer(db)
    one, two = api_token(db, org.reviewer), api_token(db, second)
    db.commit()
    won = browser.post(f"/api/queue/assignments/{pick.id}/claim", headers=bearer(one))
    assert won.status_code == 200 and won.json()["status"] == "in_review" and won.json()["evaluation_id"]
    lost = browser.post(f"/api/queue/assignments/{pick.id}/claim", headers=bearer(two))
    assert lost.status_code == 409 and "is reviewing this call" in lost.json()["detail"]
    released = browser.post(f"/api/queue/assignments/{pick.id}/release", headers=bearer(one))
    assert released.json()["status"] == "open" and released.json()["reviewer_id"] is None
    mine = browser.get("/api/queue/mine", headers=bearer(two)).json()
    assert pick.id not in [m["id"] for m in mine]


def _lead(db: Session, org: Org) -> Any:
    from qc.users.service import principal_for

    return principal_for(db, org.qc_lead)


def test_evaluation_api_and_page_follow_the_visibility_rules(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    pick = queue_with_picks(db, org, settings)[0]
    reviewer = browser_factory().login_as(org.reviewer)
    reviewer.post(f"/queue/{pick.id}/start")
    fields = _form_fields(reviewer.page(f"/reviews/{pick.id}"))
    assert reviewer.post(f"/reviews/{pick.id}", data=fields).status_code == 303
    drain(lanes=[Lane.QUICK])  # the worker's quick lane releases the review to the rep
    db.expire_all()
    evaluation = db.scalar(select(Evaluation))
    assert evaluation is not None
    rep = browser_factory().login_as(org.rep)
    assert rep.get(f"/evaluations/{evaluation.id}").status_code == 200
    assert browser_factory().login_as(org.other_rep).get(f"/evaluations/{evaluation.id}").status_code == 404
    assert (
        browser_factory().login_as(org.outsider_manager).get(f"/evaluations/{evaluation.id}").status_code
        == 404
    )
    token = api_token(db, org.manager)
    db.commit()
    body = rep.get(f"/api/evaluations/{evaluation.id}", headers=bearer(token)).json()
    assert body["status"] == "submitted" and body["history"][0]["action"] == "submitted"
    assert {a["item_id"] for a in body["answers"]} >= {"greeting", "price"}
    assert rep.get(f"/evaluations/{evaluation.id}/edit").status_code == 403


def test_the_call_page_offers_a_review_of_an_unpicked_call(browser: Any, db: Session, org: Org) -> None:
    call = make_checked_call(db, rep=org.rep, started_at=datetime(2026, 11, 23, 10, tzinfo=UTC))
    db.commit()
    page = browser.login_as(org.reviewer).page(f"/calls/{call.id}")
    assert page.select_one("#review-this-call")
    response = browser.post(f"/calls/{call.id}/review")
    assert response.status_code == 303 and response.headers["location"].startswith("/reviews/")
    db.expire_all()
    assert db.scalar(select(Assignment.status)) is AssignmentStatus.IN_REVIEW


def test_waveform_peaks_come_per_channel(browser: Any, db: Session, org: Org) -> None:
    call = make_checked_call(db, rep=org.rep)
    db.commit()
    browser.login_as(org.reviewer)
    body = browser.get(f"/calls/{call.id}/peaks.json").json()
    assert body["layout"] == "agent-left" and len(body["peaks"]) == 2
    assert 0 < max(body["peaks"][0]) <= 1 and len(body["peaks"][0]) > 100
    assert browser.get(f"/calls/{call.id}/peaks.json").json() == body, "served again from storage"
    other = browser.__class__(browser.app).login_as(org.other_rep)
    assert other.get(f"/calls/{call.id}/peaks.json").status_code == 404


def test_a_day_that_is_not_a_working_day_says_so(browser: Any, db: Session, org: Org) -> None:
    saturday = date(2026, 11, 28)
    page = browser.login_as(org.qc_lead).page(f"/queue/day?date={saturday.isoformat()}")
    states = [row.select("td")[2].get_text(strip=True) for row in page.select("#team-days tbody tr")]
    assert states == ["not a working day", "not a working day"]
