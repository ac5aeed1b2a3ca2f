"""A `qc serve` killed (SIGKILL) in the middle of an upload leaves nothing after the next start."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from fastapi.testclient import TestClient

from qc.app import create_app
from qc.config import get_settings
from qc.kit import scratch
from tests.audio_helpers import tone
from tests.calls.test_upload_api import FIELDS
from tests.factories import api_token, bearer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slow_to_check(path: Path, seconds: float = 30) -> Path:
    """A FLAC of tiny frames (16 samples at 8 kHz): quick to write, but the upload's
    frame-by-frame check takes a second or more, time enough to kill the server."""
    rate = 8000
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=rate, layout="stereo", options={"frame_size": "16"})
        frame = av.AudioFrame.from_ndarray(
            tone(seconds, channels=2, rate=rate), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=rate, frame_size=16)
        for part in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(part):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def serve(port: int, log: Path) -> subprocess.Popen[bytes]:
    # One web process: the process killed is the one receiving the upload.
    server = subprocess.Popen(
        [sys.executable, "-m", "qc.cli", "serve", "--no-worker", "--processes", "1", "--port", str(port)],
        env={**os.environ, "QC_LOG_LEVEL": "INFO"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    pytest.fail(f"qc serve did not start: {log.read_text()[-2000:]}")


def incoming(tmp_dir: Path) -> list[Path]:
    return [p for p in scratch.files(tmp_dir) if p.name.startswith("incoming-")]


def test_upload_interrupted_by_a_killed_server_leaves_no_file_after_restart(
    db: Any, org: Any, tmp_path: Path
) -> None:
    token = api_token(db, org.admin)
    db.commit()
    recording = slow_to_check(tmp_path / "call.flac").read_bytes()
    tmp_dir, port, log = get_settings().tmp_dir, free_port(), tmp_path / "serve.log"

    def post() -> None:
        with contextlib.suppress(httpx.TransportError):  # the server is killed under it
            httpx.post(
                f"http://127.0.0.1:{port}/api/calls",
                files={"file": ("call.flac", recording)},
                data=FIELDS,
                headers=bearer(token),
                timeout=60,
            )

    server = serve(port, log)
    try:
        client = threading.Thread(target=post)
        client.start()
        deadline = time.monotonic() + 30
        while not incoming(tmp_dir) and time.monotonic() < deadline and client.is_alive():
            time.sleep(0.002)
        assert incoming(tmp_dir), "the upload is written under QC_DATA_DIR/tmp while it is checked"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        client.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert incoming(tmp_dir), "a SIGKILL removes nothing: the half-checked upload is still there"

    # The next start (the same start-up a restarted `qc serve` runs, here in this process).
    with TestClient(create_app(get_settings(), run_worker=False)) as restarted:
        assert restarted.get("/healthz").status_code == 200
    assert incoming(tmp_dir) == [], "the next start swept the dead server's upload"
