"""A demo call whose upload declared the agent on the wrong channel: the scoring flags it
(the team does not swap sides automatically), so a QC lead finds the banner, the evidence
and the Swap sides button on its page on first sign-in.

Daniel's model outbound call, its recording copied, declared "agent on the right" when he is
on the left; its transcript is what transcription makes of that declaration: his words under
the customer's name. Scored by the real checks; not reviewed, and yesterday's, so no queue or
count of reviewed calls changes.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qc.calls.schemas import CallMeta
from qc.demo.history import copy_recording, ingest_scripted

SCRIPT = "en-outbound-model"
REP = "daniel"
COPY = 900  # the recording's copy number: a file of its own, apart from the history's copies
WRONG_SIDE = {"agent-left": "agent-right", "agent-right": "agent-left"}
OTHER_SPEAKER = {"agent": "customer", "customer": "agent"}


def seed_swapped_sides(samples_dir: Path, scripted: list[dict[str, Any]], domain: str) -> int:
    """The call with its sides declared the wrong way round, scored and flagged; its id."""
    sample = next(s for s in scripted if s["labelled"] == SCRIPT)
    as_declared = {
        **sample,
        "turns": [{**turn, "speaker": OTHER_SPEAKER[turn["speaker"]]} for turn in sample["turns"]],
    }
    started = (datetime.now(UTC) - timedelta(days=1)).replace(hour=16, minute=40, second=0, microsecond=0)
    meta = CallMeta(
        rep=f"{REP}@{domain}",
        started_at=started,
        direction=sample["direction"],
        channels=WRONG_SIDE[sample["channels"]],
        language=sample["language"],
        external_id="demo-swapped-sides-1",
        metadata={"source": "qc demo", "campaign": "autumn", "exported_by": "old dialler"},
    )
    # The real checks, and the side check, score it.
    return ingest_scripted(
        domain,
        io.BytesIO(copy_recording(samples_dir / sample["file"], COPY)),
        "dialler-export-swapped.flac",
        meta,
        as_declared,
    )
