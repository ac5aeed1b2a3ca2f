"""ASR on telephone audio: raw faster-whisper against the platform's full path, one run.

    python bench/asr.py [--repeats 3] [--minutes 2] [--only telephone|clean] [--hiss -62] [--quick] [--legacy]

A full run takes about half an hour on two quiet cores; --quick about four minutes.

Calls (bench/asr_calls.py): the bundled English stereo demo calls (most name the brand
"Acme" in the agent's opening) and a two-sided call of about `--minutes` assembled from
real recorded speech in ../shared/audio (never names it; skipped if the folder is absent).
Each is measured as recorded ("clean", 16 kHz PCM WAV) and as a phone line delivers it
("telephone", bench/telephone.py): 300-3400 Hz at 8 kHz, each side leaking into the
other at -20 to -30 dB with 10-40 ms of echo delay, hiss and hum, G.711 mu-law WAV.
One more call carries the real-speech call's mix on both channels (mono saved as stereo).

Measured interleaved and repeated after a warm-up (median reported), with one model
(tiny.en, int8, CPU) shared by both paths:

- raw:      `model.transcribe(channel, vad_filter=True, word_timestamps=True,
            language="en", beam_size=5)` per channel of the decoded upload, fully consumed;
            once more with the platform's VAD setting (pauses over 0.5 s cut, not 2 s), and
            the decoding itself (`decode_audio`), to tell overhead from settings;
- platform: POST /api/calls -> queue -> worker (decode, VAD, ASR, masking) -> transcript
            stored (scoring after it not counted), with QC_ASR_HOTWORDS off / all / agent /
            opening / recheck. The calls land on the shipped scorecards, whose hotwords name
            the company; a wrapper on the shared model records how much audio it decodes with
            hotwords.

Printed as Markdown for bench/RESULTS.md: (i) speed, platform with the chosen rule
(recheck) against raw on the same channels, target 1.05x on telephone audio; (ii) the
hotwords trade-off: seconds on calls that name the brand and on calls that do not, and
brand recall; (iii) WER per channel, clean against telephone, and segments a channel
transcribed while only the other side spoke (leak); (iv) the identical-channel call;
(v) per call; (vi) how much of each side's speech the Silero VAD keeps. Options:

  --rules off,opening,recheck  the hotwords rules to run (default all five; off and the
                          chosen one, recheck, are needed)
  --only telephone|clean  one condition (default: both)
  --quick                 a check that it all works: two demo calls, --minutes 0.5, 1 repeat
  --hiss DBFS             the line's hiss (default -62, a quiet digital line: the leak, 20-30
                          dB under speech at -26 dBFS, stays audible above it; at -45 it hides)
  --seed N                the telephone line's draws (default 13)
  --legacy                also the old clean rows: raw and platform on the mono mix, and
                          the platform with both channels' clips batched (QC_ASR_BATCH_SIZE=8)
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import os
import platform
import shutil
import sys
import tempfile
import time
import wave
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="qc-bench-asr-"))
atexit.register(shutil.rmtree, WORKDIR, ignore_errors=True)
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

from bench.asr_calls import AGENT, CUSTOMER, RATE, BenchCall, Segment, demo_calls, speech_call  # noqa: E402
from bench.asr_report import (  # noqa: E402
    CHOSEN,
    CONDITIONS,
    RULES,
    Prepared,
    Report,
    Run,
    identical_table,
    legacy_table,
    per_call_table,
    speed_table,
    tradeoff_table,
    vad_table,
    wer_table,
)
from bench.telephone import Line, degrade_call, degrade_mono, write_mulaw_wav  # noqa: E402


def write_wav(path: Path, channels: list[np.ndarray], variant: int) -> Path:
    """16 kHz PCM WAV; `variant` goes into the last sample of every channel alike, so every
    upload is a new recording and identical channels stay identical."""
    pcm = (np.clip(np.stack(channels, axis=1), -1, 1) * 32767).astype(np.int16)
    pcm[-1, :] = variant
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(len(channels))
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm.tobytes())
    return path


def prepare(
    call: BenchCall,
    condition: str,
    *,
    seed: int,
    line: Line,
    rules: tuple[str, ...] = RULES,
    identical: bool = False,
) -> Prepared:
    from faster_whisper.audio import decode_audio

    stem = WORKDIR / f"{condition}-{call.name.replace(' ', '_')}{'-identical' if identical else ''}"
    note = ""
    if identical:
        mix = (call.agent + call.customer) / 2
        codes = degrade_mono(mix, rate=RATE, line=line, seed=seed) if condition == "telephone" else None
        sides: list[Any] = [codes, codes] if codes is not None else [mix, mix]
    elif condition == "telephone":
        degraded = degrade_call(call.agent, call.customer, rate=RATE, line=line, seed=seed)
        sides = degraded.channels
        note = "leak into agent {:.0f} dB / customer {:.0f} dB, echo {:.0f} / {:.0f} ms".format(
            *degraded.leak_db, *degraded.echo_ms
        )
    else:
        sides = [call.agent, call.customer]

    def write(variant: int) -> Path:
        path = Path(f"{stem}-{variant}.wav")
        if condition == "telephone":
            return write_mulaw_wav(path, sides, variant=variant)
        return write_wav(path, sides, variant)

    reference = write(0)
    channels = tuple(decode_audio(str(reference), sampling_rate=RATE, split_stereo=True))
    cases = ("raw", "off", CHOSEN) if identical else ("decode", "raw", "raw vad", *rules)
    return Prepared(call, condition, write, channels, note=note, cases=cases)


class Refused(Exception):
    pass


class Platform:
    def __init__(self) -> None:
        from fastapi.testclient import TestClient

        from qc.app import create_app
        from qc.config import get_settings
        from qc.db import get_engine, session_scope
        from qc.migrations import upgrade
        from qc.scoring.service import sync_from_settings
        from qc.users import service

        settings = get_settings()
        settings.ensure_dirs()
        upgrade(get_engine())
        report = sync_from_settings(settings.scorecards_dir)  # their hotwords name the company
        assert report.added and not report.problems, report
        with session_scope() as session:
            service.create_team(session, name="Bench", language="en")
            service.create_user(session, email="rep@bench.test", name="Rep", role="rep", team="Bench")
            admin = service.create_user(session, email="admin@bench.test", name="Admin", role="admin")
            token = service.create_api_token(session, user=admin, name="bench")
        self.client = TestClient(create_app(run_worker=False))
        self.client.headers["Authorization"] = f"Bearer {token}"

    def process(
        self, path: Path, *, direction: str, channels: str, rule: str, batch_size: int = 0
    ) -> tuple[int, float]:
        """(call id, seconds from the start of the upload to its transcript committed: upload,
        decode, both channels, masking, store; scoring, which follows, is not counted)."""
        from datetime import UTC, datetime

        from sqlalchemy import select

        from qc.config import get_settings
        from qc.db import session_scope
        from qc.jobs.queue import drain
        from qc.transcription.models import Transcript

        os.environ["QC_ASR_BATCH_SIZE"] = str(batch_size)
        os.environ["QC_ASR_HOTWORDS"] = rule
        get_settings.cache_clear()
        began = datetime.now(UTC)
        with path.open("rb") as handle:
            response = self.client.post(
                "/api/calls",
                files={"file": (path.name, handle)},
                data={
                    "rep": "rep@bench.test",
                    "started_at": "2026-11-22T09:00:00Z",
                    "direction": direction,
                    "channels": channels,
                },
            )
        if response.status_code == 422:
            raise Refused(response.json().get("detail") or response.text)
        assert response.status_code == 201, response.text
        drain()
        call_id = response.json()["id"]
        with session_scope() as session:
            stored = session.scalar(select(Transcript.created_at).where(Transcript.call_id == call_id))
        assert stored is not None, f"call {call_id} has no transcript"
        return call_id, (stored - began).total_seconds()

    def result(self, call_id: int) -> tuple[list[Segment], float, Any, str]:
        """The stored transcript's segments, engine seconds, channel report, and the hotwords
        the call's scorecard gives the model."""
        from sqlalchemy import select

        from qc.db import session_scope
        from qc.scoring.service import hotwords_for
        from qc.transcription.models import Transcript

        call = self.client.get(f"/api/calls/{call_id}").json()
        assert call["status"] in {"transcribed", "scored"} and call["transcript"], call
        transcript = call["transcript"]
        segments = [Segment(s["speaker"], s["start"], s["end"], s["text"]) for s in transcript["segments"]]
        with session_scope() as session:
            report = session.scalar(select(Transcript.channel_report).where(Transcript.call_id == call_id))
            hotwords = hotwords_for(session, call_id, transcript["language"]) or ""
        return segments, transcript["processing_s"], report, hotwords


class HotwordsProbe:
    """Sees what the platform hands the shared model: how much audio it decodes with hotwords
    (a bound-method wrapper; it adds nothing measurable)."""

    def __init__(self, model: Any) -> None:
        self.seen: list[tuple[float, str | None]] = []
        original = model.transcribe

        def transcribe(audio: Any, *args: Any, **kwargs: Any) -> Any:
            seconds = len(audio) / RATE if isinstance(audio, np.ndarray) else 0.0
            self.seen.append((seconds, kwargs.get("hotwords")))
            return original(audio, *args, **kwargs)

        model.transcribe = transcribe

    def take(self) -> float:
        seconds = sum(s for s, words in self.seen if words)
        self.seen.clear()
        return seconds


PLATFORM_VAD = {"min_silence_duration_ms": 500}  # what qc.transcription.engine passes


def raw_channels(model: Any, channels: tuple[np.ndarray, ...], **options: Any) -> Run:
    segments, times = [], []
    for speaker, audio in zip((AGENT, CUSTOMER), channels, strict=False):
        started = time.perf_counter()
        raw, _ = model.transcribe(
            audio, language="en", beam_size=5, vad_filter=True, word_timestamps=True, **options
        )
        segments += [Segment(speaker, s.start, s.end, s.text) for s in raw]
        times.append(time.perf_counter() - started)
    return Run(sum(times), segments, per_channel=tuple(times))


def decode(path: Path) -> Run:
    """faster-whisper decoding the upload into 16 kHz channels, as the platform's worker does."""
    from faster_whisper.audio import decode_audio

    started = time.perf_counter()
    decode_audio(str(path), sampling_rate=RATE, split_stereo=True)
    return Run(time.perf_counter() - started)


class Bench:
    def __init__(self, model: Any, *, legacy: bool) -> None:
        self.model = model
        self.probe = HotwordsProbe(model)
        self.platform = Platform()
        self.legacy = legacy
        self.variants = iter(range(1, 1_000_000))

    def run(self, item: Prepared, case: str) -> Run:
        if case == "raw":
            return raw_channels(self.model, item.channels)
        if case == "raw vad":
            return raw_channels(self.model, item.channels, vad_parameters=PLATFORM_VAD)
        if case == "decode":
            return decode(item.write(0))
        if case == "mix raw":
            return raw_channels(self.model, ((item.channels[0] + item.channels[1]) / 2,))
        if case == "mix platform":
            mix = (item.channels[0] + item.channels[1]) / 2
            path = write_wav(WORKDIR / f"mix-{next(self.variants)}.wav", [mix], next(self.variants))
            return self._platform(item, path, rule="off", layout="mono")
        if case == "batched":
            return self._platform(item, item.write(next(self.variants)), rule="off", batch_size=8)
        return self._platform(item, item.write(next(self.variants)), rule=case)

    def _platform(
        self, item: Prepared, path: Path, *, rule: str, layout: str = "", batch_size: int = 0
    ) -> Run:
        self.probe.take()
        try:
            call_id, seconds = self.platform.process(
                path,
                direction=item.call.direction,
                channels=layout or item.layout,
                rule=rule,
                batch_size=batch_size,
            )
        except Refused as exc:
            if layout or item.layout == "mono":
                raise
            item.layout, item.note = "mono", f"stereo upload refused: {exc}"
            return self._platform(item, path, rule=rule, batch_size=batch_size)
        hotwords_s = self.probe.take()
        path.unlink()  # the platform keeps its own copy
        segments, engine_s, report, hotwords = self.platform.result(call_id)
        return Run(
            seconds,
            segments,
            engine_s=engine_s,
            hotwords_s=hotwords_s,
            hotwords=hotwords,
            channel_report=report,
        )


def measure(bench: Bench, items: list[Prepared], repeats: int) -> dict[tuple[str, str, str], list[Run]]:
    def cases(item: Prepared) -> tuple[str, ...]:
        extra = ("mix raw", "mix platform", "batched") if bench.legacy and item.condition == "clean" else ()
        return item.cases + (extra if item.call.group != "identical" else ())

    plan = [(item, case) for item in items for case in cases(item)]
    warm = min((i for i in items if i.call.group != "identical"), key=lambda i: i.call.duration_s)
    for case in cases(warm):  # models loaded, caches filled, every code path taken once
        bench.run(warm, case)
    gc.freeze()  # as `qc worker` does once it is ready: decoding's gc.collect() skips what lives on
    runs: dict[tuple[str, str, str], list[Run]] = defaultdict(list)
    for repeat in range(repeats):  # interleaved, so machine noise hits every case alike
        for item, case in plan:
            runs[(item.condition, item.call.name, case)].append(bench.run(item, case))
        print(f"repeat {repeat + 1}/{repeats} done", file=sys.stderr)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--minutes", type=float, default=None, help="real-speech call length; default 2")
    parser.add_argument("--only", choices=CONDITIONS, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--legacy", action="store_true")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--hiss", type=float, default=-62.0, help="line hiss, dBFS (default -62)")
    parser.add_argument(
        "--rules", default=",".join(RULES), help=f"hotwords rules to run (default all: {','.join(RULES)})"
    )
    args = parser.parse_args()
    rules = tuple(rule for rule in RULES if rule in args.rules.split(","))
    if not {"off", CHOSEN} <= set(rules):
        parser.error(f"--rules must include off and {CHOSEN}, the tables' references")
    repeats = args.repeats or (1 if args.quick else 3)
    minutes = args.minutes or (0.5 if args.quick else 2.0)
    conditions = [args.only] if args.only else list(CONDITIONS)

    from qc.config import get_settings
    from qc.transcription import weights

    calls = demo_calls(quick=args.quick)
    speech = speech_call(minutes, seed=args.seed)
    if speech is None:
        print("../shared/audio not found: the real-speech call is skipped", file=sys.stderr)
    else:
        speech.group = "real speech"
        calls.append(speech)
    line = Line(hiss_dbfs=args.hiss)
    items = [
        prepare(c, cond, seed=args.seed + n, line=line, rules=rules)
        for cond in conditions
        for n, c in enumerate(calls)
    ]
    if speech is not None:
        twin = BenchCall(
            speech.name + " (mix on both channels)",
            speech.direction,
            speech.agent,
            speech.customer,
            speech.turns,
            group="identical",
        )
        items += [prepare(twin, cond, seed=args.seed, line=line, identical=True) for cond in conditions]

    spec = weights.resolve_model("tiny.en", get_settings().model_cache_dir)
    model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)
    bench = Bench(model, legacy=args.legacy)
    started = time.perf_counter()
    runs = measure(bench, items, repeats)
    report = Report(items, runs)
    print(
        f"\n{dt.datetime.now():%Y-%m-%d %H:%M}, `python bench/asr.py {' '.join(sys.argv[1:])}`: "
        f"{len(calls)} calls ({sum(c.duration_s for c in calls):.0f} s of stereo audio) per condition, "
        f"tiny.en int8 on CPU shared by both paths, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}; median of {repeats} interleaved runs after a "
        f"warm-up; {time.perf_counter() - started:.0f} s in all."
    )
    speed_table(report)
    tradeoff_table(report)
    wer_table(report)
    vad_table(report)
    identical_table(report)
    per_call_table(report)
    legacy_table(report)


if __name__ == "__main__":
    main()
