from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from qc.scoring.definitions import Status
from qc.transcription.schemas import SegmentRead


class EvidenceRead(BaseModel):
    kind: str = Field(
        description="match, violation, negated, outside_window, objection, handling, unhandled, "
        "question or metric"
    )
    speaker: str
    start: float
    end: float
    text: str
    rule: str
    segment: int | None = Field(description="Index of the transcript segment")
    probability: float | None = Field(description="Weakest ASR word probability of the evidence")


class CheckRead(BaseModel):
    item_id: str
    label: str
    section: str
    critical: bool
    status: Status
    confidence: float
    summary: str
    value: float | None
    evidence: list[EvidenceRead]


class ScorecardRef(BaseModel):
    id: str
    revision: int
    version: str
    title: str


class ChecksRead(BaseModel):
    scorecard: ScorecardRef | None
    note: str | None = Field(description="Why no scorecard applied, when none did")
    language: str | None
    score: float | None = Field(description="Weighted share of passed checks, 0-100, before critical fails")
    final_score: float | None = Field(description="0 when a critical item failed, else the score")
    critical_failed: list[str]
    checks: list[CheckRead]


class ScorecardSummary(BaseModel):
    id: str
    revision: int
    version: str
    title: str
    languages: list[str]
    applies_to: str
    items: int
    checked_items: int


class ScorecardDetail(ScorecardSummary):
    definition: dict[str, Any]


class TranscriptIn(BaseModel):
    segments: list[SegmentRead]


class ScoreRequest(BaseModel):
    scorecard: str = Field(description="Scorecard id, e.g. outbound-sales")
    language: str | None = Field(default=None, description="Defaults to the scorecard's first language")
    transcript: TranscriptIn
