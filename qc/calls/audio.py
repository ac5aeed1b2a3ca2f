"""Inspect an uploaded recording before accepting it.

The whole file is decoded once, frame by frame (never whole in memory), so that a
corrupt file, an empty one or one with nothing but silence is refused at upload
with a reason, rather than failing later in the pipeline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from qc.calls import containers
from qc.errors import AudioError, QCError, UnsupportedMedia
from qc.kit.timeutil import format_clock

# Decoding may fall short of the declared length by encoder padding, never by more.
SHORTFALL_TOLERANCE_S = 0.25
SHORTFALL_TOLERANCE_RATIO = 0.005
# A jump forward in the decoded timestamps this long means frames were lost to damage.
GAP_TOLERANCE_S = 0.25
_SAMPLE_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 9.223372036854776e18}
_MP3_DECODERS = frozenset({"mp3", "mp3float"})
_DAMAGED_ADVICE = "Upload an intact copy of the recording."
_NOT_AUDIO = "This file is not audio we can read (wav, mp3, ogg/opus, flac, m4a...)"


@dataclass(frozen=True)
class AudioInfo:
    container_format: str
    codec: str
    duration_s: float
    sample_rate: int
    channels: int
    peak_dbfs: float


@dataclass
class _Scan:
    """What decoding found so far, one frame at a time."""

    rate: int
    channels: int
    peak: float = 0.0
    samples: int = 0
    next_pts: int | None = None
    last_packet_head: bytes = b""  # the first bytes of the last packet, and its size
    last_packet_size: int = 0

    @property
    def seconds(self) -> float:
        return self.samples / self.rate if self.rate else 0.0


def _to_float(frame: av.AudioFrame) -> np.ndarray:
    """Samples as float in [-1, 1], shaped (channels, samples)."""
    array = frame.to_ndarray()
    fmt = frame.format.name.rstrip("p")
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        array = array.reshape(-1, channels).T
    if fmt == "u8":
        return (array.astype(np.float32) - 128.0) / 128.0
    scale = _SAMPLE_SCALE.get(fmt)
    return array.astype(np.float32) / scale if scale else array.astype(np.float32)


def _declared_duration(path: Path, container: av.container.InputContainer, fmt: str) -> float:
    """The duration the file's header states, where it states one.

    An MP3 without a Xing/Info/VBRI frame and raw AAC have none: FFmpeg estimates it
    from the first frame's bitrate, which is far off for VBR files, so those are only
    measured. WAV's is checked against the file size in `containers` (FFmpeg trims it).
    """
    if fmt == "aac" or not container.duration:
        return 0.0
    if fmt == "mp3":
        with path.open("rb") as handle:
            if not containers.mp3_declares_length(handle.read(64 * 1024)):
                return 0.0
    return float(container.duration / av.time_base)


def _dbfs(peak: float) -> float:
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, EOFError) as exc:
        raise _unreadable(path) from exc


def _unreadable(path: Path) -> QCError:
    """Refusal of a file FFmpeg cannot open: damaged if it starts like a recording."""
    with path.open("rb") as handle:
        kind = containers.describe_format(handle.read(16))
    if kind is None:
        return UnsupportedMedia(_NOT_AUDIO)
    return AudioError(
        f"The recording is damaged: it starts as a recording in {kind} format but the rest cannot "
        f"be read (cut short or corrupt). {_DAMAGED_ADVICE}"
    )


def probe_audio(path: Path, *, max_duration_s: float, timeout_s: float = 300) -> AudioInfo:
    """Decode `path` fully and describe it; AudioError/UnsupportedMedia say what is wrong.

    Frame by frame, never whole in memory, within `timeout_s` of wall time. Refused: a
    file whose container shows it cut short or damaged, one that fails to decode, loses
    frames on the way, or decodes shorter than its header declares.
    """
    deadline = time.monotonic() + timeout_s
    try:
        containers.check_container(path, deadline=deadline)
        with _open(path) as container:
            if not container.streams.audio:
                # No stream at all is a container too broken to list its tracks.
                raise (
                    UnsupportedMedia("The file has no audio track")
                    if container.streams
                    else _unreadable(path)
                )
            stream = container.streams.audio[0]
            fmt = container.format.name.split(",")[0]
            declared = _declared_duration(path, container, fmt)
            scan = _scan(container, stream, max_duration_s=max_duration_s, deadline=deadline)
            codec = stream.codec_context.name or "unknown"
    except TimeoutError:
        raise AudioError(
            f"Checking the recording took longer than {timeout_s:g} s (QC_AUDIO_CHECK_TIMEOUT_S); "
            "try again later, or split the recording"
        ) from None
    if scan.samples == 0:
        raise AudioError("The recording is empty: it contains no audio samples")
    _check_complete(scan, declared=declared, codec=codec)
    return AudioInfo(
        container_format=fmt,
        codec=codec,
        duration_s=scan.seconds,
        sample_rate=scan.rate,
        channels=scan.channels,
        peak_dbfs=_dbfs(scan.peak),
    )


def _check_complete(scan: _Scan, *, declared: float, codec: str) -> None:
    if codec in _MP3_DECODERS:
        expected = containers.mp3_frame_length(scan.last_packet_head)
        if expected is not None and scan.last_packet_size < expected:
            raise containers.cut_short(scan.seconds)
    if declared and scan.seconds < declared - SHORTFALL_TOLERANCE_S - declared * SHORTFALL_TOLERANCE_RATIO:
        raise AudioError(
            f"The recording is incomplete: its header declares {containers.human_duration(declared)} "
            f"of audio but only {containers.human_duration(scan.seconds)} can be decoded (the file is "
            "cut short or damaged). Upload the complete recording."
        )


def _scan(
    container: av.container.InputContainer,
    stream: av.AudioStream,
    *,
    max_duration_s: float,
    deadline: float,
) -> _Scan:
    scan = _Scan(rate=stream.codec_context.sample_rate or 0, channels=stream.codec_context.channels or 0)
    packets = container.demux(stream)
    try:
        for packet in packets:
            if packet.is_corrupt:
                raise _Broken("a block of it is incomplete")
            if packet.size:
                scan.last_packet_head, scan.last_packet_size = bytes(memoryview(packet)[:4]), packet.size
            for frame in packet.decode():
                _take(scan, frame, max_duration_s=max_duration_s)
            if time.monotonic() > deadline:
                raise TimeoutError
    except (av.FFmpegError, EOFError, _Broken) as exc:
        reason = str(exc) if isinstance(exc, _Broken) else _ffmpeg_reason(exc)
        raise _damaged(scan, reason, at_end=not _any_audio_left(packets)) from exc
    return scan


class _Broken(Exception):
    """A block of the recording that demuxed or decoded wrong (the message says how)."""


def _ffmpeg_reason(exc: Exception) -> str:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"it cannot be decoded ({reason.lower()})"


def _any_audio_left(packets: Iterator[av.Packet]) -> bool:
    """Whether the file holds more audio after a broken block (damage, not a cut end)."""
    try:
        return any(packet.size for packet in packets)
    except (av.FFmpegError, EOFError):
        return True


def _take(scan: _Scan, frame: av.AudioFrame, *, max_duration_s: float) -> None:
    """Count one decoded frame, refusing it if it is corrupt or follows a gap."""
    if frame.is_corrupt:
        raise _Broken("a block of it is corrupt")
    data = _to_float(frame)
    if frame.pts is not None and frame.time_base:
        # In whole time-base ticks: Fraction arithmetic on every frame would cost a quarter
        # of the decoding time.
        ticks_per_s = frame.time_base.denominator / frame.time_base.numerator
        if scan.next_pts is not None and frame.pts - scan.next_pts > GAP_TOLERANCE_S * ticks_per_s:
            missing = (frame.pts - scan.next_pts) / ticks_per_s
            raise _Broken(f"{containers.human_duration(missing)} of audio is missing")
        scan.next_pts = frame.pts + round(data.shape[1] * ticks_per_s / frame.sample_rate)
    scan.channels, scan.rate = data.shape[0], frame.sample_rate
    if data.size:
        scan.peak = max(scan.peak, float(np.max(np.abs(data))))
    scan.samples += data.shape[1]
    if scan.rate and scan.seconds > max_duration_s:
        raise AudioError(
            "The recording is too long: it runs past the limit of "
            f"{containers.human_duration(max_duration_s)} (QC_MAX_CALL_DURATION_S)"
        )


def _damaged(scan: _Scan, what: str, *, at_end: bool) -> AudioError:
    if at_end:
        return containers.cut_short(scan.seconds)
    return AudioError(
        f"The recording is damaged {format_clock(scan.seconds)} into it: {what}. {_DAMAGED_ADVICE}"
    )


PEAKS_PER_SECOND = 20
MAX_PEAKS = 24_000  # per channel: a 20-minute call at full resolution


def waveform_peaks(path: Path, *, duration_s: float) -> list[list[float]]:
    """Per channel, the loudest sample of each slice of the recording (0..1), for drawing
    the waveform without sending the whole recording to the browser first."""
    per_second = min(PEAKS_PER_SECOND, MAX_PEAKS / max(duration_s, 1.0))
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or 8000
        step = max(1, int(rate / per_second))
        channels: list[list[float]] = []
        carry: np.ndarray | None = None
        for frame in container.decode(stream):
            data = _to_float(frame)
            data = data if carry is None else np.concatenate([carry, data], axis=1)
            whole = data.shape[1] // step * step
            if len(channels) < data.shape[0]:
                channels.extend([] for _ in range(data.shape[0] - len(channels)))
            if whole:
                blocks = np.abs(data[:, :whole]).reshape(data.shape[0], -1, step).max(axis=2)
                for index, row in enumerate(blocks):
                    channels[index].extend(np.round(row.astype(np.float64), 3).tolist())
            carry = data[:, whole:]
        if carry is not None and carry.shape[1]:
            for index, row in enumerate(np.abs(carry).max(axis=1)):
                channels[index].append(round(float(row), 3))
    return channels
