"""Where recordings live: a local folder (embedded) or an S3-compatible bucket.

Keys are relative paths such as `calls/ab/abcdef....wav`. Objects are written once
from a finished local file and never modified; only a deliberate delete removes one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from qc.config import Settings, get_settings
from qc.kit import scratch

CHUNK_SIZE = 1024 * 1024
# Local storage copies a file in here, then renames it into place: the same file system, so
# a reader never sees half a file, and one folder to sweep for drafts a killed process left.
DRAFTS_FOLDER = ".drafts"


class Storage(Protocol):
    def put_file(self, key: str, source: Path) -> None: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None: ...

    def local_copy(self, key: str) -> Any:
        """Context manager giving a local file path with the object's bytes."""
        ...

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes `start..end` inclusive, in chunks."""
        ...


def _safe_key(key: str) -> str:
    parts = Path(key).parts
    if not key or Path(key).is_absolute() or ".." in parts or parts[0] == DRAFTS_FOLDER:
        raise ValueError(f"invalid storage key: {key!r}")
    return key


@dataclass
class LocalStorage:
    root: Path

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def put_file(self, key: str, source: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        drafts = self.root / DRAFTS_FOLDER
        drafts.mkdir(exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=drafts, prefix="upload-")
        os.close(fd)
        try:
            shutil.copyfile(source, draft)
            os.replace(draft, target)
        except BaseException:
            Path(draft).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        return self._path(key)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(f"recording {key} is missing from storage")
        yield path

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with self._path(key).open("rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk


@dataclass
class S3Storage:
    bucket: str
    prefix: str
    client: Any
    tmp_dir: Path

    def _key(self, key: str) -> str:
        return f"{self.prefix}{_safe_key(key)}"

    def put_file(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def size(self, key: str) -> int:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(key) from exc
            raise
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        suffix = Path(key).suffix
        fd, name = tempfile.mkstemp(dir=scratch.own_dir(self.tmp_dir), prefix="s3-", suffix=suffix)
        os.close(fd)
        try:
            self.client.download_file(self.bucket, self._key(key), name)
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        response = self.client.get_object(
            Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end}"
        )
        body = response["Body"]
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        finally:
            body.close()


def build_storage(settings: Settings) -> Storage:
    url = urlparse(settings.storage_dsn)
    if url.scheme == "file":
        root = Path(url.path)
        root.mkdir(parents=True, exist_ok=True)
        return LocalStorage(root)
    if url.scheme == "s3":
        import boto3

        secret = settings.s3_secret_access_key
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
        )
        prefix = url.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return S3Storage(url.netloc, prefix, client, settings.tmp_dir)
    raise ValueError(f"QC_STORAGE_URL must start with file:// or s3://, got {url.scheme!r}")


@lru_cache
def get_storage() -> Storage:
    return build_storage(get_settings())
