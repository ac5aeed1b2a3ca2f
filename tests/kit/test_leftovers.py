"""Temporary files left behind are swept at start-up and every hour; files in use are kept."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from qc.config import get_settings
from qc.kit import leftovers, scratch
from qc.kit.storage import DRAFTS_FOLDER, LocalStorage, get_storage

HOUR = 3600


def aged(path: Path, seconds: float, content: bytes = b"RIFF") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_stale_temporary_files_go_and_recent_or_live_ones_stay() -> None:
    settings, storage = get_settings(), get_storage()
    assert isinstance(storage, LocalStorage)
    old_upload = aged(settings.tmp_dir / "incoming-abc.wav", 2 * HOUR)  # before per-process folders
    old_draft = aged(storage.root / DRAFTS_FOLDER / "upload-xyz", 2 * HOUR)
    recent = aged(settings.tmp_dir / "redact-123.wav", 60)  # may still be written
    mine = aged(scratch.own_dir(settings.tmp_dir) / "incoming-live.wav", 5 * HOUR)  # a live process's

    removed = leftovers.sweep_leftovers(settings, storage)

    assert sorted(removed) == sorted([old_upload, old_draft])
    assert not old_upload.exists() and not old_draft.exists()
    assert recent.exists() and mine.exists()


def test_the_age_is_a_setting(configure: Any) -> None:
    settings = configure(stale_temp_after_s=600)
    ten_minutes_old = aged(settings.tmp_dir / "peaks-1.json", 700)

    assert leftovers.sweep_stale_files(settings, get_storage()) == [ten_minutes_old]


def test_the_web_app_sweeps_at_start_without_a_worker() -> None:
    from qc.app import create_app

    settings = get_settings()
    left = aged(settings.tmp_dir / "incoming-left.mp3", 2 * HOUR)

    with TestClient(create_app(settings, run_worker=False)) as client:
        assert client.get("/healthz").status_code == 200

    assert not left.exists()


def test_storage_writes_its_drafts_where_they_are_swept(tmp_path: Path, monkeypatch: Any) -> None:
    storage = LocalStorage(tmp_path / "audio")
    source = tmp_path / "call.wav"
    source.write_bytes(b"RIFF" * 10)
    drafts_while_copying: list[Path] = []
    rename = os.replace

    def spy(src: Any, dst: Any) -> None:
        drafts_while_copying.extend((storage.root / DRAFTS_FOLDER).iterdir())
        rename(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    storage.put_file("calls/2026/11/a.wav", source)

    assert len(drafts_while_copying) == 1
    assert (storage.root / "calls/2026/11/a.wav").read_bytes() == b"RIFF" * 10
    assert list((storage.root / DRAFTS_FOLDER).iterdir()) == []
