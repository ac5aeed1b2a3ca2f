from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qc.calls.models import CallStatus, ChannelLayout, Direction


class CallMeta(BaseModel):
    """What the uploader says about a recording."""

    rep: str = Field(description="The rep's email or external id")
    started_at: datetime
    direction: Direction
    channels: ChannelLayout
    language: str | None = None
    external_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class PersonRef(BaseModel):
    id: int
    name: str = Field(description="The rep's name, or an alias where the team reviews blind")
    email: str | None = Field(description="Hidden (null) in blind review")
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


def call_read(call: Any, links: dict[str, str] | None = None, rep_label: str | None = None) -> CallRead:
    """The API shape of a call; `rep_label` other than the rep's name hides who the rep is."""
    hidden = rep_label is not None and rep_label != call.rep.name
    rep = (
        PersonRef(id=call.rep.id, name=rep_label, email=None, external_id=None)
        if hidden
        else PersonRef(
            id=call.rep.id, name=call.rep.name, email=call.rep.email, external_id=call.rep.external_id
        )
    )
    return CallRead(
        id=call.id,
        status=call.status,
        failure_reason=call.failure_reason,
        rep=rep,
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
    )
