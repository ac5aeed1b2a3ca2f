"""The transcription stage of the call pipeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.config import get_settings
from qc.db import session_scope
from qc.jobs.pipeline import Stage
from qc.kit.storage import get_storage
from qc.transcription import service
from qc.transcription.engine import TranscriptionResult


def _run(call_id: int) -> TranscriptionResult:
    from qc.scoring import service as scoring

    settings = get_settings()
    with session_scope() as session:
        audio = service.call_audio(session, call_id, default_language=settings.language)
        # The scorecard's brand and product names, so the words the checks look for are
        # spelled right.
        hotwords = scoring.hotwords_for(session, call_id, audio.language)
    return service.transcribe_recording(audio, settings=settings, storage=get_storage(), hotwords=hotwords)


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
