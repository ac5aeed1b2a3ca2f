"""Damaged recordings are refused with a reason and leave nothing behind.

Each accepted format is made intact at test time (2 s of a two-tone stereo signal),
then damaged the ways recordings get damaged: cut short (a recorder or an upload that
stopped), random bytes in the middle (a bad disk or transfer) and a header that claims
more audio than the file holds. The intact file is accepted, so each case can fail
both ways.
"""

from __future__ import annotations

import csv
import re
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.audio_helpers import encode, tone
from tests.calls.test_upload_api import call_count, leftover_temp_files, stored_files, upload
from tests.factories import api_token, bearer

SECONDS = 2.0
# suffix -> the codec PyAV writes it with
FORMATS = {
    "mp3": ("call.mp3", "libmp3lame"),
    "ogg-vorbis": ("call.ogg", "vorbis"),
    "opus": ("call.opus", "libopus"),
    "flac": ("call.flac", "flac"),
    "wav": ("call.wav", "pcm_s16le"),
    "m4a-aac": ("call.m4a", "aac"),
}


def cut_short(data: bytes) -> bytes:
    return data[: len(data) * 6 // 10]


def noise_in_the_middle(data: bytes) -> bytes:
    damaged = bytearray(data)
    start, length = len(data) * 45 // 100, len(data) // 10
    damaged[start : start + length] = np.random.default_rng(11).bytes(length)
    return bytes(damaged)


def header_claims_ten_times_more(data: bytes) -> bytes:
    """The file's own length field (FLAC's sample count, the MP3 Xing/Info frame count,
    WAV's data size) multiplied by ten: a header that lies about the audio it announces."""
    damaged = bytearray(data)
    if data.startswith(b"RIFF"):
        size_at = data.find(b"data") + 4
        size = struct.unpack("<I", data[size_at : size_at + 4])[0]
        damaged[size_at : size_at + 4] = struct.pack("<I", size * 10)
        return bytes(damaged)
    if data.startswith(b"fLaC"):  # STREAMINFO: 36-bit total samples at bytes 13..17
        field = slice(8 + 13, 8 + 18)  # after 'fLaC' and the 4-byte block header
        packed = int.from_bytes(data[field], "big")
        total = packed & 0xF_FFFF_FFFF
        damaged[field] = (packed - total + total * 10).to_bytes(5, "big")
        return bytes(damaged)
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    assert tag > 0 and data[tag + 7] & 0x01, "a Xing/Info frame with a frame count"
    frames = struct.unpack(">I", data[tag + 8 : tag + 12])[0]
    damaged[tag + 8 : tag + 12] = struct.pack(">I", frames * 10)
    return bytes(damaged)


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "cut-short": cut_short,
    "noise-in-the-middle": noise_in_the_middle,
    "header-lies": header_claims_ten_times_more,
}
# Every damage the format can show. Noise inside PCM WAV is just other samples (nothing
# in the format can tell it from sound); an Ogg file states no length in a header (its
# pages are checked one by one instead), and an M4A's is checked against its own index.
CASES = [
    (fmt, damage)
    for fmt in FORMATS
    for damage in DAMAGES
    if not (damage == "noise-in-the-middle" and fmt == "wav")
    and not (damage == "header-lies" and fmt in ("ogg-vorbis", "opus", "m4a-aac"))
]
# What the refusal says for each damage.
SAYS = {
    "cut-short": r"\bcut short\b",
    "noise-in-the-middle": r"^The recording is (damaged|incomplete: .* cut short or damaged)",
    "header-lies": r"its header declares (20\.\d s|.*\(20\.0 s\)) of audio "
    r"but (only 2\.0 s|it holds .*\(2\.0 s\))",
}
NEXT_STEP = r"(upload the complete recording|upload an intact copy of the recording)\.$"


@pytest.fixture(scope="module")
def intact(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("intact")
    return {
        fmt: encode(folder / name, tone(SECONDS, channels=2), codec=codec)
        for fmt, (name, codec) in FORMATS.items()
    }


@pytest.fixture
def api(browser: Any, db: Any, org: Any) -> Any:
    token = api_token(db, org.admin)
    db.commit()
    browser.headers.update(bearer(token))
    return browser


def assert_nothing_stored(db: Any) -> None:
    assert call_count(db) == 0
    assert stored_files() == []
    assert leftover_temp_files() == []


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_intact_recording_of_each_format_is_accepted(api: Any, intact: dict[str, Path], fmt: str) -> None:
    response = upload(api, intact[fmt])

    assert response.status_code == 201, response.text
    assert response.json()["duration_s"] == pytest.approx(SECONDS, abs=0.1)


@pytest.mark.parametrize(("fmt", "damage"), CASES)
def test_damaged_recording_is_refused_with_the_reason_and_nothing_stored(
    api: Any, db: Any, intact: dict[str, Path], tmp_path: Path, fmt: str, damage: str
) -> None:
    path = tmp_path / intact[fmt].name
    path.write_bytes(DAMAGES[damage](intact[fmt].read_bytes()))

    response = upload(api, path)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "audio_error"
    assert re.search(SAYS[damage], body["detail"]), body["detail"]
    assert re.search(NEXT_STEP, body["detail"], re.IGNORECASE), "the message says what to do next"
    assert_nothing_stored(db)


def wav_claiming_4_gb(path: Path) -> Path:
    """64 KB of 16 kHz stereo PCM (1 s) under a header whose data chunk claims ~4 GB."""
    pcm = (tone(1.0, channels=2).T * 32767).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(pcm)
    data = bytearray(path.read_bytes())
    assert data[36:40] == b"data" and len(data) == 44 + 64000
    data[4:8] = struct.pack("<I", 0xFFFF_FF24)
    data[40:44] = struct.pack("<I", 0xFFFF_FF00)
    path.write_bytes(bytes(data))
    return path


def test_wav_whose_header_claims_4_gb_but_holds_64_kb_is_refused(api: Any, db: Any, tmp_path: Path) -> None:
    response = upload(api, wav_claiming_4_gb(tmp_path / "call.wav"))

    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(
        "The file is cut short: its header declares 4.0 GB (18 h 38 min) of audio but it holds 62 KB (1.0 s)."
    )
    assert_nothing_stored(db)


def test_ogg_without_its_end_of_stream_mark_is_refused(
    api: Any, db: Any, intact: dict[str, Path], tmp_path: Path
) -> None:
    """A recorder killed between two pages leaves whole pages but no end mark."""
    data = intact["opus"].read_bytes()
    last_page = data.rfind(b"OggS")
    path = tmp_path / "call.opus"
    path.write_bytes(data[:last_page])

    response = upload(api, path)

    assert response.status_code == 422, response.text
    assert "without the end-of-stream mark" in response.json()["detail"]
    assert_nothing_stored(db)


def test_file_that_is_no_recording_at_all_is_unsupported_not_damaged(
    api: Any, db: Any, tmp_path: Path
) -> None:
    path = tmp_path / "call.mp3"
    path.write_bytes(np.random.default_rng(5).bytes(20_000).replace(b"\xff", b"\x00"))

    response = upload(api, path)

    assert response.status_code == 415, response.text
    assert "not audio we can read" in response.json()["detail"]
    assert_nothing_stored(db)


def test_bulk_import_refuses_a_damaged_recording_and_imports_the_rest(
    db: Any, org: Any, intact: dict[str, Path], tmp_path: Path
) -> None:
    from qc.calls.bulk import import_manifest

    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "good.flac").write_bytes(intact["flac"].read_bytes())
    (folder / "cut.mp3").write_bytes(cut_short(intact["mp3"].read_bytes()))
    manifest = tmp_path / "calls.csv"
    with manifest.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "rep", "started_at", "direction", "channels"])
        for name in ("good.flac", "cut.mp3"):
            writer.writerow([name, "rep@example.test", "2026-11-20T09:00:00Z", "outbound", "agent-left"])

    report = import_manifest(folder, manifest)

    assert len(report.imported) == 1
    [(line, name, reason)] = report.rejected
    assert (line, name) == (3, "cut.mp3")
    assert "cut short" in reason
    assert call_count(db) == 1
    assert len(stored_files()) == 1
    assert leftover_temp_files() == []


def test_decoding_past_the_time_limit_is_refused(api: Any, db: Any, configure: Any, tmp_path: Path) -> None:
    configure(audio_check_timeout_s=0.000001)
    path = encode(tmp_path / "call.wav", tone(SECONDS, channels=2))

    response = upload(api, path)

    assert response.status_code == 422, response.text
    assert "QC_AUDIO_CHECK_TIMEOUT_S" in response.json()["detail"]
    assert_nothing_stored(db)
