"""Everywhere a transcript, a quote or a recording reaches people, it is the masked one:
the call page, its downloads, the calls API, the review workspace, the review page, the
rep's feedback, calibration. A transcript not masked yet reaches nobody."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.evaluations import calibration
from qc.evaluations import service as evaluations
from qc.jobs import events
from qc.kit.storage import get_storage
from qc.transcription import service as transcription
from qc.users.service import principal_for
from tests.factories import Browser, make_checked_call
from tests.privacy.redaction_helpers import SECRETS, masked_call, submit_review, unmask


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture
def world(db: Session, org: Any, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """A masked call, reviewed and released to its rep; another in review; both in an open
    calibration session."""
    call = masked_call(db, org.rep, tmp_path)
    evaluation_id = submit_review(db, org.reviewer, call.id, settings)
    events.dispatch_pending()  # released to the rep
    held = masked_call(db, org.rep, tmp_path)
    draft = evaluations.review_call(db, principal_for(db, org.reviewer), held.id, settings=settings)
    lead = principal_for(db, org.qc_lead)
    session = calibration.create_session(
        db, lead, title="Week 49", call_ids=[call.id], reviewer_ids=[org.reviewer.id]
    )
    db.commit()
    transcript = transcription.get_transcript(db, call.id)
    assert transcript is not None
    label = transcript.segments[1].words[3]["word"]  # what the e-mail address became
    return {
        "call": call,
        "evaluation": evaluation_id,
        "assignment": draft.assignment_id,
        "calibration": session.id,
        "label": label.strip(),
    }


PAGES = [
    ("admin", "/calls/{call}"),
    ("rep", "/calls/{call}"),
    ("reviewer", "/reviews/{assignment}"),
    ("rep", "/evaluations/{evaluation}"),
    ("rep", "/feedback"),
    ("reviewer", "/calibration/{calibration}/calls/{call}"),
]


@pytest.mark.parametrize(("persona", "url"), PAGES)
def test_pages_show_the_masked_transcript_and_quotes(
    browser: Browser, org: Any, world: dict[str, Any], persona: str, url: str
) -> None:
    browser.login_as(getattr(org, persona))
    response = browser.get(url.format(**{k: getattr(v, "id", v) for k, v in world.items()}))
    assert response.status_code == 200, response.text[:300]
    assert _leaks(response.text) == []
    soup = BeautifulSoup(response.text, "html.parser")
    transcript = soup.select_one("#transcript")
    if transcript is not None:  # the rep's feedback shows no transcript
        assert world["label"] in [w.get_text(strip=True) for w in transcript.select(".w")]


@pytest.mark.parametrize("fmt", ["json", "txt", "vtt"])
def test_transcript_downloads_are_masked(browser: Browser, org: Any, world: dict[str, Any], fmt: str) -> None:
    browser.login_as(org.manager)
    response = browser.get(f"/calls/{world['call'].id}/transcript.{fmt}")
    assert response.status_code == 200
    assert _leaks(response.text) == []
    assert world["label"] in response.text


def test_calls_api_gives_the_masked_transcript_and_quotes(
    client: Any, as_: Any, org: Any, world: dict[str, Any]
) -> None:
    body = client.get(f"/api/calls/{world['call'].id}", headers=as_(org.reviewer)).json()
    assert _leaks(json.dumps(body)) == []
    words = [w["word"].strip() for s in body["transcript"]["segments"] for w in s["words"]]
    assert world["label"] in words
    quotes = [e["text"] for check in body["checks"]["checks"] for e in check["evidence"]]
    assert any(q.startswith("My email is ") for q in quotes)
    evaluation = client.get(f"/api/evaluations/{world['evaluation']}", headers=as_(org.rep))
    assert evaluation.status_code == 200
    assert _leaks(evaluation.text) == []


def test_the_recording_played_is_the_masked_copy(
    browser: Browser, db: Session, org: Any, world: dict[str, Any]
) -> None:
    call = db.get_one(Call, world["call"].id)
    browser.login_as(org.rep)
    played = browser.get(f"/calls/{call.id}/audio")
    assert played.status_code == 200
    assert call.redacted_storage_key is not None
    with (
        get_storage().local_copy(call.redacted_storage_key) as masked,
        get_storage().local_copy(call.storage_key) as original,
    ):
        assert played.content == masked.read_bytes()
        assert played.content != original.read_bytes()


def test_a_transcript_not_masked_yet_reaches_nobody(
    browser: Browser, client: Any, as_: Any, db: Session, org: Any
) -> None:
    call = make_checked_call(db, rep=org.rep)
    unmask(db, call, upgraded=True)
    db.commit()
    browser.login_as(org.admin)
    page = browser.get(f"/calls/{call.id}")
    assert page.status_code == 200
    assert _leaks(page.text) == []
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("#transcript") is None
    assert soup.select_one(".transcript-pending") is not None
    assert soup.select_one("audio") is None and soup.select_one(".recording-pending") is not None
    download = browser.get(f"/calls/{call.id}/transcript.txt")
    assert download.status_code in (409, 422) and _leaks(download.text) == []
    assert browser.get(f"/calls/{call.id}/audio").status_code == 409
    body = client.get(f"/api/calls/{call.id}", headers=as_(org.admin))
    assert body.json()["transcript"] is None
    assert _leaks(body.text) == []
