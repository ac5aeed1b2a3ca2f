"""Scorecard revisions, which scorecard applies, scoring in the pipeline, re-scoring,
and the pages and API that show it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qc.calls import pipeline
from qc.calls.models import Call, CallStatus
from qc.config import get_settings
from qc.db import session_scope
from qc.jobs.queue import drain
from qc.scoring import service
from qc.scoring.models import CallScore, ScorecardVersion
from tests.factories import api_token, bearer, make_call, make_transcript

GOOD_CALL = [
    ("agent", "Good morning, this is Rex from Acme Telecom. Do you have a minute?"),
    ("customer", "Yes, go ahead, I have a few minutes."),
    ("agent", "You have to buy it today."),
]


@pytest.fixture
def scorecards(tmp_path: Path) -> Iterator[Path]:
    """A copy of the scorecard folder to edit; the real files are loaded back afterwards."""
    folder = tmp_path / "scorecards"
    shutil.copytree(get_settings().scorecards_dir, folder)
    yield folder
    service.sync_from_settings(get_settings().scorecards_dir)


def scored_call(db: Any, org: Any, turns: list[tuple[str, str]] = GOOD_CALL, **overrides: Any) -> Call:
    call = make_call(db, rep=org.rep, **overrides)
    make_transcript(db, call, turns)
    call.status = CallStatus.TRANSCRIBED
    db.commit()
    with session_scope() as session:
        pipeline.schedule(session, session.get(Call, call.id))
    drain()
    db.expire_all()  # the pipeline changed it in other sessions
    return db.get(Call, call.id)


# Revisions --------------------------------------------------------------------------------------


def test_editing_a_scorecard_adds_a_revision_and_old_results_keep_theirs(
    db: Any, org: Any, scorecards: Path
) -> None:
    first = scored_call(db, org)
    old = db.scalar(select(CallScore).where(CallScore.call_id == first.id))
    used = old.scorecard_version_id
    latest = max(
        db.scalars(select(ScorecardVersion.revision).where(ScorecardVersion.scorecard_id == "outbound-sales"))
    )
    path = scorecards / "outbound_sales.yaml"
    path.write_text(
        path.read_text().replace("title: Outbound sales call", f"title: Outbound sales call {latest}")
    )

    with session_scope() as session:
        report = service.sync_scorecards(session, scorecards)
    assert report.added == [f"outbound-sales r{latest + 1}"]
    assert report.unchanged == ["inbound-support r1"]

    db.expire_all()
    current = service.get_current(db, "outbound-sales")
    assert (current.revision, current.title) == (latest + 1, f"Outbound sales call {latest}")
    assert db.get(ScorecardVersion, used).is_current is False
    assert db.get(CallScore, old.id).scorecard_version_id == used, "old results keep their revision"


def test_a_broken_file_keeps_the_last_good_revision(db: Any, scorecards: Path) -> None:
    (scorecards / "outbound_sales.yaml").write_text("id: outbound-sales\ntitle: [oops")
    with session_scope() as session:
        report = service.sync_scorecards(session, scorecards)
    assert report.problems and "not valid YAML" in report.problems[0]
    assert report.retired == []
    assert service.get_current(db, "outbound-sales").revision == 1


def test_removing_a_file_retires_its_scorecard(db: Any, scorecards: Path) -> None:
    (scorecards / "inbound_support.yaml").unlink()
    with session_scope() as session:
        assert service.sync_scorecards(session, scorecards).retired == ["inbound-support"]
    assert [v.scorecard_id for v in service.current_versions(db)] == ["outbound-sales"]


# Choosing and scoring -------------------------------------------------------------------------


def test_transcribed_call_is_scored_with_the_scorecard_that_applies(db: Any, org: Any) -> None:
    call = scored_call(db, org)
    assert call.status is CallStatus.SCORED
    score = service.get_call_score(db, call.id)
    assert score.scorecard_version.scorecard_id == "outbound-sales"
    by_item = {c.item_id: c for c in score.checks}
    assert by_item["greeting"].status.value == "pass"
    assert by_item["forbidden_phrases"].status.value == "fail"
    assert by_item["forbidden_phrases"].evidence[0]["text"] == "You have to buy"
    assert score.critical_failed is True and score.final_score == 0.0


def test_inbound_calls_get_the_support_scorecard(db: Any, org: Any) -> None:
    call = scored_call(
        db, org, [("agent", "Thank you for calling Acme support, how can I help?")], direction="inbound"
    )
    assert service.get_call_score(db, call.id).scorecard_version.scorecard_id == "inbound-support"


def test_no_applicable_scorecard_is_a_visible_state(db: Any, org: Any, scorecards: Path) -> None:
    (scorecards / "inbound_support.yaml").unlink()
    with session_scope() as session:
        service.sync_scorecards(session, scorecards)
    call = scored_call(db, org, [("agent", "Hello")], direction="inbound")
    assert call.status is CallStatus.SCORED
    score = service.get_call_score(db, call.id)
    assert score.scorecard_version_id is None
    assert score.note == "No scorecard applies to inbound calls of team Alpha"


def test_metadata_rules_pick_a_campaign_scorecard(db: Any, org: Any, scorecards: Path) -> None:
    text = (scorecards / "outbound_sales.yaml").read_text()
    campaign = text.replace("id: outbound-sales", "id: spring-campaign").replace(
        "  direction: outbound", "  direction: outbound\n  metadata: {campaign: [spring]}"
    )
    (scorecards / "spring.yaml").write_text(campaign)
    with session_scope() as session:
        service.sync_scorecards(session, scorecards)
    spring = scored_call(db, org, call_metadata={"campaign": "spring"})
    other = scored_call(db, org, call_metadata={"campaign": "autumn"}, sample="outbound_en_pushy.mp3")
    assert service.get_call_score(db, spring.id).scorecard_version.scorecard_id == "spring-campaign"
    assert service.get_call_score(db, other.id).scorecard_version.scorecard_id == "outbound-sales"


# Re-scoring -------------------------------------------------------------------------------------


def test_rescoring_uses_the_new_revision_without_transcribing_again(
    db: Any, org: Any, scorecards: Path, monkeypatch: Any
) -> None:
    call = scored_call(db, org)
    path = scorecards / "outbound_sales.yaml"
    path.write_text(path.read_text().replace("you have to buy, you must buy, buy it today, ", ""))
    with session_scope() as session:
        service.sync_scorecards(session, scorecards)

    from qc.transcription import service as transcription

    def no_asr(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("re-scoring must not transcribe again")

    monkeypatch.setattr(transcription, "transcribe_recording", no_asr)
    with session_scope() as session:
        assert service.rescore(session, None, scorecard_id="outbound-sales") == 1
    drain()
    db.expire_all()
    score = service.get_call_score(db, call.id)
    assert score.scorecard_version_id == service.get_current(db, "outbound-sales").id
    assert {c.item_id: c.status.value for c in score.checks}["forbidden_phrases"] == "pass"


def test_rescore_button_is_for_admins(browser: Any, db: Any, org: Any) -> None:
    scored_call(db, org)
    browser.login_as(org.qc_lead)
    assert browser.post("/scorecards/outbound-sales/rescore").status_code == 403
    browser.login_as(org.admin)
    response = browser.post("/scorecards/outbound-sales/rescore")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/scorecards/outbound-sales?queued=1")
    assert "1 call queued for re-scoring" in browser.page("/scorecards/outbound-sales?queued=1").get_text()


def test_rescore_command(db: Any, org: Any) -> None:
    from tests.test_cli import qc

    scored_call(db, org)
    result = qc("scorecards", "rescore", "outbound-sales", "--now")
    assert "1 call(s) queued for re-scoring." in result.stdout
    assert qc("scorecards", "rescore", "nope", check=False).stderr.strip() == "Error: No scorecard 'nope'"


# API ---------------------------------------------------------------------------------------------


def test_call_api_includes_the_automatic_results(browser: Any, db: Any, org: Any) -> None:
    call = scored_call(db, org)
    token = api_token(db, org.manager)
    db.commit()
    checks = browser.get(f"/api/calls/{call.id}", headers=bearer(token)).json()["checks"]
    assert checks["scorecard"] == {
        "id": "outbound-sales",
        "revision": service.get_current(db, "outbound-sales").revision,
        "version": "1",
        "title": "Outbound sales call",
    }
    assert checks["critical_failed"] == ["forbidden_phrases"]
    assert checks["final_score"] == 0.0
    forbidden = next(c for c in checks["checks"] if c["item_id"] == "forbidden_phrases")
    assert forbidden["label"] == "Uses no forbidden phrases"
    assert forbidden["critical"] is True
    assert forbidden["evidence"][0]["kind"] == "violation"
    assert set(forbidden["evidence"][0]) == {
        "kind",
        "speaker",
        "start",
        "end",
        "text",
        "rule",
        "segment",
        "probability",
    }


def test_scorecards_api(browser: Any, db: Any, org: Any) -> None:
    token = api_token(db, org.rep)  # reps may read the script they are scored on
    db.commit()
    listed = browser.get("/api/scorecards", headers=bearer(token)).json()
    assert [s["id"] for s in listed] == ["inbound-support", "outbound-sales"]
    detail = browser.get("/api/scorecards/outbound-sales", headers=bearer(token)).json()
    assert detail["definition"]["sections"][0]["items"][0]["id"] == "greeting"
    assert browser.get("/api/scorecards/nope", headers=bearer(token)).status_code == 404
    assert browser.get("/api/scorecards").status_code == 401


def test_score_a_transcript_without_audio(browser: Any, db: Any, org: Any) -> None:
    token = api_token(db, org.qc_lead)
    db.commit()
    transcript = {
        "segments": [
            {
                "speaker": "agent",
                "start": 0.5,
                "end": 3.0,
                "text": "Good morning, this is Ann from Acme Telecom.",
                "words": [],
            },
            {"speaker": "customer", "start": 3.5, "end": 5.0, "text": "Hello.", "words": []},
        ]
    }
    response = browser.post(
        "/api/score",
        headers=bearer(token),
        json={"scorecard": "outbound-sales", "language": "en", "transcript": transcript},
    )
    assert response.status_code == 200, response.text
    results = {c["item_id"]: c["status"] for c in response.json()["checks"]}
    assert results["greeting"] == "pass"
    assert results["own_name"] == "pass"
    assert results["next_step"] == "fail"

    wrong = browser.post(
        "/api/score",
        headers=bearer(token),
        json={"scorecard": "outbound-sales", "language": "de", "transcript": transcript},
    )
    assert wrong.status_code == 422
    assert "has no phrases in 'de'" in wrong.json()["detail"]


# Pages --------------------------------------------------------------------------------------------


def test_scorecard_pages_explain_the_rules(browser: Any, org: Any) -> None:
    browser.login_as(org.rep)
    listing = browser.page("/scorecards")
    assert [a.get_text() for a in listing.select("tbody a")] == [
        "Inbound support call",
        "Outbound sales call",
    ]
    detail = browser.page("/scorecards/outbound-sales")
    greeting = detail.select_one("#item-greeting").find_next("dd").get_text(" ", strip=True)
    assert "The agent says one of the phrases in the first 15 seconds." in greeting
    assert "good morning" in greeting
    assert detail.select_one("form[action$='/rescore']") is None, "reps cannot re-score"


def test_call_page_shows_checks_with_playable_evidence_and_highlights(
    browser: Any, db: Any, org: Any
) -> None:
    call = scored_call(db, org)
    browser.login_as(org.rep)
    soup = browser.page(f"/calls/{call.id}")
    panel = soup.select_one("#checks")
    assert panel.select_one(".score").get_text(strip=True).startswith("0")
    assert "Critical item failed" in panel.get_text()
    forbidden = next(li for li in panel.select("li.check") if "forbidden phrases" in li.get_text())
    button = forbidden.select_one("button[data-seek]")
    assert float(button["data-seek"]) >= 4.0  # the third turn starts at 4 s
    highlighted = [w.get_text() for w in soup.select("#transcript .w.hl")]
    assert "Good" in highlighted and "buy" in highlighted


def test_calls_list_shows_the_automatic_score(browser: Any, db: Any, org: Any) -> None:
    call = scored_call(db, org)
    browser.login_as(org.manager)
    row = next(
        tr
        for tr in browser.page("/calls").select("table.calls tbody tr")
        if tr.select_one("a")["href"].endswith(f"/calls/{call.id}")
    )
    cell = row.select("td")[-2].select_one("span")
    assert cell.get_text() == "0"
    assert "critical-score" in cell["class"]


@pytest.mark.parametrize(
    ("segments", "words"),
    [
        ([{"speaker": "agent", "start": 0, "end": "NaN", "text": "Hi", "words": []}], "finite number"),
        ([{"speaker": "agent", "start": 5, "end": 1, "text": "Hi", "words": []}], "end is before start"),
        ([{"speaker": "agent", "start": 0, "end": 1, "text": "Hi", "words": []}] * 3001, "at most 3000"),
    ],
)
def test_score_api_refuses_bad_or_huge_transcripts(
    browser: Any, db: Any, org: Any, segments: Any, words: str
) -> None:
    token = api_token(db, org.qc_lead)
    db.commit()
    body = {"scorecard": "outbound-sales", "transcript": {"segments": segments}}
    response = browser.post("/api/score", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert words in response.text
