from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qc.transcription.models import Speaker


class WordRead(BaseModel):
    start: float
    end: float
    word: str
    probability: float
    # The words as said, where the transcript writes them otherwise ("4111" for "four one one
    # one", "8:45" for "quarter to nine").
    spoken: str | None = None


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
    # What transcription found about a stereo call's channels: both the same sound
    # (transcribed once as mono), seconds and words of the other side's echo left out.
    channel_report: dict[str, Any] | None = None
    # Which channel says the agent's script, and whether the sides were swapped.
    side_check: dict[str, Any] | None = None
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
        channel_report=transcript.channel_report,
        side_check=transcript.side_check,
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
