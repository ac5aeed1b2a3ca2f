"""`qc board link` and `qc board revoke`, run as an operator would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.board.models import DisplayLink
from qc.kit.security import token_hash
from tests.factories import Browser, Org
from tests.test_cli import qc


def test_board_link_prints_a_working_link_and_revoke_stops_it(
    db: Session, org: Org, browser: Browser, configure: Any
) -> None:
    configure(public_url="https://qc.example.test/")
    result = qc("board", "link", "--team", "alpha", "--label", "Floor TV", "--ranking")
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("https://qc.example.test/wall/")
    token = url.rsplit("/", 1)[1]
    link = db.scalar(select(DisplayLink).where(DisplayLink.token_hash == token_hash(token)))
    assert link is not None and (link.team_id, link.label, link.show_ranking) == (
        org.team.id,
        "Floor TV",
        True,
    )
    assert browser.get(f"/wall/{token}").status_code == 200
    assert f"revoke with `qc board revoke --id {link.id}`" in result.stdout
    qc("board", "revoke", "--id", str(link.id))
    assert browser.get(f"/wall/{token}").status_code == 404


def test_board_link_says_what_is_wrong(org: Org) -> None:
    result = qc("board", "link", "--team", "Nowhere", check=False)
    assert result.returncode == 1 and "No team 'Nowhere'" in result.stderr
    missing = qc("board", "revoke", "--id", "999999", check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_board_link_warns_on_stderr_when_the_public_url_is_not_set(org: Org, monkeypatch: Any) -> None:
    monkeypatch.delenv("QC_PUBLIC_URL", raising=False)
    result = qc("board", "link", "--team", "alpha")
    assert result.stdout.strip().splitlines()[-1].startswith("http://127.0.0.1:8000/wall/")
    assert "QC_PUBLIC_URL is not set" in result.stderr and "http://127.0.0.1:8000" in result.stderr
    assert "QC_PUBLIC_URL" not in result.stdout  # scripts reading the link get the link only


def test_board_link_does_not_warn_once_the_public_url_is_set(org: Org, configure: Any) -> None:
    configure(public_url="http://127.0.0.1:8000")  # the default, but said on purpose
    assert "QC_PUBLIC_URL" not in qc("board", "link", "--team", "alpha").stderr
