"""Coaching effect figures on a constructed history, each cell counted here by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qc.coaching.effect import FocusEffect, Verdict, Windows, measure, summarise
from qc.evaluations.outcomes import ItemOutcome

T0 = datetime(2026, 10, 15, 12, tzinfo=UTC)
NOW = T0 + timedelta(days=40)
REP, ALICE, BOB, CARL = 1, 2, 3, 4  # Carl was coached on the same item: not a comparison
_ids = iter(range(1, 10_000))


def outcome(
    rep: int, days: float, passed: bool, item: str = "price", scorecard: str = "outbound-sales"
) -> ItemOutcome:
    n = next(_ids)
    return ItemOutcome(n, n, rep, 7, T0 + timedelta(days=days), scorecard, item, passed)


def history() -> list[ItemOutcome]:
    rows = []
    # The rep: 2 of 6 before, 5 of 6 after.
    rows += [outcome(REP, -d, d in (3, 9)) for d in (1, 3, 5, 9, 12, 20)]
    rows += [outcome(REP, d, d != 8) for d in (1, 2, 4, 8, 15, 29)]
    # Alice: 3 of 4 before and after. Bob: 1 of 4 before, 2 of 4 after.
    rows += [outcome(ALICE, -d, d != 2) for d in (2, 4, 6, 8)]
    rows += [outcome(ALICE, d, d != 3) for d in (3, 5, 7, 9)]
    rows += [outcome(BOB, -d, d == 4) for d in (2, 4, 6, 8)]
    rows += [outcome(BOB, d, d in (5, 9)) for d in (3, 5, 7, 9)]
    # Carl went from 0 of 3 to 3 of 3, but he was coached on it too.
    rows += [outcome(CARL, -d, False) for d in (1, 2, 3)] + [outcome(CARL, d, True) for d in (1, 2, 3)]
    # Left out: another item, another scorecard, and calls outside the 30-day windows.
    rows += [outcome(REP, 2, False, item="greeting"), outcome(ALICE, 2, False, scorecard="inbound")]
    rows += [outcome(REP, -31, False), outcome(REP, 30, False), outcome(BOB, -45, True)]
    return rows


def measured(
    min_calls: int = 5,
    now: datetime = NOW,
    *,
    rep: int = REP,
    rows: list[ItemOutcome] | None = None,
    coached: frozenset[int] = frozenset({CARL}),
) -> FocusEffect:
    return measure(
        rep_id=rep,
        scorecard_id="outbound-sales",
        item_id="price",
        windows=Windows.around(T0, 30, now),
        outcomes=history() if rows is None else rows,
        coached_on_item=set(coached),
        min_calls=min_calls,
    )


def test_each_cell_of_the_effect() -> None:
    effect = measured()
    assert (effect.rep_before.passed, effect.rep_before.total) == (2, 6)
    assert (effect.rep_after.passed, effect.rep_after.total) == (5, 6)
    assert (effect.others_before.passed, effect.others_before.total) == (3 + 1, 4 + 4)
    assert (effect.others_after.passed, effect.others_after.total) == (3 + 2, 4 + 4)
    assert effect.others == 2  # Alice and Bob; Carl is left out
    assert effect.rep_change == 5 / 6 - 2 / 6
    assert effect.others_change == 5 / 8 - 4 / 8
    assert effect.effect == (5 / 6 - 2 / 6) - (5 / 8 - 4 / 8)
    assert effect.verdict is Verdict.MEASURED and effect.improved and effect.compared and effect.final


def test_too_few_calls_after_the_session_until_k_are_reviewed() -> None:
    assert measured(min_calls=7).verdict is Verdict.TOO_FEW_CALLS
    assert measured(min_calls=7).effect is None
    early = measured(now=T0 + timedelta(days=5))  # 3 of the rep's after-calls fall before day 5
    assert (early.rep_after.total, early.verdict, early.final) == (3, Verdict.TOO_FEW_CALLS, False)


def test_without_a_comparison_group_the_effect_is_the_reps_own_change() -> None:
    effect = measured(rows=[o for o in history() if o.rep_id == REP], coached=frozenset())
    assert effect.others == 0 and not effect.compared
    assert effect.effect == 5 / 6 - 2 / 6


def test_no_calls_before_means_no_baseline() -> None:
    effect = measured(rows=[o for o in history() if not (o.rep_id == REP and o.call_started_at < T0)])
    assert effect.verdict is Verdict.NO_BASELINE and effect.effect is None


def test_an_effect_survives_being_stored() -> None:
    effect = measured()
    assert FocusEffect.from_json(effect.to_json()) == effect


def test_a_coachs_summary_counts_the_measured_items_that_improved() -> None:
    worse = measured(
        min_calls=4, rep=ALICE
    )  # Alice: 3 of 4 -> 3 of 4 while the others (rep, Bob) improved: a negative effect
    summary = summarise([measured(), worse, measured(min_calls=7)])
    assert worse.effect is not None and worse.effect < 0
    assert (summary.measured, summary.improved, summary.waiting) == (2, 1, 1)
    assert summary.share == 0.5
