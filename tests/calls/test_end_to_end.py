"""Upload -> queue -> worker -> transcript through the HTTP API, as an integration sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qc.jobs.queue import Lane, drain
from tests.calls.test_upload_api import upload
from tests.factories import SAMPLES, api_token, bearer


@pytest.fixture
def api(browser: Any, db: Any, org: Any) -> Any:
    browser.headers.update(bearer(api_token(db, org.admin)))
    db.commit()
    return browser


def test_uploaded_call_is_transcribed_with_speakers_and_words(api: Any) -> None:
    created = upload(api, SAMPLES / "outbound_en_followed.ogg", external_id="pbx-42").json()
    assert api.get(f"/api/calls/{created['id']}").json()["status"] == "received"

    assert drain(lanes=[Lane.PIPELINE]) == 1

    call = api.get(f"/api/calls/{created['id']}").json()
    assert call["status"] == "scored"
    assert call["detected_language"] == "en"
    transcript = call["transcript"]
    assert transcript["speakers_separated"] is True
    assert transcript["model"] == "tiny.en"
    speakers = [s["speaker"] for s in transcript["segments"]]
    assert speakers[:4] == ["agent", "customer", "agent", "customer"]
    first = transcript["segments"][0]
    assert "Acme" in first["text"] or "acme" in first["text"].lower()
    assert set(first["words"][0]) == {"start", "end", "word", "probability", "spoken"}
    assert first["words"][0]["spoken"] is None  # set only where the words as said differ
    assert first["words"][0]["start"] < first["words"][-1]["end"]


def test_mono_upload_is_flagged_speakers_not_separated(api: Any) -> None:
    created = upload(api, SAMPLES / "inbound_en_mono.flac", channels="mono").json()
    drain()
    transcript = api.get(f"/api/calls/{created['id']}").json()["transcript"]
    assert transcript["speakers_separated"] is False
    assert {s["speaker"] for s in transcript["segments"]} == {"unknown"}


def test_a_mono_recording_saved_as_stereo_is_transcribed_once_and_marked(api: Any, tmp_path: Path) -> None:
    from faster_whisper.audio import decode_audio

    from tests.audio_helpers import encode

    mono = decode_audio(str(SAMPLES / "inbound_en_mono.flac"), sampling_rate=16_000)
    path = encode(tmp_path / "dual.wav", np.stack([mono, mono]), rate=16_000)
    created = upload(api, path).json()
    drain()

    transcript = api.get(f"/api/calls/{created['id']}").json()["transcript"]
    assert transcript["speakers_separated"] is False
    assert transcript["channel_report"]["identical"] is True
    assert {s["speaker"] for s in transcript["segments"]} == {"unknown"}
    texts = [s["text"] for s in transcript["segments"]]
    assert len(texts) == len(set(texts)), "every sentence once, not as agent and as customer"
    page = api.get(f"/calls/{created['id']}").text
    assert "Both channels carry the same sound" in page


def test_team_language_is_used_when_the_call_has_none(api: Any, db: Any, org: Any) -> None:
    org.team.language = "ru"
    db.commit()
    created = upload(api, SAMPLES / "outbound_ru.ogg").json()
    drain()
    call = api.get(f"/api/calls/{created['id']}").json()
    assert call["status"] == "scored", call["failure_reason"]
    assert call["transcript"]["language"] == "ru"
    assert call["transcript"]["model"] == "base"


def test_transcript_exports(api: Any) -> None:
    created = upload(api, SAMPLES / "outbound_en_followed.ogg").json()
    drain()
    call_id = created["id"]

    text = api.get(f"/api/calls/{call_id}/transcript", params={"format": "txt"})
    assert text.headers["content-type"].startswith("text/plain")
    lines = text.text.strip().splitlines()
    assert lines[0].startswith("[0:00] Agent: Good morning")
    assert lines[1].startswith("[0:0") and "Customer:" in lines[1]

    vtt = api.get(f"/api/calls/{call_id}/transcript", params={"format": "vtt"})
    assert vtt.text.startswith("WEBVTT\n\n00:00:00.")
    assert "<v Agent>" in vtt.text and "<v Customer>" in vtt.text

    as_json = api.get(f"/api/calls/{call_id}/transcript", params={"format": "json"}).json()
    assert as_json["segments"] == api.get(f"/api/calls/{call_id}").json()["transcript"]["segments"]

    assert api.get(f"/api/calls/{call_id}/transcript", params={"format": "docx"}).status_code == 422


def test_transcript_of_a_call_still_in_the_pipeline_is_a_clear_error(api: Any) -> None:
    created = upload(api, SAMPLES / "outbound_en_followed.ogg").json()
    response = api.get(f"/api/calls/{created['id']}/transcript")
    assert response.status_code == 409  # a valid request, too early: not invalid input
    assert "no transcript yet (status: received)" in response.json()["detail"]


def test_failed_call_is_retried_through_the_api(api: Any, db: Any) -> None:
    from qc.calls.models import Call
    from qc.kit.storage import get_storage

    created = upload(api, SAMPLES / "outbound_en_pushy.mp3", channels="agent-right").json()
    path = get_storage().path(db.get(Call, created["id"]).storage_key)  # type: ignore[attr-defined]
    original = path.read_bytes()
    path.write_bytes(b"not audio any more")
    drain()
    failed = api.get(f"/api/calls/{created['id']}").json()
    assert failed["status"] == "failed"
    assert "could not be decoded" in failed["failure_reason"]

    path.write_bytes(original)  # the operator restored the file
    retried = api.post(f"/api/calls/{created['id']}/retry")
    assert retried.status_code == 200
    assert retried.json()["status"] == "received"
    drain()
    assert api.get(f"/api/calls/{created['id']}").json()["status"] == "scored"


def test_retrying_a_call_that_did_not_fail_is_a_conflict(api: Any) -> None:
    created = upload(api, SAMPLES / "outbound_en_followed.ogg").json()
    response = api.post(f"/api/calls/{created['id']}/retry")
    assert response.status_code == 409
    assert "Only failed calls can be retried" in response.json()["detail"]
