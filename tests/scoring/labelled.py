"""The labelled transcripts: calls written out with a reviewer's expected answer per item.

Each file in `labelled/` is one call: a list of turns (`- agent: text` or
`- customer: text`, optionally with `pause` seconds of silence before it and the ASR
`confidence` of its words) and, under `expected`, the status a careful reviewer gives
each checked item. Timings follow from the words (0.36 s each, 0.6 s between turns),
so windows such as "the first 15 seconds" and the talk ratio behave as in a real call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qc.scoring.transcript import Segment, Word

FOLDER = Path(__file__).parent / "labelled"
SECONDS_PER_WORD = 0.36
GAP_S = 0.6


@dataclass(frozen=True)
class LabelledCall:
    id: str
    scorecard: str
    language: str
    segments: list[Segment]
    duration_s: float
    expected: dict[str, str]
    audio: bool  # also rendered as stereo audio for the end-to-end test
    set: str  # "tuning": the phrase lists were adjusted on it; "holdout": written after, never tuned on


def _segments(turns: list[dict[str, Any]]) -> tuple[list[Segment], float]:
    segments, clock = [], 0.5
    for turn in turns:
        speaker = "agent" if "agent" in turn else "customer"
        text = str(turn[speaker])
        clock += float(turn.get("pause", 0))
        probability = float(turn.get("confidence", 0.95))
        words = []
        for word in text.split():
            words.append(Word(round(clock, 2), round(clock + SECONDS_PER_WORD * 0.9, 2), word, probability))
            clock += SECONDS_PER_WORD
        segments.append(Segment(speaker, words[0].start, words[-1].end, text, tuple(words)))
        clock += GAP_S
    return segments, clock + 0.5


def load(path: Path) -> LabelledCall:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    segments, duration = _segments(data["turns"])
    return LabelledCall(
        id=data["id"],
        scorecard=data["scorecard"],
        language=data["language"],
        segments=segments,
        duration_s=duration,
        expected={k: str(v) for k, v in data["expected"].items()},
        audio=bool(data.get("audio", False)),
        set=str(data.get("set", "tuning")),
    )


def all_calls() -> list[LabelledCall]:
    return [load(path) for path in sorted(FOLDER.glob("*.yaml"))]
