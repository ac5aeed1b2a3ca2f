"""The demo's privacy story: a support call whose customer gives an e-mail address, a
phone number and a card number (masked in the transcript, beeped in the recording); the
QC lead granted access to originals, one audited opening, and a dry retention run, so an
administrator finds the Privacy page filled on first sign-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qc.calls import pipeline
from qc.calls import service as calls
from qc.calls.models import CallStatus
from qc.calls.schemas import CallMeta
from qc.config import get_settings
from qc.db import session_scope
from qc.demo.history import scripted_transcript
from qc.kit.storage import get_storage
from qc.privacy import originals, redaction, retention
from qc.transcription import service as transcription
from qc.users import service as users

AGENT = "laura"  # the sample's agent introduces herself as Laura


def seed_privacy(samples_dir: Path, domain: str) -> int:
    """The privacy call (masked and scored), a grant, an opening and a dry retention run;
    the call's id."""
    settings, storage = get_settings(), get_storage()
    sample = json.loads((samples_dir / "privacy" / "privacy.json").read_text(encoding="utf-8"))
    started = (datetime.now(UTC) - timedelta(days=2)).replace(hour=14, minute=5, second=0, microsecond=0)
    meta = CallMeta(
        rep=f"{AGENT}@{domain}",
        started_at=started,
        direction=sample["direction"],
        channels=sample["channels"],
        language=sample["language"],
        external_id="demo-privacy-1",
        metadata={"source": "qc demo", "campaign": "support"},
    )
    with session_scope() as session, (samples_dir / sample["file"]).open("rb") as source:
        admin = users.principal_for(session, users.get_by_email(session, f"admin@{domain}"))
        call = calls.ingest_recording(
            session,
            principal=admin,
            source=source,
            filename=Path(sample["file"]).name,
            meta=meta,
            settings=settings,
            storage=storage,
        ).call
        transcription.store_transcript(session, call, scripted_transcript(sample))
        call.status = CallStatus.TRANSCRIBED
        call_id = call.id
    redaction.redact_stored(call_id, storage=storage, settings=settings)  # as the worker's backlog does
    pipeline.process_call(call_id, settings=settings)  # the checks read the masked transcript
    with session_scope() as session:
        admin = users.principal_for(session, users.get_by_email(session, f"admin@{domain}"))
        lead = users.get_by_email(session, f"lead@{domain}")
        form = originals.GrantForm(f"user:{lead.id}", "Resolves disputes and customer complaints", "")
        originals.grant(session, admin, form, client_address="127.0.0.1")
    with session_scope() as session:
        lead_principal = users.principal_for(session, users.get_by_email(session, f"lead@{domain}"))
        originals.open_original(
            session,
            lead_principal,
            call_id,
            what="transcript",
            reason="Complaint 1187: the customer says the refund went to the wrong card",
            client_address="127.0.0.1",
            settings=settings,
        )
    with session_scope() as session:
        retention.run(session, storage=storage, settings=settings, trigger="command", dry_run=True)
    return call_id
