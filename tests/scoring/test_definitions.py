"""Scorecard files: validation with located errors, and `qc scorecards check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from qc.config import get_settings
from qc.scoring.definitions import ScorecardFileError, load_folder, parse_scorecard
from tests.test_cli import qc

VALID = """
id: demo-card
title: Demo
languages: [en]
sections:
  - id: opening
    title: Opening
    items:
      - id: greeting
        label: Greets
        check:
          type: phrase
          phrases: {en: [hello]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScorecardFileError) as caught:
        parse_scorecard(text, source="card.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_bundled_scorecards_are_valid() -> None:
    loaded = load_folder(get_settings().scorecards_dir)
    assert loaded.problems == []
    assert {card.id for _, card in loaded.cards} == {"outbound-sales", "inbound-support"}
    for _, card in loaded.cards:
        assert set(card.languages) == {"en", "ru", "ro", "it", "sr"}
        assert any(item.critical for item in card.items)


def test_errors_name_the_file_the_item_and_the_field() -> None:
    broken = VALID.replace("type: phrase", "type: phrase\n          speaker: robot")
    assert problems(broken) == [
        "card.yaml: section opening > item greeting > check.phrase.speaker: "
        "Input should be 'agent', 'customer' or 'any'"
    ]


def test_every_declared_language_needs_phrases() -> None:
    assert problems(VALID.replace("languages: [en]", "languages: [en, ro]")) == [
        "card.yaml: item greeting > check.phrases: no phrases for ro"
    ]


def test_references_to_unknown_items_are_refused() -> None:
    text = VALID.replace("type: phrase", "type: phrase\n          within: {before: pitch}")
    assert "refers to unknown item 'pitch'" in problems(text)[0]


def test_not_applicable_needs_an_na_answer() -> None:
    text = VALID.replace(
        "        label: Greets", "        label: Greets\n        not_applicable_when: {no_objection: true}"
    )
    assert "not_applicable_when needs answer: yes_no_na" in problems(text)[0]


def test_unknown_fields_and_bad_yaml_are_refused() -> None:
    assert (
        "Extra inputs are not permitted"
        in problems(VALID.replace("title: Demo", "title: Demo\ncolour: blue"))[0]
    )
    assert "not valid YAML" in problems("id: [unclosed")[0]


def test_metric_needs_a_threshold() -> None:
    text = VALID.replace(
        """        check:
          type: phrase
          phrases: {en: [hello]}""",
        """        check: {type: metric, metric: talk_ratio}""",
    )
    assert "a metric check needs min, max or both" in problems(text)[0]


def test_cli_check_reports_each_file(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(VALID)
    (tmp_path / "bad.yaml").write_text(VALID.replace("id: demo-card", "id: other").replace("[hello]", "[]"))
    result = qc("scorecards", "check", str(tmp_path), check=False)
    assert result.returncode == 1
    assert "ok  good.yaml: demo-card v1, 1 items (1 checked), languages en" in result.stdout
    assert "err bad.yaml: section opening > item greeting > check.phrase.phrases: no phrases" in result.stderr


def test_cli_check_passes_on_the_bundled_scorecards() -> None:
    result = qc("scorecards", "check")
    assert result.returncode == 0
    assert result.stdout.count("ok  ") == 2
