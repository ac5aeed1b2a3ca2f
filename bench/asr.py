"""ASR throughput: raw faster-whisper against the platform's full path, same audio, same run.

    python bench/asr.py [--repeats 3] [--minutes 2]

Builds a stereo agent/customer call (the bundled English sample calls end to end) and
its mono mix, then measures, interleaved and repeated (median reported):

- raw:      `model.transcribe(file, vad_filter=True, word_timestamps=True)` on the mono mix
- platform: POST /api/calls -> queue -> worker -> transcript committed, for the mono mix
            and for the stereo call (sequential channels, and batched clips)

Targets: platform mono within 1.10x raw mono; platform stereo at most 1.25x raw on the
mono mix. Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="qc-bench-asr-"))
os.environ.update(
    {
        "QC_ENV": "test",
        "QC_DATA_DIR": str(WORKDIR / "data"),
        "QC_DATABASE_URL": f"sqlite:///{WORKDIR / 'qc.sqlite3'}",
        "QC_QUEUE_URL": f"sqlite:///{WORKDIR / 'queue.sqlite3'}",
        "QC_STORAGE_URL": f"file://{WORKDIR / 'audio'}",
        "QC_LOG_LEVEL": "WARNING",
        "QC_MAX_UPLOAD_MB": "2000",
    }
)

SAMPLES = ROOT / "qc" / "demo" / "samples"
RATE = 16_000
STEREO_PARTS = [
    ("outbound_en_followed.ogg", False),
    ("inbound_en_support.mp3", False),
    ("outbound_en_pushy.mp3", True),
]


def build_call(minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """(agent, customer) channels at 16 kHz: the English samples repeated to `minutes`."""
    from faster_whisper.audio import decode_audio

    agent_parts, customer_parts = [], []
    while sum(len(a) for a in agent_parts) < minutes * 60 * RATE:
        for name, agent_right in STEREO_PARTS:
            left, right = decode_audio(str(SAMPLES / name), sampling_rate=RATE, split_stereo=True)
            agent, customer = (right, left) if agent_right else (left, right)
            agent_parts.append(agent)
            customer_parts.append(customer)
    return np.concatenate(agent_parts), np.concatenate(customer_parts)


def write_wav(path: Path, channels: list[np.ndarray], variant: int) -> Path:
    """PCM WAV; `variant` nudges the last sample so every upload is a new recording."""
    data = np.stack(channels, axis=1)
    pcm = (np.clip(data, -1, 1) * 32767).astype(np.int16)
    pcm[-1, 0] = variant
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(len(channels))
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm.tobytes())
    return path


class Platform:
    def __init__(self) -> None:
        from fastapi.testclient import TestClient

        from qc.app import create_app
        from qc.config import get_settings
        from qc.db import get_engine, session_scope
        from qc.migrations import upgrade
        from qc.users import service

        get_settings().ensure_dirs()
        upgrade(get_engine())
        with session_scope() as session:
            service.create_team(session, name="Bench", language="en")
            service.create_user(session, email="rep@bench.test", name="Rep", role="rep", team="Bench")
            admin = service.create_user(session, email="admin@bench.test", name="Admin", role="admin")
            token = service.create_api_token(session, user=admin, name="bench")
        self.client = TestClient(create_app(run_worker=False))
        self.client.headers["Authorization"] = f"Bearer {token}"

    def process(self, path: Path, channels: str, batch_size: int) -> float:
        """Seconds from the start of the upload to the transcript being committed."""
        from qc.config import get_settings
        from qc.jobs.queue import drain

        os.environ["QC_ASR_BATCH_SIZE"] = str(batch_size)
        get_settings.cache_clear()
        started = time.perf_counter()
        with path.open("rb") as handle:
            response = self.client.post(
                "/api/calls",
                files={"file": (path.name, handle)},
                data={
                    "rep": "rep@bench.test",
                    "started_at": "2026-11-22T09:00:00Z",
                    "direction": "outbound",
                    "channels": channels,
                },
            )
        assert response.status_code == 201, response.text
        drain()
        elapsed = time.perf_counter() - started
        call = self.client.get(f"/api/calls/{response.json()['id']}").json()
        assert call["status"] == "transcribed", call
        return elapsed


def raw_transcribe(model: object, path: Path) -> float:
    started = time.perf_counter()
    segments, _ = model.transcribe(  # type: ignore[attr-defined]
        str(path), language="en", beam_size=5, vad_filter=True, word_timestamps=True
    )
    for _ in segments:
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()

    from qc.config import get_settings
    from qc.transcription import weights

    agent, customer = build_call(args.minutes)
    duration = len(agent) / RATE
    mix = (agent + customer) / 2
    spec = weights.resolve_model("tiny.en", get_settings().model_cache_dir)
    model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
    platform_path = Platform()

    variant = iter(range(1, 10_000))
    cases: dict[str, Callable[[], float]] = {
        "raw faster-whisper, mono mix": lambda: raw_transcribe(
            model, write_wav(WORKDIR / "raw.wav", [mix], 0)
        ),
        "platform, mono call": lambda: platform_path.process(
            write_wav(WORKDIR / f"m{next(variant)}.wav", [mix], next(variant)), "mono", 0
        ),
        "platform, stereo call (channels in turn)": lambda: platform_path.process(
            write_wav(WORKDIR / f"s{next(variant)}.wav", [agent, customer], next(variant)), "agent-left", 0
        ),
        "platform, stereo call (batched clips, 8)": lambda: platform_path.process(
            write_wav(WORKDIR / f"b{next(variant)}.wav", [agent, customer], next(variant)), "agent-left", 8
        ),
    }
    for run in cases.values():  # warm-up: models loaded, caches filled
        run()
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every case alike
        for name, run in cases.items():
            timings[name].append(run())

    medians = {name: statistics.median(values) for name, values in timings.items()}
    raw = medians["raw faster-whisper, mono mix"]
    print(
        f"\nAudio: {duration:.0f} s stereo call (bundled English samples), tiny.en int8 on CPU, "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}; "
        f"median of {args.repeats} interleaved runs after a warm-up.\n"
    )
    print("| path | wall s (median) | audio s per wall s | vs raw mono mix |")
    print("|---|---:|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.2f} | {duration / seconds:.1f} | {seconds / raw:.2f}x |")
    mono_ratio = medians["platform, mono call"] / raw
    stereo_ratio = medians["platform, stereo call (channels in turn)"] / raw
    print(f"\nplatform mono overhead: {100 * (mono_ratio - 1):+.1f}% (target <= +10%)")
    print(f"platform stereo / raw mono mix: {stereo_ratio:.2f}x (target <= 1.25x)")


if __name__ == "__main__":
    main()
