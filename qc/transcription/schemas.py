from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qc.transcription.models import Speaker


class WordRead(BaseModel):
    start: float
    end: float
    word: str
    probability: float


class SegmentRead(BaseModel):
    speaker: Speaker
    start: float
    end: float
    text: str
    words: list[WordRead]


class TranscriptRead(BaseModel):
    language: str
    language_probability: float | None
    model: str
    speakers_separated: bool
    audio_duration_s: float
    speech_duration_s: float
    processing_s: float
    mean_word_probability: float | None
    segments: list[SegmentRead]


def transcript_read(transcript: Any) -> TranscriptRead:
    return TranscriptRead(
        language=transcript.language,
        language_probability=transcript.language_probability,
        model=transcript.model,
        speakers_separated=transcript.speakers_separated,
        audio_duration_s=transcript.audio_duration_s,
        speech_duration_s=transcript.speech_duration_s,
        processing_s=transcript.processing_s,
        mean_word_probability=transcript.mean_word_probability,
        segments=[
            SegmentRead(
                speaker=s.speaker,
                start=s.start,
                end=s.end,
                text=s.text,
                words=[WordRead(**w) for w in s.words],
            )
            for s in transcript.segments
        ],
    )
