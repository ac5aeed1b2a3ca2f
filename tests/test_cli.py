"""The `qc` command, run as a user would run it (a separate process)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qc.calls.models import Call
from qc.users.models import Role, Team, User
from tests.factories import SAMPLES, bearer


def qc(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "qc.cli", *args], capture_output=True, text=True, env=os.environ, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["worker"],
        ["migrate"],
        ["ingest"],
        ["team", "create"],
        ["user", "create"],
        ["token", "create"],
        ["demo"],
        ["queue", "build"],
        ["queue", "status"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = qc(*command, "--help")
    assert "Usage:" in result.stdout
    assert len(result.stdout.splitlines()) > 5


def test_migrate_reports_the_revision() -> None:
    from alembic.script import ScriptDirectory

    from qc.migrations import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"Database is at revision {head}." in qc("migrate").stdout


def test_team_user_and_token_create(db: Any, browser: Any) -> None:
    qc("team", "create", "Delta", "--language", "it")
    qc(
        "user",
        "create",
        "--email",
        "boss@example.test",
        "--name",
        "Bea Boss",
        "--role",
        "manager",
        "--manages",
        "Delta",
        "--password",
        "long-enough-password",
    )
    qc(
        "user",
        "create",
        "--email",
        "rita@example.test",
        "--name",
        "Rita Rep",
        "--role",
        "rep",
        "--team",
        "Delta",
    )
    created = qc("token", "create", "--user", "boss@example.test", "--name", "pbx")

    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("qc_")
    assert browser.get("/api/me", headers=bearer(token)).json()["email"] == "boss@example.test"
    db.rollback()
    assert db.scalar(select(Team.language).where(Team.name == "Delta")) == "it"
    rita = db.scalar(select(User).where(User.email == "rita@example.test"))
    assert rita.role is Role.REP


def test_cli_errors_are_one_clear_line(db: Any) -> None:
    result = qc("user", "create", "--email", "x@example.test", "--name", "X", "--role", "rep", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: A rep must belong to a team"
    bad_settings = subprocess.run(
        [sys.executable, "-m", "qc.cli", "migrate"],
        capture_output=True,
        text=True,
        env={**os.environ, "QC_LEASE_SECONDS": "zero"},
        timeout=60,
    )
    assert bad_settings.returncode == 2
    assert "Invalid settings: QC_LEASE_SECONDS" in bad_settings.stderr


def write_manifest(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[
                "file",
                "rep",
                "started_at",
                "direction",
                "channels",
                "language",
                "external_id",
                "campaign",
            ],
        )
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_ingest_imports_a_folder_and_reports_each_outcome(db: Any, org: Any, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name in ("outbound_en_followed.ogg", "outbound_en_pushy.mp3", "inbound_en_mono.flac"):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    (folder / "copy.ogg").write_bytes((SAMPLES / "outbound_en_followed.ogg").read_bytes())
    (folder / "notes.wav").write_text("not audio")
    base = {
        "rep": "rep@example.test",
        "started_at": "2026-11-20T09:00:00Z",
        "direction": "outbound",
        "language": "",
        "external_id": "",
        "campaign": "autumn",
    }
    manifest = write_manifest(
        tmp_path / "calls.csv",
        [
            {**base, "file": "outbound_en_followed.ogg", "channels": "agent-left", "external_id": "pbx-1"},
            {**base, "file": "outbound_en_pushy.mp3", "channels": "agent-right", "rep": "crm-rex"},
            {**base, "file": "inbound_en_mono.flac", "channels": "agent-left"},
            {**base, "file": "copy.ogg", "channels": "agent-left"},
            {**base, "file": "notes.wav", "channels": "mono"},
            {**base, "file": "missing.wav", "channels": "mono"},
            {**base, "file": "outbound_en_pushy.mp3", "channels": "agent-right", "rep": "ghost@example.test"},
        ],
    )

    result = qc("ingest", str(folder), "--manifest", str(manifest), check=False)

    assert result.returncode == 1, "rejected rows make the exit status non-zero"
    assert "Imported: 2   Duplicates: 1   Rejected: 4" in result.stdout
    assert (
        "line 4: inbound_en_mono.flac: Channels were declared agent-left (stereo) but the file is mono"
        in result.stdout
    )
    assert "line 6: notes.wav: This file is not audio" in result.stdout
    assert "line 7: missing.wav: file not found" in result.stdout
    assert "line 8: outbound_en_pushy.mp3: Unknown rep 'ghost@example.test'" in result.stdout
    db.rollback()
    calls = db.scalars(select(Call).order_by(Call.id)).all()
    assert [c.original_filename for c in calls] == ["outbound_en_followed.ogg", "outbound_en_pushy.mp3"]
    assert calls[0].external_id == "pbx-1"
    assert calls[0].call_metadata == {"campaign": "autumn"}
    assert calls[0].uploaded_by_id == org.admin.id


def test_ingest_refuses_a_manifest_without_required_columns(org: Any, tmp_path: Path) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_text("file,rep\nx.wav,rep@example.test\n")
    result = qc("ingest", str(tmp_path), "--manifest", str(manifest), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: The manifest lacks the column(s): started_at, direction, channels"


def test_demo_refuses_a_database_with_real_people(org: Any) -> None:
    result = qc("demo", "--no-transcribe", check=False)
    assert result.returncode == 1
    assert "already has people in it" in result.stderr


def test_queue_build_and_status(db: Any, org: Any) -> None:
    from datetime import UTC, datetime

    from tests.factories import make_scored_call

    for hour in (9, 10, 14, 15):
        make_scored_call(db, rep=org.rep, started_at=datetime(2026, 11, 23, hour, tzinfo=UTC))
    db.commit()
    built = qc("queue", "build", "--date", "2026-11-23")
    assert "2026-11-23: 2 picked, 2 assigned to reviewers" in built.stdout
    assert "closed Alpha" in built.stdout  # the day is over: closed, and its picks rolled over
    assert "2 unfinished rolled over" in built.stdout
    again = qc("queue", "build", "--date", "2026-11-23")
    assert "0 picked" in again.stdout and "skipped Alpha: already closed" in again.stdout
    status = qc("queue", "status", "--date", "2026-11-23").stdout
    rex = next(line for line in status.splitlines() if line.startswith("Rex Rep"))
    assert rex.split()[-4:] == ["2", "2", "2", "0"]
    olly = next(line for line in status.splitlines() if line.startswith("Olly Other"))
    assert olly.endswith("2 (no calls)")
    bad = qc("queue", "build", "--date", "23/11/2026", check=False)
    assert bad.returncode == 1 and "--date must look like 2026-11-23" in bad.stderr


def test_worker_refuses_an_unknown_lane() -> None:
    result = qc("worker", "--queues", "pipeline,fast", check=False)
    assert result.returncode == 2
    assert "unknown queue fast; choose from: pipeline, quick" in result.stderr


def test_lanes_are_parsed_in_order_without_repeats() -> None:
    from qc.jobs.queue import Lane, parse_lanes

    assert parse_lanes("quick, pipeline,quick") == [Lane.QUICK, Lane.PIPELINE]
