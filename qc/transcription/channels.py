"""A stereo call's two channels before and after ASR: same sound twice, and echo.

Telephone recordings break the one-speaker-per-channel promise in two ways. Some
"stereo" files are mono written twice: both channels carry the same sound, so each
sentence would be transcribed once as the agent and once as the customer. And most
channels carry a faint copy of the other side (line leak or echo, 20-30 dB down), which
Whisper transcribes as a second speaker's line.

`plan_channels` looks at the decoded channels first. Identical channels become one
mono track. Otherwise every 20 ms frame where a channel is far quieter than the other
side speaking is faded out of it, so the VAD skips the echo (and ASR saves its time).
`drop_echo_words` then removes the words that still came through: a word that overlaps
a word of the other channel while its own channel is far quieter there. Both steps are
numpy on frame energies and cost milliseconds on a five-minute call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qc.transcription.models import Speaker

if TYPE_CHECKING:
    from qc.transcription.engine import SegmentData

SAMPLE_RATE = 16_000
FRAME = 320  # 20 ms: shorter than a syllable, long enough for a stable energy
FRAME_S = FRAME / SAMPLE_RATE
BLOCK = SAMPLE_RATE  # identical-channel check in 1 s blocks

# Identical channels: the blocks with sound where the channels correlate this well and
# differ by no more than this in level. Correlation is blind to gain, so the level test
# keeps "one side silent, the other's 20 dB echo on it" (correlation ~1) from counting.
SAME_CORRELATION = 0.8  # line or codec noise 5 dB under the signal still passes
SAME_LEVEL_DB = 6.0
SAME_SHARE = 0.9  # of the blocks with sound: hold music on both sides stays a minority
ACTIVE_BELOW_PEAK_DB = 30.0  # blocks this far under the loud ones (p95) hold no speech

# Echo: a frame (or word) this much quieter than the other channel, while the other is
# speaking, is that speaker heard through the line. Leak sits 20-30 dB down; two people
# talking at once differ by rather less than 15 dB even on a quiet customer line.
ECHO_DB = 15.0
LOUD_BELOW_PEAK_DB = 30.0  # "speaking": within this of the channel's loud frames
LOUD_FLOOR_DBFS = -60.0
ECHO_TAIL_FRAMES = 5  # an echo may lag its source by up to 100 ms
ECHO_GAIN = 0.001  # -60 dB: under Whisper's 80 dB range and the VAD's notice
SOUND_ABOVE_FLOOR_DB = 10.0  # a faded frame counts as echo this far above the noise floor
WORD_OVERLAP_SLACK_S = 0.1  # Whisper's word times wander by about this much


@dataclass
class ChannelPlan:
    """What to transcribe for a stereo call, and what is known about its channels."""

    tracks: list[tuple[Speaker, np.ndarray]]
    report: dict[str, Any]
    # Per speaker, 20 ms frame energies of the channel as recorded (before any fading).
    energies: dict[Speaker, np.ndarray]

    @property
    def speakers_separated(self) -> bool:
        return not self.report["identical"]

    def finish(self, segments: list[SegmentData]) -> list[SegmentData]:
        """`segments` without the echo words left after ASR, counted in the report."""
        if not self.speakers_separated:
            return segments
        kept, dropped = drop_echo_words(segments, self.energies)
        for speaker, count in dropped.items():
            self.report["echo_by_speaker"][speaker]["words"] = count
        self.report["echo_words"] = sum(dropped.values())
        return kept


def plan_channels(agent: np.ndarray, customer: np.ndarray) -> ChannelPlan:
    """Tracks to transcribe: one mono track if the channels are the same sound, else
    both channels with the other side's echo faded out."""
    identical, similarity, same_share = compare_channels(agent, customer)
    report: dict[str, Any] = {"identical": identical, "similarity": similarity, "same_share": same_share}
    if identical:
        mono = (agent + customer) / 2
        return ChannelPlan([(Speaker.UNKNOWN, mono.astype(np.float32))], report, {})
    audio = {Speaker.AGENT: agent, Speaker.CUSTOMER: customer}
    energies = {speaker: frame_energies(samples) for speaker, samples in audio.items()}
    gains = dict(zip(audio, echo_gains(energies[Speaker.AGENT], energies[Speaker.CUSTOMER]), strict=True))
    report["echo_by_speaker"] = {
        speaker.value: {"seconds": echo_seconds(energies[speaker], gains[speaker]), "words": 0}
        for speaker in audio
    }
    report["echo_seconds"] = round(sum(s["seconds"] for s in report["echo_by_speaker"].values()), 2)
    report["echo_words"] = 0
    tracks = [(speaker, apply_gains(samples, gains[speaker])) for speaker, samples in audio.items()]
    return ChannelPlan(tracks, report, energies)


# Identical channels --------------------------------------------------------------------


def compare_channels(left: np.ndarray, right: np.ndarray) -> tuple[bool, float, float]:
    """(identical, whole-call correlation, share of the sound where both are the same).

    Judged per 1 s block so that a stretch both sides share (a greeting played to both,
    hold music) cannot make two separate channels look like one.
    """
    blocks = min(len(left), len(right)) // BLOCK
    if blocks == 0:
        return False, 0.0, 0.0
    a = left[: blocks * BLOCK].reshape(blocks, BLOCK)
    b = right[: blocks * BLOCK].reshape(blocks, BLOCK)
    aa = np.einsum("ij,ij->i", a, a, dtype=np.float64)
    bb = np.einsum("ij,ij->i", b, b, dtype=np.float64)
    ab = np.einsum("ij,ij->i", a, b, dtype=np.float64)
    if not aa.any() or not bb.any():
        return False, 0.0, 0.0
    similarity = float(ab.sum() / np.sqrt(aa.sum() * bb.sum()))
    loudest = _db(np.maximum(aa, bb))
    active = loudest >= np.percentile(loudest, 95) - ACTIVE_BELOW_PEAK_DB
    correlation = ab / np.sqrt(np.maximum(aa * bb, 1e-20))
    level = np.abs(_db(aa) - _db(bb))
    same = (correlation >= SAME_CORRELATION) & (level <= SAME_LEVEL_DB)
    share = float(np.count_nonzero(same & active) / np.count_nonzero(active))
    return share >= SAME_SHARE, round(similarity, 3), round(share, 3)


# Echo, before ASR ----------------------------------------------------------------------


def frame_energies(audio: np.ndarray) -> np.ndarray:
    """Mean square per 20 ms frame (the last partial frame padded with silence)."""
    frames = -(-len(audio) // FRAME)
    padded = np.zeros(frames * FRAME, dtype=np.float32)
    padded[: len(audio)] = audio
    shaped = padded.reshape(frames, FRAME)
    return np.einsum("ij,ij->i", shaped, shaped, dtype=np.float64) / FRAME


def echo_gains(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame gain of each channel: ECHO_GAIN where it only carries the other's echo."""
    if not first.size or not second.size:
        return np.ones(len(first), dtype=np.float32), np.ones(len(second), dtype=np.float32)
    first_db, second_db = _db(first), _db(second)
    return _echo_gain(first_db, second_db), _echo_gain(second_db, first_db)


def _echo_gain(own_db: np.ndarray, other_db: np.ndarray) -> np.ndarray:
    # The other side's level over the last ECHO_TAIL_FRAMES, so a lagging echo's tail counts.
    recent = other_db.copy()
    for lag in range(1, ECHO_TAIL_FRAMES + 1):
        np.maximum(recent[lag:], other_db[:-lag], out=recent[lag:])
    speaking = recent >= max(float(np.percentile(other_db, 99)) - LOUD_BELOW_PEAK_DB, LOUD_FLOOR_DBFS)
    echo = speaking & (own_db <= recent - ECHO_DB)
    return np.where(echo, ECHO_GAIN, 1.0).astype(np.float32)


def echo_seconds(energies: np.ndarray, gains: np.ndarray) -> float:
    """How long the faded frames held sound: echo, not the channel's own background."""
    if not energies.size:
        return 0.0
    levels = _db(energies)
    sounding = levels >= np.percentile(levels, 10) + SOUND_ABOVE_FLOOR_DB
    return round(float(np.count_nonzero(sounding & (gains < 1))) * FRAME_S, 2)


def apply_gains(audio: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """`audio` with per-frame gains, ramped linearly across each frame (no clicks)."""
    if not gains.size or gains.min() >= 1:
        return audio
    previous = np.concatenate([gains[:1], gains[:-1]])
    ramp = np.arange(FRAME, dtype=np.float32) / FRAME
    per_sample = (previous[:, None] + (gains - previous)[:, None] * ramp[None, :]).reshape(-1)
    return (audio * per_sample[: len(audio)]).astype(np.float32)


# Echo, after ASR -----------------------------------------------------------------------


def drop_echo_words(
    segments: list[SegmentData], energies: dict[Speaker, np.ndarray]
) -> tuple[list[SegmentData], dict[str, int]]:
    """Segments without the words heard on a channel only as the other side's echo,
    and how many words were dropped per speaker. Words both sides say at once at
    normal level (double talk) stay on both."""
    sides = (Speaker.AGENT, Speaker.CUSTOMER)
    spans = {side: _word_spans(segments, side) for side in sides}
    echo = {
        side: echo_words(spans[side], spans[other], energies[side], energies[other])
        for side, other in zip(sides, sides[::-1], strict=True)
    }
    seen = dict.fromkeys(sides, 0)
    kept: list[SegmentData] = []
    for segment in segments:
        if segment.speaker not in echo:
            kept.append(segment)
            continue
        flags = echo[segment.speaker][seen[segment.speaker] : seen[segment.speaker] + len(segment.words)]
        seen[segment.speaker] += len(segment.words)
        words = [word for word, is_echo in zip(segment.words, flags, strict=True) if not is_echo]
        if words:
            kept.append(_with_words(segment, words))
    return kept, {side.value: int(echo[side].sum()) for side in sides}


def echo_words(
    own_spans: np.ndarray, other_spans: np.ndarray, own: np.ndarray, other: np.ndarray
) -> np.ndarray:
    """Which of a channel's words ((start, end) rows) are the other side's echo: they
    overlap a word heard on the other channel, and their channel is ECHO_DB quieter there
    (`own`, `other`: the channels' 20 ms frame energies)."""
    frames = min(len(own), len(other))
    if not len(own_spans) or not len(other_spans) or not frames:
        return np.zeros(len(own_spans), dtype=bool)
    order = np.argsort(other_spans[:, 0])
    other_starts, latest_end = other_spans[order, 0], np.maximum.accumulate(other_spans[order, 1])
    started = np.searchsorted(other_starts, own_spans[:, 1] + WORD_OVERLAP_SLACK_S)
    overlaps = (started > 0) & (
        latest_end[np.maximum(started - 1, 0)] > own_spans[:, 0] - WORD_OVERLAP_SLACK_S
    )
    first = np.clip((own_spans[:, 0] / FRAME_S).astype(int), 0, frames - 1)
    last = np.clip(np.ceil(own_spans[:, 1] / FRAME_S).astype(int), first + 1, frames)
    own_sum = np.concatenate([[0.0], np.cumsum(own[:frames])])
    other_sum = np.concatenate([[0.0], np.cumsum(other[:frames])])
    own_db, other_db = _db(own_sum[last] - own_sum[first]), _db(other_sum[last] - other_sum[first])
    return np.asarray(overlaps & (own_db <= other_db - ECHO_DB))


def _word_spans(segments: list[SegmentData], speaker: Speaker) -> np.ndarray:
    spans = [(w.start, w.end) for s in segments if s.speaker is speaker for w in s.words]
    return np.array(spans, dtype=np.float64).reshape(-1, 2)


def _with_words(segment: SegmentData, words: list[Any]) -> SegmentData:
    if len(words) == len(segment.words):
        return segment
    return replace(
        segment,
        start=words[0].start,
        end=max(w.end for w in words),
        text=" ".join(w.word for w in words),
        words=words,
    )


def _db(energy: Any) -> Any:
    return 10 * np.log10(np.maximum(energy, 1e-12))
