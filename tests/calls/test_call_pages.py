"""Calls list, call page, audio and downloads: what each persona sees and may do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from qc.calls.models import CallStatus
from tests.factories import api_token, bearer, make_call, make_transcript


@pytest.fixture
def calls(db: Any, org: Any) -> dict[str, Any]:
    """Two calls of the Alpha rep (one transcribed, one failed) and one of the Bravo rep."""
    done = make_call(db, rep=org.rep, started_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    make_transcript(
        db, done, [("agent", "Good morning, this is Rex from Acme."), ("customer", "Hello there.")]
    )
    failed = make_call(
        db,
        rep=org.rep,
        started_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        status=CallStatus.FAILED,
        failure_reason="The recording could not be decoded",
        failed_stage="transcription",
    )
    other = make_call(db, rep=org.other_rep, started_at=datetime(2026, 11, 21, 11, 0, tzinfo=UTC))
    db.commit()
    return {"done": done, "failed": failed, "other": other}


def listed_ids(soup: Any) -> list[int]:
    links = soup.select("table.calls tbody tr td:first-child a")
    return [int(a["href"].rstrip("/").split("/")[-1]) for a in links]


# The calls list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("admin", {"done", "failed", "other"}),
        ("qc_lead", {"done", "failed", "other"}),
        ("reviewer", {"done", "failed", "other"}),
        ("manager", {"done", "failed"}),
        ("outsider_manager", {"other"}),
        ("rep", {"done", "failed"}),
        ("other_rep", {"other"}),
    ],
)
def test_calls_list_shows_only_what_the_persona_may_see(
    browser: Any, org: Any, calls: Any, persona: str, visible: set[str]
) -> None:
    browser.login_as(getattr(org, persona))
    soup = browser.page("/calls")
    assert set(listed_ids(soup)) == {calls[name].id for name in visible}


def test_calls_list_filters_by_rep_day_and_status(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.admin)
    assert listed_ids(browser.page("/calls?rep=rep@example.test")) == [calls["failed"].id, calls["done"].id]
    assert listed_ids(browser.page("/calls?date=2026-11-21")) == [calls["other"].id, calls["failed"].id]
    assert listed_ids(browser.page("/calls?status=failed")) == [calls["failed"].id]
    assert listed_ids(browser.page(f"/calls?team={org.other_team.id}")) == [calls["other"].id]


def test_calls_list_htmx_request_gets_only_the_table(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.admin)
    response = browser.get("/calls?status=failed", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "table" in response.text


def test_calls_list_is_paginated(browser: Any, db: Any, org: Any) -> None:
    for day in range(1, 28):
        make_call(db, rep=org.rep, started_at=datetime(2026, 10, day, 9, 0, tzinfo=UTC))
    db.commit()
    browser.login_as(org.admin)
    first = browser.page("/calls")
    second = browser.page("/calls?page=2")
    assert len(listed_ids(first)) == 25
    assert len(listed_ids(second)) == 2
    assert "Page 1 of 2" in first.select_one("nav.pager").get_text()


def test_calls_list_rejects_a_bad_date(browser: Any, org: Any) -> None:
    browser.login_as(org.admin)
    soup = browser.page("/calls?date=yesterday", status=422)
    assert "2026-11-22" in soup.get_text()


def test_signed_out_visitor_is_sent_to_login(browser: Any, calls: Any) -> None:
    response = browser.get("/calls?status=failed")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcalls%3Fstatus%3Dfailed"


# The call page ------------------------------------------------------------------------------


def test_call_page_shows_transcript_turns_and_clickable_words(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.reviewer)
    soup = browser.page(f"/calls/{calls['done'].id}")

    assert soup.select_one("audio#call-audio")["src"].endswith(f"/calls/{calls['done'].id}/audio")
    turns = soup.select("#transcript .turn")
    assert [t.select_one(".who").get_text() for t in turns] == ["Agent", "Customer"]
    words = turns[0].select(".w")
    assert [w.get_text() for w in words][:3] == ["Good", "morning,", "this"]
    assert float(words[1]["data-start"]) > float(words[0]["data-start"])
    assert soup.select_one(".downloads a[href$='transcript.vtt']") is not None


def test_call_page_escapes_transcript_text(browser: Any, db: Any, org: Any) -> None:
    call = make_call(db, rep=org.rep)
    make_transcript(db, call, [("agent", "<script>alert(1)</script> hello")])
    db.commit()
    browser.login_as(org.admin)
    response = browser.get(f"/calls/{call.id}")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_failed_call_shows_reason_and_retry_for_its_manager(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.manager)
    soup = browser.page(f"/calls/{calls['failed'].id}")
    assert "could not be decoded" in soup.select_one("#call-status .notice").get_text()
    form = soup.select_one("#call-status form")
    assert form["action"].endswith(f"/calls/{calls['failed'].id}/retry")

    response = browser.post(f"/calls/{calls['failed'].id}/retry")
    assert response.status_code == 303
    soup = browser.page(f"/calls/{calls['failed'].id}")
    assert soup.select_one("#call-status .badge").get_text() == "received"
    assert soup.select_one("#call-status")["hx-trigger"] == "every 3s"


def test_rep_sees_own_failed_call_without_retry(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.rep)
    soup = browser.page(f"/calls/{calls['failed'].id}")
    assert soup.select_one("#call-status form") is None
    assert browser.post(f"/calls/{calls['failed'].id}/retry").status_code == 403


@pytest.mark.parametrize("persona", ["other_rep", "outsider_manager"])
def test_outsiders_cannot_see_or_touch_a_call(browser: Any, org: Any, calls: Any, persona: str) -> None:
    browser.login_as(getattr(org, persona))
    call_id = calls["done"].id
    assert browser.get(f"/calls/{call_id}").status_code == 404
    assert browser.get(f"/calls/{call_id}/audio").status_code == 404
    assert browser.get(f"/calls/{call_id}/transcript.txt").status_code == 404
    assert browser.post(f"/calls/{calls['failed'].id}/retry").status_code == 404
    assert browser.get(f"/api/calls/{call_id}").status_code == 404


def test_status_poll_asks_for_a_refresh_once_the_call_is_done(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.admin)
    call_id = calls["done"].id
    response = browser.get(f"/calls/{call_id}?was=transcribing", headers={"HX-Request": "true"})
    assert response.headers.get("HX-Refresh") == "true"
    assert "<html" not in response.text


# Audio and downloads ---------------------------------------------------------------------------


def test_audio_supports_range_requests_for_seeking(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.rep)
    url = f"/calls/{calls['done'].id}/audio"
    whole = browser.get(url)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/ogg"
    assert whole.headers["accept-ranges"] == "bytes"

    part = browser.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"

    tail = browser.get(url, headers={"Range": "bytes=-50"})
    assert tail.content == whole.content[-50:]
    assert browser.get(url, headers={"Range": f"bytes={len(whole.content) + 10}-"}).status_code == 416


def test_transcript_download_is_an_attachment(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.rep)
    response = browser.get(f"/calls/{calls['done'].id}/transcript.txt")
    assert response.headers["content-disposition"] == f'attachment; filename="call-{calls["done"].id}.txt"'
    assert response.text.splitlines() == [
        "[0:00] Agent: Good morning, this is Rex from Acme.",
        "[0:02] Customer: Hello there.",
    ]


# The API list --------------------------------------------------------------------------------------


def test_api_lists_calls_by_rep_and_date(browser: Any, db: Any, org: Any, calls: Any) -> None:
    token = api_token(db, org.manager)
    db.commit()
    response = browser.get(
        "/api/calls", params={"rep": "crm-rex", "date": "2026-11-20"}, headers=bearer(token)
    )
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["items"]] == [calls["done"].id]
    assert body["total"] == 1
    assert body["items"][0]["links"]["page"].endswith(f"/calls/{calls['done'].id}")

    others = browser.get("/api/calls", params={"rep": "other@example.test"}, headers=bearer(token)).json()
    assert others["items"] == []


def test_api_requires_credentials(browser: Any, calls: Any) -> None:
    assert browser.get("/api/calls").status_code == 401
    assert browser.get("/api/calls", headers=bearer("qc_not-a-real-token")).status_code == 401
    assert browser.get("/api/calls").json()["error"] == "not_authenticated"


def test_openapi_documents_the_calls_api(browser: Any) -> None:
    assert browser.get("/docs").status_code == 200
    spec = browser.get("/openapi.json").json()
    assert {"/api/calls", "/api/calls/{call_id}", "/api/users", "/api/calls/{call_id}/retry"} <= set(
        spec["paths"]
    )
    assert not any(path.startswith(("/admin", "/login", "/calls")) for path in spec["paths"]), (
        "pages stay out"
    )
    body = spec["paths"]["/api/calls"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"][
        "$ref"
    ]
    fields = spec["components"]["schemas"][body.split("/")[-1]]["properties"]
    assert {
        "file",
        "rep",
        "started_at",
        "direction",
        "channels",
        "language",
        "external_id",
        "metadata",
    } <= set(fields)


def test_filter_form_as_the_browser_sends_it(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.admin)
    response = browser.get("/calls?rep=&team=&date=&status=failed", headers={"HX-Request": "true"})
    assert response.status_code == 200
    from bs4 import BeautifulSoup

    assert listed_ids(BeautifulSoup(response.text, "html.parser")) == [calls["failed"].id]


@pytest.mark.parametrize(
    "url",
    [
        "/calls/99999999999999999999",
        "/api/calls/99999999999999999999",
        "/calls?team=99999999999999999999",
        "/calls?page=99999999999999999999",
        "/api/calls?page=0",
        "/calls/0",
    ],
)
def test_absurd_numbers_are_refused_not_crashed_on(browser: Any, org: Any, url: str) -> None:
    browser.login_as(org.admin)
    assert browser.get(url).status_code == 422


def test_missing_recording_is_a_clear_404(browser: Any, db: Any, org: Any, calls: Any) -> None:
    from qc.kit.storage import get_storage

    get_storage().delete(calls["done"].storage_key)
    browser.login_as(org.admin)
    response = browser.get(f"/calls/{calls['done'].id}/audio")
    assert response.status_code == 404
    assert "missing from storage" in response.text


def test_session_without_csrf_header_cannot_change_anything(browser: Any, org: Any, calls: Any) -> None:
    browser.login_as(org.admin)
    token = browser.cookies["csrftoken"]
    call_id = calls["failed"].id
    plain = {"X-CSRFToken": ""}
    assert browser.post(f"/calls/{call_id}/retry", headers=plain).status_code == 403
    assert browser.post(f"/api/calls/{call_id}/retry", headers=plain).status_code == 403
    assert browser.post("/admin/teams", data={"name": "Zulu"}, headers=plain).status_code == 403
    assert browser.post(f"/calls/{call_id}/retry", headers={"X-CSRFToken": token}).status_code == 303


def test_rep_keeps_seeing_calls_from_a_previous_team(browser: Any, db: Any, org: Any, calls: Any) -> None:
    org.rep.team_id = org.other_team.id  # moved from Alpha to Bravo
    db.commit()
    browser.login_as(org.rep)
    assert set(listed_ids(browser.page("/calls"))) == {calls["done"].id, calls["failed"].id}


def test_webvtt_escapes_cue_text(browser: Any, db: Any, org: Any) -> None:
    call = make_call(db, rep=org.rep)
    make_transcript(db, call, [("agent", "AT&T <b>deals</b> --> now")])
    db.commit()
    browser.login_as(org.admin)
    vtt = browser.get(f"/calls/{call.id}/transcript.vtt").text
    assert "<v Agent>AT&amp;T &lt;b&gt;deals&lt;/b&gt; --&gt; now" in vtt


def _score_cells(soup: Any) -> dict[int, tuple[str, str]]:
    """call id -> (auto score cell, review cell) as the list shows them."""
    rows = {}
    for row in soup.select("table.calls tbody tr"):
        call_id = int(row.select_one("td:first-child a")["href"].rstrip("/").split("/")[-1])
        cells = row.select("td")
        rows[call_id] = (" ".join(cells[-2].text.split()), " ".join(cells[-1].text.split()))
    return rows


def test_calls_list_shows_the_review_score_and_an_undecided_automatic_one(
    browser: Any, db: Any, org: Any, settings: Any
) -> None:
    from tests.factories import make_checked_call
    from tests.feedback.conftest import submit_review

    undecided = make_checked_call(
        db,
        rep=org.rep,
        statuses={
            i: "needs_review"
            for i in (
                "greeting",
                "permission",
                "needs_summary",
                "open_questions",
                "presentation",
                "benefits",
                "objection",
                "price",
                "next_step",
                "farewell",
            )
        },
    )
    db.commit()
    reviewed = submit_review(db, org, settings, statuses={"price": "fail"})
    held_back = submit_review(db, org, settings, dispatch=False)  # submitted, not yet released
    browser.login_as(org.manager)
    cells = _score_cells(browser.page("/calls"))
    assert cells[undecided.id] == ("undecided", "")
    assert cells[reviewed.call_id][0] == "80" and cells[reviewed.call_id][1] == str(
        round(reviewed.final_score)
    )
    assert cells[held_back.call_id][1] == str(round(held_back.final_score))  # managers see it at once
    browser.login_as(org.rep)
    cells = _score_cells(browser.page("/calls"))
    assert cells[reviewed.call_id][1] == str(round(reviewed.final_score))
    assert cells[held_back.call_id][1] == ""  # the rep sees it once released


def test_a_review_score_links_to_the_review_only_for_those_who_may_open_it(
    browser: Any, db: Any, org: Any, settings: Any
) -> None:
    from tests.factories import make_reviewer
    from tests.feedback.conftest import submit_review

    review = submit_review(db, org, settings)
    colleague = make_reviewer(db)
    db.commit()

    def review_cell(user: Any) -> Any:
        browser.login_as(user)
        for row in browser.page("/calls").select("table.calls tbody tr"):
            if row.select_one("td:first-child a")["href"].rstrip("/").endswith(f"/{review.call_id}"):
                return row.select("td")[-1]
        raise AssertionError(f"call {review.call_id} is not listed for {user.email}")

    detail = f"/evaluations/{review.id}"
    for user in (org.reviewer, org.qc_lead, org.manager):
        link = review_cell(user).select_one("a")
        assert link is not None and link["href"].endswith(detail), user.email
        assert browser.get(detail).status_code == 200, user.email
    # Another reviewer cannot open a colleague's review: the list shows no score or link for it.
    assert review_cell(colleague).select_one("a") is None
    browser.login_as(colleague)
    assert browser.get(detail).status_code == 404


def test_scorecard_page_offers_agreement_only_to_those_who_may_open_it(browser: Any, org: Any) -> None:
    browser.login_as(org.reviewer)
    page = browser.page("/scorecards/outbound-sales")
    assert not page.select("a[href*='/agreement']")
    refused = browser.get("/scorecards/outbound-sales/agreement")
    assert refused.status_code == 403 and "agree" in refused.text
    browser.login_as(org.qc_lead)
    assert browser.page("/scorecards/outbound-sales").select("a[href*='/agreement']")
