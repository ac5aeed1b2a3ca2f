"""Originals: refused without a grant; an administrator grants and revokes (audited); a
grantee opens one with a reason (audited: who, when, which call, what, why, from where)
and streams it for a few minutes; the audit log is the administrators' to read and export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.db import utcnow
from qc.kit.storage import get_storage
from qc.privacy.models import AccessGrant, AuditAction, AuditEntry
from tests.factories import Browser
from tests.privacy.redaction_helpers import EMAIL, masked_call


@pytest.fixture
def call(db: Session, org: Any, tmp_path: Path) -> Call:
    return masked_call(db, org.rep, tmp_path)


def _audit(db: Session) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _grant(browser: Browser, org: Any, grantee: str, reason: str = "Dispute handling for Q4 audits") -> Any:
    browser.login_as(org.admin)
    return browser.post(
        "/admin/privacy/grants", data={"grantee": grantee, "reason": reason, "expires_on": ""}
    )


def _open(
    browser: Browser, call_id: int, what: str = "transcript", reason: str = "Dispute 42: card read back"
) -> Any:
    return browser.post(f"/calls/{call_id}/original", data={"what": what, "reason": reason})


@pytest.mark.parametrize("persona", ["reviewer", "qc_lead", "manager", "admin", "rep"])
def test_without_a_grant_nobody_opens_an_original(
    browser: Browser, db: Session, org: Any, call: Call, persona: str
) -> None:
    browser.login_as(getattr(org, persona))
    assert browser.get(f"/calls/{call.id}/original").status_code == 403
    assert _open(browser, call.id).status_code == 403
    assert _audit(db) == []
    page = BeautifulSoup(browser.get(f"/calls/{call.id}").text, "html.parser")
    assert page.select_one(".original-link") is None


def test_a_grant_is_audited_and_lets_its_grantee_open_the_original_with_a_reason(
    browser_factory: Any, db: Session, org: Any, call: Call
) -> None:
    admin, reviewer = browser_factory(), browser_factory()
    assert _grant(admin, org, f"user:{org.reviewer.id}").status_code == 303
    [granted] = _audit(db)
    assert (granted.action, granted.actor_id, granted.reason) == (
        AuditAction.GRANT,
        org.admin.id,
        "Dispute handling for Q4 audits",
    )
    assert granted.subject is not None and org.reviewer.email in granted.subject
    reviewer.login_as(org.reviewer)
    page = BeautifulSoup(reviewer.get(f"/calls/{call.id}").text, "html.parser")
    assert page.select_one(".original-link a") is not None
    # A reason is required: refused, nothing logged.
    short = _open(reviewer, call.id, reason="because")
    assert short.status_code == 422
    assert BeautifulSoup(short.text, "html.parser").select_one(".field-error") is not None
    assert len(_audit(db)) == 1
    opened = _open(reviewer, call.id)
    assert opened.status_code == 303
    shown = BeautifulSoup(reviewer.get(opened.headers["location"]).text, "html.parser")
    text = shown.select_one("#original-transcript").get_text(" ")
    assert EMAIL in text and "4111" in text
    entry = _audit(db)[-1]
    assert (entry.action, entry.actor_id, entry.call_id, entry.reason) == (
        AuditAction.OPEN_TRANSCRIPT,
        org.reviewer.id,
        call.id,
        "Dispute 42: card read back",
    )
    assert entry.client_address == "testclient"
    assert entry.at is not None and entry.expires_at is not None and entry.expires_at > entry.at
    # Its link is that person's: anybody else is told it does not exist.
    admin.login_as(org.admin)
    assert admin.get(opened.headers["location"]).status_code == 404


def test_an_opened_recording_streams_the_original_until_it_expires(
    browser: Browser, db: Session, org: Any, call: Call
) -> None:
    _grant(browser, org, "role:admin")
    opened = _open(browser, call.id, what="audio")
    assert opened.status_code == 303
    page = BeautifulSoup(browser.get(opened.headers["location"]).text, "html.parser")
    source = page.select_one("#original-audio")["src"]
    streamed = browser.get(source)
    assert streamed.status_code == 200
    with get_storage().local_copy(call.storage_key) as original:
        assert streamed.content == original.read_bytes()
    assert [e.action for e in _audit(db)] == [AuditAction.GRANT, AuditAction.OPEN_AUDIO]
    db.execute(update(AuditEntry).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert browser.get(source).status_code == 410
    assert browser.get(opened.headers["location"]).status_code == 410


def test_revoking_ends_access_at_once_and_is_audited(
    browser_factory: Any, db: Session, org: Any, call: Call
) -> None:
    admin, lead = browser_factory(), browser_factory()
    _grant(admin, org, "role:qc_lead")
    lead.login_as(org.qc_lead)
    opened = _open(lead, call.id)
    assert opened.status_code == 303
    grant_id = db.scalar(select(AccessGrant.id))
    revoked = admin.post(
        f"/admin/privacy/grants/{grant_id}/revoke", data={"reason": "Audit finished, access no longer needed"}
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/admin/privacy?grants=revoked#grants"
    assert "Access revoked. It is in the audit log." in admin.get(revoked.headers["location"]).text
    assert lead.get(opened.headers["location"]).status_code == 403
    assert _open(lead, call.id).status_code == 403
    assert [e.action for e in _audit(db)] == [
        AuditAction.GRANT,
        AuditAction.OPEN_TRANSCRIPT,
        AuditAction.REVOKE,
    ]


def test_an_expired_grant_opens_nothing(browser: Browser, db: Session, org: Any, call: Call) -> None:
    _grant(browser, org, f"user:{org.admin.id}")
    db.execute(update(AccessGrant).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert _open(browser, call.id).status_code == 403


def test_grant_form_shows_every_error_at_once(browser: Browser, db: Session, org: Any) -> None:
    response = _grant(browser, org, "user:999999", reason="no")
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert {e["id"] for e in soup.select(".field-error")} == {"grantee-error", "reason-error"}
    assert _audit(db) == []
    # Reps are never granted by name.
    assert _grant(browser, org, f"user:{org.rep.id}").status_code == 422


def test_api_tokens_never_open_originals(
    client: Any, as_: Any, db: Session, org: Any, call: Call, browser: Browser
) -> None:
    _grant(browser, org, "role:admin")
    response = client.post(
        f"/calls/{call.id}/original", headers=as_(org.admin), data={"what": "transcript", "reason": "x" * 20}
    )
    assert response.status_code in (401, 403)


def test_the_audit_log_is_filtered_and_exported_for_administrators_only(
    browser_factory: Any, db: Session, org: Any, call: Call
) -> None:
    admin, reviewer = browser_factory(), browser_factory()
    _grant(admin, org, f"user:{org.reviewer.id}")
    reviewer.login_as(org.reviewer)
    _open(reviewer, call.id)
    _open(reviewer, call.id, what="audio", reason="Checking the beep covers the read-back")
    assert reviewer.get("/admin/privacy/audit").status_code == 403
    assert reviewer.get("/admin/privacy/audit.csv").status_code == 403
    rows = admin.page(f"/admin/privacy/audit?actor={org.reviewer.id}").select("#audit tbody tr")
    assert len(rows) == 2
    rows = admin.page("/admin/privacy/audit?action=open_audio").select("#audit tbody tr")
    assert len(rows) == 1 and "Checking the beep" in rows[0].get_text()
    exported = admin.get(f"/admin/privacy/audit.csv?call={call.id}")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["action"], r["call_id"], r["client_address"]) for r in table] == [
        ("open_audio", str(call.id), "testclient"),
        ("open_transcript", str(call.id), "testclient"),
    ]
    assert admin.get("/admin/privacy/audit?since=yesterday").status_code == 422


def test_the_audit_log_cannot_be_rewritten(browser: Browser, db: Session, org: Any) -> None:
    from qc.privacy.models import AuditLogIsAppendOnly

    _grant(browser, org, "role:admin")
    [entry] = _audit(db)
    entry.reason = "nothing to see here"
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()
    db.delete(db.get_one(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()
    assert [e.reason for e in _audit(db)] == ["Dispute handling for Q4 audits"]
