"""Speech to text with faster-whisper: channels to speakers, words with timings.

Stereo calls carry one speaker per channel. Each channel is decoded, its silence is
skipped by the Silero VAD that ships with faster-whisper, and its speech is
transcribed; the two are labelled by the channel layout and merged by time. Mono
calls are transcribed as one stream with speaker `unknown`.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from qc.calls.models import ChannelLayout
from qc.errors import AudioError, QCError
from qc.transcription import recheck
from qc.transcription.channels import ChannelPlan, plan_channels
from qc.transcription.models import Speaker
from qc.transcription.weights import ModelSpec

SAMPLE_RATE = 16_000
# A pause longer than this inside one Whisper segment starts a new utterance, so that
# the other channel's reply can sit between the two halves when channels are merged.
SPLIT_GAP_S = 1.0
MAX_CLIP_S = 30.0
MERGE_CLIP_GAP_S = 1.5
OPENING_S = 60.0  # the `opening` rule's default span


class LanguageNotSupported(QCError):
    status_code = 422
    code = "language_not_supported"


class HotwordsRule(enum.StrEnum):
    """Where the scorecard's hotwords (brand and product names) are given to the model.

    Hotwords are a prompt prefix: every 30-second window decoded with them costs markedly
    more (1.65x on a real phone call; on telephone audio a prompted window often fails
    Whisper's quality tests and is decoded again at rising temperatures), and most of a
    call never names the brand. The checks look for the company in the agent's greeting:
    `opening` pays for them over the agent's first minute, `recheck` (the default) only
    for a second look at the greeting when the first pass missed them (bench/asr.py
    measures the trade-off).
    """

    OFF = "off"
    ALL = "all"  # every channel, the whole call
    AGENT = "agent"  # the agent's channel (a mono call's only channel), the whole call
    OPENING = "opening"  # the agent's channel, its first `hotwords_window_s` seconds
    # No hotwords in the first pass; the agent's greeting (its first `hotwords_window_s`
    # seconds of speech) decoded again with them when the first pass did not hear them,
    # correcting only words it was unsure of (qc.transcription.recheck).
    RECHECK = "recheck"

    def default_window_s(self) -> float:
        return recheck.GREETING_S if self is HotwordsRule.RECHECK else OPENING_S


@dataclass(frozen=True)
class AsrOptions:
    beam_size: int = 5
    batch_size: int = 0  # 0: transcribe channels one after the other; >0: batch speech clips
    hotwords: str | None = None
    hotwords_rule: HotwordsRule = HotwordsRule.RECHECK
    hotwords_window_s: float | None = None  # None: the rule's default

    @property
    def window_s(self) -> float:
        return self.hotwords_window_s or self.hotwords_rule.default_window_s()


@dataclass
class WordData:
    start: float
    end: float
    word: str
    probability: float
    # The words a number was said as, when `word` is its digits (qc.transcription.numbers).
    spoken: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "word": self.word,
            "probability": round(self.probability, 4),
        }
        if self.spoken is not None:
            out["spoken"] = self.spoken
        return out


@dataclass
class SegmentData:
    speaker: Speaker
    start: float
    end: float
    text: str
    words: list[WordData] = field(default_factory=list)
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


@dataclass
class TranscriptionResult:
    language: str
    language_probability: float | None
    model: str
    speakers_separated: bool
    audio_duration_s: float
    speech_duration_s: float
    processing_s: float
    segments: list[SegmentData]
    # What was found about a stereo call's channels (qc.transcription.channels); None for mono.
    channel_report: dict[str, Any] | None = None

    @property
    def mean_word_probability(self) -> float | None:
        probabilities = [w.probability for s in self.segments for w in s.words]
        return float(np.mean(probabilities)) if probabilities else None


def decode(path: Path, *, stereo: bool) -> tuple[np.ndarray, ...]:
    """16 kHz float32 audio: (mono,) or (left, right)."""
    from faster_whisper.audio import decode_audio

    try:
        if stereo:
            left, right = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
            return left, right
        return (decode_audio(str(path), sampling_rate=SAMPLE_RATE),)
    except Exception as exc:  # PyAV raises many error types for broken media
        raise AudioError(f"The recording could not be decoded: {exc}") from exc


def transcribe(
    model: Any,
    spec: ModelSpec,
    path: Path,
    *,
    layout: ChannelLayout,
    language: str | None,
    options: AsrOptions,
    model_for: Callable[[str], tuple[Any, ModelSpec]] | None = None,
) -> TranscriptionResult:
    """Transcribe one recording with speakers from its channel layout. When `language` is
    not given, `model` identifies it and `model_for(language)` (if given) names the model
    that transcribes it (QC_ASR_MODELS)."""
    started = time.perf_counter()
    multilingual = bool(model.model.is_multilingual)
    if language and not multilingual and language != "en":
        raise LanguageNotSupported(
            f"The ASR model {spec.label} only knows English but the call is in {language!r}; "
            "set QC_ASR_MODEL to a multilingual model (e.g. base)"
        )
    if not multilingual:
        language = "en"
    channels = decode(path, stereo=layout.is_stereo)
    plan: ChannelPlan | None = None
    if layout.is_stereo:
        agent, customer = channels if layout is ChannelLayout.AGENT_LEFT else channels[::-1]
        plan = plan_channels(agent, customer)
        tracks = plan.tracks
    else:
        tracks = [(Speaker.UNKNOWN, channels[0])]
    probability: float | None = 1.0 if language else None
    if language is None:
        language, probability = detect_language(model, [audio for _, audio in tracks])
        if model_for is not None:
            model, spec = model_for(language)
    if options.batch_size > 0:
        segments, speech_s = _transcribe_batched(model, tracks, language, options)
    else:
        segments, speech_s = _transcribe_sequential(model, tracks, language, options)
    if plan is not None:
        segments = plan.finish(segments)
    segments.sort(key=lambda s: (s.start, s.end))
    return TranscriptionResult(
        language=language,
        language_probability=probability,
        model=spec.label,
        speakers_separated=plan is not None and plan.speakers_separated,
        audio_duration_s=len(tracks[0][1]) / SAMPLE_RATE,
        speech_duration_s=speech_s,
        processing_s=time.perf_counter() - started,
        segments=segments,
        channel_report=plan.report if plan is not None else None,
    )


def detect_language(model: Any, tracks: Sequence[np.ndarray]) -> tuple[str, float]:
    """The language most probable on average over the channels' speech.

    Averaging both speakers is markedly more robust than trusting one channel: a short
    or accented side alone is often mistaken for a neighbouring language.
    """
    totals: dict[str, float] = {}
    for audio in tracks:
        _, _, probabilities = model.detect_language(audio=audio, vad_filter=True)
        for language, probability in probabilities:
            totals[language] = totals.get(language, 0.0) + probability / len(tracks)
    best = max(totals, key=totals.__getitem__)
    return best, totals[best]


def _transcribe_kwargs(language: str, options: AsrOptions, *, hotwords: str | None) -> dict[str, Any]:
    return {
        "language": language,
        "beam_size": options.beam_size,
        "word_timestamps": True,
        "hotwords": hotwords or None,
    }


def hotwords_span(speaker: Speaker, duration_s: float, options: AsrOptions) -> float:
    """How many seconds from the start of this speaker's track get the hotwords (0: none)."""
    if not options.hotwords or options.hotwords_rule in (HotwordsRule.OFF, HotwordsRule.RECHECK):
        return 0.0
    if options.hotwords_rule is HotwordsRule.ALL:
        return duration_s
    if speaker is Speaker.CUSTOMER:
        return 0.0
    if options.hotwords_rule is HotwordsRule.AGENT:
        return duration_s
    return min(duration_s, options.window_s)


def quiet_point(audio: np.ndarray, after_s: float, *, search_s: float = 5.0, frame_s: float = 0.2) -> int:
    """The sample where the quietest `frame_s` frame within `search_s` after `after_s` starts:
    a track cut there splits no word (or as few as the speech allows)."""
    start = int(after_s * SAMPLE_RATE)
    frame = int(frame_s * SAMPLE_RATE)
    window = audio[start : start + int(search_s * SAMPLE_RATE)]
    count = len(window) // frame
    if count < 2:
        return start
    energy = np.square(window[: count * frame].reshape(count, frame)).mean(axis=1)
    return start + int(np.argmin(energy)) * frame + frame // 2


def _pieces(
    speaker: Speaker, audio: np.ndarray, options: AsrOptions
) -> list[tuple[float, np.ndarray, str | None]]:
    """The track as (offset in seconds, audio, hotwords) pieces: the opening with the hotwords
    and the rest without, so only the span the rule names pays for them."""
    duration_s = len(audio) / SAMPLE_RATE
    span = hotwords_span(speaker, duration_s, options)
    if span <= 0:
        return [(0.0, audio, None)]
    if span >= duration_s:
        return [(0.0, audio, options.hotwords)]
    cut = quiet_point(audio, span)
    if cut >= len(audio):
        return [(0.0, audio, options.hotwords)]
    return [(0.0, audio[:cut], options.hotwords), (cut / SAMPLE_RATE, audio[cut:], None)]


def _transcribe_sequential(
    model: Any, tracks: Sequence[tuple[Speaker, np.ndarray]], language: str, options: AsrOptions
) -> tuple[list[SegmentData], float]:
    segments: list[SegmentData] = []
    speech_s = 0.0
    for speaker, audio in tracks:
        heard: list[SegmentData] = []
        for offset, piece, hotwords in _pieces(speaker, audio, options):
            raw, info = model.transcribe(
                piece,
                vad_filter=True,
                vad_parameters={"min_silence_duration_ms": 500},
                **_transcribe_kwargs(language, options, hotwords=hotwords),
            )
            heard.extend(_split_segments(raw, speaker, offset=-offset))
            speech_s += float(info.duration_after_vad)
        segments.extend(_recheck_greeting(model, speaker, audio, heard, language, options))
    return segments, speech_s


def _transcribe_batched(
    model: Any, tracks: Sequence[tuple[Speaker, np.ndarray]], language: str, options: AsrOptions
) -> tuple[list[SegmentData], float]:
    """Both channels' speech clips in batched passes (pays off on GPUs and long calls): one
    pass for the clips the hotwords rule covers, one for the rest."""
    from faster_whisper import BatchedInferencePipeline

    groups: dict[str | None, tuple[list[dict[str, float]], list[tuple[Speaker, float]]]] = {}
    pieces: list[np.ndarray] = []
    offset = 0.0
    speech_s = 0.0
    for speaker, audio in tracks:
        span = hotwords_span(speaker, len(audio) / SAMPLE_RATE, options)
        for start, end in _speech_clips(audio):
            clips, owners = groups.setdefault(options.hotwords if start < span else None, ([], []))
            clips.append({"start": offset + start, "end": offset + end})
            owners.append((speaker, offset))
            speech_s += end - start
        pieces.append(audio)
        offset += len(audio) / SAMPLE_RATE
    if not groups:
        return [], 0.0
    pipeline = BatchedInferencePipeline(model)
    joined = np.concatenate(pieces)
    segments: list[SegmentData] = []
    for hotwords, (clips, owners) in groups.items():
        raw, _ = pipeline.transcribe(
            joined,
            clip_timestamps=clips,
            batch_size=options.batch_size,
            **_transcribe_kwargs(language, options, hotwords=hotwords),
        )
        for segment in raw:
            speaker, track_offset = _owner_of(segment.start, clips, owners)
            segments.extend(_split_segments([segment], speaker, offset=track_offset))
    if options.hotwords_rule is HotwordsRule.RECHECK:
        segments.sort(key=lambda s: s.start)
        for speaker, audio in tracks:
            own = [s for s in segments if s.speaker is speaker]
            others = [s for s in segments if s.speaker is not speaker]
            segments = others + _recheck_greeting(model, speaker, audio, own, language, options)
    return segments, speech_s


def _recheck_greeting(
    model: Any,
    speaker: Speaker,
    audio: np.ndarray,
    segments: list[SegmentData],
    language: str,
    options: AsrOptions,
) -> list[SegmentData]:
    """The track's segments, with the words a second, hotwords-prompted look at the greeting
    corrected (the `recheck` rule; unchanged under the others)."""
    if (
        options.hotwords_rule is not HotwordsRule.RECHECK
        or not options.hotwords
        or not recheck.speaker_gets_recheck(speaker)
    ):
        return segments
    hot = recheck.names(options.hotwords)
    words = [w for s in segments for w in s.words]
    span = recheck.greeting(words, len(audio) / SAMPLE_RATE, length_s=options.window_s)
    if span is None or not hot:
        return segments
    inside = [w for w in words if span.start <= w.start < span.end]
    if recheck.heard(inside, hot):
        return segments
    piece = audio[int(span.start * SAMPLE_RATE) : int(span.end * SAMPLE_RATE)]
    looked = recheck.second_look(model, piece, span, language, options.beam_size, options.hotwords)
    second = [w for s in _split_segments(looked, speaker, offset=-span.start) for w in s.words]
    changes = recheck.replacements(inside, second, hot)
    return _splice(segments, inside, changes) if changes else segments


def _splice(
    segments: list[SegmentData], words: list[WordData], changes: list[recheck.Replacement]
) -> list[SegmentData]:
    """`segments` with each change's run of `words` replaced by its new words, which join the
    segment of the run's first word."""
    instead: dict[int, list[WordData]] = {}
    dropped: set[int] = set()
    for change in changes:
        run = words[change.first : change.last]
        instead[id(run[0])] = change.words
        dropped.update(id(w) for w in run[1:])
    result: list[SegmentData] = []
    for segment in segments:
        kept: list[WordData] = []
        for word in segment.words:
            if id(word) in instead:
                kept.extend(instead[id(word)])
            elif id(word) not in dropped:
                kept.append(word)
        if not kept:
            continue
        if kept != segment.words:
            segment = SegmentData(
                speaker=segment.speaker,
                start=kept[0].start,
                end=max(w.end for w in kept),
                text=" ".join(w.word for w in kept),
                words=kept,
                avg_logprob=segment.avg_logprob,
                no_speech_prob=segment.no_speech_prob,
            )
        result.append(segment)
    return result


def _speech_clips(audio: np.ndarray) -> list[tuple[float, float]]:
    """VAD speech regions merged into clips of at most 30 s, in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    regions = get_speech_timestamps(
        audio, VadOptions(max_speech_duration_s=MAX_CLIP_S, min_silence_duration_ms=500)
    )
    clips: list[tuple[float, float]] = []
    for region in regions:
        start, end = region["start"] / SAMPLE_RATE, region["end"] / SAMPLE_RATE
        if clips and start - clips[-1][1] < MERGE_CLIP_GAP_S and end - clips[-1][0] <= MAX_CLIP_S:
            clips[-1] = (clips[-1][0], end)
        else:
            clips.append((start, end))
    return clips


def _owner_of(
    start: float, clips: Sequence[dict[str, float]], owners: Sequence[tuple[Speaker, float]]
) -> tuple[Speaker, float]:
    for clip, owner in zip(clips, owners, strict=True):
        if clip["start"] - 0.5 <= start < clip["end"]:
            return owner
    return owners[-1]


def _split_segments(raw: Iterable[Any], speaker: Speaker, *, offset: float) -> list[SegmentData]:
    """Whisper segments as utterances: split at long pauses, shifted by `offset`."""
    result: list[SegmentData] = []
    for segment in raw:
        words = [
            WordData(w.start - offset, w.end - offset, w.word.strip(), float(w.probability))
            for w in segment.words or []
            if w.word.strip()
        ]
        if not words:
            continue
        groups: list[list[WordData]] = [[words[0]]]
        for previous, word in pairwise(words):
            if word.start - previous.end > SPLIT_GAP_S:
                groups.append([])
            groups[-1].append(word)
        for group in groups:
            result.append(
                SegmentData(
                    speaker=speaker,
                    start=group[0].start,
                    end=max(w.end for w in group),
                    text=" ".join(w.word for w in group),
                    words=group,
                    avg_logprob=float(segment.avg_logprob),
                    no_speech_prob=float(segment.no_speech_prob),
                )
            )
    return result
