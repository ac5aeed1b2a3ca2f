"""`qc training export`: a team's (or one rep's) training records as CSV, as a user runs it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy.orm import Session

from qc.training.models import TrainingModule
from tests.factories import Org
from tests.test_cli import qc
from tests.training.conftest import assign_rep


def test_training_export_has_help() -> None:
    result = qc("training", "export", "--help")
    assert "--team" in result.stdout and "--output" in result.stdout


def test_training_export_writes_a_teams_csv(
    db: Session, org: Org, module: TrainingModule, tmp_path: Path
) -> None:
    assign_rep(db, org, module)
    assign_rep(db, org, module, rep=org.other_rep, by=org.qc_lead)
    out = tmp_path / "alpha.csv"
    result = qc("training", "export", "--team", "Alpha", "--output", str(out))
    assert "Wrote 1 record(s)" in result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["rep name", "email", "team"]
    assert [(r[0], r[2], r[3], r[7]) for r in rows[1:]] == [
        ("Rex Rep", "Alpha", "Talking about price", "Mia Manager")
    ]
    one = qc("training", "export", "--team", "Bravo", "--rep", "other@example.test")
    assert [r[1] for r in csv.reader(io.StringIO(one.stdout))][1:] == ["other@example.test"]


def test_training_export_says_what_is_wrong(org: Org) -> None:
    result = qc("training", "export", "--team", "Nowhere", check=False)
    assert result.returncode == 1 and "No team named 'Nowhere'" in result.stderr
    wrong = qc("training", "export", "--team", "Alpha", "--rep", "other@example.test", check=False)
    assert wrong.returncode == 1 and "No rep" in wrong.stderr
