"""Kill a real `qc worker` process in the middle of a call; the next one finishes it, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from qc.calls import pipeline
from qc.calls.models import Call, CallStatus
from qc.db import session_scope
from qc.transcription.models import Transcript
from tests.factories import make_call

LEASE_SECONDS = 4


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QC_LEASE_SECONDS": str(LEASE_SECONDS), "QC_LOG_LEVEL": "INFO"}
    return subprocess.Popen(
        [sys.executable, "-m", "qc.cli", "worker", "--workers", "1"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def status_of(db: Any, call_id: int) -> CallStatus:
    db.rollback()
    return db.scalar(select(Call.status).where(Call.id == call_id))


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_killed_worker_is_replaced_and_the_call_ends_with_one_transcript(
    db: Any, org: Any, tmp_path: Path
) -> None:
    call = make_call(db, rep=org.rep, sample="outbound_en_followed.ogg")
    db.commit()
    with session_scope() as session:
        pipeline.schedule(session, session.get(Call, call.id))

    first = start_worker(tmp_path / "first.log")
    try:
        wait_for(lambda: status_of(db, call.id) is CallStatus.TRANSCRIBING, 60, "the first worker to start")
        first.send_signal(signal.SIGKILL)  # mid-transcription, no chance to clean up
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert status_of(db, call.id) is CallStatus.TRANSCRIBING
    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out

    second = start_worker(tmp_path / "second.log")
    try:
        wait_for(lambda: status_of(db, call.id) is CallStatus.SCORED, 90, "the second worker to finish")
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()

    db.rollback()
    assert db.scalar(select(func.count()).select_from(Transcript).where(Transcript.call_id == call.id)) == 1
    log = (tmp_path / "second.log").read_text()
    assert "transcription attempt 2" in log, log[-2000:]
