"""The tables bench/asr.py prints, from its measurements (Markdown for bench/RESULTS.md)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.asr_calls import AGENT, CUSTOMER, BenchCall, Scores, Segment, VadCoverage, word_errors

RULES = ("off", "all", "agent", "opening", "recheck")
CHOSEN = "recheck"
CONDITIONS = ("clean", "telephone")


@dataclass
class Prepared:
    """One call in one condition: how to write its upload, and the channels raw hears."""

    call: BenchCall
    condition: str
    write: Callable[[int], Path]  # variant -> a new file of the same audio
    channels: tuple[np.ndarray, ...] = ()
    layout: str = "agent-left"
    note: str = ""
    cases: tuple[str, ...] = ("raw", *RULES)


@dataclass
class Run:
    seconds: float
    segments: list[Segment] = field(default_factory=list)
    per_channel: tuple[float, ...] = ()  # raw: seconds per channel
    engine_s: float = 0.0  # platform: the transcription engine's own time (stored)
    hotwords_s: float = 0.0  # audio seconds the model decoded with hotwords
    hotwords: str = ""
    channel_report: Any = None


class Report:
    def __init__(self, items: list[Prepared], runs: dict[tuple[str, str, str], list[Run]]) -> None:
        self.items = items
        self.runs = runs
        measured = {case for item in items for case in item.cases}
        self.rules = tuple(rule for rule in RULES if rule in measured)  # the ones this run measured

    def s(self, item: Prepared, case: str, channel: int | None = None) -> float:
        """Median seconds of `case` on `item` (of one raw channel, if given)."""
        if channel is not None:
            return self.median(item, case, lambda r: r.per_channel[channel])
        return self.median(item, case, lambda r: r.seconds)

    def median(self, item: Prepared, case: str, value: Callable[[Run], float]) -> float:
        values = self.runs.get((item.condition, item.call.name, case), [])
        return statistics.median(value(r) for r in values) if values else float("nan")

    def first(self, item: Prepared, case: str) -> Run:
        return self.runs[(item.condition, item.call.name, case)][0]

    def of(self, condition: str, groups: set[str]) -> list[Prepared]:
        return [i for i in self.items if i.condition == condition and i.call.group in groups]

    def conditions(self) -> list[str]:
        return [c for c in CONDITIONS if any(i.condition == c for i in self.items)]

    def total(self, items: list[Prepared], case: str, channel: int | None = None) -> float:
        return sum(self.s(i, case, channel) for i in items)

    def scores(self, items: list[Prepared], case: str) -> Scores:
        scores = Scores()
        for item in items:
            scores.add(item.call, self.first(item, case).segments)
        return scores


GROUPS = {
    "demo calls naming the brand": {"brand"},
    "demo calls not naming it": {"no brand"},
    "real-speech call": {"real speech"},
    "all": {"brand", "no brand", "real speech"},
}
OTHER = {"no brand", "real speech"}


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def speed_table(report: Report) -> None:
    print("\n(i) Speed: the platform's whole path against raw faster-whisper on the same channels\n")
    print(
        _row(
            "audio", "calls", "audio s", "raw agent s", "raw customer s", "raw total s",
            f"platform, {CHOSEN} s", f"{CHOSEN} / raw", "platform, hotwords off s", "off / raw",
            "raw with the platform's VAD s", "decode s", "off / (that + decode)",
            "platform outside decode + ASR, s per call (median)",
        )
    )  # fmt: skip
    print("|---|---|" + "---:|" * 12)
    for condition in report.conditions():
        for label, groups in GROUPS.items():
            items = report.of(condition, groups)
            if not items:
                continue
            raw, raw_vad = report.total(items, "raw"), report.total(items, "raw vad")
            decoding = report.total(items, "decode")
            off, chosen = report.total(items, "off"), report.total(items, CHOSEN)
            outside = statistics.median(
                report.median(i, CHOSEN, lambda r: r.seconds - r.engine_s) for i in items
            )
            print(
                _row(
                    condition, f"{label} ({len(items)})", f"{sum(i.call.duration_s for i in items):.0f}",
                    f"{report.total(items, 'raw', 0):.2f}", f"{report.total(items, 'raw', 1):.2f}",
                    f"{raw:.2f}", f"{chosen:.2f}", f"**{chosen / raw:.3f}x**", f"{off:.2f}",
                    f"{off / raw:.3f}x", f"{raw_vad:.2f}", f"{decoding:.2f}",
                    f"{off / (raw_vad + decoding):.3f}x", f"{outside:.2f}",
                )
            )  # fmt: skip
    print(
        f"\nTarget: telephone audio, all calls, platform ({CHOSEN}) at most 1.05x raw. Raw is given the"
        "\ndecoded channels; the platform decodes its upload itself (the decode column). The platform's"
        "\nVAD keeps pauses over 0.5 s out, faster-whisper's default over 2 s."
    )


def tradeoff_table(report: Report) -> None:
    print("\n(ii) Hotwords: where they are given, what they cost and what they get right\n")
    print(
        _row(
            "audio", "rule", "s on brand calls", "vs off", "s on other calls", "vs off",
            "all calls vs off", "brand mentions spelled right", "brand words in other calls",
            "audio s with hotwords (brand / other)",
        )
    )  # fmt: skip
    print("|---|---|" + "---:|" * 8)
    for condition in report.conditions():
        brand, other = report.of(condition, {"brand"}), report.of(condition, OTHER)
        off_brand, off_other = report.total(brand, "off"), report.total(other, "off")
        for case in ("raw", *report.rules):
            b, o = report.total(brand, case), report.total(other, case)
            scores = report.scores(brand + other, case)
            spans = [
                sum(report.median(i, case, lambda r: r.hotwords_s) for i in side) for side in (brand, other)
            ]
            label = {"raw": "raw faster-whisper (none)", CHOSEN: f"{CHOSEN} (chosen)"}.get(case, case)
            print(
                _row(
                    condition, label, f"{b:.2f}", f"{b / off_brand:.2f}x", f"{o:.2f}",
                    f"{o / off_other:.2f}x", f"{(b + o) / (off_brand + off_other):.2f}x",
                    f"{scores.mentions_right}/{scores.mentions}", scores.brand_on_other_calls,
                    "—" if case == "raw" else f"{spans[0]:.0f} / {spans[1]:.0f}",
                )
            )  # fmt: skip
    hotwords = sorted({r.hotwords for runs in report.runs.values() for r in runs if r.hotwords})
    print(f"\nHotwords the calls' scorecards give the model: {', '.join(map(repr, hotwords)) or 'NONE'}.")


WER_PATHS = {
    "raw": "raw",
    "raw vad": "raw, the platform's VAD",
    "off": "platform, hotwords off",
    CHOSEN: f"platform, {CHOSEN}",
}


def wer_table(report: Report) -> None:
    conditions = report.conditions()
    print("\n(iii) Word error rate per channel, and leaked: segments a channel transcribed while only")
    print("the other side spoke\n")
    what = ("agent", "customer", "leaked")
    print(_row("calls", "path", *[f"{c} {w}" for c in conditions for w in what]))
    print("|---|---|" + "---:|" * 3 * len(conditions))
    for label, groups in GROUPS.items():
        for case, path in WER_PATHS.items():
            cells: list[object] = []
            for condition in conditions:
                items = report.of(condition, groups)
                if not items:
                    cells += ["—"] * 3
                    continue
                scores = report.scores(items, case)
                cells += [f"{scores.wer(AGENT):.3f}", f"{scores.wer(CUSTOMER):.3f}", scores.leaked]
            if any(c != "—" for c in cells):
                print(_row(label, path, *cells))


def identical_table(report: Report) -> None:
    items = [i for i in report.items if i.call.group == "identical"]
    if not items:
        return
    print("\n(iv) The real-speech call's mix on both channels (mono saved as stereo)\n")
    print(
        _row(
            "audio", "audio s", "raw one channel s", "raw two channels s", "platform, hotwords off s",
            "vs raw one", f"platform, {CHOSEN} s", "vs raw one",
            "segments stored (agent / customer / unknown)", "words stored / said", "call WER",
        )
    )  # fmt: skip
    print("|---|" + "---:|" * 7 + "---|---:|---:|")
    for item in items:
        one, two = report.s(item, "raw", 0), report.s(item, "raw")
        off, chosen = report.s(item, "off"), report.s(item, CHOSEN)
        run = report.first(item, CHOSEN)
        count = [sum(s.speaker == k for s in run.segments) for k in (AGENT, CUSTOMER, "unknown")]
        said = item.call.reference()
        stored = " ".join(s.text for s in sorted(run.segments, key=lambda s: s.start))
        errors, total = word_errors(said, stored)
        print(
            _row(
                item.condition, f"{item.call.duration_s:.0f}", f"{one:.2f}", f"{two:.2f}", f"{off:.2f}",
                f"{off / one:.2f}x", f"{chosen:.2f}", f"{chosen / one:.2f}x", " / ".join(map(str, count)),
                f"{len(stored.split()) / len(said.split()):.2f}", f"{errors / total:.3f}",
            )
        )  # fmt: skip
    for item in items:
        run = report.first(item, CHOSEN)
        if item.note:
            print(f"\n- {item.condition}: {item.note}")
        if run.channel_report is not None:
            print(f"\n- {item.condition}: channel report {run.channel_report}")


def per_call_table(report: Report) -> None:
    print("\n(v) Per call: median seconds; brand: mentions spelled right with each rule\n")
    rules = report.rules
    print(_row("audio", "call", "group", "audio s", "raw", *rules, "brand (" + "/".join(rules) + ")", "line"))
    print("|---|---|---|" + "---:|" * 6 + "---|---|")
    for item in report.items:
        if item.call.group == "identical":
            continue
        brand = "/".join(str(report.scores([item], rule).mentions_right) for rule in rules)
        seconds = [f"{report.s(item, case):.2f}" for case in ("raw", *rules)]
        print(
            _row(
                item.condition, item.call.name, item.call.group, f"{item.call.duration_s:.0f}", *seconds,
                f"{brand} of {item.call.brand_mentions}", item.note,
            )
        )  # fmt: skip
    print()
    for item in report.items:
        found = report.first(item, CHOSEN).channel_report
        if item.call.group != "identical" and found is not None:
            echo = found.get("echo_by_speaker") or found
            print(f"- {item.condition}, {item.call.name}: echo the platform removed: {echo}")


def legacy_table(report: Report) -> None:
    items = [i for i in report.items if i.condition == "clean" and i.call.group != "identical"]
    if not items or not report.runs.get(("clean", items[0].call.name, "mix raw")):
        return
    raw_mix = report.total(items, "mix raw")
    print("\nOld rows (clean, all calls): mono mix and batched clips, hotwords off\n")
    print("| path | wall s (median, summed over calls) | vs raw mono mix |")
    print("|---|---:|---:|")
    for case, label in (
        ("mix raw", "raw faster-whisper, mono mix"),
        ("mix platform", "platform, mono call"),
        ("off", "platform, stereo call (channels in turn)"),
        ("batched", "platform, stereo call (batched clips, 8)"),
    ):
        seconds = report.total(items, case)
        print(f"| {label} | {seconds:.2f} | {seconds / raw_mix:.2f}x |")


VAD_SETTINGS: dict[str, dict[str, float]] = {
    "faster-whisper's default (raw)": {},
    "the platform's (min silence 0.5 s)": {"min_silence_duration_ms": 500},
    "the platform's, threshold 0.25": {"min_silence_duration_ms": 500, "threshold": 0.25},
}


def vad_table(report: Report) -> None:
    """How much of each side's speech the Silero VAD passes to the model, on its channel."""
    print("\n(vi) Silero VAD on each channel: share of the side's reference speech it keeps, and of")
    print("the other side's turns (their middles, where only the leak is heard) it passes on\n")
    print(_row("audio", "VAD setting", "agent speech kept", "customer speech kept", "other side passed"))
    print("|---|---|---:|---:|---:|")
    for condition in report.conditions():
        items = report.of(condition, set().union(*GROUPS.values()))
        for label, options in VAD_SETTINGS.items():
            sides = {AGENT: VadCoverage(), CUSTOMER: VadCoverage()}
            for item in items:
                for speaker, channel in zip((AGENT, CUSTOMER), item.channels, strict=True):
                    sides[speaker].add(item.call.turns, speaker, channel, **options)
            leak = sum(v.leak_kept for v in sides.values()) / sum(v.other_said for v in sides.values())
            agent, customer = (sides[k].kept / sides[k].said for k in (AGENT, CUSTOMER))
            print(_row(condition, label, f"{agent:.0%}", f"{customer:.0%}", f"{leak:.0%}"))
