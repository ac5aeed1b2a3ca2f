from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from qc.calls.schemas import CallRead, call_read
from qc.config import Settings
from qc.scoring.schemas import ChecksRead
from qc.transcription.schemas import TranscriptRead, transcript_read
from qc.users.schemas import Principal


class CallDetailRead(CallRead):
    transcript: TranscriptRead | None = None
    checks: ChecksRead | None = None


class CallList(BaseModel):
    items: list[CallRead]
    total: int
    page: int
    pages: int


def call_detail_read(
    call: Any,
    transcript: Any,
    *,
    viewer: Principal,
    settings: Settings,
    links: dict[str, str],
    checks: ChecksRead | None,
) -> CallDetailRead:
    """The API shape of one call with its transcript and automatic checks."""
    base = call_read(call, viewer=viewer, settings=settings, links=links)
    return CallDetailRead(
        **base.model_dump(),
        transcript=transcript_read(transcript) if transcript is not None else None,
        checks=checks,
    )
