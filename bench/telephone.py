"""Telephone-like audio from clean two-sided recordings, for the ASR benchmark.

What a call recorded on a phone line sounds like, made from 16 kHz agent and customer
channels with numpy only (deterministic for a seed):

- each side band-limited to the telephone band (300-3400 Hz) and resampled to 8 kHz;
- each side leaking into the other's channel at -20 to -30 dB, a few tens of ms late
  (the hybrid's echo, which a channel-per-side recorder captures);
- line noise: hiss and a little mains hum;
- G.711 mu-law, 8 bits a sample, written as a mu-law WAV (format tag 7), the file a
  telephony recorder hands over.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TELEPHONE_RATE = 8_000
BAND_HZ = (300.0, 3400.0)
_RAMP_HZ = 100.0  # raised-cosine edges of the band, so the filter does not ring
_MULAW_BIAS = 132
_MULAW_CLIP = 32_635
_WAVE_FORMAT_MULAW = 7


def mulaw_encode(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as G.711 mu-law bytes (the ITU-T G.191 reference coder)."""
    pcm = np.clip(np.round(np.asarray(audio, dtype=np.float64) * 32768.0), -32768, 32767).astype(np.int32)
    sign = (pcm < 0).astype(np.int32)
    magnitude = np.minimum(np.abs(pcm), _MULAW_CLIP) + _MULAW_BIAS
    exponent = np.frexp(magnitude.astype(np.float64))[1] - 8  # floor(log2(magnitude)) - 7, 0..7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~((sign << 7) | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


def mulaw_decode(codes: np.ndarray) -> np.ndarray:
    """G.711 mu-law bytes as float32 samples in [-1, 1]."""
    inverted = ~np.asarray(codes, dtype=np.int32) & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    pcm = np.where(inverted & 0x80, -magnitude, magnitude)
    return (pcm / 32768.0).astype(np.float32)


def telephone_band(audio: np.ndarray, rate: int) -> np.ndarray:
    """`audio` at `rate` band-limited to 300-3400 Hz and resampled to 8 kHz (in one FFT)."""
    count = len(audio)
    out_count = count * TELEPHONE_RATE // rate
    spectrum = np.fft.rfft(np.asarray(audio, dtype=np.float64))
    freqs = np.fft.rfftfreq(count, 1.0 / rate)
    low, high = BAND_HZ
    gain = np.clip((freqs - (low - _RAMP_HZ / 2)) / _RAMP_HZ, 0.0, 1.0)
    gain *= np.clip(((high + _RAMP_HZ / 2) - freqs) / _RAMP_HZ, 0.0, 1.0)
    gain = 0.5 - 0.5 * np.cos(np.pi * gain)  # raised-cosine edges
    kept = (spectrum * gain)[: out_count // 2 + 1]
    return (np.fft.irfft(kept, n=out_count) * (out_count / count)).astype(np.float32)


@dataclass(frozen=True)
class Line:
    """How bad the line is. Leak and echo delay are drawn per side from the ranges."""

    leak_db: tuple[float, float] = (-30.0, -20.0)
    echo_ms: tuple[float, float] = (10.0, 40.0)
    speech_dbfs: float = -26.0  # active-speech level each side is brought to (ITU nominal)
    hiss_dbfs: float = -62.0
    hum_dbfs: float = -55.0
    hum_hz: float = 50.0


@dataclass(frozen=True)
class Degraded:
    """A telephone-like recording: mu-law codes per channel, and what was drawn."""

    channels: list[np.ndarray]  # uint8 mu-law codes at 8 kHz, one array per channel
    leak_db: list[float]  # per channel: the level the other side leaks in at
    echo_ms: list[float]


def degrade_call(agent: np.ndarray, customer: np.ndarray, *, rate: int, line: Line, seed: int) -> Degraded:
    """(agent, customer) at `rate` as a telephone call: channel 0 agent, channel 1 customer."""
    rng = np.random.default_rng(seed)
    sides = [_level(telephone_band(side, rate), line.speech_dbfs) for side in (agent, customer)]
    leak_db = [float(rng.uniform(*line.leak_db)) for _ in sides]
    echo_ms = [float(rng.uniform(*line.echo_ms)) for _ in sides]
    channels = []
    for index, own in enumerate(sides):
        other = sides[1 - index]
        heard = own + _delayed(other, echo_ms[index]) * 10 ** (leak_db[index] / 20)
        channels.append(mulaw_encode(heard + _line_noise(len(own), line, rng)))
    return Degraded(channels, leak_db, echo_ms)


def degrade_mono(audio: np.ndarray, *, rate: int, line: Line, seed: int) -> np.ndarray:
    """One stream (a mono recording) as telephone audio: mu-law codes at 8 kHz."""
    rng = np.random.default_rng(seed)
    own = _level(telephone_band(audio, rate), line.speech_dbfs)
    return mulaw_encode(own + _line_noise(len(own), line, rng))


def write_mulaw_wav(path: Path, channels: list[np.ndarray], *, variant: int = 0) -> Path:
    """A G.711 mu-law WAV at 8 kHz; a non-zero `variant` is written into the last two frames
    of every channel alike, so each write of the same audio is a different file (the
    platform refuses duplicates) and identical channels stay identical."""
    data = np.stack(channels, axis=1).astype(np.uint8)
    if variant:
        data[-2:, :] = np.array([(variant >> 8) & 0xFF, variant & 0xFF], dtype=np.uint8)[:, None]
    frames = len(data)
    count = len(channels)
    payload = data.tobytes()
    fmt = struct.pack(
        "<HHIIHHH", _WAVE_FORMAT_MULAW, count, TELEPHONE_RATE, TELEPHONE_RATE * count, count, 8, 0
    )
    chunks = [
        b"fmt " + struct.pack("<I", len(fmt)) + fmt,
        b"fact" + struct.pack("<II", 4, frames),
        b"data" + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b""),
    ]
    body = b"WAVE" + b"".join(chunks)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def _level(audio: np.ndarray, dbfs: float) -> np.ndarray:
    """Scaled so its active speech sits at `dbfs` RMS: the 20 ms frames within 30 dB of its
    loudest (a channel of a call is silent half the time, which must not count)."""
    frame = TELEPHONE_RATE // 50
    count = len(audio) // frame
    if count == 0:
        return audio
    energy = np.square(audio[: count * frame].reshape(count, frame), dtype=np.float64).mean(axis=1)
    active = energy[energy > np.percentile(energy, 95) * 1e-3]
    rms = float(np.sqrt(active.mean())) if active.size else 0.0
    return audio * (10 ** (dbfs / 20) / rms) if rms > 0 else audio


def _delayed(audio: np.ndarray, ms: float) -> np.ndarray:
    shift = round(ms * TELEPHONE_RATE / 1000)
    return np.concatenate([np.zeros(shift, dtype=audio.dtype), audio[: len(audio) - shift]])


def _line_noise(count: int, line: Line, rng: np.random.Generator) -> np.ndarray:
    hiss = rng.standard_normal(count) * 10 ** (line.hiss_dbfs / 20)
    t = np.arange(count) / TELEPHONE_RATE
    phase = rng.uniform(0, 2 * np.pi)
    # mains hum: the fundamental and its odd harmonics, RMS of the sum at hum_dbfs
    hum = sum(np.sin(2 * np.pi * line.hum_hz * k * t + phase * k) / k for k in (1, 3, 5))
    hum_rms = np.sqrt(sum(0.5 / k**2 for k in (1, 3, 5)))
    return (hiss + hum * (10 ** (line.hum_dbfs / 20) / hum_rms)).astype(np.float32)
