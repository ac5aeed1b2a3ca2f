"""`qc digest`, run as an operator runs it (a separate process): add a target, preview a day's
payload, post a day once."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.digest.models import DigestStatus, DigestTarget
from tests.digest.conftest import deliveries
from tests.factories import Org
from tests.notifications.conftest import Receiver
from tests.test_cli import qc

PAST = "2026-11-20"


def test_target_add_needs_a_chat_id_for_telegram_and_prints_the_url_masked(db: Session, org: Org) -> None:
    url = "https://api.telegram.org/bot123456:telegramsecret0003"
    refused = qc(
        "digest", "target", "add", "--team", "Alpha", "--kind", "telegram", "--url", url, check=False
    )
    assert refused.returncode == 1 and "Telegram needs the chat's id" in refused.stderr
    added = qc(
        "digest", "target", "add", "--team", "alpha", "--kind", "telegram", "--url", url, "--chat-id", "-1001"
    )
    assert added.stdout.strip().endswith("to Alpha: Telegram, api.telegram.org/bot123456:….")
    assert "telegramsecret" not in added.stdout + added.stderr
    by_id = qc(
        "digest",
        "target",
        "add",
        "--team",
        str(org.other_team.id),
        "--kind",
        "json",
        "--url",
        "https://x.test/h",
    )
    assert "to Bravo: JSON webhook" in by_id.stdout
    unknown = qc(
        "digest",
        "target",
        "add",
        "--team",
        "Zulu",
        "--kind",
        "json",
        "--url",
        "https://x.test/h",
        check=False,
    )
    assert unknown.returncode == 1 and "No team 'Zulu'" in unknown.stderr
    stored = db.scalars(select(DigestTarget).order_by(DigestTarget.id)).all()
    assert [(t.team_id, t.kind.value, t.chat_id) for t in stored] == [
        (org.team.id, "telegram", "-1001"),
        (org.other_team.id, "json", None),
    ]


def test_preview_prints_the_payload_of_a_kind(org: Org) -> None:
    slack = json.loads(qc("digest", "preview", "--team", "Alpha", "--date", PAST, "--kind", "slack").stdout)
    assert slack["blocks"][0]["text"]["text"] == "QC digest · Alpha · Fri 20 Nov 2026"
    document = json.loads(qc("digest", "preview", "--team", "Alpha", "--date", PAST).stdout)
    assert (document["schema"], document["day"], document["quiet"]) == ("qc.digest/1", PAST, True)
    assert qc("digest", "preview", "--team", "Alpha", "--date", "soon", check=False).returncode == 2
    assert (
        qc("digest", "preview", "--team", "Alpha", "--date", PAST, "--kind", "fax", check=False).returncode
        == 2
    )


def test_send_posts_a_day_once_and_says_so_when_run_again(
    db: Session, org: Org, receivers: Callable[[str], Receiver]
) -> None:
    receiver = receivers("slack")
    qc("digest", "target", "add", "--team", "Alpha", "--kind", "slack", "--url", receiver.url)
    nothing = qc("digest", "send", "--team", "Bravo", "--date", PAST, check=False)
    assert nothing.returncode == 1 and "no enabled digest target" in nothing.stdout

    first = qc("digest", "send", "--team", "Alpha", "--date", PAST)
    again = qc("digest", "send", "--team", "Alpha", "--date", PAST)

    assert first.stdout.startswith("Posted to Slack (127.0.0.1:")
    assert (
        again.stdout.strip()
        == f"The digest of Alpha for {PAST} was already sent or queued: nothing was done."
    )
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["blocks"][0]["text"]["text"].endswith("Fri 20 Nov 2026")
    [row] = deliveries(db)
    assert (row.status, row.trigger) == (DigestStatus.SENT, "command")
    assert "slacksecret" not in first.stdout + first.stderr + again.stdout + again.stderr


def test_send_reports_a_failure_and_exits_non_zero(org: Org, receivers: Callable[[str], Receiver]) -> None:
    receiver = receivers("json")
    receiver.script = [400]
    qc("digest", "target", "add", "--team", "Alpha", "--kind", "json", "--url", receiver.url)
    failed = qc("digest", "send", "--team", "Alpha", "--date", PAST, check=False)
    assert failed.returncode == 1
    assert "Failed to post to JSON webhook" in failed.stdout and "HTTP 400" in failed.stdout
