"""Inspect an uploaded recording before accepting it.

The whole file is decoded once, frame by frame (never whole in memory), so that a
corrupt file, an empty one or one with nothing but silence is refused at upload
with a reason, rather than failing later in the pipeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from qc.errors import AudioError, UnsupportedMedia

# Channels closer than this (peak of L-R, full scale 1.0) carry the same signal.
IDENTICAL_CHANNELS_TOLERANCE = 1e-3
# Less than this share of the declared duration decodable means a damaged file.
TRUNCATION_RATIO = 0.97
ESTIMATED_DURATION_FORMATS = frozenset({"mp3", "aac"})
_SAMPLE_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 9.223372036854776e18}


@dataclass(frozen=True)
class AudioInfo:
    container_format: str
    codec: str
    duration_s: float
    sample_rate: int
    channels: int
    peak_dbfs: float
    channels_identical: bool


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


def _declared_duration(container: av.container.InputContainer, fmt: str) -> float:
    """The duration the file's header states, where the header can be trusted.

    MP3 without a Xing/VBRI header and raw AAC have none: FFmpeg estimates it from the
    first frame's bitrate, which is far off for VBR files, so those are only measured.
    """
    if fmt in ESTIMATED_DURATION_FORMATS or not container.duration:
        return 0.0
    return float(container.duration / av.time_base)


def _dbfs(peak: float) -> float:
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def probe_audio(path: Path, *, max_duration_s: float) -> AudioInfo:
    """Decode `path` fully and describe it; AudioError/UnsupportedMedia say what is wrong."""
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise UnsupportedMedia(
            "This file is not audio we can read (wav, mp3, ogg/opus, flac, m4a...)"
        ) from exc
    with container:
        if not container.streams.audio:
            raise UnsupportedMedia("The file has no audio track")
        stream = container.streams.audio[0]
        fmt = container.format.name.split(",")[0]
        declared = _declared_duration(container, fmt)
        if declared > max_duration_s:
            raise _too_long(declared, max_duration_s)
        peak, diff_peak, samples, channels, rate = _scan(container, stream, max_duration_s)
        codec = stream.codec_context.name or "unknown"
    if samples == 0:
        raise AudioError("The recording is empty: it contains no audio samples")
    decoded = samples / rate
    if declared > 1.0 and decoded < declared * TRUNCATION_RATIO:
        raise AudioError(
            f"The recording is truncated or corrupt: only {decoded:.1f} s of its "
            f"{declared:.1f} s could be decoded"
        )
    return AudioInfo(
        container_format=fmt,
        codec=codec,
        duration_s=decoded,
        sample_rate=rate,
        channels=channels,
        peak_dbfs=_dbfs(peak),
        channels_identical=channels >= 2 and diff_peak <= IDENTICAL_CHANNELS_TOLERANCE,
    )


def _scan(
    container: av.container.InputContainer, stream: av.AudioStream, max_duration_s: float
) -> tuple[float, float, int, int, int]:
    peak = diff_peak = 0.0
    samples = 0
    channels = stream.codec_context.channels or 0
    rate = stream.codec_context.sample_rate or 0
    try:
        for frame in container.decode(stream):
            data = _to_float(frame)
            channels, rate = data.shape[0], frame.sample_rate
            if data.size:
                peak = max(peak, float(np.max(np.abs(data))))
                if channels >= 2:
                    diff_peak = max(diff_peak, float(np.max(np.abs(data[0] - data[1]))))
            samples += data.shape[1]
            if rate and samples / rate > max_duration_s:
                raise _too_long(samples / rate, max_duration_s)
    except av.FFmpegError as exc:
        at = f" after {samples / rate:.1f} s" if rate and samples else ""
        raise AudioError(f"The recording is corrupt: decoding failed{at} ({exc.strerror or exc})") from exc
    return peak, diff_peak, samples, channels, rate


def _too_long(duration_s: float, max_duration_s: float) -> AudioError:
    return AudioError(
        f"The recording is too long ({duration_s / 60:.0f} min); the limit is "
        f"{max_duration_s / 60:.0f} min (QC_MAX_CALL_DURATION_S)"
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
