"""Stream an incoming file to a temporary file on disk, hashing as it goes.

The file lives in this process's own temporary folder (`qc.kit.scratch`), so a process
killed half-way through an upload leaves it where the next sweep removes it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from qc.errors import InvalidInput, PayloadTooLarge
from qc.kit import scratch

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class SpooledFile:
    path: Path
    sha256: str
    size: int


@contextmanager
def spool(source: BinaryIO, *, tmp_dir: Path, max_bytes: int, suffix: str = "") -> Iterator[SpooledFile]:
    """Copy `source` to a temp file (deleted afterwards); refuse more than `max_bytes`."""
    fd, name = tempfile.mkstemp(dir=scratch.own_dir(tmp_dir), prefix="incoming-", suffix=suffix)
    path = Path(name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    limit = max_bytes // (1024 * 1024)
                    raise PayloadTooLarge(f"The file is larger than the {limit} MB limit (QC_MAX_UPLOAD_MB)")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("The file is empty (0 bytes)", field="file")
        yield SpooledFile(path=path, sha256=digest.hexdigest(), size=size)
    finally:
        path.unlink(missing_ok=True)
