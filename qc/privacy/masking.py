"""Masking a transcript: find personal data in each segment's words and replace each run
of words that carries it with one label word ("[card number]"), keeping its timing.

Pure functions over plain data, so the pipeline (a fresh transcription) and the backlog
(transcripts stored before masking existed) mask in exactly the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qc.calls.models import ChannelLayout

if TYPE_CHECKING:
    from qc.privacy.detect import WordFinding

# Audio is beeped a little wider than the words' timings: Whisper's word edges are
# approximate, and a syllable left audible can be enough to recover a digit.
PAD_S = 0.15


@dataclass(frozen=True)
class SegmentIn:
    """A segment as stored: `words` are `{start, end, word, probability}` dicts, with
    `spoken` on a number the transcript writes in digits (the words it was said as)."""

    position: int
    speaker: str
    start: float
    end: float
    text: str
    words: list[dict[str, Any]]


@dataclass(frozen=True)
class Span:
    """One masked run: where it is in the original words, what it was, when it was said."""

    position: int
    first: int
    last: int
    kind: str
    speaker: str
    start: float
    end: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "first": self.first,
            "last": self.last,
            "kind": self.kind,
            "speaker": self.speaker,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
        }


@dataclass
class SegmentMask:
    """A segment that had personal data: its masked text and words, and its original."""

    position: int
    text: str
    words: list[dict[str, Any]]
    original_text: str
    original_words: list[dict[str, Any]]
    spans: list[Span] = field(default_factory=list)

    def original(self) -> dict[str, Any]:
        return {"position": self.position, "text": self.original_text, "words": self.original_words}


def _words_of(segment: SegmentIn) -> tuple[list[dict[str, Any]], bool]:
    """The segment's words, or (imported transcripts without word timings) its text split
    into words spread over the segment; the flag says the timings were made up."""
    if segment.words:
        return segment.words, False
    parts = segment.text.split()
    step = (segment.end - segment.start) / max(len(parts), 1)
    words = [
        {
            "start": round(segment.start + i * step, 3),
            "end": round(segment.start + (i + 1) * step, 3),
            "word": part,
            "probability": 1.0,
        }
        for i, part in enumerate(parts)
    ]
    return words, True


def _as_said(words: Sequence[dict[str, Any]]) -> tuple[list[str], list[int]]:
    """The words as they were said, and for each the index of the word it is part of.

    A number the transcript writes in digits ("4111", "8:45") is read as the words it was
    said as ("four one one one", or Whisper's "4" "1" "1" "1"), so detection sees what the
    recogniser heard, split as it was heard; a finding on any of them masks the whole word,
    and with it the spoken words it keeps."""
    said: list[str] = []
    owners: list[int] = []
    for index, word in enumerate(words):
        spoken = word.get("spoken")
        pieces = str(spoken).split() if spoken else [str(word.get("word", ""))]
        said.extend(pieces)
        owners.extend([index] * len(pieces))
    return said, owners


def _merged(findings: Sequence[WordFinding]) -> list[WordFinding]:
    """Findings sorted, overlapping or touching runs joined (the first one's kind wins)."""
    from qc.privacy.detect import WordFinding

    merged: list[WordFinding] = []
    for finding in sorted(findings, key=lambda f: (f.first, -f.last)):
        if merged and finding.first <= merged[-1].last + 1 and finding.kind == merged[-1].kind:
            last = merged[-1]
            merged[-1] = WordFinding(last.kind, last.first, max(last.last, finding.last), last.score)
        elif merged and finding.first <= merged[-1].last:
            continue  # inside a run already masked
        else:
            merged.append(finding)
    return merged


def _join(words: Sequence[str]) -> str:
    """Text from words: Whisper's words carry their leading space, stored ones may not."""
    if words and all(w.startswith(" ") or not w for w in words[1:]):
        return "".join(words).strip()
    return " ".join(w.strip() for w in words)


def mask_segment(segment: SegmentIn, language: str) -> SegmentMask | None:
    """The segment with its personal data masked; None when it has none."""
    # The detector loads its language pipelines on first use: imported here, not by every
    # process that wires the pipeline.
    from qc.privacy.detect import WordFinding, find_in_words, mask_label

    words, made_up = _words_of(segment)
    if not words:
        return None
    said, owners = _as_said(words)
    findings = _merged(
        [WordFinding(f.kind, owners[f.first], owners[f.last], f.score) for f in find_in_words(said, language)]
    )
    if not findings:
        return None
    masked: list[dict[str, Any]] = []
    spans: list[Span] = []
    cursor = 0
    for finding in findings:
        first, last = finding.first, min(finding.last, len(words) - 1)
        masked.extend(words[cursor:first])
        run = words[first : last + 1]
        lead = " " if str(run[0].get("word", "")).startswith(" ") else ""
        label = mask_label(finding.kind, language)
        start, end = float(run[0]["start"]), float(run[-1]["end"])
        if made_up:  # no word timings: the whole segment is beeped
            start, end = segment.start, segment.end
        masked.append(
            {
                "start": run[0]["start"],
                "end": run[-1]["end"],
                "word": lead + label,
                "probability": min(float(w.get("probability", 1.0)) for w in run),
            }
        )
        spans.append(Span(segment.position, first, last, str(finding.kind), segment.speaker, start, end))
        cursor = last + 1
    masked.extend(words[cursor:])
    return SegmentMask(
        position=segment.position,
        text=_join([str(w["word"]) for w in masked]),
        words=[] if made_up else masked,
        original_text=segment.text,
        original_words=list(segment.words),
        spans=spans,
    )


# Whisper often names Serbian speech Croatian, Bosnian or Montenegrin: their numbers and
# id formats are Serbian's for the detector.
_DETECTOR_LANGUAGE = {"hr": "sr", "bs": "sr", "me": "sr", "cnr": "sr"}


def mask_segments(segments: Sequence[SegmentIn], language: str) -> list[SegmentMask]:
    """The segments that carry personal data, masked."""
    language = _DETECTOR_LANGUAGE.get(language, language)
    return [m for m in (mask_segment(s, language) for s in segments) if m is not None]


# Where the beeps go ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Beep:
    """Overwrite `channels` (indices into the recording's channels) from `start` to `end` s."""

    channels: tuple[int, ...]
    start: float
    end: float


def speaker_channels(speaker: str, layout: ChannelLayout, channels: int) -> tuple[int, ...]:
    """The channels a speaker is heard on: their own in a stereo call, every one otherwise
    (a mono call, or a speaker the recogniser could not place)."""
    everything = tuple(range(channels))
    if channels < 2 or not layout.is_stereo or speaker not in ("agent", "customer"):
        return everything
    agent = 0 if layout is ChannelLayout.AGENT_LEFT else 1
    return (agent,) if speaker == "agent" else (1 - agent,)


def beeps_for(
    spans: Sequence[Span], *, layout: ChannelLayout, channels: int, pad_s: float = PAD_S
) -> list[Beep]:
    return [
        Beep(speaker_channels(s.speaker, layout, channels), max(0.0, s.start - pad_s), s.end + pad_s)
        for s in spans
    ]
