"""The demo's privacy story: a support call whose customer gives an e-mail address, a
phone number and a card number (masked in the transcript, beeped in the recording); the
QC lead granted access to originals, one audited opening, and a dry retention run, so an
administrator finds the Privacy page filled on first sign-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qc.calls.schemas import CallMeta
from qc.config import get_settings
from qc.db import session_scope
from qc.demo.history import ingest_scripted
from qc.kit.storage import get_storage
from qc.privacy import originals, retention
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
    with (samples_dir / sample["file"]).open("rb") as source:
        # Masked, then checked on the masked transcript.
        call_id = ingest_scripted(domain, source, Path(sample["file"]).name, meta, sample)
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
