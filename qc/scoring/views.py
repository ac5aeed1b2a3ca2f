"""Automatic results as pages and the API show them: labels, sections, highlights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qc.scoring import engine, schemas, sides, swapping
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.scoring.service import definition


@dataclass(frozen=True)
class CheckView:
    result: CheckResult
    label: str
    section: str
    critical: bool
    guidance: str


def check_views(score: CallScore) -> list[CheckView]:
    """Results with their item's label and section, from the scorecard revision used."""
    if score.scorecard_version is None:
        return []
    card = definition(score.scorecard_version)
    views = []
    for result in score.checks:
        item = next((i for i in card.items if i.id == result.item_id), None)
        if item is None:
            continue
        views.append(
            CheckView(result, item.label, card.section_of(item.id).title, item.critical, item.guidance)
        )
    return views


def critical_failures(score: CallScore) -> list[str]:
    return [
        v.result.item_id for v in check_views(score) if v.critical and v.result.status is engine.Status.FAIL
    ]


# Evidence that decided the item; negated, late or unanswered words are not highlighted.
_COUNTED = frozenset({"match", "violation", "question", "objection", "handling"})


def highlighted_words(score: CallScore | None, segments: list[Any]) -> dict[tuple[int, int], str]:
    """(segment position, word index) -> the rule, for words that are evidence of a check."""
    marks: dict[tuple[int, int], str] = {}
    if score is None:
        return marks
    by_position = {s.position: s for s in segments}
    for result in score.checks:
        for evidence in result.evidence:
            segment = by_position.get(evidence.get("segment"))
            if segment is None or evidence["kind"] not in _COUNTED:
                continue
            for index, word in enumerate(segment.words):
                if evidence["start"] - 0.01 <= word["start"] and word["end"] <= evidence["end"] + 0.01:
                    marks[(segment.position, index)] = f"{result.item_id}: {evidence['rule']}"
    return marks


def checks_read(score: CallScore | None) -> schemas.ChecksRead | None:
    """The API shape of a call's automatic results."""
    if score is None:
        return None
    version = score.scorecard_version
    return schemas.ChecksRead(
        scorecard=schemas.ScorecardRef(
            id=version.scorecard_id, revision=version.revision, version=version.label, title=version.title
        )
        if version
        else None,
        note=score.note,
        language=score.language,
        score=score.score,
        final_score=score.final_score,
        critical_failed=critical_failures(score),
        checks=[
            schemas.CheckRead(
                item_id=v.result.item_id,
                label=v.label,
                section=v.section,
                critical=v.critical,
                status=v.result.status,
                confidence=v.result.confidence,
                summary=v.result.summary,
                value=v.result.value,
                evidence=[schemas.EvidenceRead(**e) for e in v.result.evidence],
            )
            for v in check_views(score)
        ],
    )


def result_read(version: ScorecardVersion, result: engine.ScoreResult) -> schemas.ChecksRead:
    """The API shape of results computed on the fly (POST /api/score)."""
    card = definition(version)
    return schemas.ChecksRead(
        scorecard=schemas.ScorecardRef(
            id=version.scorecard_id, revision=version.revision, version=version.label, title=version.title
        ),
        note=None,
        language=result.language,
        score=result.score,
        final_score=result.final_score,
        critical_failed=result.critical_failed,
        checks=[
            schemas.CheckRead(
                item_id=item.item_id,
                label=card.item(item.item_id).label,
                section=card.section_of(item.item_id).title,
                critical=card.item(item.item_id).critical,
                status=item.status,
                confidence=round(item.confidence, 3),
                summary=item.summary,
                value=item.value,
                evidence=[schemas.EvidenceRead(**e.as_dict()) for e in item.evidence],
            )
            for item in result.items
        ],
    )


def summary_of(version: ScorecardVersion) -> schemas.ScorecardSummary:
    from qc.scoring import describe

    card = definition(version)
    return schemas.ScorecardSummary(
        id=version.scorecard_id,
        revision=version.revision,
        version=version.label,
        title=version.title,
        languages=card.languages,
        applies_to=describe.applies_to(card),
        items=len(card.items),
        checked_items=sum(1 for i in card.items if i.check is not None),
    )


def detail_of(version: ScorecardVersion) -> schemas.ScorecardDetail:
    return schemas.ScorecardDetail(**summary_of(version).model_dump(), definition=version.definition)


@dataclass(frozen=True)
class SectionChecks:
    title: str
    checks: list[CheckView]


def grouped_checks(score: CallScore) -> list[SectionChecks]:
    """Results grouped by scorecard section, in scorecard order."""
    groups: dict[str, list[CheckView]] = {}
    for view in check_views(score):
        groups.setdefault(view.section, []).append(view)
    return [SectionChecks(title, checks) for title, checks in groups.items()]


@dataclass(frozen=True)
class SwapView:
    by_platform: bool
    name: str | None  # the person who swapped the sides
    at: datetime | None
    back: bool = False  # it put the sides back as the upload declared them

    @property
    def who(self) -> str:
        return "the platform" if self.by_platform else self.name or "a QC lead"


@dataclass(frozen=True)
class SideView:
    """Which channel is the agent's, as the call page and the review workspace show it.

    Each swap exchanges the sides, so after an odd number of them the sides are swapped (the
    last swap is what the page leads with, and a QC lead may undo it); after an even number
    they are back as the upload declared them, and the page leads with the current verdict."""

    check: sides.SideCheck | None  # None while the call is scored again after a swap
    swaps: list[SwapView]
    decided: bool = False  # a person put the sides back as declared: no longer flagged

    @property
    def looks_swapped(self) -> bool:
        """The check reads the sides as swapped (and nobody decided otherwise)."""
        return self.check is not None and self.check.verdict is sides.Verdict.SWAPPED and not self.decided

    @property
    def swapped(self) -> bool:
        """The sides are exchanged from what the upload declared."""
        return len(self.swaps) % 2 == 1

    @property
    def rescoring(self) -> bool:
        return self.check is None

    @property
    def last_swap(self) -> SwapView | None:
        return self.swaps[-1] if self.swaps else None

    @property
    def banner(self) -> bool:
        """Worth a banner: the sides look swapped, or somebody swapped them."""
        return self.looks_swapped or bool(self.swaps)

    @property
    def label(self) -> str:
        """The state in a few words ("look swapped", "swapped by Quinn Lead")."""
        last = self.last_swap
        if self.swapped and last is not None:
            return f"swapped by {last.who}" + ("; they still look swapped" if self.looks_swapped else "")
        if self.check is None:
            return "being checked again"
        if self.decided and last is not None:
            return f"as declared, decided by {last.who}"
        return self.check.verdict.label


def side_view(transcript: Any | None) -> SideView | None:
    """The transcript's side check and swaps (None for a transcript never checked: mono)."""
    data = getattr(transcript, "side_check", None)
    if not data:
        return None
    swaps = [
        SwapView(s.get("by") == swapping.PLATFORM, s.get("name"), _when(s.get("at")), back=n % 2 == 1)
        for n, s in enumerate(data.get("swaps", []))
    ]
    return SideView(sides.from_dict(data), swaps, decided=data.get("decided") == swapping.DECIDED_AS_DECLARED)


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
