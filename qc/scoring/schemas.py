from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from qc.kit.web import RowId
from qc.scoring.definitions import Status
from qc.transcription.models import Speaker


class EvidenceRead(BaseModel):
    kind: str = Field(
        description="match, violation, negated, excepted, outside_window, objection, handling, unhandled, "
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


MAX_SEGMENTS = 3000
MAX_WORDS = 30_000  # a 3-hour call; more is not a call


class WordIn(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    start: float = Field(ge=0, le=86_400)
    end: float = Field(ge=0, le=86_400)
    word: str = Field(max_length=200)
    probability: float = Field(ge=0, le=1)


class SegmentIn(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    speaker: Speaker
    start: float = Field(ge=0, le=86_400)
    end: float = Field(ge=0, le=86_400)
    text: str = Field(max_length=10_000)
    words: list[WordIn] = Field(default_factory=list, max_length=5_000)

    @model_validator(mode="after")
    def _ordered(self) -> SegmentIn:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class TranscriptIn(BaseModel):
    segments: list[SegmentIn] = Field(max_length=MAX_SEGMENTS)

    @model_validator(mode="after")
    def _not_too_long(self) -> TranscriptIn:
        words = sum(len(s.words) or len(s.text.split()) for s in self.segments)
        if words > MAX_WORDS:
            raise ValueError(f"the transcript has {words} words; the limit is {MAX_WORDS}")
        return self


class ScoreRequest(BaseModel):
    scorecard: str = Field(description="Scorecard id, e.g. outbound-sales")
    language: str | None = Field(default=None, description="Defaults to the scorecard's first language")
    transcript: TranscriptIn


# The editor ------------------------------------------------------------------------------------------


class ScorecardDraftRead(BaseModel):
    scorecard_id: str
    definition: dict[str, Any] = Field(description="The same shape GET /api/scorecards/{id} returns")
    base_revision: int | None = Field(description="The published revision the draft started from")
    published_revision: int | None = Field(description="The revision in use now; none if never published")
    lock: int = Field(description="Send it back as If-Match when saving, so a save in between is not lost")
    saved_by_id: int | None
    saved_at: datetime


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500, description="What changed and why, for the log")


class CopyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60, description="The new scorecard's id")
    title: str = Field(min_length=1, max_length=200)


class ScorecardChangeRead(BaseModel):
    at: datetime
    actor: str
    action: str
    action_label: str
    revision: int | None
    note: str | None


VariableName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
VariableLanguage = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z]{2,8})$")]
VariableNames = Annotated[list[Annotated[str, StringConstraints(max_length=200)]], Field(max_length=20)]


class ScorecardVariables(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: dict[VariableName, dict[VariableLanguage, VariableNames]] = Field(
        description="Variable -> language ('*' for any language without its own) -> one or more names, "
        "e.g. {'company': {'*': ['Acme Telecom'], 'ru': ['Акме Телеком']}}. {name} is reserved "
        "(a person's name)."
    )


class RescoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_ids: list[RowId] = Field(
        min_length=1, max_length=1000, description="Calls to score again (e.g. those a backtest lists)"
    )


class RescoreRead(BaseModel):
    queued: int = Field(
        description="Calls sent back through scoring; others were not scored with this scorecard"
    )


class SwapSidesRequest(BaseModel):
    """POST /api/calls/{id}/swap-sides."""

    model_config = ConfigDict(extra="forbid")

    layout: Literal["agent-left", "agent-right"] = Field(
        description="The channel layout you last saw (`channels` of GET /api/calls/{id}); if the sides "
        "were swapped since, nothing changes and the answer is 409, so a retry never swaps them back",
    )


class SidesSwapped(BaseModel):
    call_id: int
    channel_layout: str = Field(description="agent-left or agent-right, after the swap")
    status: str = Field(description="The call's status: it is being scored again")
    swaps: int = Field(description="How many times the call's sides have been swapped, this one included")
