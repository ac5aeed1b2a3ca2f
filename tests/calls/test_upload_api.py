"""POST /api/calls: accepted formats, duplicates, every refused input, permissions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from qc.calls.models import Call
from qc.config import get_settings
from qc.kit import scratch
from tests.audio_helpers import empty_wav, encode, tone, transcode
from tests.factories import SAMPLES, api_token, bearer

FIELDS = {
    "rep": "rep@example.test",
    "started_at": "2026-11-22T09:30:00+02:00",
    "direction": "outbound",
    "channels": "agent-left",
}


def upload(client: Any, path: Path, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    data = {**FIELDS, **{k: v for k, v in fields.items() if v is not None}}
    for key in [k for k, v in fields.items() if v is None]:
        data.pop(key, None)
    with path.open("rb") as handle:
        return client.post(
            "/api/calls", files={"file": (path.name, handle)}, data=data, headers=headers or {}
        )


def stored_files() -> list[Path]:
    root = Path(get_settings().storage_dsn.removeprefix("file://"))
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def leftover_temp_files() -> list[Path]:
    return scratch.files(get_settings().tmp_dir)


def call_count(db: Any) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(Call)))


@pytest.fixture
def token(db: Any, org: Any) -> str:
    value = api_token(db, org.admin)
    db.commit()
    return value


@pytest.fixture
def api(browser: Any, token: str) -> Any:
    browser.headers.update(bearer(token))
    return browser


# Accepted -----------------------------------------------------------------------------


def test_upload_creates_call_in_received_state(api: Any, db: Any, org: Any) -> None:
    response = upload(
        api, SAMPLES / "outbound_en_followed.ogg", external_id="pbx-1", metadata='{"campaign": "autumn"}'
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "received"
    assert body["rep"]["email"] == "rep@example.test"
    assert body["team"] == "Alpha"
    assert body["started_at"] == "2026-11-22T07:30:00Z"
    assert body["metadata"] == {"campaign": "autumn"}
    assert body["external_id"] == "pbx-1"
    assert body["duration_s"] == pytest.approx(41.2, abs=0.3)
    assert "transcript" not in body  # the upload answers with the call; GET adds the transcript
    assert len(stored_files()) == 1
    assert leftover_temp_files() == []


def test_rep_can_be_named_by_external_id(api: Any) -> None:
    response = upload(api, SAMPLES / "outbound_en_followed.ogg", rep="crm-rex")
    assert response.status_code == 201, response.text
    assert response.json()["rep"]["external_id"] == "crm-rex"


@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".ogg", ".flac", ".m4a"])
def test_every_common_format_is_accepted(api: Any, tmp_path: Path, suffix: str) -> None:
    path = transcode(SAMPLES / "outbound_en_pushy.mp3", tmp_path / f"call{suffix}")
    response = upload(api, path, channels="agent-right")
    assert response.status_code == 201, response.text
    assert response.json()["duration_s"] == pytest.approx(24.0, abs=0.5)


def test_duplicate_upload_returns_existing_call(api: Any, db: Any) -> None:
    first = upload(api, SAMPLES / "outbound_en_followed.ogg")
    second = upload(api, SAMPLES / "outbound_en_followed.ogg", started_at="2026-11-23T10:00:00Z")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["started_at"] == first.json()["started_at"]
    assert call_count(db) == 1
    assert len(stored_files()) == 1


def test_duplicate_of_a_call_you_cannot_see_is_a_conflict(browser_factory: Any, db: Any, org: Any) -> None:
    alpha = browser_factory().login_as(org.manager)
    bravo = browser_factory().login_as(org.outsider_manager)
    assert upload(alpha, SAMPLES / "outbound_en_followed.ogg").status_code == 201

    response = upload(bravo, SAMPLES / "outbound_en_followed.ogg", rep="other@example.test")

    assert response.status_code == 409
    assert "already uploaded" in response.json()["detail"]
    assert "id" not in response.json()


def test_upload_enqueues_the_call_for_transcription(api: Any) -> None:
    from qc.jobs.queue import Lane, pending

    upload(api, SAMPLES / "outbound_en_followed.ogg")

    assert pending(Lane.PIPELINE) == 1


# Refused, with nothing stored --------------------------------------------------------------


def assert_refused(response: Any, status: int, words: str, db: Any) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert words.lower() in detail.lower(), detail
    assert call_count(db) == 0
    assert stored_files() == []
    assert leftover_temp_files() == []


def test_text_file_is_not_audio(api: Any, db: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("these are meeting notes, not a recording\n" * 50)
    assert_refused(upload(api, path), 415, "not audio", db)


def test_corrupt_recording_is_refused(api: Any, db: Any, tmp_path: Path) -> None:
    data = bytearray((SAMPLES / "outbound_en_pushy.mp3").read_bytes())
    data[20_000:60_000] = os.urandom(40_000)
    path = tmp_path / "broken.mp3"
    path.write_bytes(bytes(data))
    assert_refused(upload(api, path, channels="agent-right"), 422, "damaged", db)


def test_truncated_recording_is_refused(api: Any, db: Any, tmp_path: Path) -> None:
    source = encode(tmp_path / "full.flac", tone(20, channels=2))
    path = tmp_path / "cut.flac"
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    response = upload(api, path)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("The file is cut short: it ends in the middle of a block")
    assert call_count(db) == 0
    assert stored_files() == []


def test_zero_byte_file_is_refused(api: Any, db: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert_refused(upload(api, path), 422, "empty", db)


def test_recording_without_samples_is_refused(api: Any, db: Any, tmp_path: Path) -> None:
    path = empty_wav(tmp_path / "nothing.wav")
    assert_refused(upload(api, path), 422, "empty", db)


def test_silent_recording_is_refused(api: Any, db: Any, tmp_path: Path) -> None:
    path = encode(tmp_path / "silence.wav", np.zeros((2, 16000 * 5), dtype=np.float32))
    assert_refused(upload(api, path), 422, "only silence", db)


def test_too_long_recording_is_refused(api: Any, db: Any, configure: Any) -> None:
    configure(max_call_duration_s=30)
    assert_refused(upload(api, SAMPLES / "outbound_en_followed.ogg"), 422, "too long", db)


def test_too_large_upload_is_refused(api: Any, db: Any, configure: Any, tmp_path: Path) -> None:
    configure(max_upload_mb=1)
    path = encode(tmp_path / "big.wav", tone(40, channels=2))  # 2.5 MB of PCM
    assert_refused(upload(api, path), 413, "larger than the 1 MB limit", db)


def test_stereo_declared_but_mono_given_is_refused(api: Any, db: Any) -> None:
    assert_refused(upload(api, SAMPLES / "inbound_en_mono.flac"), 422, "file is mono", db)


def test_stereo_with_identical_channels_is_accepted(api: Any, tmp_path: Path) -> None:
    # A mono recording saved as stereo: transcription finds it out (tests/calls/test_end_to_end.py).
    mono = tone(3)[0]
    path = encode(tmp_path / "dual.wav", np.stack([mono, mono]))
    response = upload(api, path)
    assert response.status_code == 201, response.text
    assert response.json()["channels"] == "agent-left"


def test_mono_declared_for_stereo_file_is_accepted_as_mixed(api: Any) -> None:
    response = upload(api, SAMPLES / "outbound_en_followed.ogg", channels="mono")
    assert response.status_code == 201
    assert response.json()["channels"] == "mono"


def test_unknown_rep_is_refused(api: Any, db: Any) -> None:
    assert_refused(
        upload(api, SAMPLES / "outbound_en_followed.ogg", rep="nobody@example.test"), 422, "unknown rep", db
    )


def test_non_rep_is_not_a_rep(api: Any, db: Any) -> None:
    assert_refused(
        upload(api, SAMPLES / "outbound_en_followed.ogg", rep="reviewer@example.test"), 422, "unknown rep", db
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("started_at", "yesterday", "ISO 8601"),
        ("started_at", "2026-11-22T09:30:00", "UTC offset"),
        ("direction", "sideways", "inbound or outbound"),
        ("channels", "quad", "agent-left, agent-right or mono"),
        ("language", "english", "ISO 639-1"),
        ("metadata", "[1, 2]", "JSON object"),
        ("metadata", "{not json", "JSON object"),
    ],
)
def test_invalid_fields_are_refused(api: Any, db: Any, field: str, value: str, words: str) -> None:
    assert_refused(upload(api, SAMPLES / "outbound_en_followed.ogg", **{field: value}), 422, words, db)


@pytest.mark.parametrize("field", ["rep", "started_at", "direction", "channels"])
def test_missing_required_field_is_refused(api: Any, db: Any, field: str) -> None:
    response = upload(api, SAMPLES / "outbound_en_followed.ogg", **{field: None})
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert call_count(db) == 0


def test_external_id_used_by_another_call_is_a_conflict(api: Any, db: Any) -> None:
    assert upload(api, SAMPLES / "outbound_en_followed.ogg", external_id="pbx-9").status_code == 201
    response = upload(api, SAMPLES / "outbound_en_pushy.mp3", external_id="pbx-9", channels="agent-right")
    assert response.status_code == 409
    assert call_count(db) == 1
    assert len(stored_files()) == 1


# Who may upload --------------------------------------------------------------------------------


def test_upload_without_credentials_is_unauthorized(browser: Any, db: Any, org: Any) -> None:
    response = upload(browser, SAMPLES / "outbound_en_followed.ogg")
    assert response.status_code == 401
    assert call_count(db) == 0


def test_revoked_token_is_unauthorized(browser: Any, db: Any, org: Any) -> None:
    from qc.users import service

    value = api_token(db, org.admin, name="old")
    token_id = service.list_api_tokens(db, user=org.admin)[0].id
    service.revoke_api_token(db, user=org.admin, token_id=token_id)
    db.commit()
    response = upload(browser, SAMPLES / "outbound_en_followed.ogg", headers=bearer(value))
    assert response.status_code == 401


def test_rep_cannot_upload(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.rep)
    response = upload(browser, SAMPLES / "outbound_en_followed.ogg")
    assert response.status_code == 403
    assert call_count(db) == 0


def test_reviewer_cannot_upload(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.reviewer)
    assert upload(browser, SAMPLES / "outbound_en_followed.ogg").status_code == 403


def test_manager_uploads_for_own_team_only(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.manager)
    assert upload(browser, SAMPLES / "outbound_en_followed.ogg").status_code == 201
    outsider = upload(
        browser, SAMPLES / "outbound_en_pushy.mp3", rep="other@example.test", channels="agent-right"
    )
    assert outsider.status_code == 403
    assert call_count(db) == 1


def test_browser_upload_needs_the_csrf_header(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.manager)
    with (SAMPLES / "outbound_en_followed.ogg").open("rb") as handle:
        response = browser.post(
            "/api/calls", files={"file": ("a.ogg", handle)}, data=FIELDS, headers={"X-CSRFToken": "forged"}
        )
    assert response.status_code == 403
    assert call_count(db) == 0


# Found in review -----------------------------------------------------------------------------


def test_who_may_not_upload_is_refused_before_the_file_is_read(
    browser: Any, db: Any, org: Any, tmp_path: Path
) -> None:
    browser.login_as(org.reviewer)
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    response = upload(browser, path)
    assert response.status_code == 403  # not 415: the file was never examined
    assert leftover_temp_files() == []


def test_language_unknown_to_the_model_is_refused(api: Any, db: Any) -> None:
    assert_refused(
        upload(api, SAMPLES / "outbound_en_followed.ogg", language="zz"), 422, "not a language code", db
    )


def test_vbr_mp3_without_a_header_is_measured_not_guessed(api: Any, tmp_path: Path) -> None:
    from tests.audio_helpers import vbr_mp3_without_header

    path = vbr_mp3_without_header(tmp_path / "recorder.mp3")  # FFmpeg guesses ~74 s
    response = upload(api, path, channels="mono")
    assert response.status_code == 201, response.text
    assert response.json()["duration_s"] == pytest.approx(40, abs=0.5)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("started_at", "0001-01-01T00:30:00+02:00", "ISO 8601"),
        ("started_at", "9999-12-31T23:30:00-02:00", "ISO 8601"),
        ("started_at", "1970-01-01T00:00:00Z", "between 1990 and 2200"),
        ("metadata", "[" * 100_000 + "]" * 100_000, "JSON object"),
        ("metadata", '{"score": NaN}', "JSON object"),
        ("external_id", "x" * 201, "longer than 200"),
    ],
)
def test_out_of_range_values_are_refused_not_crashed_on(
    api: Any, db: Any, field: str, value: str, words: str
) -> None:
    assert_refused(upload(api, SAMPLES / "outbound_en_followed.ogg", **{field: value}), 422, words, db)


def test_streamed_upload_over_the_limit_is_refused(configure: Any, db: Any, org: Any) -> None:
    from fastapi.testclient import TestClient

    from qc.app import create_app

    configure(max_upload_mb=1)
    token = api_token(db, org.admin)
    db.commit()

    def body() -> Any:  # no Content-Length: the size is only known as it arrives
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        for _ in range(4):
            yield b"\0" * 1024 * 1024
        yield b"\r\n--b--\r\n"

    with TestClient(create_app(run_worker=False)) as client:
        response = client.post(
            "/api/calls",
            content=body(),
            headers={**bearer(token), "Content-Type": "multipart/form-data; boundary=b"},
        )
    assert response.status_code == 413
    assert "1 MB limit" in response.json()["detail"]
    assert call_count(db) == 0


def test_failure_after_storing_removes_the_stored_copy(
    app: Any, token: str, db: Any, monkeypatch: Any
) -> None:
    from fastapi.testclient import TestClient

    from qc.calls import pipeline

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("queue exploded")

    monkeypatch.setattr(pipeline, "schedule", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = upload(client, SAMPLES / "outbound_en_followed.ogg", headers=bearer(token))
    assert response.status_code == 500
    assert call_count(db) == 0
    assert stored_files() == [], "no recording is left without its call"


def test_rep_reference_prefers_the_email_over_someone_elses_external_id(db: Any, org: Any) -> None:
    from qc.errors import Conflict
    from qc.users import service

    service.create_user(
        db, email="alice@example.test", name="Alice", role="rep", team="Alpha", external_id="bob@example.test"
    )
    with pytest.raises(Conflict):  # an email that is already someone's external id
        service.create_user(db, email="bob@example.test", name="Bob", role="rep", team="Bravo")
    service.create_user(db, email="new@example.test", name="New", role="rep", team="Bravo")
    with pytest.raises(Conflict):  # an external id that is already someone's email
        service.create_user(
            db, email="n2@example.test", name="N2", role="rep", team="Bravo", external_id="new@example.test"
        )
