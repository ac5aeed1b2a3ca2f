"""The trends page's figures: each series against a count made here from the rows the test
built (reviews through the services, their answers read back one by one)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select, union_all, update
from sqlalchemy.orm import Session, selectinload

from qc.coaching.models import CoachingFocus, CoachingSession, SessionStatus
from qc.db import UTCDateTime, utcnow
from qc.errors import Forbidden, InvalidInput, NotFound
from qc.evaluations.models import Evaluation
from qc.feedback import disputes
from qc.feedback.disputes import DisputedItem, ItemDecision
from qc.feedback.models import Decision, DisputeCause, Feedback
from qc.reports import trends
from qc.reports.trends import TrendsQuery
from qc.reports.trends_repository import period_of
from qc.training import service as training
from qc.training.service import CompletionInput
from qc.users.models import Role, User
from qc.users.service import principal_for
from tests.factories import Org, make_user
from tests.feedback.conftest import submit_review
from tests.training.conftest import assign_rep, make_module

NOW = utcnow()
UTC_ZONE = ZoneInfo("UTC")


def monday(weeks_ago: int, zone: ZoneInfo = UTC_ZONE) -> date:
    today = NOW.astimezone(zone).date()
    return today - timedelta(days=today.weekday(), weeks=weeks_ago)


def at(weeks_ago: int, day: int = 1, hour: int = 10) -> datetime:
    """A moment `weeks_ago` weeks back: `day` days after that week's Monday (UTC), never
    later than now."""
    moment = datetime.combine(monday(weeks_ago) + timedelta(days=day), time(hour), tzinfo=UTC)
    return min(moment, NOW - timedelta(minutes=5))


@dataclass
class History:
    tia: User
    lead_reviews: list[int]
    overturned: int  # the review whose dispute changed an answer


@pytest.fixture
def history(db: Session, org: Org, settings: Any) -> History:
    """Rex: reviews 1 and 3 weeks ago and this week, one the reviewer overrode the price
    check on; Tia: one last week and one 14 weeks ago; the Bravo rep: one last week. The QC
    lead reviewed two of them. One review was disputed and overturned."""
    tia = make_user(db, role=Role.REP, team=org.team, name="Tia Teammate")
    db.commit()
    price_fail = {"price": "fail"}
    rex = [
        submit_review(db, org, settings, started_at=at(1, 0), statuses=price_fail),
        submit_review(db, org, settings, started_at=at(1, 2), statuses={"greeting": "fail"}),
        submit_review(db, org, settings, started_at=at(3, 4), statuses=price_fail, price="yes"),
        submit_review(db, org, settings, started_at=at(0, 0, 0), statuses={"greeting": "pass"}),
    ]
    lead = [
        submit_review(
            db, org, settings, rep=tia, started_at=at(1, 3), statuses=price_fail, reviewer_user=org.qc_lead
        ),
        submit_review(
            db, org, settings, rep=tia, started_at=at(14), statuses=price_fail, reviewer_user=org.qc_lead
        ),
    ]
    submit_review(db, org, settings, rep=org.other_rep, started_at=at(1), statuses=price_fail)
    overturned = _overturn(db, org, settings, rex[1].id)
    return History(tia, [e.id for e in lead], overturned)


def _overturn(db: Session, org: Org, settings: Any, evaluation_id: int) -> int:
    """The rep disputes the greeting and a QC lead changes it to yes."""
    dispute = disputes.open_dispute(
        db,
        principal_for(db, org.rep),
        evaluation_id,
        items=[DisputedItem("greeting", "I did greet")],
        settings=settings,
    )
    decision = ItemDecision("greeting", Decision.CHANGED, "yes", "Heard it", DisputeCause.REVIEWER_ERROR)
    disputes.resolve_dispute(
        db, principal_for(db, org.qc_lead), dispute.id, decisions=[decision], settings=settings
    )
    db.commit()
    return evaluation_id


def view(db: Session, user: User, settings: Any, **query: Any) -> trends.TrendsView:
    return trends.trends_view(db, principal_for(db, user), TrendsQuery(**query), settings=settings, now=NOW)


def reviews_of(db: Session, team_id: int) -> list[Evaluation]:
    """The team's submitted reviews with their answers and calls, read back row by row."""
    db.expire_all()
    found = db.scalars(
        select(Evaluation)
        .join(Feedback, Feedback.evaluation_id == Evaluation.id)
        .where(Feedback.team_id == team_id)
        .options(selectinload(Evaluation.answers), selectinload(Evaluation.call))
    )
    return list(found)


def week_of(moment: datetime, weeks: list[date]) -> int | None:
    day = moment.astimezone(UTC).date()
    start = day - timedelta(days=day.weekday())
    return weeks.index(start) if start in weeks else None


def test_the_score_by_week_is_the_mean_of_the_final_scores_of_the_calls_made_that_week(
    db: Session, org: Org, settings: Any, history: History
) -> None:
    shown = view(db, org.manager, settings)
    by_week: dict[int, list[float]] = defaultdict(list)
    by_rep: dict[tuple[int, int], list[float]] = defaultdict(list)
    for review in reviews_of(db, org.team.id):
        week = week_of(review.call.started_at, shown.weeks)
        if week is not None and review.final_score is not None:
            by_week[week].append(review.final_score)
            by_rep[(review.call.rep_id, week)].append(review.final_score)
    expected = [round(statistics.fmean(by_week[w]), 1) if w in by_week else None for w in range(12)]
    score = shown.charts["score"]
    assert score.lines[-1].values == expected
    assert [row[1] for row in score.table.rows] == [len(by_week.get(w, [])) for w in range(12)]
    assert sum(expected[w] is not None for w in range(12)) == 3  # 3 weeks, 1 week ago holds 3 reviews
    reps = {row[0]: row for row in shown.charts["reps"].table.rows}
    assert set(reps) == {"Rex Rep", "Tia Teammate"}  # the other team's rep is not counted
    for rep, name in ((org.rep, "Rex Rep"), (history.tia, "Tia Teammate")):
        weekly = [
            round(statistics.fmean(by_rep[(rep.id, w)]), 1) if (rep.id, w) in by_rep else None
            for w in range(12)
        ]
        assert reps[name][3:15] == weekly
        assert reps[name][1] == sum(len(by_rep.get((rep.id, w), [])) for w in range(12))
    assert reps["Tia Teammate"][1] == 1  # her review of 14 weeks ago is outside the 12 weeks


def test_a_longer_period_and_a_rep_change_what_is_counted(
    db: Session, org: Org, settings: Any, history: History
) -> None:
    longer = view(db, org.manager, settings, weeks=26)
    assert len(longer.weeks) == 26
    assert {r[0]: r[1] for r in longer.charts["reps"].table.rows}["Tia Teammate"] == 2
    one = view(db, org.manager, settings, rep=str(history.tia.id))
    assert one.rep is not None and one.rep.id == history.tia.id
    assert [line.name for line in one.charts["score"].lines] == ["Tia Teammate", "Alpha"]
    price = next(r for r in one.charts["items"].table.rows if r[0] == "States the price clearly")
    assert price[1:4] == [1, 1, 100.0]  # Tia's one review in the 12 weeks failed it


def test_failure_rates_per_item_by_week_count_the_answers_of_the_weeks_reviews(
    db: Session, org: Org, settings: Any, history: History
) -> None:
    shown = view(db, org.manager, settings)
    failed: dict[tuple[str, int], int] = defaultdict(int)
    answered: dict[tuple[str, int], int] = defaultdict(int)
    for review in reviews_of(db, org.team.id):
        week = week_of(review.call.started_at, shown.weeks)
        for answer in review.answers:
            if week is None or answer.answer in (None, "na"):
                continue
            answered[(answer.item_id, week)] += 1
            failed[(answer.item_id, week)] += answer.answer == "no"
    items = shown.charts["items"]
    rows = {row[0]: row for row in items.table.rows}
    labels = {"price": "States the price clearly", "greeting": "Greets the customer in the first seconds"}
    for item_id, label in labels.items():
        row = rows[label]
        for w in range(12):
            whole = answered.get((item_id, w), 0)
            assert row[4 + w] == (round(100 * failed[(item_id, w)] / whole, 1) if whole else None), (
                item_id,
                w,
            )
        assert row[1:3] == [
            sum(failed[(item_id, w)] for w in range(12)),
            sum(answered[(item_id, w)] for w in range(12)),
        ]
    assert items.table.rows[0][0] == "States the price clearly"  # failed most: worst first
    assert items.lines[0].name == "States the price clearly"
    # The overturned greeting counts as answered after the dispute: yes.
    assert rows["Greets the customer in the first seconds"][1] == 0


def test_agreement_per_item_compares_the_reviewers_answers_with_the_checks(
    db: Session, org: Org, settings: Any, history: History
) -> None:
    shown = view(db, org.qc_lead, settings)
    decided: dict[str, int] = defaultdict(int)
    agreed: dict[str, int] = defaultdict(int)
    for review in reviews_of(db, org.team.id):
        if week_of(review.call.started_at, shown.weeks) is None:
            continue
        for answer in review.answers:
            if answer.auto_answer is not None and answer.answer is not None:
                decided[answer.item_id] += 1
                agreed[answer.item_id] += answer.answer == answer.auto_answer
    rows = {row[0]: row for row in shown.charts["agreement"].table.rows}
    price, greeting = rows["States the price clearly"], rows["Greets the customer in the first seconds"]
    assert price[2:4] == [decided["price"], round(100 * agreed["price"] / decided["price"], 1)]
    assert greeting[2:4] == [decided["greeting"], round(100 * agreed["greeting"] / decided["greeting"], 1)]
    assert agreed["price"] == decided["price"] - 1  # the override
    assert agreed["greeting"] == decided["greeting"] - 1  # the overturned answer
    assert shown.charts["agreement"].table.rows[0][3] < 100  # worst first


def test_reviewer_throughput_counts_reviews_by_the_week_they_were_submitted(
    db: Session, org: Org, settings: Any, history: History
) -> None:
    # The history was reviewed today: move two of the QC lead's reviews back, and give every
    # review a time on task.
    seconds = {history.lead_reviews[0]: 300.0, history.lead_reviews[1]: 540.0}
    for evaluation_id, weeks_ago in zip(history.lead_reviews, (2, 5), strict=True):
        moved = at(weeks_ago, 2)
        db.execute(
            update(Evaluation)
            .where(Evaluation.id == evaluation_id)
            .values(submitted_at=moved, active_seconds=seconds[evaluation_id])
        )
        db.execute(update(Feedback).where(Feedback.evaluation_id == evaluation_id).values(submitted_at=moved))
    db.execute(
        update(Evaluation).where(Evaluation.reviewer_id == org.reviewer.id).values(active_seconds=120.0)
    )
    db.commit()
    shown = view(db, org.admin, settings)
    rows = {row[0]: row for row in shown.charts["reviewers"].table.rows}
    riley, quinn = rows["Riley Reviewer"], rows["Quinn Lead"]
    assert riley[6:18] == [0] * 11 + [4]  # Rex's four reviews, all this week; Bravo's is not counted
    assert quinn[6:18] == [0] * 6 + [1] + [0] * 2 + [1] + [0] * 2
    assert riley[1:3] == [4, 2.0] and quinn[1:3] == [2, 7.0]  # median minutes: (5 + 9) / 2
    assert riley[3:6] == [1, 1, 25.0]  # one of Riley's four was disputed and overturned
    assert quinn[3:6] == [0, 0, 0.0]
    assert shown.charts["reviewers"].lines[0].values[-1] == 4.0  # all reviewers this week


def test_coaching_outcomes_by_month_count_the_stored_effects(db: Session, org: Org, settings: Any) -> None:
    this_month = NOW.replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=2)
    verdicts = [
        (last_month, "measured", 0.2),
        (last_month, "measured", -0.1),
        (last_month, "too_few_calls", None),
        (this_month, "measured", 0.05),
        (this_month - timedelta(days=200), "measured", 0.3),  # before the 12 weeks' months
    ]
    for held_at, verdict, change in verdicts:
        db.add(
            CoachingSession(
                rep_id=org.rep.id,
                team_id=org.team.id,
                coach_id=org.manager.id,
                status=SessionStatus.COMPLETED,
                scheduled_at=held_at,
                held_at=held_at,
                focus=[
                    CoachingFocus(
                        scorecard_id="outbound-sales",
                        item_id="price",
                        label="Price",
                        effect_verdict=verdict,
                        effect_change=change,
                    )
                ],
            )
        )
    db.commit()
    rows = {row[0]: row for row in view(db, org.manager, settings).charts["coaching"].table.rows}
    assert rows[last_month.strftime("%Y-%m")][1:] == [2, 1, 50.0, 1]
    assert rows[this_month.strftime("%Y-%m")][1:] == [1, 1, 100.0, 0]
    assert (this_month - timedelta(days=200)).strftime("%Y-%m") not in rows


def test_training_counts_assigned_completed_and_overdue_by_week(db: Session, org: Org, settings: Any) -> None:
    reading = make_module(db, org)
    exam = make_module(db, org, title="Price quiz", assessment=True)
    late = assign_rep(db, org, reading, due=monday(3) + timedelta(days=2), now=at(4, 1))
    passed = assign_rep(db, org, exam, due=monday(1) + timedelta(days=4), now=at(2, 1))
    failed = assign_rep(
        db, org, exam, rep=make_user(db, role=Role.REP, team=org.team), due=None, now=at(2, 2)
    )
    assign_rep(db, org, reading, rep=org.other_rep, by=org.outsider_manager, due=monday(3), now=at(4, 1))
    manager = principal_for(db, org.manager)
    training.complete(
        db,
        principal_for(db, org.rep),
        late.id,
        data=CompletionInput(completed_on=monday(1)),
        settings=settings,
    )
    training.complete(
        db,
        manager,
        passed.id,
        data=CompletionInput(completed_on=monday(1), result="passed"),
        settings=settings,
    )
    training.complete(
        db,
        manager,
        failed.id,
        data=CompletionInput(completed_on=monday(1) + timedelta(days=1), result="failed"),
        settings=settings,
    )
    db.commit()
    rows = view(db, org.manager, settings).charts["training"].table.rows
    week = {row[0]: row[1:] for row in rows}
    assert week[monday(4).isoformat()] == [1, 0, 0, 0, 0, None]
    assert week[monday(3).isoformat()] == [0, 0, 1, 0, 0, None]  # due on Wednesday, still open on Sunday
    assert week[monday(2).isoformat()] == [2, 0, 1, 0, 0, None]
    assert week[monday(1).isoformat()] == [0, 3, 0, 1, 1, 50.0]
    assert sum(row[1] for row in rows) == 3  # the other team's assignment is not counted


def test_weeks_are_the_teams_local_weeks(db: Session, org: Org, configure: Any) -> None:
    settings = configure(timezone="Pacific/Auckland")
    zone = ZoneInfo("Pacific/Auckland")
    local_monday = datetime.combine(monday(1, zone), time(0, 30), tzinfo=zone)  # Sunday in UTC
    review = submit_review(
        db, org, settings, started_at=local_monday.astimezone(UTC), statuses={"greeting": "pass"}
    )
    shown = view(db, org.manager, settings)
    assert shown.weeks[-2] == monday(1, zone)
    assert shown.charts["score"].lines[-1].values[-2] == review.final_score


def test_the_csv_holds_the_charts_table(db: Session, org: Org, settings: Any, history: History) -> None:
    principal = principal_for(db, org.manager)
    shown = view(db, org.manager, settings)
    for chart in ("score", "reps", "items", "agreement", "coaching", "training"):
        table = trends.chart_table(db, principal, TrendsQuery(), chart, settings=settings, now=NOW)
        assert table == shown.charts[chart].table
        lines = trends.to_csv(table).splitlines()
        assert lines[0].split(",") == table.columns
        assert len(lines) == 1 + len(table.rows)


def test_a_name_a_spreadsheet_would_run_is_quoted_in_the_csv() -> None:
    table = trends.Table(["Rep", "Average"], [["=HYPERLINK(1)", -2.5], ["Ann", None]])
    assert trends.to_csv(table).splitlines() == ["Rep,Average", "'=HYPERLINK(1),-2.5", "Ann,"]


def test_trends_are_for_managers_of_the_team_and_qc_staff(db: Session, org: Org, settings: Any) -> None:
    for user in (org.qc_lead, org.admin, org.manager):
        assert view(db, user, settings, team=str(org.team.id)).team.id == org.team.id
    assert "reviewers" in view(db, org.qc_lead, settings).charts
    assert "reviewers" not in view(db, org.manager, settings).charts  # the queue managers' business
    with pytest.raises(NotFound):
        view(db, org.outsider_manager, settings, team=str(org.team.id))
    # A rep of another team (the team changed with a rep still chosen): the whole team, with a note.
    dropped = view(db, org.manager, settings, rep=str(org.other_rep.id))
    assert dropped.rep is None and dropped.team.id == org.team.id
    assert dropped.note == f"The rep chosen is not an active rep of {org.team.name}: showing the whole team."
    assert org.other_rep.id not in {rep.id for rep in dropped.reps}
    for user in (org.rep, org.reviewer):
        with pytest.raises(Forbidden):
            view(db, user, settings)
    with pytest.raises(Forbidden):
        trends.chart_table(db, principal_for(db, org.manager), TrendsQuery(), "reviewers", settings=settings)
    assert view(db, org.outsider_manager, settings).team.id == org.other_team.id  # their own by default


@pytest.mark.parametrize("query", [{"weeks": 13}, {"team": "x"}, {"rep": "-1"}, {"team": "99999999999"}])
def test_bad_filters_are_refused_with_a_message(
    db: Session, org: Org, settings: Any, query: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput):
        view(db, org.admin, settings, **query)


def test_an_empty_team_has_empty_charts(db: Session, org: Org, settings: Any) -> None:
    shown = view(db, org.manager, settings)
    assert not any(chart.has_data for chart in shown.charts.values())
    assert [row[1] for row in shown.charts["score"].table.rows] == [0] * 12


def test_a_team_with_two_scorecards_chooses_the_one_the_items_show(
    db: Session, org: Org, settings: Any
) -> None:
    submit_review(
        db, org, settings, started_at=at(1), statuses={"greeting": "fail"}, scorecard="inbound-support"
    )
    for day in (1, 2):
        submit_review(db, org, settings, started_at=at(1, day), statuses={"price": "fail"})
    shown = view(db, org.manager, settings)
    assert [card for card, _ in shown.scorecards] == ["inbound-support", "outbound-sales"]
    assert shown.scorecard == "" and shown.item_scorecard == "outbound-sales"  # the most answered
    assert shown.charts["score"].table.rows[-2][1] == 3  # every review, whatever its scorecard
    inbound = view(db, org.manager, settings, scorecard="inbound-support")
    assert inbound.item_scorecard == "inbound-support"
    assert inbound.charts["score"].table.rows[-2][1] == 1
    worst = inbound.charts["items"].table.rows[0]
    assert worst[1:4] == [1, 1, 100.0] and "price" not in str(inbound.charts["items"].table.rows)


@pytest.mark.parametrize("periods", [1, 2, 3, 4, 5, 12, 26, 52])
def test_each_moment_falls_in_its_period(db: Session, periods: int) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    bounds = [start + timedelta(weeks=i) for i in range(periods + 1)]
    step = timedelta(days=3, hours=12)
    moments = [start + i * step for i in range(periods * 2)]  # each week's Monday and Thursday noon
    moments += [bound - timedelta(microseconds=1) for bound in bounds[1:]]  # and its very end
    rows = union_all(*[select(literal(m, UTCDateTime()).label("at")) for m in moments]).subquery()
    found = db.execute(select(rows.c.at, period_of(rows.c.at, bounds))).all()
    assert sorted(found) == sorted((m, (m - start).days // 7) for m in moments)


def test_a_qc_lead_opens_on_the_team_with_the_most_reviews_and_is_told(
    db: Session, org: Org, settings: Any
) -> None:
    empty = view(db, org.qc_lead, settings)
    assert empty.team.id == org.team.id and "no team has reviews in these weeks" in empty.note
    submit_review(db, org, settings, started_at=at(1))
    for week in (1, 2):
        submit_review(db, org, settings, rep=org.other_rep, started_at=at(week))
    shown = view(db, org.qc_lead, settings)
    assert shown.team.id == org.other_team.id, "Bravo has two reviews, Alpha one"
    assert shown.note == (
        f"Showing {org.other_team.name} (the team with the most reviews in these weeks); "
        "choose another team above."
    )
    assert view(db, org.qc_lead, settings, team=str(org.team.id)).note == "", "a team chosen: no note"
    assert view(db, org.manager, settings).note == "", "one team: nothing to choose"
