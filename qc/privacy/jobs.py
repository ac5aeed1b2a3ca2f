"""Masking in the pipeline: the transcription stage, wrapped so that what it stores is
already masked; and the worker's task that masks transcripts stored before."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.calls.pipeline import Stage
from qc.config import get_settings
from qc.kit.storage import get_storage
from qc.privacy import redaction

log = logging.getLogger(__name__)

BACKLOG_BATCH = 20  # transcripts masked per run of the backlog task


def redacting(stage: Stage) -> Stage:
    """`stage` (transcription) whose output is masked before it is stored: the transcript
    and the masked recording are written in the stage's completing transaction, so no
    reader ever sees an unmasked transcript and scoring runs on the masked text."""

    def run(call_id: int) -> redaction.RedactedTranscription:
        result = stage.run(call_id)
        return redaction.redact_transcription(call_id, result, storage=get_storage(), settings=get_settings())

    def store(session: Session, call: Call, output: Any) -> None:
        stage.store(session, call, output.result)
        redaction.store_redaction(session, call, output)

    return Stage(
        name=stage.name, ready=stage.ready, running=stage.running, done=stage.done, run=run, store=store
    )


def redact_backlog() -> int:
    """The periodic task: mask a batch of transcripts stored unmasked (after an upgrade)."""
    done = redaction.redact_backlog(storage=get_storage(), settings=get_settings(), limit=BACKLOG_BATCH)
    if done:
        log.info("privacy: %d stored transcripts masked", done)
    return done
