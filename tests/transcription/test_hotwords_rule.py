"""Hotwords only where the rule says: which track and span get them, cut where nobody speaks,
timings unchanged by the cut; the settings behind them (batching on a GPU, models per language)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from qc.calls.models import ChannelLayout
from qc.config import Settings
from qc.transcription import engine, service, weights
from qc.transcription.engine import SAMPLE_RATE, AsrOptions, HotwordsRule
from qc.transcription.models import Speaker
from tests.factories import SAMPLES
from tests.transcription.test_asr import (
    assert_speakers_follow_turns,
    assert_timings_monotonic,
    model_for,
    reference_of,
    said_by,
    sample,
    wer,
)

BRAND = "Acme Telecom"


@pytest.mark.parametrize(
    ("rule", "speaker", "span"),
    [
        (HotwordsRule.OFF, Speaker.AGENT, 0.0),
        (HotwordsRule.ALL, Speaker.AGENT, 300.0),
        (HotwordsRule.ALL, Speaker.CUSTOMER, 300.0),
        (HotwordsRule.AGENT, Speaker.AGENT, 300.0),
        (HotwordsRule.AGENT, Speaker.CUSTOMER, 0.0),
        (HotwordsRule.AGENT, Speaker.UNKNOWN, 300.0),  # a mono call's only track holds the agent
        (HotwordsRule.OPENING, Speaker.AGENT, 45.0),
        (HotwordsRule.OPENING, Speaker.UNKNOWN, 45.0),
        (HotwordsRule.OPENING, Speaker.CUSTOMER, 0.0),
    ],
)
def test_the_rule_names_the_span_that_gets_hotwords(
    rule: HotwordsRule, speaker: Speaker, span: float
) -> None:
    options = AsrOptions(hotwords=BRAND, hotwords_rule=rule, hotwords_window_s=45.0)
    assert engine.hotwords_span(speaker, 300.0, options) == span


def test_no_hotwords_no_span_whatever_the_rule() -> None:
    for rule in HotwordsRule:
        assert (
            engine.hotwords_span(Speaker.AGENT, 300.0, AsrOptions(hotwords=None, hotwords_rule=rule)) == 0.0
        )


def test_an_opening_longer_than_the_track_covers_the_track() -> None:
    options = AsrOptions(hotwords=BRAND, hotwords_rule=HotwordsRule.OPENING, hotwords_window_s=600.0)
    assert engine.hotwords_span(Speaker.AGENT, 30.0, options) == 30.0


def speech_like(seconds: float, *, silent: tuple[float, float] | None = None, seed: int = 1) -> np.ndarray:
    audio = np.random.default_rng(seed).normal(0, 0.1, int(seconds * SAMPLE_RATE)).astype(np.float32)
    if silent:
        audio[int(silent[0] * SAMPLE_RATE) : int(silent[1] * SAMPLE_RATE)] *= 0.001
    return audio


def test_the_cut_falls_in_the_quietest_moment_after_the_window() -> None:
    audio = speech_like(90, silent=(62.3, 62.8))
    cut = engine.quiet_point(audio, 60.0) / SAMPLE_RATE
    assert 62.3 <= cut <= 62.8


def test_a_cut_past_the_end_of_the_track_is_at_the_window() -> None:
    audio = speech_like(60.1)
    assert engine.quiet_point(audio, 60.0) == 60 * SAMPLE_RATE


def test_the_opening_piece_gets_the_hotwords_and_the_rest_follows_without() -> None:
    audio = speech_like(90, silent=(61.0, 61.4))
    options = AsrOptions(hotwords=BRAND, hotwords_rule=HotwordsRule.OPENING, hotwords_window_s=60.0)

    agent = engine._pieces(Speaker.AGENT, audio, options)
    customer = engine._pieces(Speaker.CUSTOMER, audio, options)

    assert [(hotwords, round(offset, 1)) for offset, _, hotwords in agent] == [(BRAND, 0.0), (None, 61.1)]
    assert np.array_equal(np.concatenate([piece for _, piece, _ in agent]), audio)
    assert [(offset, hotwords) for offset, _, hotwords in customer] == [(0.0, None)]


class RecordingModel:
    """Stands in for WhisperModel: one word per piece at 1.0-1.5 s of the piece, and a log of
    which piece (length, hotwords) it was asked to transcribe."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str | None]] = []

    def transcribe(self, audio: np.ndarray, **kwargs: Any) -> tuple[list[Any], Any]:
        self.calls.append((round(len(audio) / SAMPLE_RATE, 1), kwargs["hotwords"]))
        word = SimpleNamespace(start=1.0, end=1.5, word=" hello", probability=0.9)
        segment = SimpleNamespace(words=[word], avg_logprob=-0.2, no_speech_prob=0.01)
        return [segment], SimpleNamespace(duration_after_vad=len(audio) / SAMPLE_RATE)


def test_each_piece_is_transcribed_once_and_its_words_keep_call_time() -> None:
    model = RecordingModel()
    tracks = [
        (Speaker.AGENT, speech_like(90, silent=(61.0, 61.4))),
        (Speaker.CUSTOMER, speech_like(90, seed=2)),
    ]
    options = AsrOptions(hotwords=BRAND, hotwords_rule=HotwordsRule.OPENING, hotwords_window_s=60.0)

    segments, speech_s = engine._transcribe_sequential(model, tracks, "en", options)

    assert model.calls == [(61.1, BRAND), (28.9, None), (90.0, None)]
    assert sorted((s.speaker.value, round(s.start, 1)) for s in segments) == [
        ("agent", 1.0),
        ("agent", 62.1),
        ("customer", 1.0),
    ]
    assert speech_s == pytest.approx(180.0, abs=0.01)


@pytest.mark.parametrize("batch", [0, 4])
def test_a_real_call_with_hotwords_in_the_opening_only(batch: int) -> None:
    # The agent's first 8 s get the hotwords, the rest of the call does not: the words of both
    # pieces land at their time in the call, on the right speaker, as well heard as before.
    item = sample("outbound_en_followed.ogg")
    loaded, spec = model_for("tiny.en")
    options = AsrOptions(
        batch_size=batch, hotwords=BRAND, hotwords_rule=HotwordsRule.OPENING, hotwords_window_s=8.0
    )
    result = engine.transcribe(
        loaded,
        spec,
        SAMPLES / item["file"],
        layout=ChannelLayout(item["channels"]),
        language="en",
        options=options,
    )

    assert wer(reference_of(item, "agent"), said_by(result, Speaker.AGENT)) <= 0.20
    assert wer(reference_of(item, "customer"), said_by(result, Speaker.CUSTOMER)) <= 0.15
    assert_speakers_follow_turns(result, item)
    assert_timings_monotonic(result)


@pytest.mark.parametrize(
    ("configured", "device", "batch"),
    [(None, "cpu", 0), (None, "cuda", service.GPU_BATCH_SIZE), (0, "cuda", 0), (4, "cpu", 4)],
)
def test_batched_clips_on_a_gpu_unless_told_otherwise(
    configured: int | None, device: str, batch: int
) -> None:
    settings = Settings(asr_batch_size=configured)
    assert service.asr_options(settings, device=device).batch_size == batch


def test_the_hotwords_rule_comes_from_the_settings() -> None:
    options = service.asr_options(Settings(asr_hotwords="agent", asr_hotwords_window_s=30), hotwords=BRAND)
    assert (options.hotwords_rule, options.hotwords_window_s, options.hotwords) == (
        HotwordsRule.AGENT,
        30.0,
        BRAND,
    )


@pytest.mark.parametrize(
    ("configured", "per_language", "language", "name"),
    [
        ("auto", {}, "en", weights.TINY_EN),
        ("auto", {}, "ru", weights.BASE),
        ("auto", {"ru": "/models/small"}, "ru", "/models/small"),
        ("auto", {"ru": "/models/small"}, "it", weights.BASE),
        ("base", {"en": "auto"}, "en", weights.TINY_EN),
        ("/models/turbo", {}, None, "/models/turbo"),
    ],
)
def test_a_model_per_language(
    configured: str, per_language: dict[str, str], language: str | None, name: str
) -> None:
    assert weights.choose_model_name(configured, language, per_language=per_language) == name


def test_models_per_language_are_read_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QC_ASR_MODELS", '{"ru": "/models/faster-whisper-small", "sr": "/models/turbo"}')
    assert Settings().asr_models == {"ru": "/models/faster-whisper-small", "sr": "/models/turbo"}


def test_an_undeclared_language_is_identified_then_transcribed_by_its_own_model() -> None:
    base, base_spec = model_for("base")
    asked: list[str] = []

    def own_model(language: str) -> tuple[Any, weights.ModelSpec]:
        asked.append(language)
        return model_for("tiny.en" if language == "en" else "base")

    item = sample("outbound_en_followed.ogg")
    result = engine.transcribe(
        base,
        base_spec,
        SAMPLES / item["file"],
        layout=ChannelLayout(item["channels"]),
        language=None,
        options=AsrOptions(),
        model_for=own_model,
    )

    assert asked == ["en"]
    assert (result.language, result.model) == ("en", "tiny.en")
    assert wer(reference_of(item, "agent"), said_by(result, Speaker.AGENT)) <= 0.20
