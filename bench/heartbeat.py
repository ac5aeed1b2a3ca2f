"""Can a lease heartbeat thread keep beating while a worker's stage runs?

    python bench/heartbeat.py [--minutes 10]

A thread wakes every 100 ms, as the pipeline's heartbeat does every third of the lease,
and records how late each wake-up was while the main thread does a stage's heavy parts:
decoding a long stereo call, Whisper's features, voice detection and transcription
(faster-whisper on CTranslate2 releases the GIL; this checks it), and the first load of a
language's data (spaCy lookup tables, the personal-data analyser) which runs in Python and
C without releasing it. The baseline is the same thread while the main thread sleeps.
A heartbeat that is late by more than two beats lets a live worker's lease lapse: the
longest stall must stay well under `QC_LEASE_SECONDS` x 2/3. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This folder holds a queue.py: keep it from shadowing the standard library's.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "qc" / "demo" / "samples" / "outbound_en_followed.ogg"
BEAT_S = 0.1


class Beats:
    """A thread waking every BEAT_S; the longest wait past that while `measure` runs."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(BEAT_S):
            now = time.monotonic()
            self.late.append(now - last - BEAT_S)
            last = now

    def measure(self, work: Callable[[], Any]) -> tuple[float, float]:
        """(seconds the work took, the longest stall of the beat meanwhile)."""
        self.late.clear()
        started = time.monotonic()
        work()
        took = time.monotonic() - started
        time.sleep(2 * BEAT_S)  # the beat that was held up reports after the work
        return took, max(self.late, default=0.0)


def long_call(minutes: float, folder: Path) -> Path:
    path = folder / f"call-{minutes:g}min.ogg"
    repeats = int(minutes * 60 / 40) + 1
    subprocess.run(["sox", *[str(SAMPLE)] * repeats, str(path), "trim", "0", str(minutes * 60)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of the long call")
    args = parser.parse_args()

    from qc.calls.models import ChannelLayout
    from qc.transcription import engine, weights

    beats = Beats()
    rows: list[tuple[str, float, float]] = []
    rows.append(("idle (baseline)", *beats.measure(lambda: time.sleep(3))))
    with tempfile.TemporaryDirectory() as folder:
        path = long_call(args.minutes, Path(folder))
        spec = weights.resolve_model("tiny.en", Path(folder))
        rows.append(
            (
                "load Whisper tiny.en",
                *beats.measure(
                    lambda: weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
                ),
            )
        )
        model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
        rows.append(
            (
                f"decode a {args.minutes:g}-minute stereo call",
                *beats.measure(lambda: engine.decode(path, stereo=True)),
            )
        )
        options = engine.AsrOptions(beam_size=5, batch_size=0, hotwords=None)
        rows.append(
            (
                f"transcribe it (features, VAD, CTranslate2), {args.minutes:g} min",
                *beats.measure(
                    lambda: engine.transcribe(
                        model, spec, path, layout=ChannelLayout.AGENT_LEFT, language="en", options=options
                    )
                ),
            )
        )
    from qc.scoring import nlp

    rows.append(("first load of spaCy en (lookup tables)", *beats.measure(lambda: nlp.tools("en"))))
    from qc.privacy import detect

    rows.append(("first load of the personal-data analyser", *beats.measure(detect.analyzer)))

    print("| main thread does | took (s) | longest heartbeat stall (s) | vs idle |")
    print("|---|---:|---:|---:|")
    baseline = max(rows[0][2], 1e-3)
    for name, took, stall in rows:
        print(f"| {name} | {took:.1f} | {stall:.2f} | {stall / baseline:.0f}x |")


if __name__ == "__main__":
    main()
