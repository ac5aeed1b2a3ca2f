"""A team's day as the digest tells it, built by the real queue and real reviews, each figure
checked against counts made here from the rows."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qc.coaching.models import CoachingAction, CoachingSession
from qc.digest import content
from qc.digest.content import Count, MissedRep
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation
from qc.evaluations.service import ReviewForm
from qc.feedback import disputes
from qc.feedback.disputes import DisputedItem
from qc.feedback.models import Dispute, Feedback
from qc.jobs import events
from qc.reviews import builder
from qc.reviews.models import Assignment
from qc.scoring import service as scoring
from qc.users.models import Role, User
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call, make_user, set_review_policy
from tests.training.conftest import assign_rep, make_module

MON = date(2026, 11, 23)


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def review(
    db: Session, settings: Any, org: Org, pick_id: int, *, submitted: datetime, price: str
) -> Evaluation:
    """The reviewer reviews the pick (the automatic answers, price answered `price`),
    submitted at `submitted`."""
    reviewer = principal_for(db, org.reviewer)
    draft = evaluations.start_review(db, reviewer, pick_id, settings=settings)
    given = {a.item_id: AnswerInput(a.answer or "yes") for a in draft.answers}
    given["price"] = AnswerInput(price, "Heard otherwise" if price != given["price"].answer else "")
    done = evaluations.submit_review(db, reviewer, pick_id, data=ReviewForm(given), settings=settings)
    db.commit()
    events.dispatch_pending()  # the review's feedback row: released to the rep
    db.execute(update(Feedback).where(Feedback.evaluation_id == done.id).values(submitted_at=submitted))
    db.commit()
    return done


def picks(db: Session, rep: User) -> list[int]:
    return list(db.scalars(select(Assignment.id).where(Assignment.rep_id == rep.id).order_by(Assignment.id)))


@pytest.fixture
def day(db: Session, org: Org, settings: Any) -> dict[str, Any]:
    """Monday for Alpha (UTC, 2 reviews a rep): Rex reviewed twice (price failed in both, one a
    critical fail), Tia once of two, Amy made no calls; a review of Rex's on Friday; a dispute
    opened and overdue; coaching and training due tomorrow and overdue."""
    set_review_policy(db, org.qc_lead, org.team, timezone="UTC")
    tia = make_user(db, role=Role.REP, team=org.team, name="Tia Teammate")
    make_user(db, role=Role.REP, team=org.team, name="Amy Absent")
    for rep in (org.rep, tia):
        for hour in (10, 11):
            make_checked_call(db, rep=rep, started_at=at(MON, hour))
    friday = make_checked_call(db, rep=org.rep, started_at=at(MON - timedelta(days=3), 10))
    db.commit()
    builder.build_queue(db, day=MON, settings=settings, now=at(MON, 19), draw_now=True)
    db.commit()
    rex_picks, tia_picks = picks(db, org.rep), picks(db, tia)
    done = [
        review(db, settings, org, rex_picks[0], submitted=at(MON, 19.5), price="no"),
        review(db, settings, org, rex_picks[1], submitted=at(MON, 20), price="no"),
        review(db, settings, org, tia_picks[0], submitted=at(MON, 20.5), price="yes"),
    ]
    db.execute(update(Evaluation).where(Evaluation.id == done[0].id).values(critical_failed=True))
    manual = evaluations.review_call(db, principal_for(db, org.reviewer), friday.id, settings=settings)
    assert manual.assignment_id is not None
    before = review(
        db, settings, org, manual.assignment_id, submitted=at(MON - timedelta(days=3), 15), price="yes"
    )
    opened = disputes.open_dispute(
        db,
        principal_for(db, org.rep),
        done[1].id,
        items=[DisputedItem("price", "I said it")],
        settings=settings,
    )
    db.execute(
        update(Dispute).where(Dispute.id == opened.id).values(opened_at=at(MON, 21), due_at=at(MON, 22))
    )
    db.add(
        CoachingSession(
            rep_id=org.rep.id,
            team_id=org.team.id,
            coach_id=org.manager.id,
            scheduled_at=at(MON, 9),
            actions=[
                CoachingAction(text="Role-play the price", due_date=MON + timedelta(days=1)),
                CoachingAction(text="Listen to two calls", due_date=MON - timedelta(days=2)),
                CoachingAction(text="Done already", due_date=MON - timedelta(days=2), done_at=at(MON, 8)),
            ],
        )
    )
    db.commit()
    module = make_module(db, org)
    assign_rep(db, org, module, due=MON, now=at(MON - timedelta(days=5), 9))
    assign_rep(
        db,
        org,
        make_module(db, org, title="Objections"),
        rep=tia,
        due=MON + timedelta(days=1),
        now=at(MON, 9),
    )
    return {"done": done, "before": before, "tia": tia}


def test_the_digest_counts_the_days_coverage_scores_items_and_what_is_due(
    db: Session, org: Org, settings: Any, day: dict[str, Any]
) -> None:
    digest = content.build_digest(db, org.team, MON, settings=settings)
    db.expire_all()
    scores = [db.get_one(Evaluation, e.id).final_score for e in day["done"]]
    price = scoring.item_labels(db)[("outbound-sales", "price")]
    assert (digest.target, digest.worked, digest.covered, digest.absent) == (2, 2, 1, 1)
    assert digest.missed == [MissedRep("Tia Teammate", 1, 2, "Picked, review not done yet")]
    assert digest.reviews == 3
    assert digest.average == round(statistics.fmean(s for s in scores if s is not None), 1)
    assert digest.average_before == db.get_one(Evaluation, day["before"].id).final_score
    assert digest.critical == [Count("Rex Rep", 1)]
    assert digest.failed_items[0] == Count(price, 2, 3)
    assert (digest.disputes_opened, digest.disputes_resolved, digest.disputes_overdue) == (1, 0, 1)
    assert (digest.coaching_due, digest.coaching_overdue) == (1, 1)
    assert (digest.training_due, digest.training_overdue) == (1, 1)
    assert digest.reviewers == [Count("Riley Reviewer", 3)]
    assert not digest.quiet

    titles = [s.title for s in content.sections(digest)]
    assert titles[:3] == ["Missed the review target (1)", "Critical fails", "Overdue"]
    overdue = content.sections(digest)[2].lines
    assert overdue == ["1 dispute overdue", "1 coaching action overdue", "1 training assignment overdue"]
    assert content.sections(digest)[3].lines == ["1 of 2 reps reached the target of 2", "1 rep without calls"]


def test_the_next_day_and_another_team_have_nothing_to_report(
    db: Session, org: Org, settings: Any, day: dict[str, Any]
) -> None:
    other = content.build_digest(db, org.other_team, MON, settings=settings)
    assert other.quiet and (other.worked, other.reviews) == (0, 0)
    assert [s.lines for s in content.sections(other)] == [
        ["Bravo, Mon 23 Nov: nothing to report (no calls, no reviews, nothing due)."]
    ]
    sunday = content.build_digest(db, org.team, MON - timedelta(days=1), settings=settings)
    assert sunday.reviews == 0 and sunday.target == 0
    assert sunday.average_before == db.get_one(Evaluation, day["before"].id).final_score


def test_a_day_is_local_midnight_to_midnight_23_or_25_hours_on_clock_changes() -> None:
    zone = ZoneInfo("Europe/Bucharest")
    spring = content.day_bounds(date(2026, 3, 29), zone)
    autumn = content.day_bounds(date(2026, 10, 25), zone)
    plain = content.day_bounds(date(2026, 11, 23), zone)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert plain == (datetime(2026, 11, 22, 22, tzinfo=UTC), datetime(2026, 11, 23, 22, tzinfo=UTC))


def test_the_digest_links_to_the_teams_coverage_report_of_its_day_under_the_public_url(
    db: Session, org: Any, configure: Any, app: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QC_PUBLIC_URL", raising=False)
    day = date(2026, 11, 20)
    assert content.build_digest(db, org.team, day, settings=configure()).report_url is None
    settings = configure(public_url="https://qc.example.test/")
    url = content.build_digest(db, org.team, day, settings=settings).report_url
    assert url == f"https://qc.example.test/reports/coverage?team={org.team.id}&from=2026-11-20&to=2026-11-20"
    assert app.url_path_for("reports:coverage") == content.COVERAGE_PATH
    page = browser.login_as(org.manager).get(url.removeprefix("https://qc.example.test"))
    assert page.status_code == 200  # the manager opens their team's day from the chat
