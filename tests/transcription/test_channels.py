"""A stereo call's channels: the same sound twice, and the other side's echo.

The detector and the echo fading are numpy on real speech cut from the bundled sample
calls (agent 0-2 s, customer 3-5 s, each channel carrying the other 20-30 dB down, as
phone lines do). The end-to-end tests run the real model on a few seconds of audio.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from qc.calls.models import ChannelLayout
from qc.transcription import channels, engine, service, weights
from qc.transcription.channels import FRAME, SAMPLE_RATE
from qc.transcription.engine import SegmentData, TranscriptionResult, WordData
from qc.transcription.models import Speaker, Transcript
from tests.audio_helpers import encode
from tests.factories import SAMPLES, make_call, make_transcript

S = SAMPLE_RATE
NOISE = 1e-3  # line noise RMS, -60 dBFS


@cache
def speech() -> tuple[np.ndarray, np.ndarray]:
    """Two seconds of the agent's and of the customer's voice (espeak-ng, the sample call)."""
    agent, customer = engine.decode(SAMPLES / "outbound_en_followed.ogg", stereo=True)
    return agent[int(0.5 * S) : int(2.5 * S)], customer[int(6.4 * S) : int(8.4 * S)]


def at(audio: np.ndarray, start_s: float, total_s: float) -> np.ndarray:
    placed = np.zeros(int(total_s * S), dtype=np.float32)
    placed[int(start_s * S) : int(start_s * S) + len(audio)] = audio
    return placed


def line_noise(seconds: float, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * S)) * NOISE).astype(np.float32)


def leaky_call(leak_db: float, *, customer_start_s: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """(agent channel, customer channel): agent 0-2 s, customer from 3 s, each channel
    also carrying the other side `leak_db` down."""
    agent_voice, customer_voice = speech()
    agent = at(agent_voice, 0.0, 5.5)
    customer = at(customer_voice, customer_start_s, 5.5)
    leak = np.float32(10 ** (leak_db / 20))
    return agent + leak * customer + line_noise(5.5, 1), customer + leak * agent + line_noise(5.5, 2)


def mu_law(audio: np.ndarray) -> np.ndarray:
    """8-bit mu-law companding there and back (a telephone codec's quantisation)."""
    mu = 255.0
    compressed = np.sign(audio) * np.log1p(mu * np.abs(np.clip(audio, -1, 1))) / np.log1p(mu)
    quantised = np.round(compressed * 127) / 127
    return (np.sign(quantised) * np.expm1(np.abs(quantised) * np.log1p(mu)) / mu).astype(np.float32)


def energy(audio: np.ndarray, start_s: float, end_s: float) -> float:
    piece = audio[int(start_s * S) : int(end_s * S)].astype(np.float64)
    return float(np.mean(piece**2))


# Identical channels ---------------------------------------------------------------------


def test_the_same_channel_twice_is_identical() -> None:
    agent, customer = leaky_call(-25)
    mono = agent + customer
    identical, similarity, share = channels.compare_channels(mono, mono.copy())
    assert identical
    assert similarity == 1.0 and share == 1.0


def test_the_same_sound_at_minus_1_db_through_mu_law_is_identical() -> None:
    agent, customer = leaky_call(-25)
    mono = (agent + customer) * np.float32(0.5)
    quieter = mu_law(mono * np.float32(10 ** (-1 / 20)))
    identical, similarity, _ = channels.compare_channels(mu_law(mono), quieter)
    assert identical
    assert similarity > 0.99


@pytest.mark.parametrize("leak_db", [-20.0, -30.0])
def test_separate_channels_with_the_other_side_leaking_in_are_not_identical(leak_db: float) -> None:
    identical, similarity, share = channels.compare_channels(*leaky_call(leak_db))
    assert not identical
    assert share < 0.5
    assert similarity < 0.5


def test_one_side_silent_with_the_others_echo_is_not_identical() -> None:
    # The customer never speaks: their channel is the agent 20 dB down, which correlates
    # perfectly with the agent's; only the level tells them apart.
    agent_voice, _ = speech()
    agent = at(agent_voice, 0.0, 3.0)
    identical, _, share = channels.compare_channels(agent, agent * np.float32(0.1))
    assert not identical
    assert share == 0.0


def test_a_greeting_played_to_both_sides_does_not_make_a_call_identical() -> None:
    agent, customer = leaky_call(-25)
    greeting = np.concatenate([speech()[0], speech()[1]])[: 1 * S]
    identical, _, share = channels.compare_channels(
        np.concatenate([greeting, agent]), np.concatenate([greeting, customer])
    )
    assert not identical
    assert 0 < share < 0.5


def test_silent_or_too_short_channels_are_not_identical() -> None:
    silence = np.zeros(3 * S, dtype=np.float32)
    assert channels.compare_channels(silence, silence) == (False, 0.0, 0.0)
    assert channels.compare_channels(silence[:100], silence[:100]) == (False, 0.0, 0.0)


def test_identical_channels_become_one_mono_track() -> None:
    agent, customer = leaky_call(-25)
    mono = agent + customer
    plan = channels.plan_channels(mono, mono * np.float32(0.9))
    assert not plan.speakers_separated
    assert [speaker for speaker, _ in plan.tracks] == [Speaker.UNKNOWN]
    assert plan.report == {"identical": True, "similarity": 1.0, "same_share": 1.0}


# Echo faded out before ASR --------------------------------------------------------------


@pytest.mark.parametrize("leak_db", [-20.0, -25.0, -30.0])
def test_the_other_sides_echo_is_faded_and_the_speech_is_untouched(leak_db: float) -> None:
    agent, customer = leaky_call(leak_db)
    plan = channels.plan_channels(agent, customer)
    faded = dict(plan.tracks)

    assert plan.speakers_separated
    # Where the customer speaks, the agent's channel loses its copy of them (and vice versa):
    # what is left there is quieter than the line noise alone.
    assert energy(faded[Speaker.AGENT], 3, 5) < NOISE**2 < energy(agent, 3, 5) / 5
    assert energy(faded[Speaker.CUSTOMER], 0, 2) < NOISE**2 < energy(customer, 0, 2) / 5
    # Each speaker's own speech keeps all its loud frames exactly.
    for track, original, (start, end) in (
        (faded[Speaker.AGENT], agent, (0, 2)),
        (faded[Speaker.CUSTOMER], customer, (3, 5)),
    ):
        assert energy(track, start, end) > 0.99 * energy(original, start, end)
        own = slice(start * S // FRAME, end * S // FRAME)
        frames = channels.frame_energies(original)[own]
        loud = frames > frames.max() / 1000  # within 30 dB of the loudest frame
        assert np.array_equal(channels.frame_energies(track)[own][loud], frames[loud])
    seconds = plan.report["echo_by_speaker"]
    assert 0.5 < seconds["agent"]["seconds"] <= 2.5
    assert 0.5 < seconds["customer"]["seconds"] <= 2.5
    assert plan.report["echo_seconds"] == pytest.approx(
        seconds["agent"]["seconds"] + seconds["customer"]["seconds"]
    )


def test_both_talking_at_once_keeps_both() -> None:
    agent, customer = leaky_call(-25, customer_start_s=0.5)  # the customer talks over the agent
    plan = channels.plan_channels(agent, customer)
    faded = dict(plan.tracks)
    assert energy(faded[Speaker.AGENT], 0, 2) > 0.95 * energy(agent, 0, 2)
    assert energy(faded[Speaker.CUSTOMER], 0.5, 2.5) > 0.95 * energy(customer, 0.5, 2.5)


def test_a_clean_call_has_nothing_to_fade() -> None:
    agent_voice, customer_voice = speech()
    agent, customer = at(agent_voice, 0, 5.5), at(customer_voice, 3, 5.5)
    plan = channels.plan_channels(agent, customer)
    assert plan.report["echo_seconds"] == 0
    assert np.array_equal(plan.tracks[0][1], agent) and np.array_equal(plan.tracks[1][1], customer)


def test_an_empty_recording_has_nothing_to_fade() -> None:
    empty = np.zeros(0, dtype=np.float32)
    plan = channels.plan_channels(empty, empty)
    assert plan.report["echo_seconds"] == 0 and [len(audio) for _, audio in plan.tracks] == [0, 0]


def test_an_echo_arriving_late_is_faded_to_its_end() -> None:
    agent, _ = leaky_call(-25)
    late = np.concatenate([np.zeros(int(0.06 * S), np.float32), agent[: -int(0.06 * S)]])
    plan = channels.plan_channels(at(speech()[0], 0, 5.5), at(speech()[1], 3, 5.5) + late / 18)
    faded = dict(plan.tracks)[Speaker.CUSTOMER]
    assert energy(faded, 0, 2.1) < energy(late / 18, 0, 2.1) / 100


def test_fading_ramps_across_a_frame_without_clicks() -> None:
    gains = np.array([1, 1, channels.ECHO_GAIN, channels.ECHO_GAIN, 1], dtype=np.float32)
    curve = channels.apply_gains(np.ones(5 * FRAME, dtype=np.float32), gains)
    assert np.abs(np.diff(curve)).max() <= 1 / FRAME + 1e-6
    assert curve[2 * FRAME + FRAME - 1] < 0.01 and curve[FRAME - 1] == 1.0


def test_channel_analysis_of_a_five_minute_call_takes_milliseconds() -> None:
    agent, customer = leaky_call(-25)
    repeats = 300 * S // len(agent) + 1
    long_agent, long_customer = np.tile(agent, repeats)[: 300 * S], np.tile(customer, repeats)[: 300 * S]
    started = time.perf_counter()
    channels.plan_channels(long_agent, long_customer)
    # tiny.en takes about a minute for such a call on two cores: 1% would be 600 ms.
    assert time.perf_counter() - started < 0.5


# Echo words dropped after ASR -----------------------------------------------------------


def words(*spans: tuple[str, float, float]) -> list[WordData]:
    return [WordData(start, end, text, 0.9) for text, start, end in spans]


def segment(speaker: Speaker, spoken: list[WordData]) -> SegmentData:
    return SegmentData(speaker, spoken[0].start, spoken[-1].end, " ".join(w.word for w in spoken), spoken)


def energies_of(agent: np.ndarray, customer: np.ndarray) -> dict[Speaker, np.ndarray]:
    return {
        Speaker.AGENT: channels.frame_energies(agent),
        Speaker.CUSTOMER: channels.frame_energies(customer),
    }


def test_words_heard_as_the_other_sides_echo_are_dropped() -> None:
    agent, customer = leaky_call(-25)
    segments = [
        segment(Speaker.AGENT, words(("Good", 0.1, 0.5), ("morning", 0.6, 1.2))),
        segment(Speaker.CUSTOMER, words(("Good", 0.15, 0.5), ("morning", 0.65, 1.15))),  # echo
        segment(Speaker.AGENT, words(("Yes", 3.1, 3.5), ("sure", 3.6, 4.0), ("well", 4.6, 4.9))),  # echo
        segment(Speaker.CUSTOMER, words(("Yes", 3.1, 3.45), ("sure", 3.6, 3.95))),
    ]
    kept, dropped = channels.drop_echo_words(segments, energies_of(agent, customer))

    assert [(s.speaker, s.text) for s in kept] == [
        (Speaker.AGENT, "Good morning"),
        (Speaker.AGENT, "well"),
        (Speaker.CUSTOMER, "Yes sure"),
    ]
    # "well" overlaps no customer word: nothing shows it is an echo, so it stays.
    assert dropped == {"agent": 2, "customer": 2}


def test_a_segment_losing_some_words_keeps_its_text_and_times_in_step() -> None:
    agent, customer = leaky_call(-25)
    segments = [
        segment(Speaker.CUSTOMER, words(("morning", 0.65, 1.15), ("Yes", 3.1, 3.45), ("sure", 3.6, 3.95))),
        segment(Speaker.AGENT, words(("Good", 0.1, 0.5), ("morning", 0.6, 1.2))),
    ]
    kept, dropped = channels.drop_echo_words(segments, energies_of(agent, customer))
    customer_segment = next(s for s in kept if s.speaker is Speaker.CUSTOMER)
    assert customer_segment.text == "Yes sure"
    assert (customer_segment.start, customer_segment.end) == (3.1, 3.95)
    assert dropped == {"agent": 0, "customer": 1}


def test_words_both_sides_say_at_once_stay_on_both() -> None:
    agent, customer = leaky_call(-25, customer_start_s=0.2)
    segments = [
        segment(Speaker.AGENT, words(("Good", 0.3, 0.7), ("morning", 0.8, 1.3))),
        segment(Speaker.CUSTOMER, words(("Yes", 0.35, 0.75), ("sure", 0.8, 1.2))),
    ]
    kept, dropped = channels.drop_echo_words(segments, energies_of(agent, customer))
    assert kept == segments
    assert dropped == {"agent": 0, "customer": 0}


def test_mono_segments_pass_through() -> None:
    agent, customer = leaky_call(-25)
    segments = [segment(Speaker.UNKNOWN, words(("Hello", 0.1, 0.5)))]
    assert channels.drop_echo_words(segments, energies_of(agent, customer)) == (
        segments,
        {"agent": 0, "customer": 0},
    )


# With the real model ---------------------------------------------------------------------


def run_tiny(path: Path, layout: ChannelLayout) -> TranscriptionResult:
    from qc.config import get_settings

    spec = weights.resolve_model("tiny.en", get_settings().model_cache_dir)
    model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=0)  # cached
    return engine.transcribe(model, spec, path, layout=layout, language="en", options=engine.AsrOptions())


def test_a_leaky_stereo_call_has_no_duplicated_lines(tmp_path: Path) -> None:
    # The sample's first two turns (agent 0.5-5.8 s, customer 6.4-8.7 s), each channel
    # carrying the other 22 dB down and 30 ms late: before this, every line came twice.
    left, right = engine.decode(SAMPLES / "outbound_en_followed.ogg", stereo=True)
    agent, customer = left[: 9 * S], right[: 9 * S]
    echo = np.float32(10 ** (-22 / 20))
    late = int(0.03 * S)

    def delayed(audio: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros(late, np.float32), audio[:-late]])

    path = encode(
        tmp_path / "leaky.wav", np.stack([agent + echo * delayed(customer), customer + echo * delayed(agent)])
    )
    result = run_tiny(path, ChannelLayout.AGENT_LEFT)

    assert result.speakers_separated
    said = {
        speaker: " ".join(s.text for s in result.segments if s.speaker is speaker).lower()
        for speaker in Speaker
    }
    assert "daniel" in said[Speaker.AGENT] and "ahead" in said[Speaker.CUSTOMER]
    assert "daniel" not in said[Speaker.CUSTOMER] and "ahead" not in said[Speaker.AGENT]
    for s in result.segments:
        assert s.end <= 6.2 if s.speaker is Speaker.AGENT else s.start >= 5.8, s
    report = result.channel_report
    assert report is not None and report["identical"] is False
    assert report["echo_by_speaker"]["customer"]["seconds"] > 1
    assert result.speech_duration_s < 10  # each channel's echo was skipped, not transcribed


def test_a_stereo_file_with_the_same_sound_twice_is_transcribed_once(tmp_path: Path) -> None:
    (mono,) = engine.decode(SAMPLES / "inbound_en_mono.flac", stereo=False)
    # "Acme sales, this is Sofia speaking." "Hello, I would like to upgrade my plan."
    mono = mono[: int(7.2 * S)]
    path = encode(tmp_path / "twice.mp3", np.stack([mono, mono * np.float32(10 ** (-1 / 20))]))
    result = run_tiny(path, ChannelLayout.AGENT_RIGHT)

    assert not result.speakers_separated
    assert {s.speaker for s in result.segments} == {Speaker.UNKNOWN}
    assert result.channel_report is not None and result.channel_report["identical"] is True
    assert result.channel_report["similarity"] > 0.95
    heard = " ".join(s.text for s in result.segments).lower()
    assert heard.count("hello") == 1 and heard.count("would like") == 1  # each sentence once
    assert result.speech_duration_s < 7.2  # one channel's speech, not two


# Stored and shown ---------------------------------------------------------------------------


def test_store_transcript_keeps_the_channel_report(db: Any, org: Any) -> None:
    call = make_call(db, rep=org.rep)
    report: dict[str, Any] = {
        "identical": False,
        "similarity": 0.12,
        "same_share": 0.0,
        "echo_by_speaker": {"agent": {"seconds": 2.1, "words": 0}, "customer": {"seconds": 3.4, "words": 5}},
        "echo_seconds": 5.5,
        "echo_words": 5,
    }
    segments = [segment(Speaker.AGENT, words(("Hello", 0.1, 0.5)))]
    result = TranscriptionResult("en", 1.0, "tiny.en", True, 5.0, 1.0, 0.5, segments, channel_report=report)
    service.store_transcript(db, call, result)
    db.commit()
    assert db.scalar(select(Transcript.channel_report).where(Transcript.call_id == call.id)) == report


def page_with_report(
    db: Any, org: Any, browser: Any, report: dict[str, Any] | None, *, separated: bool
) -> Any:
    call = make_call(db, rep=org.rep)
    transcript = make_transcript(db, call)
    transcript.channel_report = report
    transcript.speakers_separated = separated
    db.commit()
    browser.login_as(org.reviewer)
    return browser.page(f"/calls/{call.id}")


def notes(soup: Any) -> list[str]:
    return [" ".join(p.get_text().split()) for p in soup.select(".call-main p.notice")]


def test_call_page_says_when_both_channels_carried_the_same_sound(db: Any, org: Any, browser: Any) -> None:
    soup = page_with_report(db, org, browser, {"identical": True, "similarity": 0.998}, separated=False)
    assert notes(soup) == [
        "Both channels carry the same sound: transcribed once as mono, speakers not separated."
    ]


def test_call_page_says_what_echo_was_left_out(db: Any, org: Any, browser: Any) -> None:
    report = {
        "identical": False,
        "similarity": 0.1,
        "echo_by_speaker": {
            "agent": {"seconds": 0.4, "words": 0},
            "customer": {"seconds": 24.6, "words": 12},
        },
        "echo_seconds": 25.0,
        "echo_words": 12,
    }
    soup = page_with_report(db, org, browser, report, separated=True)
    assert notes(soup) == [
        "About 25 s of the agent's voice, heard as echo on the customer's channel, was left out of the "
        "transcript. 12 words heard only as the agent's echo were removed from the customer's channel."
    ]


def test_call_page_of_a_clean_stereo_call_has_no_channel_note(db: Any, org: Any, browser: Any) -> None:
    report = {
        "identical": False,
        "similarity": 0.0,
        "echo_by_speaker": {"agent": {"seconds": 0.0, "words": 0}, "customer": {"seconds": 0.0, "words": 0}},
    }
    assert notes(page_with_report(db, org, browser, report, separated=True)) == []
    mono = notes(page_with_report(db, org, browser, None, separated=False))
    assert mono == [
        "Speakers not separated: this is a mono recording, so the transcript cannot tell the agent "
        "from the customer."
    ]
