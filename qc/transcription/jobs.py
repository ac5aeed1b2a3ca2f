"""The transcription stage of the call pipeline."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.config import Settings, get_settings
from qc.db import session_scope
from qc.jobs.pipeline import Stage
from qc.kit.storage import get_storage
from qc.transcription import service
from qc.transcription.engine import TranscriptionResult

log = logging.getLogger(__name__)


def _run(call_id: int) -> TranscriptionResult:
    from qc.scoring import service as scoring

    settings = get_settings()
    with session_scope() as session:
        audio = service.call_audio(session, call_id, default_language=settings.language)
        # The scorecard's brand and product names, so the words the checks look for are
        # spelled right.
        hotwords = scoring.hotwords_for(session, call_id, audio.language)
    result = service.transcribe_recording(audio, settings=settings, storage=get_storage(), hotwords=hotwords)
    _prepare_waveform(call_id, settings)
    return result


def _prepare_waveform(call_id: int, settings: Settings) -> None:
    """The review page's waveform, drawn from peaks computed here rather than in a request."""
    from qc.calls import service as calls

    try:
        with session_scope() as session:
            calls.prepare_waveform(session, call_id, storage=get_storage(), settings=settings)
    except Exception:  # the page computes it on first view instead
        log.exception("call %s: waveform peaks could not be computed", call_id)


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
