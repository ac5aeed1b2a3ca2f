"""How often reviewers agree with each automatic check: the measure of which rules to fix.

A check's job is to find failures, so "fail" is the positive class: precision is the
share of the check's fails that reviewers confirmed, recall the share of the failures
reviewers found that the check had flagged. Checks that left the item to a person
("needs review") are counted apart, with what the person then decided.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from qc.errors import Forbidden, NotFound
from qc.evaluations import repository as repo
from qc.evaluations.kappa import cohen_kappa_counts
from qc.reviews import access
from qc.scoring import service as scoring
from qc.scoring.definitions import Scorecard, Status
from qc.scoring.models import ScorecardVersion
from qc.users.schemas import Principal

OVERRIDES_SHOWN = 5


@dataclass(frozen=True)
class Override:
    evaluation_id: int
    call_id: int
    suggested: str
    answer: str
    reason: str | None
    submitted_at: datetime | None


@dataclass
class ItemAgreement:
    item_id: str
    label: str
    section: str
    check: str  # the kind of automatic check, or "" when the item has none
    critical: bool
    reviewed: int = 0  # reviews that answered the item
    decided: int = 0  # ... where the check gave a verdict (pass, fail or n/a)
    agreed: int = 0
    true_fail: int = 0  # check fail, reviewer no
    false_fail: int = 0  # check fail, reviewer yes
    missed_fail: int = 0  # check pass, reviewer no
    true_pass: int = 0
    left_to_person: int = 0
    left_yes: int = 0
    left_no: int = 0
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (check, reviewer) -> times
    overrides: list[Override] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.decided if self.decided else None

    @property
    def precision(self) -> float | None:
        flagged = self.true_fail + self.false_fail
        return self.true_fail / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        failures = self.true_fail + self.missed_fail
        return self.true_fail / failures if failures else None

    @property
    def kappa(self) -> float | None:
        return cohen_kappa_counts(self.pairs)

    @property
    def overridden(self) -> int:
        return self.decided - self.agreed


@dataclass(frozen=True)
class AgreementReport:
    version: ScorecardVersion
    items: list[ItemAgreement]
    evaluations: int

    @property
    def worst_first(self) -> list[ItemAgreement]:
        return sorted(
            self.items,
            key=lambda i: (i.agreement is None, i.agreement if i.agreement is not None else 1, i.item_id),
        )


def item_agreement(
    session: Session,
    principal: Principal,
    scorecard_id: str,
    *,
    since: datetime | None = None,
    overrides_shown: int = OVERRIDES_SHOWN,
) -> AgreementReport:
    """Per item of a scorecard (all its revisions): reviewers against the automatic check."""
    if principal.role not in access.QUEUE_MANAGERS:
        raise Forbidden("Only administrators and QC leads see how reviewers agree with the automatic checks")
    version = scoring.get_current(session, scorecard_id)
    card = scoring.definition(version)
    items = empty_items(card)
    evaluations: set[int] = set()
    for (
        item_id,
        status,
        suggested,
        answer,
        reason,
        evaluation_id,
        call_id,
        submitted,
    ) in repo.answers_against_checks(session, scorecard_id, since):
        stats = items.get(item_id)
        if stats is None or answer is None or status is None:
            continue
        evaluations.add(evaluation_id)
        tally(stats, status, suggested, answer)
        if suggested is not None and answer != suggested and len(stats.overrides) < overrides_shown:
            stats.overrides.append(Override(evaluation_id, call_id, suggested, answer, reason, submitted))
    return AgreementReport(version, list(items.values()), len(evaluations))


def empty_items(card: Scorecard) -> dict[str, ItemAgreement]:
    """A zeroed tally per item of `card`, in its order."""
    result: dict[str, ItemAgreement] = {}
    for section in card.sections:
        for item in section.items:
            check = item.check.type if item.check is not None else ""
            result[item.id] = ItemAgreement(item.id, item.label, section.title, check, item.critical)
    return result


def tally(stats: ItemAgreement, status: Status, suggested: str | None, answer: str, times: int = 1) -> None:
    """Count one automatic verdict against a reviewer's answer."""
    stats.reviewed += times
    if suggested is None:  # the check left it to a person
        stats.left_to_person += times
        stats.left_yes += times if answer == "yes" else 0
        stats.left_no += times if answer == "no" else 0
        return
    _count(stats, status, suggested, answer, times)


def _count(stats: ItemAgreement, status: Status, suggested: str, answer: str, times: int = 1) -> None:
    stats.decided += times
    stats.agreed += times if answer == suggested else 0
    stats.pairs[(suggested, answer)] += times
    if status is Status.FAIL:
        if answer == "no":
            stats.true_fail += times
        elif answer == "yes":
            stats.false_fail += times
    elif status is Status.PASS:
        if answer == "no":
            stats.missed_fail += times
        elif answer == "yes":
            stats.true_pass += times


def tally_counts(
    card: Scorecard, rows: Iterable[tuple[str, Status | None, str | None, str | None, int]]
) -> list[ItemAgreement]:
    """Per item of `card`: (item, automatic status, suggested, answer, how many) rows counted
    as `item_agreement` counts them, for read-models that select and group the answers
    their own way (a team, a period). Overrides are not listed."""
    items = empty_items(card)
    for item_id, status, suggested, answer, times in rows:
        stats = items.get(item_id)
        if stats is not None and answer is not None and status is not None:
            tally(stats, status, suggested, answer, times)
    return list(items.values())


def one_item(
    session: Session, principal: Principal, scorecard_id: str, item_id: str
) -> tuple[AgreementReport, ItemAgreement]:
    """One item's agreement with every override (newest first) and its reason."""
    report = item_agreement(session, principal, scorecard_id, overrides_shown=MAX_OVERRIDES_LISTED)
    item = next((i for i in report.items if i.item_id == item_id), None)
    if item is None:
        raise NotFound(f"Scorecard {scorecard_id!r} has no item {item_id!r}")
    return report, item


MAX_OVERRIDES_LISTED = 500
