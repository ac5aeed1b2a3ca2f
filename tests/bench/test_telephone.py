"""The benchmark's telephone line (bench/telephone.py): band, codec, leak and file."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from bench.telephone import (
    TELEPHONE_RATE,
    Line,
    degrade_call,
    degrade_mono,
    mulaw_decode,
    mulaw_encode,
    telephone_band,
    write_mulaw_wav,
)

RATE = 16_000


def _sine(hz: float, seconds: float = 2.0, amplitude: float = 0.3) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * hz * np.arange(int(seconds * RATE)) / RATE)).astype(np.float32)


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio[800:-800], dtype=np.float64))))


def test_mulaw_round_trip_keeps_g711_precision() -> None:
    audio = np.linspace(-1, 1, 100_001)
    codes = mulaw_encode(audio)
    decoded = mulaw_decode(codes)
    loud = np.abs(audio) > 0.01
    assert codes.dtype == np.uint8 and len(np.unique(codes)) == 256
    assert np.max(np.abs(decoded - audio)[loud] / np.abs(audio[loud])) < 0.05  # ~ 8-bit log steps
    assert mulaw_encode(np.zeros(1))[0] == 0xFF and mulaw_decode(np.array([0xFF]))[0] == 0


@pytest.mark.parametrize(("hz", "passes"), [(100, False), (1000, True), (3000, True), (3800, False)])
def test_telephone_band_keeps_300_to_3400_hz_at_8_khz(hz: float, passes: bool) -> None:
    narrow = telephone_band(_sine(hz), RATE)
    assert len(narrow) == 2 * TELEPHONE_RATE
    assert _rms(narrow) == pytest.approx(0.3 / np.sqrt(2), rel=0.01) if passes else _rms(narrow) < 1e-4


def test_each_side_leaks_into_the_other_at_the_drawn_level() -> None:
    silent = np.zeros(2 * RATE, dtype=np.float32)
    quiet = Line(hiss_dbfs=-120, hum_dbfs=-120)
    call = degrade_call(_sine(1000), silent, rate=RATE, line=quiet, seed=7)
    agent, customer = (mulaw_decode(codes) for codes in call.channels)
    heard_db = 20 * np.log10(_rms(customer) / _rms(agent))
    assert -30 <= call.leak_db[1] <= -20 and 10 <= call.echo_ms[1] <= 40
    assert heard_db == pytest.approx(call.leak_db[1], abs=0.5)
    again = degrade_call(_sine(1000), silent, rate=RATE, line=quiet, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(call.channels, again.channels, strict=True))


def test_line_noise_sits_at_its_level() -> None:
    codes = degrade_mono(
        np.zeros(2 * RATE, dtype=np.float32), rate=RATE, line=Line(hum_dbfs=-120, hiss_dbfs=-45), seed=1
    )
    assert 20 * np.log10(_rms(mulaw_decode(codes))) == pytest.approx(-45, abs=1.0)


def test_mulaw_wav_decodes_to_the_same_samples(tmp_path: Path) -> None:
    call = degrade_call(_sine(440), _sine(1000), rate=RATE, line=Line(), seed=3)
    path = write_mulaw_wav(tmp_path / "call.wav", call.channels)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.rate, stream.channels) == ("pcm_mulaw", 8000, 2)
        samples = np.concatenate([frame.to_ndarray().reshape(-1, 2) for frame in container.decode(stream)])
    expected = np.stack([mulaw_decode(codes) for codes in call.channels], axis=1)
    assert np.array_equal(samples / 32768.0, expected)
