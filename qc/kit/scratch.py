"""Temporary files that do not outlive their process, even one killed without warning.

Each process writes its temporary files in a folder of its own under the data dir's `tmp`
folder and holds an exclusive lock on a file inside it for as long as it lives. The kernel
drops the lock when the process ends, however it ends (SIGKILL, out of memory), so a
folder whose lock can be taken belongs to a process that is gone, and `sweep` removes it:
no clock, no process ids (which containers and other hosts would make meaningless).

A folder is created under a draft name, locked, then renamed, so a sweep never sees an
unlocked folder of a live process.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "proc-"
_DRAFT_PREFIX = ".proc-draft-"
_LOCK_FILE = ".lock"
# A draft older than this was left by a process that died while creating its folder.
_DRAFT_GRACE_S = 60.0


@dataclass(frozen=True)
class _Owned:
    folder: Path
    fd: int
    pid: int


_lock = threading.Lock()
_owned: dict[Path, _Owned] = {}


def own_dir(base: Path) -> Path:
    """This process's temporary folder under `base`, created and locked on first use (and
    again if something removed it)."""
    key = base.absolute()
    with _lock:
        owned = _owned.get(key)
        if owned is not None and owned.pid == os.getpid() and owned.folder.is_dir():
            return owned.folder
        if owned is not None and owned.pid == os.getpid():
            os.close(owned.fd)  # its folder was removed from under us: the lock guards nothing
        _owned[key] = _create(key)
        return _owned[key].folder


def _create(base: Path) -> _Owned:
    base.mkdir(parents=True, exist_ok=True)
    draft = Path(tempfile.mkdtemp(dir=base, prefix=_DRAFT_PREFIX))
    fd = os.open(draft / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    folder = base / f"{PREFIX}{uuid.uuid4().hex}"
    draft.rename(folder)
    return _Owned(folder, fd, os.getpid())


def sweep(base: Path) -> list[Path]:
    """Remove the folders under `base` of processes that have ended; the folders removed."""
    if not base.is_dir():
        return []
    removed: list[Path] = []
    for entry in base.iterdir():
        if _leftover(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    if removed:
        log.info("removed the temporary files of %d ended processes", len(removed))
    return removed


def _leftover(entry: Path) -> bool:
    if entry.name.startswith(PREFIX):
        return entry.is_dir() and _abandoned(entry)
    return entry.name.startswith(_DRAFT_PREFIX) and _older_than(entry, _DRAFT_GRACE_S)


def _abandoned(folder: Path) -> bool:
    """True when no live process holds `folder`'s lock (taking it proves the owner is gone)."""
    try:
        fd = os.open(folder / _LOCK_FILE, os.O_RDWR)
    except FileNotFoundError:
        return True  # never a live process's: the lock file exists before the folder's name
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops the lock we may have taken; the folder goes next
    return True


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False


def files(base: Path) -> list[Path]:
    """Every temporary file under `base`, in any process's folder (their locks aside)."""
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.is_file() and p.name != _LOCK_FILE)
