"""The calls bench/asr.py transcribes, their reference text, and how transcripts are scored.

- The bundled English stereo demo calls (qc/demo/samples): scripted turns per speaker;
  most name the brand ("Acme") in the agent's opening.
- A two-sided call assembled from real recorded speech (../shared/audio, references in
  its references.json): utterances of different speakers put on the agent and customer
  channels in alternating turns. It never names the brand.

Scores: word error rate per channel, brand mentions spelled right, and segments a channel
transcribed while only the other side was talking (the other side's leak, read as own).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "qc" / "demo" / "samples"
SPEECH = ROOT.parent / "shared" / "audio"
RATE = 16_000
BRANDS = {"acme"}
AGENT, CUSTOMER = "agent", "customer"
LEAK_TOLERANCE_S = 0.5  # reference turn times are approximate


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float
    text: str


@dataclass
class BenchCall:
    """A two-sided call: agent and customer channels at 16 kHz, and what was said when."""

    name: str
    direction: str
    agent: np.ndarray
    customer: np.ndarray
    turns: list[Turn]
    group: str = ""  # "brand" / "no brand" / "identical"

    @property
    def duration_s(self) -> float:
        return len(self.agent) / RATE

    def reference(self, speaker: str | None = None) -> str:
        return " ".join(t.text for t in self.turns if speaker in (None, t.speaker))

    @property
    def brand_mentions(self) -> int:
        return brand_words(self.reference())


@dataclass
class Segment:
    speaker: str
    start: float
    end: float
    text: str


@dataclass
class Scores:
    """Counts summed over calls: word errors per channel, brand mentions, leaked segments."""

    errors: dict[str, float] = field(default_factory=lambda: {AGENT: 0.0, CUSTOMER: 0.0})
    words: dict[str, int] = field(default_factory=lambda: {AGENT: 0, CUSTOMER: 0})
    mentions: int = 0
    mentions_right: int = 0
    brand_on_other_calls: int = 0  # brand words in calls that never name it
    leaked: int = 0

    def wer(self, speaker: str) -> float:
        return self.errors[speaker] / self.words[speaker] if self.words[speaker] else float("nan")

    def add(self, call: BenchCall, segments: list[Segment]) -> None:
        for speaker in (AGENT, CUSTOMER):
            errors, count = word_errors(
                call.reference(speaker), " ".join(s.text for s in segments if s.speaker == speaker)
            )
            self.errors[speaker] += errors
            self.words[speaker] += count
        found = brand_words(" ".join(s.text for s in segments))
        if call.brand_mentions:
            self.mentions += call.brand_mentions
            self.mentions_right += min(found, call.brand_mentions)
        else:
            self.brand_on_other_calls += found
        self.leaked += len(leaked_segments(call.turns, segments))


# Demo calls --------------------------------------------------------------------------------------


def demo_calls(*, quick: bool = False) -> list[BenchCall]:
    """The English stereo demo calls (quick: one that names the brand, one that does not)."""
    from faster_whisper.audio import decode_audio

    manifest = json.loads((SAMPLES / "samples.json").read_text(encoding="utf-8"))
    manifest += json.loads((SAMPLES / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    calls = []
    for item in manifest:
        if item["language"] != "en" or item["channels"] == "mono":
            continue
        left, right = decode_audio(str(SAMPLES / item["file"]), sampling_rate=RATE, split_stereo=True)
        agent, customer = (left, right) if item["channels"] == "agent-left" else (right, left)
        turns = [Turn(t["speaker"], t["start"], t["end"], t["text"]) for t in item["turns"]]
        call = BenchCall(Path(item["file"]).stem, item["direction"], agent, customer, turns)
        call.group = "brand" if call.brand_mentions else "no brand"
        calls.append(call)
    if quick:
        picked = {"outbound_en_followed", "outbound_en_pushy"}
        calls = [c for c in calls if c.name in picked]
    return calls


# A call from real speech -------------------------------------------------------------------------


def speech_call(minutes: float, *, folder: Path = SPEECH, seed: int = 13) -> BenchCall | None:
    """Real recorded utterances in alternating agent/customer turns, about `minutes` long;
    None when the recordings are not there."""
    utterances = _utterances(folder)
    if len(utterances) < 2:
        return None
    rng = np.random.default_rng(seed)
    agent: list[np.ndarray] = []
    customer: list[np.ndarray] = []
    turns: list[Turn] = []
    at = 0.0
    while at < minutes * 60 or len(turns) < 2:
        for index in rng.permutation(len(utterances)):
            text, audio = utterances[index]
            speaker = AGENT if len(turns) % 2 == 0 else CUSTOMER
            gap = np.zeros(int(rng.uniform(0.4, 1.2) * RATE), dtype=np.float32)
            for side, own in ((agent, speaker == AGENT), (customer, speaker == CUSTOMER)):
                side.extend([gap, audio if own else np.zeros_like(audio)])
            start = at + len(gap) / RATE
            at = start + len(audio) / RATE
            turns.append(Turn(speaker, start, at, text))
            if at >= minutes * 60 and len(turns) >= 2:
                break
    tail = np.zeros(RATE // 2, dtype=np.float32)
    return BenchCall(
        "real speech",
        "outbound",
        np.concatenate([*agent, tail]),
        np.concatenate([*customer, tail]),
        turns,
        group="no brand",
    )


def _utterances(folder: Path) -> list[tuple[str, np.ndarray]]:
    """(reference, 16 kHz audio) per utterance: stereo files give one per channel; a file
    reading several sentences is cut at its longest pauses, one piece per sentence."""
    from faster_whisper.audio import decode_audio

    listing = folder / "references.json"
    if not listing.exists():
        return []
    found = []
    for item in json.loads(listing.read_text(encoding="utf-8")):
        path = folder / item["file"]
        if not path.exists():
            continue
        reference = item["reference"]
        if isinstance(reference, dict):
            left, right = decode_audio(str(path), sampling_rate=RATE, split_stereo=True)
            found += [(reference["left"], _trim(left)), (reference["right"], _trim(right))]
        else:
            found += _sentences(reference, decode_audio(str(path), sampling_rate=RATE))
    return found


def _speech_regions(audio: np.ndarray) -> list[tuple[int, int]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    regions = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=200, speech_pad_ms=30))
    return [(r["start"], r["end"]) for r in regions]


def _trim(audio: np.ndarray, pad_s: float = 0.15) -> np.ndarray:
    regions = _speech_regions(audio)
    if not regions:
        return audio
    pad = int(pad_s * RATE)
    return audio[max(0, regions[0][0] - pad) : regions[-1][1] + pad]


def _sentences(reference: str, audio: np.ndarray, pad_s: float = 0.15) -> list[tuple[str, np.ndarray]]:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reference.strip()) if s]
    regions = _speech_regions(audio)
    if len(sentences) < 2 or len(regions) < len(sentences):
        return [(reference, _trim(audio))]
    gaps = sorted(range(len(regions) - 1), key=lambda k: regions[k][1] - regions[k + 1][0])
    cuts = sorted(gaps[: len(sentences) - 1])
    pad = int(pad_s * RATE)
    pieces, first = [], 0
    for last in [*cuts, len(regions) - 1]:
        pieces.append(audio[max(0, regions[first][0] - pad) : regions[last][1] + pad])
        first = last + 1
    return list(zip(sentences, pieces, strict=True))


# Scoring -----------------------------------------------------------------------------------------

_ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"),
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SPELLING = {"ok": "okay", "mhm": "hmm", "mm": "hmm", "neighbour's": "neighbor's"}


def _number_words(number: int) -> str:
    if number < 20:
        return _ONES[number]
    if number < 100:
        return _TENS[number // 10] + ("" if number % 10 == 0 else " " + _ONES[number % 10])
    if number < 1000:
        rest = number % 100
        return _ONES[number // 100] + " hundred" + (f" {_number_words(rest)}" if rest else "")
    return " ".join(_ONES[int(d)] for d in str(number))  # account numbers and the like: digit by digit


def words(text: str) -> list[str]:
    """Lower-case words for WER: contractions expanded, numerals as words, no punctuation."""
    import jiwer

    text = jiwer.ExpandCommonEnglishContractions()(text.lower())
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"\d+", lambda m: f" {_number_words(int(m.group()))} ", text)
    return [_SPELLING.get(w, w) for w in re.sub(r"[^\w\s']", " ", text).replace("'", "").split()]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words)."""
    import jiwer

    ref, hyp = " ".join(words(reference)), " ".join(words(hypothesis))
    if not ref:
        return len(hyp.split()), 0
    if not hyp:
        return len(ref.split()), len(ref.split())
    out = jiwer.process_words(ref, hyp)
    return out.substitutions + out.deletions + out.insertions, len(ref.split())


def brand_words(text: str) -> int:
    return sum(w in BRANDS for w in words(text))


def leaked_segments(turns: list[Turn], segments: list[Segment]) -> list[Segment]:
    """Segments a channel transcribed while only the other side was talking: the other
    side's voice leaking into it, or an echo of it."""

    def overlaps(segment: Segment, speaker: str) -> bool:
        return any(
            t.speaker == speaker
            and segment.start < t.end + LEAK_TOLERANCE_S
            and segment.end > t.start - LEAK_TOLERANCE_S
            for t in turns
        )

    return [
        s
        for s in segments
        if s.speaker in (AGENT, CUSTOMER)
        and not overlaps(s, s.speaker)
        and overlaps(s, CUSTOMER if s.speaker == AGENT else AGENT)
    ]


@dataclass
class VadCoverage:
    """Seconds of each side's reference speech, and how much of it a VAD setting keeps on
    that side's channel; `leak_kept`: seconds of the other side's turns it passes on."""

    said: float = 0.0
    kept: float = 0.0
    other_said: float = 0.0
    leak_kept: float = 0.0

    def add(self, turns: list[Turn], speaker: str, channel: np.ndarray, **options: float) -> None:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        regions = [
            (r["start"] / RATE, r["end"] / RATE)
            for r in get_speech_timestamps(channel, VadOptions(**options))
        ]
        for turn in turns:
            own = turn.speaker == speaker
            # the other side's turns without their edges, which the VAD's padding of this side's
            # speech next to them reaches into
            start, end = (turn.start, turn.end) if own else (turn.start + 0.5, turn.end - 0.5)
            if end <= start:
                continue
            inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in regions)
            if own:
                self.said += end - start
                self.kept += inside
            else:
                self.other_said += end - start
                self.leak_kept += inside
