"""What a scorecard change would do, before it is published: the draft's checks run again
over every reviewed call of the scorecard and are compared with the reviewers' final
answers (after disputes), item by item, next to the revision in use.

"Before" is what the agreement page counts: the automatic verdict each review was
pre-filled with. "After" is the draft's verdict on the same stored (masked) transcript. The
same tally (`agreement._add`) counts both, so the numbers of an unchanged item are the
agreement page's numbers.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from qc.errors import Forbidden, NotFound
from qc.evaluations import agreement, form
from qc.evaluations import repository as repo
from qc.reviews import access
from qc.scoring import editor
from qc.scoring import service as scoring
from qc.scoring.definitions import Scorecard, Status
from qc.transcription import service as transcription
from qc.users.schemas import Principal

CHANGES_LISTED = 500


@dataclass(frozen=True)
class Change:
    """One item of one reviewed call whose automatic verdict the draft changes."""

    call_id: int
    evaluation_id: int
    item_id: str
    before: Status
    after: Status
    answer: str  # the reviewer's final answer
    before_agreed: bool  # the revision in use matched the reviewer
    after_agrees: bool  # the draft matches the reviewer


@dataclass(frozen=True)
class ItemComparison:
    before: agreement.ItemAgreement
    after: agreement.ItemAgreement
    changed: int  # reviewed calls whose verdict on this item the draft changes


@dataclass
class BacktestReport:
    scorecard_id: str
    revision: int  # the revision in use it is compared with
    calls: int = 0  # reviewed calls run again
    skipped: int = 0  # reviewed calls whose transcript is gone (retention)
    items: list[ItemComparison] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # the first CHANGES_LISTED, newest review first
    changed_calls: int = 0
    seconds: float = 0.0


def backtest(
    session: Session,
    principal: Principal,
    scorecard_id: str,
    card: Scorecard,
    *,
    since: datetime | None = None,
) -> BacktestReport:
    """Run `card` (a draft of `scorecard_id`) over the scorecard's reviewed calls."""
    if principal.role not in access.QUEUE_MANAGERS:
        raise Forbidden("Only administrators and QC leads can test scorecard changes")
    if card.id != scorecard_id:
        raise NotFound(f"The draft is of scorecard {card.id!r}, not {scorecard_id!r}")
    started = time.perf_counter()
    version = scoring.get_current(session, scorecard_id)
    draft = scoring.with_organisation_names(session, card)
    reviews = _reviews(session, scorecard_id, since)
    report = BacktestReport(scorecard_id, version.revision)
    before, after = agreement.empty_items(draft), agreement.empty_items(draft)
    changed: defaultdict[str, int] = defaultdict(int)
    changed_calls: set[int] = set()
    results: dict[int, dict[str, Status] | None] = {}
    for evaluation_id, call_id, answers in reviews:
        if call_id not in results:
            transcript = transcription.get_transcript(session, call_id)
            run = scoring.prepare_check(draft, transcript) if transcript is not None else None
            results[call_id] = {r.item_id: r.status for r in run().items} if run else None
            report.calls += run is not None
            report.skipped += run is None
        verdicts = results[call_id]
        if verdicts is None:
            continue
        for item_id, (status, suggested, answer) in answers.items():
            new = verdicts.get(item_id)
            if item_id not in after or status is None or new is None:
                continue
            agreement.tally(before[item_id], status, suggested, answer)
            now = form.suggested(draft.item(item_id), new)
            agreement.tally(after[item_id], new, now, answer)
            if new != status:
                changed[item_id] += 1
                changed_calls.add(call_id)
                if len(report.changes) < CHANGES_LISTED:
                    report.changes.append(
                        Change(
                            call_id,
                            evaluation_id,
                            item_id,
                            status,
                            new,
                            answer,
                            suggested == answer,
                            now == answer,
                        )
                    )
    report.items = [ItemComparison(before[i], after[i], changed[i]) for i in after]
    report.changed_calls = len(changed_calls)
    report.seconds = time.perf_counter() - started
    return report


def _reviews(
    session: Session, scorecard_id: str, since: datetime | None
) -> list[tuple[int, int, dict[str, tuple[Status | None, str | None, str]]]]:
    """Each submitted review of the scorecard, newest first: (review, call, per item the
    automatic status it was pre-filled with, that suggestion and the final answer)."""
    reviews: dict[int, tuple[int, int, dict[str, tuple[Status | None, str | None, str]]]] = {}
    rows = repo.answers_against_checks(session, scorecard_id, since)
    for item_id, status, suggested, answer, _reason, evaluation_id, call_id, _at in rows:
        if answer is not None:
            reviews.setdefault(evaluation_id, (evaluation_id, call_id, {}))[2][item_id] = (
                status,
                suggested,
                answer,
            )
    return list(reviews.values())


def backtest_draft(
    session: Session, principal: Principal, scorecard_id: str, *, since: datetime | None = None
) -> BacktestReport:
    """Backtest the scorecard's draft (404 when it has none)."""
    if principal.role not in access.QUEUE_MANAGERS:
        raise Forbidden("Only administrators and QC leads can test scorecard changes")
    return backtest(
        session, principal, scorecard_id, editor.get_draft(session, principal, scorecard_id).card, since=since
    )
