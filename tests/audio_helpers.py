"""Make audio files of any format from the samples, for upload tests."""

from __future__ import annotations

import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def tone(seconds: float, *, rate: int = 16000, channels: int = 1, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    left = amplitude * np.sin(2 * np.pi * 220 * t)
    if channels == 1:
        return left[np.newaxis, :].astype(np.float32)
    right = amplitude * np.sin(2 * np.pi * 330 * t + 0.5)
    return np.stack([left, right]).astype(np.float32)


def empty_wav(path: Path, *, channels: int = 2, rate: int = 16000) -> Path:
    """A valid WAV header announcing no samples at all."""
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
    return path


def encode(path: Path, samples: np.ndarray, *, rate: int = 16000, codec: str | None = None) -> Path:
    """Write (channels, n) float samples with PyAV; the container follows the suffix."""
    channels = samples.shape[0]
    layout = "mono" if channels == 1 else "stereo"
    codec = (
        codec
        or {
            ".wav": "pcm_s16le",
            ".mp3": "libmp3lame",
            ".ogg": "libopus",
            ".flac": "flac",
            ".m4a": "aac",
            ".opus": "libopus",
        }[path.suffix]
    )
    out_rate = 48000 if codec == "libopus" else rate
    with av.open(str(path), "w") as container:
        # FFmpeg's own Vorbis encoder (the wheels carry no libvorbis) is marked experimental.
        options = {"strict": "experimental"} if codec == "vorbis" else {}
        stream = container.add_stream(codec, rate=out_rate, layout=layout, options=options)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        frame.pts = 0
        resampler = av.AudioResampler(format=stream.codec_context.format, layout=layout, rate=out_rate)
        for resampled in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def transcode(source: Path, target: Path) -> Path:
    """Decode `source` and write it again in the format of `target`'s suffix."""
    with av.open(str(source)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        channels = stream.codec_context.channels
        resampler = av.AudioResampler(format="fltp", layout="mono" if channels == 1 else "stereo", rate=rate)
        chunks = [r.to_ndarray() for f in container.decode(stream) for r in resampler.resample(f)]
    return encode(target, np.concatenate(chunks, axis=1), rate=rate)


def vbr_mp3_without_header(path: Path, *, silence_s: float = 10, speech_s: float = 30) -> Path:
    """A VBR MP3 (quiet start, busy rest) whose Xing header frame was cut off, as some
    recorders write them: FFmpeg can then only guess its duration from the first frame."""
    rate = 16000
    t = np.arange(int(rate * speech_s)) / rate
    rng = np.random.default_rng(7)
    busy = 0.3 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 3 * t) + 0.05 * rng.standard_normal(len(t))
    samples = np.concatenate([np.zeros(int(rate * silence_s)), busy]).astype(np.float32)[np.newaxis, :]
    full = path.with_name(path.stem + "-xing.mp3")
    with av.open(str(full), "w") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.codec_context.flags |= av.codec.context.Flags.qscale
        stream.codec_context.global_quality = 4 * 118  # LAME V4
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=rate)
        for resampled in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = full.read_bytes()
    assert b"Xing" in data[:200]
    for cut in range(data.find(b"Xing") + 4, 2000):  # the first offset FFmpeg can sync on
        path.write_bytes(data[cut:])
        try:
            with av.open(str(path)) as container:
                if container.duration and container.duration / av.time_base > (silence_s + speech_s) * 1.3:
                    return path
        except av.FFmpegError:
            continue
    raise AssertionError("could not make a header-less VBR mp3")
