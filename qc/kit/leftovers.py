"""Temporary files that processes left behind, removed at start-up and every hour.

Three kinds. The folders of processes that have ended (`qc.kit.scratch`) go whatever
their age: a lock that can be taken proves the owner is gone. Loose files in the tmp
folder (written there by earlier versions, or by code that has no folder of its own) and
local storage's drafts carry no such mark, so they go once untouched for
QC_STALE_TEMP_AFTER_S: far longer than an upload, its decoding (QC_AUDIO_CHECK_TIMEOUT_S)
or a copy into storage may take, so a file still in use is never among them.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from qc.config import Settings
from qc.kit import scratch
from qc.kit.storage import DRAFTS_FOLDER, LocalStorage, Storage

log = logging.getLogger(__name__)


def sweep_leftovers(settings: Settings, storage: Storage) -> list[Path]:
    """Remove every kind of leftover; the paths removed."""
    return scratch.sweep(settings.tmp_dir) + sweep_stale_files(settings, storage)


def sweep_stale_files(settings: Settings, storage: Storage) -> list[Path]:
    """Remove loose temporary files and storage drafts untouched for QC_STALE_TEMP_AFTER_S."""
    folders = [settings.tmp_dir]
    if isinstance(storage, LocalStorage):
        folders.append(storage.root / DRAFTS_FOLDER)
    cutoff = time.time() - settings.stale_temp_after_s
    removed = [path for folder in folders for path in _files_older_than(folder, cutoff)]
    for path in removed:
        path.unlink(missing_ok=True)
    if removed:
        log.info("removed %d stale temporary file(s): %s", len(removed), ", ".join(p.name for p in removed))
    return removed


def _files_older_than(folder: Path, cutoff: float) -> list[Path]:
    """Files (not folders: those are scratch's) directly in `folder` last changed before `cutoff`."""
    if not folder.is_dir():
        return []
    stale = []
    for entry in folder.iterdir():
        try:
            stat = entry.lstat()
        except FileNotFoundError:
            continue  # removed meanwhile by its owner
        if not entry.is_dir() and stat.st_mtime < cutoff:
            stale.append(entry)
    return stale
