"""What the automatic checks produce: per item a status, a confidence and evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qc.scoring.definitions import (
    Status,
)

# Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    kind: str  # match, violation, negated, outside_window, objection, handling, unhandled, question, metric
    speaker: str
    start: float
    end: float
    text: str
    rule: str
    segment: int | None = None
    probability: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "speaker": self.speaker,
            "start": round(self.start, 2),
            "end": round(self.end, 2),
            "text": self.text,
            "rule": self.rule,
            "segment": self.segment,
            "probability": None if self.probability is None else round(self.probability, 3),
        }


@dataclass
class ItemResult:
    item_id: str
    status: Status
    confidence: float
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    value: float | None = None

    @property
    def anchor(self) -> float | None:
        """When the item happened: its first in-window evidence."""
        found = [e.start for e in self.evidence if e.kind in {"match", "question", "handling"}]
        return min(found) if found else None


@dataclass
class ScoreResult:
    scorecard_id: str
    language: str
    items: list[ItemResult]
    score: float | None
    critical_failed: list[str]
    speakers_separated: bool
    word_forms: frozenset[str] = frozenset()  # the transcript's surface and lemma forms

    @property
    def final_score(self) -> float | None:
        return 0.0 if self.critical_failed else self.score
