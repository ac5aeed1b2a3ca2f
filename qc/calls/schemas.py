from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qc.calls.models import CallStatus, ChannelLayout, Direction
from qc.config import Settings
from qc.users import identity
from qc.users.schemas import Principal


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
    id: int | None = Field(description="The rep's user id; null in blind review")
    name: str = Field(description="The rep's name, or an alias where the team reviews blind")
    email: str | None = Field(description="Hidden (null) in blind review")
    external_id: str | None = Field(description="Hidden (null) in blind review")


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
    external_id: str | None = Field(
        description="Your system's id for the call; hidden (null) in blind review"
    )
    metadata: dict[str, Any] = Field(
        description="What the uploader said about the call; empty in blind review"
    )
    duration_s: float
    original_filename: str | None = Field(
        description="The uploaded file's name; hidden (null) in blind review"
    )
    sha256: str
    created_at: datetime
    transcribed_at: datetime | None
    links: dict[str, str] = Field(default_factory=dict)


def call_read(
    call: Any, *, viewer: Principal, settings: Settings, links: dict[str, str] | None = None
) -> CallRead:
    """The API shape of a call as `viewer` may see it: under blind review the rep is an alias,
    and the call's own names (file name, external id, metadata) are left out, since an
    uploader's file name or dialler fields often name the agent."""
    rep = identity.show_rep(
        viewer,
        rep_id=call.rep.id,
        name=call.rep.name,
        team_id=call.team_id,
        settings=settings,
        email=call.rep.email,
        external_id=call.rep.external_id,
    )
    return CallRead(
        id=call.id,
        status=call.status,
        failure_reason=call.failure_reason,
        rep=PersonRef(id=rep.id, name=rep.name, email=rep.email, external_id=rep.external_id),
        team=call.team.name,
        started_at=call.started_at,
        direction=call.direction,
        channels=call.channel_layout,
        language=call.language,
        detected_language=call.detected_language,
        external_id=None if rep.hidden else call.external_id,
        metadata={} if rep.hidden else call.call_metadata or {},
        duration_s=call.duration_s,
        original_filename=None if rep.hidden else call.original_filename,
        sha256=call.sha256,
        created_at=call.created_at,
        transcribed_at=call.transcribed_at,
        links=links or {},
    )
