"""The scoring stage of the call pipeline: automatic checks after transcription."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.calls.pipeline import Stage
from qc.scoring import service


def _store(session: Session, call: Call, output: Any) -> None:
    service.store_score(session, call, output)


SCORING = Stage(
    name="scoring",
    ready=CallStatus.TRANSCRIBED,
    running=CallStatus.SCORING,
    done=CallStatus.SCORED,
    run=service.score_call,
    store=_store,
)
