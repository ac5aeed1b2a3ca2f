"""Beeping personal data out of a recording: decode, overwrite the spans on their channel
with a 1 kHz tone, encode again.

The recording is processed frame by frame (never whole in memory). The copy keeps the
original's channels and sample rate, and its codec where the browser plays it and we can
encode it (MP3, FLAC, AAC, Opus in Ogg); Vorbis becomes Opus, anything else (PCM, A-law,
GSM...) 16-bit WAV, which every browser plays.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np

from qc.errors import AudioError
from qc.privacy.masking import Beep

BEEP_HZ = 1000.0
BEEP_AMPLITUDE = 0.25  # -12 dBFS: clearly a beep, not a blast


@dataclass(frozen=True)
class Output:
    extension: str
    codec: str
    rates: frozenset[int] | None = None  # the rates the encoder takes; None: any

    def rate_for(self, rate: int) -> int:
        """The original's sample rate where the encoder takes it, else the nearest above."""
        if self.rates is None or rate in self.rates:
            return rate
        return min((r for r in self.rates if r > rate), default=max(self.rates))


_OPUS_RATES = frozenset({8000, 12000, 16000, 24000, 48000})
_BY_CODEC = {
    "mp3": Output("mp3", "libmp3lame"),
    "mp3float": Output("mp3", "libmp3lame"),
    "flac": Output("flac", "flac"),
    "aac": Output("m4a", "aac"),
    "opus": Output("ogg", "libopus", _OPUS_RATES),
    "vorbis": Output("ogg", "libopus", _OPUS_RATES),
}
_WAV = Output("wav", "pcm_s16le")


def output_for(codec: str) -> Output:
    """The format of the masked copy of a recording in `codec`."""
    return _BY_CODEC.get(codec, _WAV)


def _layout(channels: int) -> str:
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")


def _tone(start: int, stop: int, rate: int) -> np.ndarray:
    t = np.arange(start, stop, dtype=np.float64) / rate
    return (BEEP_AMPLITUDE * np.sin(2 * np.pi * BEEP_HZ * t)).astype(np.float32)


def _apply(block: np.ndarray, offset: int, rate: int, beeps: Sequence[Beep]) -> None:
    """Overwrite the parts of `block` (channels x samples, starting at sample `offset`)
    that fall in a beep, on the beep's channels."""
    end = offset + block.shape[1]
    for beep in beeps:
        lo, hi = max(offset, int(beep.start * rate)), min(end, int(np.ceil(beep.end * rate)))
        if lo >= hi:
            continue
        tone = _tone(lo, hi, rate)
        for channel in beep.channels:
            if channel < block.shape[0]:
                block[channel, lo - offset : hi - offset] = tone


def _source_format(path: Path) -> tuple[int, int]:
    """(sample rate, channels) of the recording's audio stream."""
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise AudioError("The recording holds no audio to mask")
        context = container.streams.audio[0].codec_context
        return context.sample_rate or 8000, context.channels or 1


def _frames(path: Path, rate: int, channels: int) -> Iterator[np.ndarray]:
    """The whole recording as float32 blocks of channels x samples."""
    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=_layout(channels), rate=rate)
        for frame in container.decode(stream):
            for plain in resampler.resample(frame):
                yield plain.to_ndarray().astype(np.float32, copy=False)
        for plain in resampler.resample(None):
            yield plain.to_ndarray().astype(np.float32, copy=False)


def beep(source: Path, target: Path, beeps: Sequence[Beep], *, output: Output) -> None:
    """Write `source` with `beeps` applied to `target` in `output`'s format (`output_for`);
    AudioError if the recording cannot be decoded."""
    try:
        _write(source, target, beeps, output)
    except av.FFmpegError as exc:
        raise AudioError(f"The recording could not be masked: {exc.strerror or exc}") from exc


def _write(source: Path, target: Path, beeps: Sequence[Beep], output: Output) -> None:
    rate, channels = _source_format(source)
    layout = _layout(channels)
    with av.open(str(target), mode="w", format=_container(output)) as container:
        stream = cast(
            av.AudioStream, container.add_stream(output.codec, rate=output.rate_for(rate), layout=layout)
        )
        resampler = av.AudioResampler(
            format=stream.codec_context.format, layout=layout, rate=output.rate_for(rate)
        )
        offset = 0
        for block in _frames(source, rate, channels):
            block = np.ascontiguousarray(block)
            _apply(block, offset, rate, beeps)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.time_base = Fraction(1, rate)
            frame.pts = offset
            offset += block.shape[1]
            for packet in (p for r in resampler.resample(frame) for p in stream.encode(r)):
                container.mux(packet)
        for packet in (p for r in resampler.resample(None) for p in stream.encode(r)):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _container(output: Output) -> str:
    return {"mp3": "mp3", "flac": "flac", "m4a": "ipod", "ogg": "ogg", "wav": "wav"}[output.extension]
