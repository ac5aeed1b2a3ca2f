"""The scorecard as a reviewer answers it: allowed answers, what the checks suggest,
validation and the score (pure functions, no database)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qc.scoring.definitions import AnswerType, Item, Scorecard, Status
from qc.scoring.engine import weighted_score

MAX_REASON = 500
MAX_COMMENT = 4000
PASSING_SCALE = 4  # on a 1-5 item, 4 and 5 pass

CHOICES: dict[AnswerType, tuple[str, ...]] = {
    AnswerType.YES_NO: ("yes", "no"),
    AnswerType.YES_NO_NA: ("yes", "no", "na"),
    AnswerType.SCALE_1_5: ("1", "2", "3", "4", "5"),
}
LABELS = {"yes": "Yes", "no": "No", "na": "N/A"}


def choices(item: Item) -> tuple[str, ...]:
    return CHOICES[item.answer]


def label(answer: str | None) -> str:
    return "—" if answer is None else LABELS.get(answer, answer)


def suggested(item: Item, status: Status | None) -> str | None:
    """The answer an automatic verdict stands for; None when a person must decide."""
    scale = item.answer is AnswerType.SCALE_1_5
    if status is Status.PASS:
        return "5" if scale else "yes"
    if status is Status.FAIL:
        return "1" if scale else "no"
    if status is Status.NA and "na" in choices(item):
        return "na"
    return None


def credit(item: Item, answer: str | None) -> float | None:
    """An answer's share of the item's weight; None for n/a or no answer (not counted)."""
    if answer is None or answer == "na":
        return None
    if item.answer is AnswerType.SCALE_1_5:
        return (int(answer) - 1) / 4
    return 1.0 if answer == "yes" else 0.0


def passed(item: Item, answer: str | None) -> bool | None:
    """Whether an answer passes the item: yes, or 4-5 on a scale; None for n/a or no
    answer. Pass rates, most-missed items and coaching effects all count this way."""
    if answer is None or answer == "na":
        return None
    if item.answer is AnswerType.SCALE_1_5:
        return int(answer) >= PASSING_SCALE
    return answer == "yes"


@dataclass(frozen=True)
class Result:
    score: float | None
    final_score: float | None
    critical_failed: list[str]


def score(card: Scorecard, answers: Mapping[str, str | None]) -> Result:
    """The weighted score of a person's answers; a critical item answered "no" zeroes it."""
    credits: dict[str, float] = {}
    critical: list[str] = []
    for item in card.items:
        value = credit(item, answers.get(item.id))
        if value is None:
            continue
        credits[item.id] = value
        if item.critical and value == 0.0:
            critical.append(item.id)
    total = weighted_score(card, credits)
    return Result(total, 0.0 if critical and total is not None else total, critical)


@dataclass(frozen=True)
class AnswerInput:
    answer: str | None
    reason: str = ""


def validate(
    card: Scorecard, suggestions: Mapping[str, str | None], given: Mapping[str, AnswerInput]
) -> dict[str, str]:
    """Field errors (`answer-<item>`, `reason-<item>`) for a submission; empty when valid."""
    errors: dict[str, str] = {}
    for item in card.items:
        entry = given.get(item.id, AnswerInput(None))
        if entry.answer is None:
            errors[f"answer-{item.id}"] = "Answer this item"
            continue
        if entry.answer not in choices(item):
            allowed = ", ".join(label(c) for c in choices(item))
            errors[f"answer-{item.id}"] = f"Choose one of: {allowed}"
            continue
        auto = suggestions.get(item.id)
        reason = entry.reason.strip()
        if auto is not None and entry.answer != auto and len(reason) < 3:
            errors[f"reason-{item.id}"] = (
                f"Say briefly why you answer {label(entry.answer)} where the check said {label(auto)}"
            )
        if len(reason) > MAX_REASON:
            errors[f"reason-{item.id}"] = f"Keep the reason under {MAX_REASON} characters"
    return errors


def clean_answer(item: Item, value: str | None) -> str | None:
    """A draft keeps only answers the item allows."""
    value = (value or "").strip().lower()
    return value if value in choices(item) else None
