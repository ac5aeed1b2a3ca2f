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
from typing import Any

from sqlalchemy.orm import Session

from qc.errors import Forbidden, NotFound
from qc.evaluations import agreement, form
from qc.evaluations import repository as repo
from qc.reviews import access
from qc.scoring import editor, prefilter
from qc.scoring import service as scoring
from qc.scoring.definitions import Item, Scorecard, Status, canonical, references
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
    revision: int | None  # the revision in use it is compared with (None: never published)
    calls: int = 0  # reviewed calls run again
    skipped: int = 0  # reviewed calls whose transcript is gone (retention)
    items: list[ItemComparison] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # the first CHANGES_LISTED, newest review first
    changed_calls: int = 0
    seconds: float = 0.0
    unread: int = 0  # of `calls`: read as before without being read again (`read_alike`)


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
    draft = scoring.with_organisation_names(session, card)
    if not scoring.revisions(session, scorecard_id):  # a new scorecard: no call was reviewed with it
        empty = agreement.empty_items(draft)
        items = [ItemComparison(stats, stats, 0) for stats in empty.values()]
        return BacktestReport(scorecard_id, None, items=items, seconds=time.perf_counter() - started)
    version = scoring.get_current(session, scorecard_id)
    published = scoring.scoring_card(session, version)
    rerun = changed_items(draft, published)
    runner = subset(draft, rerun)
    reviewed = reviews(session, scorecard_id, since)
    report = BacktestReport(scorecard_id, version.revision)
    before, after = agreement.empty_items(draft), agreement.empty_items(draft)
    changed: defaultdict[str, int] = defaultdict(int)
    changed_calls: set[int] = set()
    alike = read_alike(session, runner, published, reviewed, version.id)
    to_run = sorted({call_id for _, call_id, _ in reviewed} - alike)
    verdicts = _verdicts(session, runner, to_run, report)
    verdicts |= {call_id: {} for call_id in alike}  # read as before: their verdicts stay
    report.calls += len(alike)
    report.unread = len(alike)
    for evaluation_id, call_id, answers in reviewed:
        if call_id not in verdicts:
            continue
        for item_id, (status, suggested, answer) in answers.items():
            if item_id not in after or status is None:
                continue
            agreement.tally(before[item_id], status, suggested, answer)
            new = verdicts[call_id].get(item_id, status) if item_id in rerun else status
            now = form.suggested(draft.item(item_id), new) if item_id in rerun else suggested
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


def changed_items(draft: Scorecard, published: Scorecard) -> set[str]:
    """Items whose verdict the draft may change: a check changed or added, and the items
    whose windows or conditions refer to those; each with what it refers to, to run it."""
    old = {item.id: item for item in published.items}
    changed = {
        item.id
        for item in draft.items
        if item.check is not None and (item.id not in old or _rule(item) != _rule(old[item.id]))
    }
    grew = True
    while grew:  # items that refer to a changed item may change too
        dependants = {item.id for item in draft.items if set(references(item)) & changed} - changed
        changed |= dependants
        grew = bool(dependants)
    return changed


def read_alike(
    session: Session,
    runner: Scorecard | None,
    published: Scorecard,
    reviewed: list[tuple[int, int, dict[str, tuple[Status | None, str | None, str]]]],
    version_id: int,
) -> set[int]:
    """Reviewed calls the draft reads exactly as the revision in use, so their verdicts need
    not be checked again: when the draft only changes phrase lists, the calls holding none of
    the words that matters (`prefilter`), among those reviewed with the revision in use."""
    if runner is None:
        return set()
    ids = {item.id for item in runner.items}
    if not ids <= {item.id for item in published.items}:
        return set()  # an item the revision in use does not have
    base = subset(published, ids) or published
    if prefilter.phrase_delta(runner, base, languages=()) is None:
        return set()  # more than phrase lists changed
    with_current = repo.scored_with(session, [evaluation_id for evaluation_id, _, _ in reviewed])
    older = {
        call_id for evaluation_id, call_id, _ in reviewed if with_current.get(evaluation_id) != version_id
    }
    calls = sorted({call_id for _, call_id, _ in reviewed} - older)
    forms = scoring.word_forms(session, calls)
    deltas = prefilter.phrase_delta(runner, base, languages={language for language, _ in forms.values()})
    if deltas is None:
        return set()
    return {
        call_id
        for call_id, (language, words) in forms.items()
        if language in deltas and not deltas[language].may_change(words)
    }


def _rule(item: Item) -> tuple[Any, ...]:
    """What decides an item's verdict (not its label, guidance or weight)."""
    return (item.check, item.answer, item.not_applicable_when)


def subset(card: Scorecard, item_ids: set[str]) -> Scorecard | None:
    """`card` with only `item_ids` and the items they refer to; None when nothing is to run."""
    if not item_ids:
        return None
    needed, frontier = set(item_ids), set(item_ids)
    while frontier:
        frontier = {ref for i in frontier for ref in references(card.item(i))} - needed
        needed |= frontier
    data = canonical(card)
    data["sections"] = [
        section | {"items": [i for i in section["items"] if i["id"] in needed]}
        for section in data["sections"]
        if any(i["id"] in needed for i in section["items"])
    ]
    return Scorecard.model_validate(data)


def _verdicts(
    session: Session, runner: Scorecard | None, call_ids: list[int], report: BacktestReport
) -> dict[int, dict[str, Status]]:
    """The draft's verdicts on the items it may change, per call with a transcript left."""
    verdicts: dict[int, dict[str, Status]] = {}
    if runner is None:  # no rule changed: nothing to read or run
        kept = transcription.calls_with_transcripts(session, call_ids)
        report.calls, report.skipped = len(kept), len(call_ids) - len(kept)
        return {call_id: {} for call_id in kept}
    for start in range(0, len(call_ids), BATCH):
        batch = call_ids[start : start + BATCH]
        transcripts = transcription.transcript_rows(session, batch)
        report.calls += len(transcripts)
        report.skipped += len(batch) - len(transcripts)
        for call_id, transcript in transcripts.items():
            verdicts[call_id] = {
                r.item_id: r.status for r in scoring.prepare_check(runner, transcript)().items
            }
    return verdicts


BATCH = 200  # transcripts read at a time


def reviews(
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
