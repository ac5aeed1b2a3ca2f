"""`qc serve` runs the pipeline lane in a child process: started, restarted, stopped, reaped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from qc.jobs.child import ChildWorker, pipeline_command

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) still answers kill(0).
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] != "Z"


def test_the_command_runs_the_pipeline_lane_only_at_lower_priority() -> None:
    command = pipeline_command(workers=2, nice=10)
    assert command[:4] == [sys.executable, "-m", "qc", "worker"]
    assert command[command.index("--queues") + 1] == "pipeline"
    assert "--no-periodic" in command  # periodic tasks stay beside the server's quick lane
    assert command[command.index("--workers") + 1] == "2"
    assert command[command.index("--nice") + 1] == "10"
    assert "--stop-with-stdin" in command


def test_a_child_that_dies_is_started_again_and_stop_ends_it(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    script = f"import os, time; open({str(starts)!r}, 'a').write(str(os.getpid()) + '\\n'); time.sleep(60)"
    child = ChildWorker([sys.executable, "-c", script], pauses=(0.05,), stop_grace_s=5)
    child.start()
    try:
        assert wait_for(lambda: starts.exists() and len(starts.read_text().split()) == 1)
        first = int(starts.read_text().split()[0])
        os.kill(first, 9)
        assert wait_for(lambda: len(starts.read_text().split()) == 2)
        second = int(starts.read_text().split()[1])
        assert second != first and alive(second)
        assert child.restarts == 1
    finally:
        child.stop()
    assert not alive(second)
    time.sleep(0.3)
    assert len(starts.read_text().split()) == 2  # nothing started after stop


def test_a_child_that_keeps_failing_is_restarted_with_growing_pauses() -> None:
    now = [0.0]
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    child = ChildWorker(failing, pauses=(0.01, 0.2, 5.0), clock=lambda: now[0])
    child.start()
    try:
        assert wait_for(lambda: child.restarts >= 3)
        time.sleep(0.5)
        # After the third failure in a row the pause is 5 s: no fourth start yet.
        assert child.restarts == 3
    finally:
        started = time.monotonic()
        child.stop()
    assert time.monotonic() - started < 2  # stop does not wait out the pause


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(ready)!r}, 'w').close(); time.sleep(60)"
    )
    child = ChildWorker([sys.executable, "-c", script], stop_grace_s=0.5)
    child.start()
    assert wait_for(ready.exists)
    pid = child.pid
    assert pid is not None
    child.stop()
    assert not alive(pid)


def test_the_pipeline_worker_stops_when_the_server_that_started_it_is_gone() -> None:
    """The real child command: when its stdin pipe closes (the server died, even by SIGKILL),
    the worker stops by itself rather than living on as an orphan."""
    process = subprocess.Popen(
        pipeline_command(workers=1, nice=5),
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # started once it says which lanes it serves
            if line.startswith("qc worker serving pipeline"):
                break
        assert os.getpriority(os.PRIO_PROCESS, process.pid) >= 5
        assert process.poll() is None
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_runs_the_pipeline_in_its_child_and_stops_it_on_shutdown(configure) -> None:
    from fastapi.testclient import TestClient

    from qc.app import create_app

    app = create_app(configure(pipeline_in="process", pipeline_nice=3), run_worker=True)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        child = app.state.pipeline_worker
        assert wait_for(lambda: child.pid is not None)
        pid = child.pid
        assert wait_for(lambda: alive(pid) and os.getpriority(os.PRIO_PROCESS, pid) == 3, timeout=30)
    assert not alive(pid)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def test_web_processes_stop_when_serve_is_killed(tmp_path: Path) -> None:
    """`qc serve --processes 2` killed with SIGKILL: its web processes notice and stop,
    rather than keeping the port and serving without a worker."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "qc", "serve", "--no-worker", "--processes", "2", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: _answers(httpx, port), timeout=60), (tmp_path / "serve.log").read_text()[
            -2000:
        ]
        web = [
            pid for pid in children_of(server.pid) if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
        ]
        assert len(web) == 2
        server.kill()
        server.wait()
        assert wait_for(lambda: not any(alive(pid) for pid in web), timeout=20)
        assert not _answers(httpx, port)
    finally:
        if server.poll() is None:
            server.kill()
        for pid in children_of(server.pid):
            os.kill(pid, 9)


def _answers(httpx: Any, port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
