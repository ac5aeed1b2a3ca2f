"""The board's figures, checked against counts made here from the reviews the test made."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.board import service
from qc.board.service import Board, BoardRow, Trend
from qc.calls.models import Call
from qc.evaluations.models import Evaluation
from qc.feedback.models import Feedback
from qc.scoring import service as scoring
from tests.board.conftest import NOW, Month, at
from tests.factories import Org
from tests.feedback.conftest import submit_review


def board_of(db: Session, org: Org, settings: Any, *, ranking: bool = False, now: Any = NOW) -> Board:
    return service.build_board(db, org.team, settings=settings, now=now, show_ranking=ranking)


def rows(board: Board) -> dict[str, BoardRow]:
    return {row.name: row for row in board.rows}


def released_average(db: Session, evaluations: list[Evaluation], since: Any) -> float | None:
    """The average score of the released reviews of calls since `since`, counted here."""
    ids = [e.id for e in evaluations]
    scores = db.scalars(
        select(Evaluation.final_score)
        .join(Feedback, Feedback.evaluation_id == Evaluation.id)
        .join(Call, Call.id == Evaluation.call_id)
        .where(Evaluation.id.in_(ids), Call.started_at >= since, Feedback.released_at.is_not(None))
    ).all()
    return round(fmean(scores), 1) if scores else None


def test_each_rep_has_todays_and_the_months_reviews_against_target(
    db: Session, org: Org, settings: Any, month: Month
) -> None:
    board = board_of(db, org, settings)
    found = rows(board)
    assert set(found) == {"Rex Rep", "Tia Teammate", "Ugo Unreviewed", "Vic Away"}  # not the Bravo rep
    working_days = sum(date(2026, 11, d).isoweekday() <= 5 for d in range(1, 19))
    assert working_days == 13
    rex, tia, ugo, vic = (found[n] for n in ("Rex Rep", "Tia Teammate", "Ugo Unreviewed", "Vic Away"))
    assert (rex.today_done, rex.today_target, rex.at_target) == (2, 2, True)
    # Tia's unreleased review is still a review done: it counts, but not in her scores.
    assert (tia.today_done, tia.today_target, tia.at_target) == (2, 2, True)
    assert (ugo.today_done, ugo.works_today) == (0, True)
    assert (vic.today_done, vic.works_today) == (0, False)
    assert (rex.month_done, tia.month_done, ugo.month_done) == (
        5,
        3,
        0,
    )  # October's review is not this month's
    assert {r.month_target for r in board.rows} == {2 * working_days}


def test_the_team_progress_counts_the_reps_who_work_today(
    db: Session, org: Org, settings: Any, month: Month
) -> None:
    progress = board_of(db, org, settings).progress
    # Rex, Tia and Ugo made calls today; Vic did not, and is not counted against the team.
    assert (progress.reps_at_target, progress.reps_working) == (2, 3)
    assert (progress.done, progress.target) == (4, 6)
    assert progress.share == 4 / 6


def test_scores_are_this_months_released_reviews(db: Session, org: Org, settings: Any, month: Month) -> None:
    found = rows(board_of(db, org, settings))
    month_start = at(1, 0)
    assert found["Rex Rep"].average == released_average(db, month.reviews["Rex Rep"], month_start)
    tia = month.reviews["Tia Teammate"] + month.reviews["unreleased"]
    assert found["Tia Teammate"].average == released_average(db, tia, month_start)
    assert found["Tia Teammate"].average == round(
        fmean(e.final_score for e in month.reviews["Tia Teammate"]), 1
    )
    assert found["Ugo Unreviewed"].average is None


def test_the_most_missed_item_is_the_months_most_failed(
    db: Session, org: Org, settings: Any, month: Month
) -> None:
    found = rows(board_of(db, org, settings))
    labels = scoring.item_labels(db)
    rex = found["Rex Rep"].missed
    # This month Rex failed the price three times (today twice, on the 16th) and the greeting twice.
    assert rex is not None and (rex.label, rex.failed, rex.total) == (
        labels[("outbound-sales", "price")],
        3,
        5,
    )
    tia = found["Tia Teammate"].missed
    assert tia is not None and (tia.label, tia.failed) == (labels[("outbound-sales", "next_step")], 1)
    assert found["Ugo Unreviewed"].missed is None


def test_the_trend_compares_the_last_seven_days_with_the_seven_before(
    db: Session, org: Org, settings: Any
) -> None:
    recent = [NOW - timedelta(days=d) for d in (1, 2, 3)]
    before = [NOW - timedelta(days=d) for d in (8, 9, 10)]
    weak = [
        submit_review(db, org, settings, started_at=t, statuses={"price": "fail", "greeting": "fail"})
        for t in before
    ]
    strong = [submit_review(db, org, settings, started_at=t, statuses={"greeting": "pass"}) for t in recent]
    trend = rows(board_of(db, org, settings))["Rex Rep"].trend
    expected = round(fmean(e.final_score for e in strong) - fmean(e.final_score for e in weak), 1)
    assert expected >= service.TREND_STEP
    assert trend == Trend(expected) and trend.direction == "up" and trend.arrow == "▲"
    # Two and a half days earlier, the seven days before hold one review: too few to tell.
    earlier = NOW - timedelta(days=2, hours=12)
    assert rows(board_of(db, org, settings, now=earlier))["Rex Rep"].trend is None


def test_a_day_off_has_no_target(db: Session, org: Org, settings: Any, month: Month) -> None:
    saturday = at(21, 12)
    board = board_of(db, org, settings, now=saturday)
    assert not board.working_day
    assert {row.today_target for row in board.rows} == {0}
    assert board.progress.target == 0


def test_the_top_three_only_when_it_is_asked_for(
    db: Session, org: Org, settings: Any, month: Month, monkeypatch: Any
) -> None:
    from qc.performance import ranking

    monkeypatch.setattr(ranking, "RANK_MIN_REVIEWS", 2)
    assert board_of(db, org, settings).podium == []
    # Rex (5 released) and Tia (2 released) are ranked: naming one of two leaves half unnamed.
    podium = board_of(db, org, settings, ranking=True).podium
    names = [name for _, name in podium]
    averages = {n: rows(board_of(db, org, settings))[n].average for n in ("Rex Rep", "Tia Teammate")}
    assert names == [max(averages, key=lambda n: averages[n] or 0)]
    assert [s.rank for s, _ in podium] == [1]


def test_the_trend_shows_its_change_in_whole_points() -> None:
    assert [Trend(c).points for c in (4.2, -3.6, 0.4, -0.4, 2.5)] == ["+4", "-4", "±0", "±0", "+2"]
