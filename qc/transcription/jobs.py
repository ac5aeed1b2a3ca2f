"""The transcription stage of the call pipeline."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.calls.models import Call, CallStatus
from qc.calls.pipeline import Stage
from qc.config import Settings, get_settings
from qc.db import session_scope
from qc.kit.storage import get_storage
from qc.transcription import service
from qc.transcription.engine import TranscriptionResult

log = logging.getLogger(__name__)

# Words the recogniser should expect in a call (brand and product names), given the
# session, the call id and its language. The scorecards above this domain know them.
Hotwords = Callable[[Session, int, str | None], str | None]


def _prepare_waveform(call_id: int, settings: Settings) -> None:
    """The review page's waveform, drawn from peaks computed here rather than in a request."""
    try:
        with session_scope() as session:
            calls.prepare_waveform(session, call_id, storage=get_storage(), settings=settings)
    except Exception:  # the page computes it on first view instead
        log.exception("call %s: waveform peaks could not be computed", call_id)


def _store(session: Session, call: Call, output: Any) -> None:
    service.store_transcript(session, call, output)


def transcription_stage(*, hotwords: Hotwords | None = None) -> Stage:
    """The stage that turns a received call into a transcript."""

    def run(call_id: int) -> TranscriptionResult:
        settings = get_settings()
        with session_scope() as session:
            audio = service.call_audio(session, call_id, default_language=settings.language)
            words = hotwords(session, call_id, audio.language) if hotwords else None
        result = service.transcribe_recording(audio, settings=settings, storage=get_storage(), hotwords=words)
        _prepare_waveform(call_id, settings)
        return result

    return Stage(
        name="transcription",
        ready=CallStatus.RECEIVED,
        running=CallStatus.TRANSCRIBING,
        done=CallStatus.TRANSCRIBED,
        run=run,
        store=_store,
    )
