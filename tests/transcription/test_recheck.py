"""The `recheck` hotwords rule: a second, hotwords-prompted look at the agent's greeting that
may only correct words the first pass was unsure of, and only to bring the brand in."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from bench.telephone import Line, degrade_call, write_mulaw_wav
from qc.calls.models import ChannelLayout
from qc.config import Settings
from qc.transcription import engine, recheck, service
from qc.transcription.engine import SAMPLE_RATE, AsrOptions, HotwordsRule, SegmentData, WordData
from qc.transcription.models import Speaker
from tests.factories import SAMPLES
from tests.transcription.test_asr import model_for, sample

BRAND = "Acme support"
RECHECK = AsrOptions(hotwords=BRAND, hotwords_rule=HotwordsRule.RECHECK)


def words(
    text: str, *, start: float = 1.0, step: float = 0.5, unsure: frozenset[str] = frozenset()
) -> list[WordData]:
    """One word every `step` seconds; the words named in `unsure` heard with probability 0.2."""
    return [
        WordData(start + n * step, start + n * step + step * 0.8, word, 0.2 if word in unsure else 0.9)
        for n, word in enumerate(text.split())
    ]


def segment(said: list[WordData], speaker: Speaker = Speaker.AGENT) -> SegmentData:
    return SegmentData(speaker, said[0].start, said[-1].end, " ".join(w.word for w in said), said, -0.3, 0.01)


def test_the_names_among_the_hotwords_are_their_capitalised_words() -> None:
    assert recheck.names("Acme support, Acme Cloud;  ProPlan") == {"acme", "cloud", "proplan"}
    assert recheck.names("Акме поддержка") == {"акме"}
    assert recheck.names("acme support") == {"acme", "support"}  # no capitals: every word counts


def test_the_greeting_runs_from_the_first_word_to_the_pause_after_its_tenth_second() -> None:
    said = words("good morning this is daniel from acme", start=4.0, step=2.0)  # 4, 6 ... 16 s
    span = recheck.greeting(said, 60.0, length_s=10.0)
    # "daniel" starts 8 s after "good", "from" 10 s after: the cut is in the pause before "from".
    assert span == recheck.Span(3.7, pytest.approx(said[4].end + 0.2))  # the pause is 0.4 s
    assert recheck.greeting([], 60.0) is None
    assert recheck.greeting(said[:1], 4.5).end == 4.5  # never past the track's end


def test_the_brand_counts_as_heard_when_one_of_its_names_is() -> None:
    hot = recheck.names("Acme Telecom")
    assert recheck.heard(words("this is Daniel from Acme, Palakom."), hot)
    assert not recheck.heard(words("this is Daniel from Acne Palakom."), hot)
    assert not recheck.heard(words("thank you for calling me support."), recheck.names(BRAND))


@pytest.mark.parametrize(
    ("first", "unsure", "second", "expected"),
    [
        # The case it exists for: an unsure "me the board" is the brand.
        ("calling me the board. My", {"me"}, "calling Acme support. My", [(1, 4, "Acme support.")]),
        # Whisper says its prompt into the silence after the last word: never added.
        ("we want to make it.", {"make"}, "we want to make it. Acme", []),
        # Words the first pass was sure of stay.
        ("calling me the board. My", set(), "calling Acme support. My", []),
        # A correction that does not bring the brand is not this pass's business.
        ("calling me the board. My", {"me"}, "calling him the board. My", []),
        # Nor does a long rewrite, which is a different decode rather than a correction.
        ("a b c d e f g h", {"c"}, "Acme support i j k l m n", []),
        # Nor a prompt said before the first word, in place of one unsure word.
        ("uh hi this is John", {"uh"}, "Thank you for calling Acme hi this is John", []),
        ("we want it", {"it"}, "we want Acme support Acme", []),
    ],
)
def test_only_unsure_words_are_replaced_and_only_by_the_brand(
    first: str, unsure: set[str], second: str, expected: list[tuple[int, int, str]]
) -> None:
    found = recheck.replacements(words(first, unsure=frozenset(unsure)), words(second), recheck.names(BRAND))
    assert [(r.first, r.last, " ".join(w.word for w in r.words)) for r in found] == expected


def test_a_replacement_stays_within_the_time_of_the_words_it_replaces() -> None:
    first = words("calling me later", unsure=frozenset({"me"}))  # "me" at 1.5-1.9 s
    drifted = words("calling Acme later", step=2.0)  # "Acme" at 3.0-4.6 s: not where "me" was
    assert recheck.replacements(first, drifted, recheck.names(BRAND)) == []
    close = words("calling Acme later", step=0.6)  # "Acme" at 1.6-2.08 s
    assert [r.first for r in recheck.replacements(first, close, recheck.names(BRAND))] == [1]


def test_the_greeting_is_one_window_whatever_the_setting() -> None:
    said = words("word " * 200, step=0.5)  # 100 s of speech
    span = recheck.greeting(said, 120.0, length_s=90.0)
    assert span is not None and span.end - span.start <= recheck.MAX_GREETING_S


class GreetingModel:
    """Stands in for WhisperModel in the second pass: hears `said` (times in the piece), and
    logs what it was asked."""

    def __init__(self, said: list[WordData], *, compression: float = 1.3, logprob: float = -0.4) -> None:
        self.said = said
        self.quality = (compression, logprob)
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: np.ndarray, **kwargs: Any) -> tuple[list[Any], Any]:
        self.calls.append({"seconds": round(len(audio) / SAMPLE_RATE, 2), **kwargs})
        raw = [
            SimpleNamespace(start=w.start, end=w.end, word=" " + w.word, probability=w.probability)
            for w in self.said
        ]
        compression, logprob = self.quality
        return [
            SimpleNamespace(
                words=raw, compression_ratio=compression, avg_logprob=logprob, no_speech_prob=0.01
            )
        ], None


AUDIO = np.zeros(60 * SAMPLE_RATE, dtype=np.float32)


def first_pass() -> list[SegmentData]:
    greeting = words("thank you for calling me the board. My name is Laura.", unsure=frozenset({"me", "the"}))
    later = words("what lights do you see on the router", start=20.0)
    return [segment(greeting), segment(later)]


def test_the_greeting_is_decoded_again_with_the_hotwords_and_corrected() -> None:
    # The piece starts 0.3 s before the first word (at 1.0 s), so piece time + 0.7 = track time.
    model = GreetingModel(words("thank you for calling Acme support. My name is Laura.", start=0.3))
    segments = engine._recheck_greeting(model, Speaker.AGENT, AUDIO, first_pass(), "en", RECHECK)

    assert [s.text for s in segments] == [
        "thank you for calling Acme support. My name is Laura.",
        "what lights do you see on the router",
    ]
    acme = segments[0].words[4]
    assert (acme.word, acme.start) == ("Acme", pytest.approx(3.0))
    assert segments[0].start == pytest.approx(1.0) and segments[1] == first_pass()[1]
    [call] = model.calls
    assert call["hotwords"] == BRAND and call["temperature"] == 0.0 and not call["vad_filter"]
    assert call["seconds"] == pytest.approx(6.4 + 0.3 - 0.7)  # 0.3 s around the words, no more
    assert call["max_new_tokens"] < 60


@pytest.mark.parametrize(
    ("speaker", "options", "said"),
    [
        (Speaker.CUSTOMER, RECHECK, "me the board"),  # only the agent greets with the brand
        (Speaker.AGENT, AsrOptions(hotwords=BRAND, hotwords_rule=HotwordsRule.OPENING), "me the board"),
        (Speaker.AGENT, AsrOptions(hotwords=None, hotwords_rule=HotwordsRule.RECHECK), "me the board"),
        (Speaker.AGENT, RECHECK, "Acme support"),  # heard the first time: nothing to recheck
    ],
)
def test_no_second_pass_where_it_has_nothing_to_do(speaker: Speaker, options: AsrOptions, said: str) -> None:
    model = GreetingModel(words("thank you for calling Acme support.", start=0.3))
    first = [
        segment(words(f"thank you for calling {said}. My name is Laura.", unsure=frozenset({"me"})), speaker)
    ]
    assert engine._recheck_greeting(model, speaker, AUDIO, first, "en", options) == first
    assert model.calls == []


def test_a_second_pass_that_fails_whispers_quality_tests_changes_nothing() -> None:
    looping = GreetingModel(words("Acme support " * 6, start=0.3), compression=9.2)
    assert (
        engine._recheck_greeting(looping, Speaker.AGENT, AUDIO, first_pass(), "en", RECHECK) == first_pass()
    )
    assert len(looping.calls) == 1


def test_the_first_pass_gets_no_hotwords_under_the_recheck_rule() -> None:
    assert engine.hotwords_span(Speaker.AGENT, 300.0, RECHECK) == 0.0
    assert RECHECK.window_s == recheck.GREETING_S
    assert AsrOptions(hotwords=BRAND, hotwords_rule=HotwordsRule.OPENING).window_s == engine.OPENING_S
    options = service.asr_options(Settings(asr_hotwords="recheck"), hotwords=BRAND)
    assert (options.hotwords_rule, options.window_s) == (HotwordsRule.RECHECK, recheck.GREETING_S)


@pytest.fixture(scope="module")
def telephone_support_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled inbound support call as a phone line delivers it (8 kHz mu-law, echo,
    hiss): tiny.en hears its "Thank you for calling Acme support" as "calling me the board"."""
    from faster_whisper.audio import decode_audio

    item = sample("inbound_en_support.mp3")
    left, right = decode_audio(str(SAMPLES / item["file"]), sampling_rate=SAMPLE_RATE, split_stereo=True)
    agent, customer = (left, right) if item["channels"] == "agent-left" else (right, left)
    line = degrade_call(agent, customer, rate=SAMPLE_RATE, line=Line(), seed=15)
    return write_mulaw_wav(tmp_path_factory.mktemp("telephone") / "support.wav", line.channels)


@pytest.mark.parametrize("batch", [0, 4])
def test_a_real_telephone_call_gets_its_brand_back(telephone_support_call: Path, batch: int) -> None:
    loaded, spec = model_for("tiny.en")

    def run(rule: HotwordsRule) -> engine.TranscriptionResult:
        options = AsrOptions(batch_size=batch, hotwords=BRAND, hotwords_rule=rule)
        return engine.transcribe(
            loaded,
            spec,
            telephone_support_call,
            layout=ChannelLayout.AGENT_LEFT,
            language="en",
            options=options,
        )

    def said(result: engine.TranscriptionResult, speaker: Speaker) -> list[str]:
        return [w.word for s in result.segments if s.speaker is speaker for w in s.words]

    off, rechecked = run(HotwordsRule.OFF), run(HotwordsRule.RECHECK)
    assert "Acme" not in " ".join(said(off, Speaker.AGENT)), "the first pass alone should miss the brand here"
    greeting = next(s for s in rechecked.segments if s.speaker is Speaker.AGENT)
    assert "calling Acme support" in greeting.text
    assert said(rechecked, Speaker.CUSTOMER) == said(off, Speaker.CUSTOMER)
    changed = [w for w in said(off, Speaker.AGENT) if w not in said(rechecked, Speaker.AGENT)]
    assert 1 <= len(changed) <= 3, changed  # "me", "the", "board." at most: the rest stands
