"""Coaching sessions through the service: planning from reviews, the rep's side, the
session's course, who may do what, the inbox, and the effect measured on real reviews."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.coaching import service as coaching
from qc.coaching.effect import Verdict
from qc.coaching.models import CoachingSession, SessionStatus
from qc.coaching.service import ActionInput, SessionInput, SessionInvalid
from qc.db import utcnow
from qc.errors import Forbidden, InvalidTransition, NotFound
from qc.evaluations.models import Evaluation
from qc.jobs import events
from qc.notifications.models import Notification
from qc.users.models import Role, User
from qc.users.service import principal_for
from tests.factories import Org, make_user
from tests.feedback.conftest import submit_review

SOON = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def plan(
    db: Session, org: Org, settings: Any, *, evaluations: list[Evaluation], focus: list[str], **kw: Any
) -> CoachingSession:
    manager = principal_for(db, org.manager)
    data = SessionInput(
        scheduled_at=kw.pop("at", SOON),
        agenda="Go through the price question",
        shared_notes="Listen to 1:10 together",
        private_notes="Rex is new; be gentle",
        focus=focus,
        evaluation_ids=[e.id for e in evaluations],
        actions=[ActionInput("Say the price before the discount", date(2026, 12, 12)), ActionInput("")],
        **kw,
    )
    created = coaching.create_session(db, manager, rep_id=org.rep.id, data=data, settings=settings)
    db.commit()
    return created


def inbox(db: Session, user: User) -> list[Notification]:
    db.expire_all()
    rows = db.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    return list(rows)


def test_suggestions_count_failures_in_the_last_reviews_and_tick_those_of_the_chosen_review(
    db: Session, org: Org, settings: Any
) -> None:
    reviews = [submit_review(db, org, settings) for _ in range(2)]  # price failed in both
    clean = submit_review(db, org, settings, statuses={"greeting": "fail"})  # greeting failed, price passed
    manager = principal_for(db, org.manager)
    found = coaching.suggest_focus(
        db, manager, rep_id=org.rep.id, evaluation_ids=[clean.id], settings=settings
    )
    by_item = {s.item_id: s for s in found}
    assert (by_item["price"].failed, by_item["price"].reviewed) == (2, 3)
    assert (by_item["greeting"].failed, by_item["greeting"].reviewed) == (1, 3)
    assert by_item["greeting"].chosen and not by_item["price"].chosen
    assert by_item["price"].failing_evaluations == sorted((r.id for r in reviews), reverse=True)
    assert by_item["greeting"].failing_evaluations == [clean.id]
    assert "farewell" not in by_item  # never failed: nothing to coach
    assert found[0].item_id == "greeting"  # the chosen review's failures come first


def test_a_manager_plans_a_session_from_a_review_and_the_rep_hears_of_it(
    db: Session, org: Org, settings: Any
) -> None:
    review = submit_review(db, org, settings)
    created = plan(db, org, settings, evaluations=[review], focus=["outbound-sales:price"])
    assert created.status is SessionStatus.SCHEDULED and created.coach_id == org.manager.id
    assert [(f.item_id, f.failed, f.reviewed) for f in created.focus] == [("price", 1, 1)]
    assert [e.evaluation_id for e in created.evaluations] == [review.id]
    assert [a.text for a in created.actions] == [
        "Say the price before the discount"
    ]  # the blank row is dropped
    events.dispatch_pending()
    [notice] = [n for n in inbox(db, org.rep) if n.kind == "coaching_scheduled"]
    assert "Mia Manager planned a coaching session on Thu 10 Dec 09:00 UTC" in notice.text
    assert "States the price clearly" in notice.text


def test_the_form_lists_every_problem_at_once(db: Session, org: Org, settings: Any) -> None:
    submit_review(db, org, settings)
    manager = principal_for(db, org.manager)
    data = SessionInput(scheduled_at=None, duration_minutes=1, focus=["outbound-sales:nonsense"])
    with pytest.raises(SessionInvalid) as invalid:
        coaching.create_session(db, manager, rep_id=org.rep.id, data=data, settings=settings)
    assert set(invalid.value.errors) == {"scheduled_at", "duration_minutes", "focus"}
    with pytest.raises(SessionInvalid) as empty:
        coaching.create_session(db, manager, rep_id=org.rep.id, data=SessionInput(SOON), settings=settings)
    assert "at least one item" in empty.value.errors["focus"]


def test_only_the_reps_coaches_plan_and_the_rep_never_reads_private_notes(
    db: Session, org: Org, settings: Any
) -> None:
    review = submit_review(db, org, settings)
    data = SessionInput(SOON, focus=["outbound-sales:price"], evaluation_ids=[review.id])
    with pytest.raises(NotFound):  # another team's rep reads like a missing one
        coaching.create_session(
            db, principal_for(db, org.outsider_manager), rep_id=org.rep.id, data=data, settings=settings
        )
    for user in (org.reviewer, org.other_rep):
        with pytest.raises(Forbidden):
            coaching.create_session(
                db, principal_for(db, user), rep_id=org.rep.id, data=data, settings=settings
            )
    created = plan(db, org, settings, evaluations=[review], focus=["outbound-sales:price"])
    lead = principal_for(db, org.qc_lead)
    assert coaching.get_session(db, lead, created.id).id == created.id
    for user in (org.outsider_manager, org.reviewer, org.other_rep):
        with pytest.raises(NotFound):
            coaching.get_session(db, principal_for(db, user), created.id)
    rep = principal_for(db, org.rep)
    from qc.coaching import access

    assert not access.sees_private_notes(rep, coaching.get_session(db, rep, created.id))
    assert access.sees_private_notes(principal_for(db, org.manager), created)
    assert [s.id for s in coaching.list_sessions(db, rep)] == [created.id]
    assert coaching.list_sessions(db, principal_for(db, org.outsider_manager)) == []


def test_the_rep_acknowledges_and_ticks_an_action_the_manager_completes(
    db: Session, org: Org, settings: Any
) -> None:
    review = submit_review(db, org, settings)
    created = plan(db, org, settings, evaluations=[review], focus=["outbound-sales:price"])
    events.dispatch_pending()
    rep, manager = principal_for(db, org.rep), principal_for(db, org.manager)
    with pytest.raises(Forbidden):
        coaching.acknowledge(db, manager, created.id)
    coaching.acknowledge(db, rep, created.id)
    coaching.acknowledge(db, rep, created.id)  # twice changes nothing
    db.commit()
    events.dispatch_pending()
    assert all(n.cleared_at is not None for n in inbox(db, org.rep) if n.kind == "coaching_scheduled")
    action = coaching.get_session(db, rep, created.id).actions[0]
    coaching.set_action_done(db, rep, action.id, done=True)
    db.commit()
    assert action.done_by_id == org.rep.id
    with pytest.raises(NotFound):
        coaching.set_action_done(db, principal_for(db, org.other_rep), action.id, done=False)
    with pytest.raises(SessionInvalid):
        coaching.complete_session(db, manager, created.id, outcome="")
    coaching.mark_held(db, manager, created.id)
    done = coaching.complete_session(db, manager, created.id, outcome="Rex now states the price first")
    db.commit()
    assert done.status is SessionStatus.COMPLETED and done.held_at is not None
    with pytest.raises(InvalidTransition):
        coaching.update_session(db, manager, created.id, data=SessionInput(SOON), settings=settings)
    events.dispatch_pending()
    [completed] = [n for n in inbox(db, org.rep) if n.kind == "coaching_completed"]
    assert "Rex now states the price first" in completed.text


def test_moving_a_session_asks_the_rep_again_and_cancelling_clears_the_notices(
    db: Session, org: Org, settings: Any
) -> None:
    review = submit_review(db, org, settings)
    created = plan(db, org, settings, evaluations=[review], focus=["outbound-sales:price"])
    rep, manager = principal_for(db, org.rep), principal_for(db, org.manager)
    coaching.acknowledge(db, rep, created.id)
    db.commit()
    later = SOON + timedelta(days=1)
    kept = ActionInput("Say the price before the discount", date(2026, 12, 14), id=created.actions[0].id)
    coaching.update_session(
        db, manager, created.id, data=SessionInput(later, actions=[kept]), settings=settings
    )
    db.commit()
    moved_session = coaching.get_session(db, manager, created.id)
    assert moved_session.acknowledged_at is None and moved_session.actions[0].due_date == date(2026, 12, 14)
    action_id = moved_session.actions[0].id
    events.dispatch_pending()
    moved = [n for n in inbox(db, org.rep) if "moved your coaching session" in n.text]
    assert len(moved) == 1 and moved[0].cleared_at is None
    coaching.cancel_session(db, manager, created.id, reason="Rex is on leave")
    db.commit()
    events.dispatch_pending()
    notices = inbox(db, org.rep)
    assert all(n.cleared_at is not None for n in notices if n.kind == "coaching_scheduled")
    assert any(n.kind == "coaching_cancelled" and "Rex is on leave" in n.text for n in notices)
    with pytest.raises(InvalidTransition):
        coaching.set_action_done(db, rep, action_id, done=True)


def test_an_action_item_that_comes_due_is_notified_once_and_cleared_when_done(
    db: Session, org: Org, settings: Any
) -> None:
    review = submit_review(db, org, settings)
    created = plan(db, org, settings, evaluations=[review], focus=["outbound-sales:price"])
    action_id = created.actions[0].id
    due_day = datetime(2026, 12, 12, 8, tzinfo=UTC)
    assert coaching.notify_due_actions(db, now=due_day - timedelta(days=1)) == 0
    assert coaching.notify_due_actions(db, now=due_day) == 1
    assert coaching.notify_due_actions(db, now=due_day + timedelta(days=1)) == 0
    db.commit()
    events.dispatch_pending()
    [due] = [n for n in inbox(db, org.rep) if n.kind == "coaching_action_due"]
    assert "Say the price before the discount" in due.text and due.cleared_at is None
    coaching.set_action_done(db, principal_for(db, org.rep), action_id, done=True)
    db.commit()
    events.dispatch_pending()
    [due] = [n for n in inbox(db, org.rep) if n.kind == "coaching_action_due"]
    assert due.cleared_at is not None


def test_the_effect_is_measured_on_real_reviews_against_the_team(
    db: Session, org: Org, settings: Any, configure: Any
) -> None:
    """Rex fails price 3 times before and passes 5 of 6 after; teammate Tia stays at 1 of 2
    before and after: +83 points minus 0."""
    settings = configure(coaching_effect_days=10, coaching_effect_min_calls=5)
    tia = make_user(db, role=Role.REP, team=org.team, name="Tia Teammate")
    db.commit()
    t0 = utcnow() - timedelta(days=12)

    def review(rep: User, days: float, passes: bool) -> Evaluation:
        statuses = {"price": "pass" if passes else "fail"}
        return submit_review(
            db, org, settings, rep=rep, started_at=t0 + timedelta(days=days), statuses=statuses
        )

    before = [review(org.rep, -d, False) for d in (1, 2, 3)]
    for d, passes in ((1, True), (2, True), (3, False), (4, True), (5, True), (6, True)):
        review(org.rep, d, passes)
    review(tia, -2, True), review(tia, -1, False), review(tia, 2, True), review(tia, 3, False)
    review(org.rep, 11, False)  # after the 10-day window: not counted
    created = plan(db, org, settings, evaluations=before, focus=["outbound-sales:price"], at=t0)
    manager = principal_for(db, org.manager)
    coaching.complete_session(db, manager, created.id, outcome="Practised the price question", now=t0)
    db.commit()
    assert coaching.finalize_effects(db, settings=settings) == 1  # the windows closed: stored once
    assert coaching.finalize_effects(db, settings=settings) == 0
    db.commit()
    effect = coaching.effects(db, created, settings=settings)["outbound-sales:price"]
    assert (effect.rep_before.passed, effect.rep_before.total) == (0, 3)
    assert (effect.rep_after.passed, effect.rep_after.total) == (5, 6)
    assert (effect.others_before.passed, effect.others_before.total, effect.others) == (1, 2, 1)
    assert (effect.others_after.passed, effect.others_after.total) == (1, 2)
    assert effect.verdict is Verdict.MEASURED and effect.effect == pytest.approx(5 / 6)
    assert effect.final  # 12 days on, the 10-day window has closed: the figures are kept
    db.commit()
    db.expire_all()
    stored = db.get(CoachingSession, created.id)
    assert stored is not None
    summary = coaching.coach_summary(db, manager, coach_id=org.manager.id, settings=settings)
    assert (summary.measured, summary.improved) == (1, 1)
    results = coaching.team_coaching_results(db, manager, org.team.id)
    assert {c: (r.measured, r.improved) for c, r in results.items()} == {org.manager.id: (1, 1)}
    with pytest.raises(Forbidden):
        coaching.team_coaching_results(db, principal_for(db, org.outsider_manager), org.team.id)
    with pytest.raises(Forbidden):
        coaching.coach_summary(
            db, principal_for(db, org.outsider_manager), coach_id=org.manager.id, settings=settings
        )


def test_the_daily_queue_prefers_a_call_that_failed_the_coaching_focus(
    db: Session, org: Org, settings: Any
) -> None:
    from qc.reviews import builder
    from qc.reviews.models import Assignment, PickReason, ReviewPolicy
    from tests.factories import make_checked_call

    # One pick a day, for a flagged call: without the coaching focus no call here is flagged.
    db.add(
        ReviewPolicy(
            team_id=org.team.id,
            target_per_rep=1,
            working_days="1,2,3,4,5",
            timezone="UTC",
            day_start_minute=540,
            day_end_minute=1080,
            min_duration_s=30,
            risk_share=1.0,
            low_score=70,
        )
    )
    review = submit_review(db, org, settings)
    plan(db, org, settings, evaluations=[review], focus=["outbound-sales:price"])
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    clean = [
        make_checked_call(db, rep=org.rep, started_at=monday + timedelta(hours=h)) for h in (9.5, 10, 14, 15)
    ]
    tested = make_checked_call(
        db, rep=org.rep, started_at=monday + timedelta(hours=11), statuses={"price": "fail"}
    )
    db.commit()
    builder.build_queue(db, day=monday.date(), settings=settings, now=monday + timedelta(hours=23))
    db.commit()
    day = select(Assignment).where(Assignment.rep_id == org.rep.id, Assignment.day == monday.date())
    picks = {a.call_id: a for a in db.scalars(day)}
    assert tested.id in picks and picks[tested.id].reason is PickReason.RISK
    assert "coaching focus item" in picks[tested.id].reason_detail
    assert set(picks) == {tested.id} and not {c.id for c in clean} & set(picks)
