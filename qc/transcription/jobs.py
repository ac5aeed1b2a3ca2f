"""The transcription stage of the call pipeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.config import get_settings
from qc.jobs.pipeline import Stage
from qc.kit.storage import get_storage
from qc.transcription import service
from qc.transcription.engine import TranscriptionResult


def _run(call_id: int) -> TranscriptionResult:
    return service.transcribe_call(call_id, settings=get_settings(), storage=get_storage())


def _store(session: Session, call: Call, output: Any) -> None:
    service.store_transcript(session, call, output)


TRANSCRIPTION = Stage(
    name="transcription",
    ready=CallStatus.RECEIVED,
    running=CallStatus.TRANSCRIBING,
    done=CallStatus.TRANSCRIBED,
    run=_run,
    store=_store,
)
