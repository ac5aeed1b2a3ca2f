"""The pipeline lane of `qc serve`, in a child process it supervises.

Transcription keeps a core busy for seconds per call, and scoring holds the interpreter
while spaCy works. In a thread of the web process both compete with every page for the
GIL: with 50 people clicking through the app and a call transcribing, the pages' p95 went
from ~0.1 s to ~1.5 s. In a process of its own, at a lower CPU priority (`nice`), the
pipeline takes the CPU the pages leave, and the pages stay as quick as with no writer.

`qc serve` is still one command: this module starts `qc worker --queues pipeline` as its
child, restarts it if it dies (with a growing pause, so a worker that cannot start does not
spin), and stops it when the server stops. The child watches its stdin, a pipe from this
process: when the server dies, even by SIGKILL, the pipe closes and the child stops, so no
orphan keeps transcribing. A call the child was working on when it died goes back to the
queue when its lease runs out (`QC_LEASE_SECONDS`), as for any worker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

RESTART_PAUSES_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # after each failure in a row
STEADY_AFTER_S = 60.0  # a child that ran this long had not been failing: its restart is quick
STOP_GRACE_S = 15.0  # how long a stopping child may finish its current step before SIGKILL


def pipeline_command(*, workers: int, nice: int) -> list[str]:
    """The child's command line: this interpreter, this package, the pipeline lane only."""
    return [
        sys.executable,
        "-m",
        "qc",
        "worker",
        "--queues",
        "pipeline",
        "--no-periodic",  # periodic tasks and tickers stay with the quick lane, in the server
        "--workers",
        str(workers),
        "--nice",
        str(nice),
        "--stop-with-stdin",
    ]


class ChildWorker:
    """Run `command` as a supervised child process until `stop()`."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        name: str = "pipeline worker",
        pauses: Sequence[float] = RESTART_PAUSES_S,
        steady_after_s: float = STEADY_AFTER_S,
        stop_grace_s: float = STOP_GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = list(command)
        self.name = name
        self.pauses = tuple(pauses)
        self.steady_after_s = steady_after_s
        self.stop_grace_s = stop_grace_s
        self.clock = clock
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name=f"{name} supervisor", daemon=True)

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the child to finish (SIGTERM), kill it after the grace period, wait for it."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_grace_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", self.name, self.stop_grace_s)
                process.kill()
                process.wait()
        self._thread.join(timeout=self.stop_grace_s + 5)

    def _spawn(self) -> subprocess.Popen[bytes]:
        # stdin is a pipe the child watches; stdout and stderr are the server's own, so the
        # worker's log lines appear in the server's log.
        return subprocess.Popen(self.command, stdin=subprocess.PIPE)  # noqa: S603 (our own argv)

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._process = self._spawn()
                except OSError:
                    log.exception("could not start the %s", self.name)
                    self._process = None
            started = self.clock()
            process = self._process
            if process is not None:
                log.info("%s started (pid %d)", self.name, process.pid)
                code = process.wait()
                if self._stopping.is_set():
                    return
                log.warning("%s (pid %d) exited with %s; restarting it", self.name, process.pid, code)
            ran = self.clock() - started
            failures = 1 if ran >= self.steady_after_s else failures + 1
            self.restarts += 1
            pause = self.pauses[min(failures, len(self.pauses)) - 1] if self.pauses else 0.0
            if self._stopping.wait(pause):
                return


def watch_stdin(on_close: Callable[[], object]) -> threading.Thread:
    """Call `on_close` when stdin reaches its end: the parent that holds the pipe is gone."""

    def _watch() -> None:
        try:
            while os.read(sys.stdin.fileno(), 4096):
                pass
        except OSError:
            pass
        on_close()

    thread = threading.Thread(target=_watch, name="parent watch", daemon=True)
    thread.start()
    return thread
