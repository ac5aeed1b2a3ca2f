"""A pipeline worker loads its models and language tools before it takes a call, and says
it is ready only then (issue 13: no call pays a cold start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.jobs import queue
from qc.jobs.queue import Lane
from qc.scoring import languages, nlp
from qc.transcription import weights
from tests.factories import make_team
from tests.jobs.test_child_worker import ROOT, wait_for


def test_the_languages_of_teams_and_scorecards_and_none_for_a_team_without_one(db: Session) -> None:
    make_team(db, language="ru")
    make_team(db, language=None)
    db.commit()

    found = languages.in_use(db, default=None)
    assert found[-1] is None  # identified by ear: the default model must be loaded too
    assert "ru" in found
    card_languages = {
        language
        for version in languages.scoring.current_versions(db)
        for language in languages.scoring.definition(version).languages
    }
    assert card_languages <= set(found)


def test_a_default_language_stands_in_for_teams_without_one(db: Session) -> None:
    make_team(db, language=None)
    db.commit()
    assert None not in languages.in_use(db, default="ro")
    assert "ro" in languages.in_use(db, default="ro")


def test_warm_up_loads_the_models_and_tools_the_teams_need(
    db: Session, configure: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(asr_model="auto")
    make_team(db, language="en")
    make_team(db, language="it")
    db.commit()
    from qc.wiring import warm_up

    models: list[str] = []
    tools: list[str] = []
    load_model, load_tools = weights.load_model, nlp.tools
    monkeypatch.setattr(
        weights, "load_model", lambda spec, **kw: models.append(spec.label) or load_model(spec, **kw)
    )
    monkeypatch.setattr(nlp, "tools", lambda code: tools.append(code) or load_tools(code))

    readiness = warm_up()

    assert sorted(set(models)) == sorted(readiness.models) and {"tiny.en", "base"} <= set(models)
    assert {"en", "it"} <= set(tools) and set(tools) == set(readiness.languages)
    assert "speech models" in readiness.describe() and "loaded in" in readiness.describe()


def test_a_model_that_cannot_load_is_logged_and_the_rest_still_loads(
    db: Session, configure: Any, caplog: pytest.LogCaptureFixture
) -> None:
    configure(asr_model="/nowhere/model")
    make_team(db, language="ro")
    db.commit()
    from qc.wiring import warm_up

    readiness = warm_up()

    assert readiness.models == []
    assert "ro" in readiness.languages
    assert "a speech model could not be loaded" in caplog.text


class Recorder:
    def __init__(self) -> None:
        self.order: list[str] = []

    def warm(self) -> str:
        self.order.append("warm up")
        return "ready"


@pytest.mark.parametrize(("lanes", "warmed"), [([Lane.PIPELINE], True), ([Lane.QUICK], False)])
def test_consumers_start_only_after_the_warm_up(
    monkeypatch: pytest.MonkeyPatch, lanes: list[Lane], warmed: bool
) -> None:
    recorder = Recorder()
    handle = queue.WorkerHandle(lanes, periodic=False, warm_up=recorder.warm)
    for consumer in handle.consumers:
        monkeypatch.setattr(consumer, "start", lambda: recorder.order.append("consumer"))
        monkeypatch.setattr(consumer, "stop", lambda graceful=True: None)
    handle.start()
    handle.stop()

    assert recorder.order == (["warm up", "consumer"] if warmed else ["consumer"])
    assert handle.readiness == ("ready" if warmed else None)


def test_the_worker_command_says_ready_and_creates_its_ready_file_only_after_loading(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qc",
            "worker",
            "--queues",
            "pipeline",
            "--no-periodic",
            "--stop-with-stdin",
            "--ready-file",
            str(ready),
        ],
        cwd=ROOT,
        env={**os.environ, "QC_WARM_UP": "true", "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("qc worker serving pipeline"):
                break
        said = lines[-1]
        assert "ready: speech models" in said, "".join(lines)[-2000:]
        assert "language tools" in said
        assert wait_for(ready.exists, timeout=10)
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=60) == 0
        assert not ready.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
