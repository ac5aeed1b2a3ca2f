from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qc.calls.models import CallStatus, ChannelLayout, Direction
from qc.transcription.models import Speaker


class CallMeta(BaseModel):
    """What the uploader says about a recording."""

    rep: str = Field(description="The rep's email or external id")
    started_at: datetime
    direction: Direction
    channels: ChannelLayout
    language: str | None = None
    external_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


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


class PersonRef(BaseModel):
    id: int
    name: str
    email: str
    external_id: str | None


class CallRead(BaseModel):
    id: int
    status: CallStatus
    failure_reason: str | None
    rep: PersonRef
    team: str
    started_at: datetime
    direction: Direction
    channels: ChannelLayout
    language: str | None
    detected_language: str | None
    external_id: str | None
    metadata: dict[str, Any]
    duration_s: float
    original_filename: str
    sha256: str
    created_at: datetime
    transcribed_at: datetime | None
    links: dict[str, str] = Field(default_factory=dict)
    transcript: TranscriptRead | None = None


class CallList(BaseModel):
    items: list[CallRead]
    total: int
    page: int
    pages: int


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


def call_read(call: Any, transcript: Any = None, links: dict[str, str] | None = None) -> CallRead:
    return CallRead(
        id=call.id,
        status=call.status,
        failure_reason=call.failure_reason,
        rep=PersonRef(
            id=call.rep.id, name=call.rep.name, email=call.rep.email, external_id=call.rep.external_id
        ),
        team=call.team.name,
        started_at=call.started_at,
        direction=call.direction,
        channels=call.channel_layout,
        language=call.language,
        detected_language=call.detected_language,
        external_id=call.external_id,
        metadata=call.call_metadata or {},
        duration_s=call.duration_s,
        original_filename=call.original_filename,
        sha256=call.sha256,
        created_at=call.created_at,
        transcribed_at=call.transcribed_at,
        links=links or {},
        transcript=transcript_read(transcript) if transcript is not None else None,
    )
