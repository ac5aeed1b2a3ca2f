"""The file name a client sends is stored as a safe base name (API, page upload, bulk import)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from qc.calls.models import Call
from tests.audio_helpers import encode, tone
from tests.calls.test_upload_api import FIELDS, stored_files
from tests.factories import api_token, bearer

BOUNDARY = "qc-test-boundary"


def multipart(filename: bytes, audio: bytes) -> bytes:
    """A form as a client may send it: the file name as raw bytes, unescaped."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in FIELDS.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + audio
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def recording(tmp_path: Path) -> bytes:
    return encode(tmp_path / "call.flac", tone(1.5, channels=2)).read_bytes()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("..\\..\\evil.flac", "evil.flac"),
        ("C:\\Users\\x\\call.flac", "call.flac"),
        ("../../../etc/cron.d/x.flac", "x.flac"),
        ("rec\x00ord.flac", "rec ord.flac"),
        ("invoice\u202ecalf.exe", "invoice calf.exe"),
        ("Înregistrare Ștefan.flac", "Înregistrare Ștefan.flac"),
        ("Звонок Иванова.flac", "Звонок Иванова.flac"),
        ("x" * 3000 + ".flac", "x" * 195 + ".flac"),
    ],
)
def test_uploaded_file_name_is_stored_as_a_safe_base_name(
    browser: Any, db: Any, org: Any, recording: bytes, sent: str, stored: str
) -> None:
    token = api_token(db, org.admin)
    db.commit()

    response = browser.post(
        "/api/calls",
        content=multipart(sent.encode(), recording),
        headers={**bearer(token), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["original_filename"] == stored
    db.rollback()
    assert db.scalars(select(Call.original_filename)).all() == [stored]
    [kept] = stored_files()
    assert kept.suffix in (".flac", "")
    assert kept.name != stored, "the stored object is named by the server, not the client"


def test_call_page_shows_the_safe_name(browser: Any, db: Any, org: Any, recording: bytes) -> None:
    browser.login_as(org.admin)
    token = api_token(db, org.admin)
    db.commit()
    response = browser.post(
        "/api/calls",
        content=multipart("..\\Звонок\u202e.flac".encode(), recording),
        headers={**bearer(token), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    call_id = response.json()["id"]

    page = BeautifulSoup(browser.get(f"/calls/{call_id}").text, "html.parser")

    file_row = next(dt for dt in page.find_all("dt") if dt.get_text() == "File").find_next_sibling("dd")
    assert file_row is not None
    assert file_row.get_text().startswith("Звонок .flac ")
    assert "\u202e" not in page.get_text()


def test_bulk_import_stores_safe_names_and_reports_printable_ones(
    db: Any, org: Any, recording: bytes, tmp_path: Path
) -> None:
    from qc.calls.bulk import import_manifest

    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "Ștefan\u202e\x1b[31m.flac").write_bytes(recording)
    manifest = tmp_path / "calls.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "rep", "started_at", "direction", "channels"])
        for name in ("Ștefan\u202e\x1b[31m.flac", "\x1b[2Jgone\x07.flac"):
            writer.writerow([name, "rep@example.test", "2026-11-20T09:00:00Z", "outbound", "agent-left"])

    report = import_manifest(folder, manifest)

    assert len(report.imported) == 1
    db.rollback()
    assert db.scalars(select(Call.original_filename)).all() == ["Ștefan [31m.flac"]
    assert report.rejected == [(3, "[2Jgone .flac", "file not found")]
