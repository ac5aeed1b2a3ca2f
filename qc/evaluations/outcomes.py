"""Item outcomes: each answered item of each submitted review, passed or not.

What the team pages, coaching effects and training rules count. An answer passes with
"yes" or 4-5 on a scale (`form.passed`); n/a and unanswered items are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from qc.evaluations import form
from qc.evaluations import repository as repo
from qc.scoring import service as scoring
from qc.scoring.definitions import Item


@dataclass(frozen=True)
class ItemOutcome:
    evaluation_id: int
    call_id: int
    rep_id: int
    team_id: int
    call_started_at: datetime
    scorecard_id: str
    item_id: str
    passed: bool


def _outcomes(session: Session, rows: list[repo.AnswerRow]) -> list[ItemOutcome]:
    cards = scoring.definitions_by_version(session, {r.scorecard_version_id for r in rows})
    items: dict[int, dict[str, Item]] = {v: {i.id: i for i in card.items} for v, card in cards.items()}
    found = []
    for row in rows:
        item = items.get(row.scorecard_version_id, {}).get(row.item_id)
        verdict = form.passed(item, row.answer) if item is not None else None
        if verdict is not None:
            found.append(
                ItemOutcome(
                    row.evaluation_id,
                    row.call_id,
                    row.rep_id,
                    row.team_id,
                    row.started_at,
                    row.scorecard_id,
                    row.item_id,
                    verdict,
                )
            )
    return found


@dataclass(frozen=True)
class ItemTally:
    rep_id: int
    scorecard_id: str
    item_id: str
    passed: int
    total: int


def tally_rows(
    session: Session, rows: Iterable[tuple[int, int, str, str, str | None, int]]
) -> list[ItemTally]:
    """(rep, scorecard revision, scorecard, item, answer, how many) rows as pass tallies per
    rep and item (for read-models that count answers their own way)."""
    rows = list(rows)
    cards = scoring.definitions_by_version(session, {r[1] for r in rows})
    items: dict[int, dict[str, Item]] = {v: {i.id: i for i in card.items} for v, card in cards.items()}
    tallies: dict[tuple[int, str, str], list[int]] = {}
    for rep_id, version_id, scorecard_id, item_id, answer, count in rows:
        item = items.get(version_id, {}).get(item_id)
        verdict = form.passed(item, answer) if item is not None else None
        if verdict is None:
            continue
        tally = tallies.setdefault((rep_id, scorecard_id, item_id), [0, 0])
        tally[0] += count if verdict else 0
        tally[1] += count
    return [ItemTally(r, sc, i, p, t) for (r, sc, i), (p, t) in tallies.items()]


def item_outcomes(
    session: Session,
    *,
    rep_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    item_ids: Iterable[str] | None = None,
) -> list[ItemOutcome]:
    """Outcomes in reviews of calls that started in [since, until), oldest call first.
    No permission check: the caller decides who may see the figures it draws."""
    rows = repo.review_answers(
        session, rep_ids=rep_ids, team_ids=team_ids, since=since, until=until, item_ids=item_ids
    )
    return _outcomes(session, rows)


def last_reviewed(session: Session, rep_id: int, *, last: int) -> list[ItemOutcome]:
    """Outcomes in the rep's last `last` reviewed calls."""
    return _outcomes(session, repo.answers_of(session, repo.last_reviews(session, rep_id, last)))


def of_evaluations(session: Session, evaluation_ids: Iterable[int]) -> list[ItemOutcome]:
    return _outcomes(session, repo.answers_of(session, evaluation_ids))


def reviewed_calls_after(session: Session, since_by_rep: dict[int, datetime]) -> dict[int, int]:
    """How many of each rep's calls since their moment have a submitted review."""
    if not since_by_rep:
        return {}
    counts = dict.fromkeys(since_by_rep, 0)
    for rep_id, started_at in repo.reviewed_call_times(session, since_by_rep, min(since_by_rep.values())):
        if started_at >= since_by_rep[rep_id]:
            counts[rep_id] += 1
    return counts
