"""The retention policy: original recordings deleted after N days, masked recordings and
transcripts after M days (days after the call was received); evaluations are kept.

A call under an open dispute or in an open calibration session is never touched: people
are still listening to it. Storage is deleted first and the database marked after, so a
storage failure leaves the call as it was, to be tried again by the next run, and a
mark lost with a failed commit only repeats a delete that is harmless to repeat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.config import Settings
from qc.db import utcnow
from qc.errors import InvalidInput
from qc.kit.storage import Storage
from qc.privacy import audit
from qc.privacy import repository as repo
from qc.privacy.models import AuditAction, OriginalTranscript, RetentionPolicy, RetentionRun
from qc.scoring import service as scoring
from qc.transcription import service as transcription
from qc.users.schemas import Principal
from qc.users.service import require_admin

log = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 20


@dataclass(frozen=True)
class Policy:
    original_audio_days: int  # 0: kept for ever
    redacted_days: int
    updated_at: datetime | None  # None: the defaults from the settings, never saved


def current_policy(session: Session, *, settings: Settings) -> Policy:
    row = repo.policy(session)
    if row is None:
        return Policy(settings.retention_original_audio_days, settings.retention_redacted_days, None)
    return Policy(row.original_audio_days, row.redacted_days, row.updated_at)


def _check(original_audio_days: int, redacted_days: int) -> None:
    errors = {}
    for name, value in (("original_audio_days", original_audio_days), ("redacted_days", redacted_days)):
        if not 0 <= value <= 36500:
            errors[name] = "Enter a number of days from 0 (keep for ever) to 36500"
    if errors:
        raise PolicyInvalid(errors)
    if redacted_days and not 0 < original_audio_days <= redacted_days:
        raise PolicyInvalid(
            {"original_audio_days": "Delete the original recording no later than its masked copy"}
        )


class PolicyInvalid(InvalidInput):
    """Every field error of the policy form at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


def update_policy(
    session: Session,
    principal: Principal,
    *,
    original_audio_days: int,
    redacted_days: int,
    client_address: str | None,
) -> Policy:
    """Set the organisation's retention policy (administrators; audited)."""
    require_admin(principal)
    _check(original_audio_days, redacted_days)
    row = repo.policy(session)
    if row is None:
        row = RetentionPolicy(id=repo.POLICY_ID, original_audio_days=0, redacted_days=0)
        session.add(row)
    before = f"{row.original_audio_days}/{row.redacted_days}"
    row.original_audio_days, row.redacted_days = original_audio_days, redacted_days
    row.updated_at, row.updated_by_id = utcnow(), principal.id
    audit.record(
        session,
        principal,
        AuditAction.RETENTION_POLICY,
        reason=f"originals {original_audio_days} days, masked copies {redacted_days} days (was {before})",
        client_address=client_address,
    )
    return Policy(row.original_audio_days, row.redacted_days, row.updated_at)


# Running it --------------------------------------------------------------------------------------


@dataclass
class RetentionReport:
    run_id: int
    dry_run: bool
    originals_deleted: list[int] = field(default_factory=list)
    redacted_deleted: list[int] = field(default_factory=list)
    held_dispute: set[int] = field(default_factory=set)
    held_calibration: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


def run(
    session: Session,
    *,
    storage: Storage,
    settings: Settings,
    trigger: str,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionReport:
    """Apply the retention policy once and record what was deleted (or would be, dry)."""
    now = now or utcnow()
    policy = current_policy(session, settings=settings)
    row = RetentionRun(
        started_at=now,
        dry_run=dry_run,
        trigger=trigger,
        original_audio_days=policy.original_audio_days,
        redacted_days=policy.redacted_days,
    )
    session.add(row)
    session.flush()
    report = RetentionReport(row.id, dry_run)
    sweep = _Sweep(
        session,
        storage,
        report,
        dry_run,
        now,
        repo.held_by_dispute(session),
        repo.held_by_calibration(session),
    )
    if policy.original_audio_days:
        for call in repo.originals_due(
            session, received_before=now - timedelta(days=policy.original_audio_days)
        ):
            sweep.original(call)
    if policy.redacted_days:
        for call in repo.masked_due(session, received_before=now - timedelta(days=policy.redacted_days)):
            sweep.masked(call)
    _finish(row, report, utcnow())
    log.info(
        "retention%s: %d original recordings and %d masked recordings with transcripts deleted; "
        "%d calls kept under dispute, %d in calibration; %d failed",
        " (dry run)" if dry_run else "",
        len(report.originals_deleted),
        len(report.redacted_deleted),
        len(report.held_dispute),
        len(report.held_calibration),
        len(report.errors),
    )
    return report


def _finish(row: RetentionRun, report: RetentionReport, now: datetime) -> None:
    row.finished_at = now
    row.originals_deleted = len(report.originals_deleted)
    row.redacted_deleted = len(report.redacted_deleted)
    row.held_dispute = len(report.held_dispute)
    row.held_calibration = len(report.held_calibration)
    row.failed = len(report.errors)
    row.errors = "\n".join(report.errors[:MAX_ERRORS_KEPT]) or None


@dataclass
class _Sweep:
    session: Session
    storage: Storage
    report: RetentionReport
    dry_run: bool
    now: datetime
    disputed: set[int]
    calibrating: set[int]

    def _held(self, call: Call) -> bool:
        if call.id in self.disputed:
            self.report.held_dispute.add(call.id)
            return True
        if call.id in self.calibrating:
            self.report.held_calibration.add(call.id)
            return True
        return False

    def _delete(self, call: Call, keys: list[str | None]) -> bool:
        """Delete the objects from storage; False (and the error recorded) if one failed."""
        for key in keys:
            if not key:
                continue
            try:
                self.storage.delete(key)
            except Exception as exc:
                log.warning("retention: call %s: deleting %s failed: %s", call.id, key, exc)
                self.report.errors.append(
                    f"call {call.id}: could not delete {key} ({type(exc).__name__}: {exc})"
                )
                return False
        return True

    def _forget_original_text(self, call: Call) -> None:
        """What the masked words said goes with the original recording."""
        self.session.execute(delete(OriginalTranscript).where(OriginalTranscript.call_id == call.id))

    def original(self, call: Call) -> None:
        if not call.status.is_terminal or self._held(call):  # the pipeline still needs it
            return
        if not self.dry_run:
            if not self._delete(call, [call.storage_key]):
                return
            call.original_deleted_at = self.now
            self._forget_original_text(call)
        self.report.originals_deleted.append(call.id)

    def masked(self, call: Call) -> None:
        if not call.status.is_terminal or self._held(call):
            return
        if not self.dry_run:
            originals = [call.storage_key] if call.original_deleted_at is None else []
            peaks = f"peaks/{call.sha256}.json"
            if not self._delete(call, [call.redacted_storage_key, peaks, *originals]):
                return
            call.original_deleted_at = call.original_deleted_at or self.now
            call.redacted_deleted_at = self.now
            transcription.delete_transcript(self.session, call.id)
            self._forget_original_text(call)
            scoring.rewrite_evidence(self.session, call.id, lambda _evidence: "")
        self.report.redacted_deleted.append(call.id)


def recent_runs(session: Session, principal: Principal, *, limit: int = 30) -> list[RetentionRun]:
    require_admin(principal)
    return list(repo.runs(session, limit=limit))
