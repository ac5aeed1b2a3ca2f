"""Recording storage: a local folder and an S3-compatible bucket (moto's server on loopback)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qc.config import get_settings
from qc.kit import scratch
from qc.kit.storage import LocalStorage, S3Storage, Storage, build_storage, get_storage
from tests.factories import SAMPLES, api_token, bearer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(configure: Any, s3_endpoint: str) -> Iterator[S3Storage]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket="qc-audio")
    settings = configure(
        storage_url="s3://qc-audio/recordings",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    get_storage.cache_clear()
    storage = build_storage(settings)
    assert isinstance(storage, S3Storage)
    yield storage
    get_storage.cache_clear()
    for item in client.list_objects_v2(Bucket="qc-audio").get("Contents", []):
        client.delete_object(Bucket="qc-audio", Key=item["Key"])
    client.delete_bucket(Bucket="qc-audio")


@pytest.fixture
def local(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def exercise(storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(bytes(range(256)) * 10)
    key = "calls/2026/11/abc.wav"
    assert not storage.exists(key)
    storage.put_file(key, source)
    assert storage.exists(key)
    assert storage.size(key) == 2560
    assert b"".join(storage.iter_range(key, 10, 19)) == bytes(range(10, 20))
    with storage.local_copy(key) as path:
        assert path.read_bytes() == source.read_bytes()
    storage.delete(key)
    assert not storage.exists(key)


def test_local_storage_round_trip(local: LocalStorage, tmp_path: Path) -> None:
    exercise(local, tmp_path)


def test_s3_storage_round_trip(s3: S3Storage, tmp_path: Path) -> None:
    exercise(s3, tmp_path)
    assert s3.prefix == "recordings/"


@pytest.mark.parametrize("key", ["../escape.wav", "/etc/passwd", "calls/../../x", ""])
def test_keys_cannot_escape_the_store(local: LocalStorage, tmp_path: Path, key: str) -> None:
    source = tmp_path / "x"
    source.write_bytes(b"x")
    with pytest.raises(ValueError, match="invalid storage key"):
        local.put_file(key, source)


def test_upload_and_playback_through_s3(s3: S3Storage, browser: Any, db: Any, org: Any) -> None:
    from qc.calls.models import Call

    token = api_token(db, org.admin)
    db.commit()
    with (SAMPLES / "outbound_en_pushy.mp3").open("rb") as handle:
        created = browser.post(
            "/api/calls",
            headers=bearer(token),
            files={"file": ("pushy.mp3", handle)},
            data={
                "rep": "rep@example.test",
                "started_at": "2026-11-22T09:00:00Z",
                "direction": "outbound",
                "channels": "agent-right",
            },
        )
    assert created.status_code == 201, created.text
    key = db.get(Call, created.json()["id"]).storage_key
    assert s3.exists(key)
    assert not Path(get_settings().data_dir, "audio", key).exists()

    from qc.jobs.queue import drain

    drain()  # the worker reads the recording back from the bucket
    browser.login_as(org.rep)
    assert browser.get(f"/api/calls/{created.json()['id']}").json()["status"] == "scored"

    # What plays is the copy with personal data beeped out, stored in the bucket too.
    db.expire_all()
    masked = db.get(Call, created.json()["id"]).redacted_storage_key
    assert masked is not None and s3.exists(masked)
    assert not Path(get_settings().data_dir, "audio", masked).exists()
    part = browser.get(f"/calls/{created.json()['id']}/audio", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    with s3.local_copy(masked) as copy:
        assert part.content == copy.read_bytes()[:100]
    assert scratch.files(get_settings().tmp_dir) == [], "the local copy is removed"
