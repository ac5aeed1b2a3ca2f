"""Retention: original recordings after N days, masked recordings and transcripts after M
days; evaluations kept; calls under an open dispute or in an open calibration spared; a
storage failure leaves the call for the next run; pages say what was deleted and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from qc.calls.models import Call
from qc.db import utcnow
from qc.evaluations import calibration
from qc.evaluations import service as evaluations
from qc.evaluations.models import Evaluation
from qc.feedback import disputes
from qc.feedback.disputes import DisputedItem
from qc.jobs import events
from qc.kit.storage import Storage, get_storage
from qc.privacy import retention
from qc.privacy.models import AuditAction, AuditEntry, OriginalTranscript, RetentionRun
from qc.scoring.models import CallScore, CheckResult
from qc.transcription.models import Transcript
from qc.users.service import principal_for
from tests.factories import Browser
from tests.privacy.redaction_helpers import masked_call, submit_review


def _age(db: Session, call: Call, days: int) -> None:
    db.execute(update(Call).where(Call.id == call.id).values(created_at=utcnow() - timedelta(days=days)))
    db.commit()


def _policy(db: Session, org: Any, settings: Any, *, original: int, masked: int) -> None:
    retention.update_policy(
        db,
        principal_for(db, org.admin),
        original_audio_days=original,
        redacted_days=masked,
        client_address=None,
    )
    db.commit()


def _run(
    db: Session, settings: Any, storage: Storage | None = None, *, dry_run: bool = False
) -> retention.RetentionReport:
    report = retention.run(
        db, storage=storage or get_storage(), settings=settings, trigger="test", dry_run=dry_run
    )
    db.commit()
    db.expire_all()
    return report


@pytest.fixture
def calls(db: Session, org: Any, settings: Any, tmp_path: Path) -> dict[str, Call]:
    """Masked, reviewed calls: `old` (400 days), `middle` (100 days), `new` (10 days);
    `disputed` and `calibrated` (400 days) are still being worked on."""
    made = {
        name: masked_call(db, org.rep, tmp_path)
        for name in ("old", "middle", "new", "disputed", "calibrated")
    }
    for name, call in made.items():
        submit_review(db, org.reviewer, call.id, settings)
        _age(db, call, {"middle": 100, "new": 10}.get(name, 400))
    events.dispatch_pending()  # reviews released to the rep
    evaluation = db.scalar(select(Evaluation.id).where(Evaluation.call_id == made["disputed"].id))
    item = evaluations.evaluations_by_id(db, [evaluation])[evaluation].answers[0].item_id
    disputes.open_dispute(
        db,
        principal_for(db, org.rep),
        evaluation,
        items=[DisputedItem(item, "I did greet")],
        settings=settings,
    )
    calibration.create_session(
        db,
        principal_for(db, org.qc_lead),
        title="Week 49",
        call_ids=[made["calibrated"].id],
        reviewer_ids=[org.reviewer.id],
    )
    db.commit()
    return made


def _kept(db: Session, call: Call) -> dict[str, Any]:
    row = db.get_one(Call, call.id)
    storage = get_storage()
    return {
        "original": storage.exists(row.storage_key),
        "masked": bool(row.redacted_storage_key) and storage.exists(row.redacted_storage_key),
        "transcript": db.scalar(select(Transcript.id).where(Transcript.call_id == call.id)) is not None,
        "original_text": db.scalar(select(OriginalTranscript.id).where(OriginalTranscript.call_id == call.id))
        is not None,
        "evaluation": db.scalar(select(Evaluation.id).where(Evaluation.call_id == call.id)) is not None,
    }


EVERYTHING = {"original": True, "masked": True, "transcript": True, "original_text": True, "evaluation": True}


def test_retention_deletes_by_age_keeps_evaluations_and_spares_calls_in_use(
    db: Session, org: Any, settings: Any, calls: dict[str, Call]
) -> None:
    _policy(db, org, settings, original=30, masked=365)
    old_score = db.scalars(select(CallScore).where(CallScore.call_id == calls["old"].id)).one()
    old_score.word_forms = ["good", "morning"]  # the transcript's words, kept for backtests
    db.commit()
    report = _run(db, settings)
    assert sorted(report.originals_deleted) == sorted([calls["old"].id, calls["middle"].id])
    assert report.redacted_deleted == [calls["old"].id]
    assert report.held_dispute == {calls["disputed"].id}
    assert report.held_calibration == {calls["calibrated"].id}
    assert report.errors == []
    assert _kept(db, calls["old"]) == {k: k == "evaluation" for k in EVERYTHING}
    assert _kept(db, calls["middle"]) == {**EVERYTHING, "original": False, "original_text": False}
    for name in ("new", "disputed", "calibrated"):
        assert _kept(db, calls[name]) == EVERYTHING, name
    quotes = [
        e["text"]
        for c in db.scalars(select(CheckResult).join(CallScore).where(CallScore.call_id == calls["old"].id))
        for e in c.evidence
    ]
    assert quotes and set(quotes) == {""}
    db.expire_all()
    assert db.scalars(select(CallScore.word_forms).where(CallScore.call_id == calls["old"].id)).one() is None
    old = db.get_one(Call, calls["old"].id)
    assert old.original_deleted_at is not None and old.redacted_deleted_at is not None
    run = db.scalar(select(RetentionRun).where(RetentionRun.id == report.run_id))
    assert run is not None
    assert (
        run.originals_deleted,
        run.redacted_deleted,
        run.held_dispute,
        run.held_calibration,
        run.failed,
    ) == (
        2,
        1,
        1,
        1,
        0,
    )
    again = _run(db, settings)  # nothing left to do
    assert (again.originals_deleted, again.redacted_deleted) == ([], [])


def test_a_dry_run_reports_and_deletes_nothing(
    db: Session, org: Any, settings: Any, calls: dict[str, Call]
) -> None:
    _policy(db, org, settings, original=30, masked=365)
    report = _run(db, settings, dry_run=True)
    assert len(report.originals_deleted) == 2 and len(report.redacted_deleted) == 1
    for call in calls.values():
        assert _kept(db, call) == EVERYTHING


@dataclass
class FailingStorage:
    """The real storage, except that deleting the named keys fails."""

    inner: Storage
    broken: set[str] = field(default_factory=set)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def delete(self, key: str) -> None:
        if key in self.broken:
            raise OSError(f"bucket unreachable while deleting {key}")
        self.inner.delete(key)


def test_a_storage_failure_leaves_the_call_for_the_next_run(
    db: Session, org: Any, settings: Any, calls: dict[str, Call]
) -> None:
    _policy(db, org, settings, original=30, masked=0)
    middle = db.get_one(Call, calls["middle"].id)
    failing = FailingStorage(get_storage(), {middle.storage_key})
    report = _run(db, settings, failing)  # type: ignore[arg-type]
    assert report.originals_deleted == [calls["old"].id]
    assert len(report.errors) == 1 and f"call {middle.id}" in report.errors[0]
    assert db.get_one(Call, middle.id).original_deleted_at is None
    assert _kept(db, middle)["original"]
    run = db.scalar(select(RetentionRun).where(RetentionRun.id == report.run_id))
    assert run is not None and run.failed == 1 and run.errors is not None
    report = _run(db, settings)
    assert report.originals_deleted == [middle.id] and report.errors == []
    assert not _kept(db, middle)["original"]


def test_pages_say_the_recording_was_deleted_instead_of_a_broken_player(
    browser: Browser, db: Session, org: Any, settings: Any, calls: dict[str, Call]
) -> None:
    _policy(db, org, settings, original=30, masked=365)
    _run(db, settings)
    old = db.get_one(Call, calls["old"].id)
    assert old.redacted_deleted_at is not None
    browser.login_as(org.rep)
    soup = browser.page(f"/calls/{old.id}")
    assert soup.select_one("audio") is None
    deleted_on = old.redacted_deleted_at.strftime("%Y-%m-%d")
    assert soup.select_one(".recording-gone").get_text(strip=True) == (
        f"Audio deleted under the retention policy ({deleted_on})."
    )
    assert soup.select_one(".transcript-gone") is not None
    assert browser.get(f"/calls/{old.id}/audio").status_code == 410
    evaluation = db.scalar(select(Evaluation.id).where(Evaluation.call_id == old.id))
    page = browser.page(f"/evaluations/{evaluation}")
    assert page.select_one("audio") is None and page.select_one(".recording-gone") is not None
    # The masked copy of a call whose original alone was deleted still plays.
    assert browser.get(f"/calls/{calls['middle'].id}/audio").status_code == 200


def test_the_policy_form_checks_its_numbers_and_is_audited(browser: Browser, db: Session, org: Any) -> None:
    browser.login_as(org.admin)
    refused = browser.post(
        "/admin/privacy/retention", data={"original_audio_days": "400", "redacted_days": "30"}
    )
    assert refused.status_code == 422
    errors = BeautifulSoup(refused.text, "html.parser").select(".field-error")
    assert [e["id"] for e in errors] == ["original_audio_days-error"]
    assert (
        browser.post(
            "/admin/privacy/retention", data={"original_audio_days": "x", "redacted_days": "30"}
        ).status_code
        == 422
    )
    saved = browser.post(
        "/admin/privacy/retention", data={"original_audio_days": "30", "redacted_days": "400"}
    )
    assert saved.status_code == 303
    after = browser.page(saved.headers["location"])
    assert "Saved" in after.select_one("#retention .notice.success").text
    assert browser.page("/admin/privacy").select_one("#retention .notice.success") is None
    form = browser.page("/admin/privacy").select_one("#retention form")
    assert form.select_one("[name=original_audio_days]")["value"] == "30"
    assert form.select_one("[name=redacted_days]")["value"] == "400"
    [entry] = db.scalars(select(AuditEntry)).all()
    assert entry.action is AuditAction.RETENTION_POLICY and entry.actor_id == org.admin.id


def test_retention_command_runs_dry_and_the_admin_page_lists_the_run(
    browser: Browser, db: Session, org: Any, calls: dict[str, Call]
) -> None:
    from qc.cli import app

    result = CliRunner().invoke(app, ["privacy", "retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    # The default policy: originals after 90 days, masked copies after 365.
    assert "Original recordings would be deleted: 2" in result.output
    assert "Masked recordings and transcripts would be deleted: 1" in result.output
    assert "Kept: 1 under open dispute, 1 in open calibration" in result.output
    for call in calls.values():
        assert _kept(db, call) == EVERYTHING
    browser.login_as(org.admin)
    rows = browser.page("/admin/privacy").select("#retention-runs tbody tr")
    assert len(rows) == 1 and "dry run" in rows[0].get_text()
