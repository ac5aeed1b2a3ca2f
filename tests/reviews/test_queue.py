"""Building, closing and working the daily queue against the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from qc.errors import Conflict, Forbidden, InvalidInput
from qc.reviews import builder, coverage, reading, service
from qc.reviews.models import (
    Assignment,
    AssignmentStatus,
    PickReason,
    QueueDay,
    RepDay,
    ReviewPolicy,
    Shortfall,
)
from qc.reviews.service import PolicyForm
from qc.users.models import Role
from qc.users.service import principal_for
from tests.factories import Org, make_reviewer, make_scored_call, make_user

MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def picks(db: Session) -> list[Assignment]:
    db.expire_all()
    return list(db.scalars(select(Assignment).options(selectinload(Assignment.call)).order_by(Assignment.id)))


def day_of_calls(db: Session, rep: Any, day: date, hours: list[float], **overrides: Any) -> list[Any]:
    return [make_scored_call(db, rep=rep, started_at=at(day, h), **overrides) for h in hours]


def test_the_queue_fills_as_the_day_goes_and_closes_at_its_end(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9.5, 10, 11, 14, 15, 16])
    db.commit()
    morning = builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 12))
    assert morning.picked == 0, "no part of the day is over yet and nothing is critical"
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 14))
    first = picks(db)
    assert len(first) == 1 and first[0].slot.endswith("1")
    assert first[0].call.started_at < at(MONDAY, 13.5), "drawn from the first part of the day"
    assert first[0].reviewer_id == org.reviewer.id
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 19))
    both = picks(db)
    assert len(both) == 2 and {p.slot[-1] for p in both} == {"1", "2"}
    queue = db.scalar(select(QueueDay).where(QueueDay.day == MONDAY, QueueDay.team_id == org.team.id))
    assert queue is not None and not queue.is_closed and queue.builds == 3
    closing = builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 24.5))
    assert closing.closed and closing.picked == 0
    db.refresh(queue)
    assert queue.is_closed


def test_building_again_adds_nothing_new(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 10, 11, 14, 15])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    first = [(p.call_id, p.slot, p.reviewer_id) for p in picks(db)]
    again = builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    assert again.picked == 0
    assert [(p.call_id, p.slot, p.reviewer_id) for p in picks(db)] == first
    assert len(first) == 2


def test_a_recorded_seed_reproduces_the_draws(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 9.5, 10, 10.5, 11, 14, 14.5, 15, 15.5, 16])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20), seed=20261123)
    drawn = sorted(p.call_id for p in picks(db))
    seed = db.scalar(select(QueueDay.seed))
    assert seed == 20261123
    for table in (Assignment, RepDay, QueueDay):
        db.execute(delete(table))
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20), seed=seed)
    assert sorted(p.call_id for p in picks(db)) == drawn
    others = set()
    for other_seed in range(8):
        for table in (Assignment, RepDay, QueueDay):
            db.execute(delete(table))
        builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20), seed=other_seed)
        others.add(tuple(sorted(p.call_id for p in picks(db))))
    assert len(others) > 1, "other seeds draw other calls"


def test_each_pick_records_why_it_was_picked(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 10, 14])
    make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 10.5), critical_failed=True)
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 10.7))
    [critical] = picks(db)
    assert critical.reason is PickReason.RISK
    assert "critical item failed" in critical.reason_detail
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    other = [p for p in picks(db) if p.id != critical.id]
    assert [p.reason for p in other] == [PickReason.RANDOM]
    assert other[0].reason_detail.startswith("Drawn at random from")


def test_a_rep_short_of_calls_gets_what_there_is_and_the_reason(db: Session, org: Org, settings: Any) -> None:
    make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 10))
    make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 11), duration_s=8.0)
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 24.1))
    lead = principal_for(db, org.qc_lead)
    result = coverage.coverage(db, lead, day=MONDAY, settings=settings)
    by_rep = {r.rep.id: r for r in result.reps}
    assert (by_rep[org.rep.id].target, by_rep[org.rep.id].picked) == (2, 1)
    assert by_rep[org.rep.id].reason is Shortfall.CALLS_TOO_SHORT
    assert by_rep[org.other_rep.id].reason is Shortfall.NO_CALLS
    assert by_rep[org.other_rep.id].shortfall == 2


def test_unfinished_reviews_roll_over_once_then_are_missed(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, FRIDAY, [9, 10, 14, 15])
    db.commit()
    builder.build_queue(db, day=FRIDAY, settings=settings, now=at(FRIDAY, 20))
    [done, left] = picks(db)
    reviewer = principal_for(db, org.reviewer)
    service.claim(db, reviewer, done.id, settings=settings)
    service.complete(db, reviewer, done, at(FRIDAY, 21))
    db.commit()
    report = builder.build_queue(db, day=FRIDAY, settings=settings, now=at(FRIDAY, 24.2))
    assert report.rolled_over == 1
    db.refresh(left)
    monday = date(2026, 11, 30)
    assert (left.queue_date, left.overdue, left.day) == (monday, True, FRIDAY)
    assert left.due_at == at(monday, 24)
    entries = reading.my_queue(db, reviewer, settings=settings, now=at(monday, 9))
    assert entries[0].assignment.id == left.id and entries[0].overdue
    builder.build_queue(db, day=monday, settings=settings, now=at(monday, 24.5))
    db.refresh(left)
    assert left.status is AssignmentStatus.MISSED


def test_non_working_days_have_no_queue(db: Session, org: Org, settings: Any) -> None:
    saturday = date(2026, 11, 28)
    day_of_calls(db, org.rep, saturday, [10, 14])
    db.commit()
    report = builder.build_queue(db, day=saturday, settings=settings, now=at(saturday, 23))
    assert report.picked == 0 and report.skipped["Alpha"] == "not a working day"


def test_a_team_time_zone_decides_its_day(db: Session, org: Org, settings: Any) -> None:
    lead = principal_for(db, org.qc_lead)
    builder_policy = _form(timezone="America/New_York")  # review hours 09:00-18:00 in New York
    service.update_policy(db, lead, team_id=org.team.id, form=builder_policy)
    early = make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 15))  # 10:00 in New York
    late = make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 22.5))  # 17:30 in New York
    evening = make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 23.5))  # 18:30: Tuesday's
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 27.5))  # 22:30 in New York
    assert {p.call_id for p in picks(db)} == {early.id, late.id}
    assert picks(db)[0].due_at == datetime(2026, 11, 24, 5, tzinfo=UTC)  # midnight in New York
    tuesday = date(2026, 11, 24)
    builder.build_queue(db, day=tuesday, settings=settings, now=at(tuesday, 23.5))  # 18:30 in New York
    assert evening.id in {p.call_id for p in picks(db) if p.day == tuesday}, (
        "evening calls count for the next day"
    )


def test_reviewers_never_get_their_own_team_where_the_team_asks(db: Session, org: Org, settings: Any) -> None:
    lead = principal_for(db, org.qc_lead)
    service.update_policy(db, lead, team_id=org.team.id, form=_form(exclude_own_team=True))
    insider = make_reviewer(db, team=org.team, capacity=10)
    org.reviewer.is_active = False
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    db.commit()
    report = builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    assert report.picked == 2 and report.assigned == 0
    assert all(p.reviewer_id is None for p in picks(db))
    outsider = make_reviewer(db, capacity=10)
    db.commit()
    later = builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 21))
    assert later.pooled_assigned == 2
    assert {p.reviewer_id for p in picks(db)} == {outsider.id}
    with pytest.raises(Forbidden):
        service.reassign(db, lead, picks(db)[0].id, reviewer_id=insider.id, settings=settings)


def test_capacity_and_languages_spread_the_work(db: Session, org: Org, settings: Any) -> None:
    org.reviewer.is_active = False
    reps = [make_user(db, role=Role.REP, team=org.team) for _ in range(6)]
    for rep in reps:
        day_of_calls(db, rep, MONDAY, [9, 10, 14, 15])
    romanian = make_user(db, role=Role.REP, team=org.team)
    day_of_calls(db, romanian, MONDAY, [9, 14], language="ro")
    english = [make_reviewer(db, capacity=6, languages=["en"]) for _ in range(2)]
    both = make_reviewer(db, capacity=4, languages=["en", "ro"])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    load: dict[int | None, int] = {}
    for pick in picks(db):
        load[pick.reviewer_id] = load.get(pick.reviewer_id, 0) + 1
        if pick.rep_id == romanian.id:
            assert pick.reviewer_id == both.id
    assert None not in load and sum(load.values()) == 14
    # 12 English picks and 2 Romanian ones over 16 seats: the two English reviewers fill
    # about as much of their capacity as the bilingual one.
    shares = [load.get(r.id, 0) / 6 for r in english] + [load[both.id] / 4]
    assert max(shares) - min(shares) <= 0.35, load


# Claiming ----------------------------------------------------------------------------------------


def test_a_reviewer_claims_their_pick_and_others_cannot(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    other = make_reviewer(db)
    org.reviewer.is_active = False
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    org.reviewer.is_active = True
    db.commit()
    pick = picks(db)[0]
    assert pick.reviewer_id == other.id
    intruder = principal_for(db, org.reviewer)
    with pytest.raises(Conflict, match="assigned to"):
        service.claim(db, intruder, pick.id, settings=settings)
    service.claim(db, principal_for(db, other), pick.id, settings=settings)
    db.refresh(pick)
    assert pick.status is AssignmentStatus.IN_REVIEW
    with pytest.raises(Conflict, match="is reviewing"):
        service.claim(db, intruder, pick.id, settings=settings)


def test_released_calls_wait_for_anyone_and_a_lead_can_reassign(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    pick = picks(db)[0]
    mine = principal_for(db, org.reviewer)
    service.claim(db, mine, pick.id, settings=settings)
    service.release(db, mine, pick.id)
    db.refresh(pick)
    assert (pick.status, pick.reviewer_id) == (AssignmentStatus.OPEN, None)
    colleague = make_reviewer(db)
    pool = reading.open_pool(db, principal_for(db, colleague), settings=settings, now=at(MONDAY, 21))
    assert [e.assignment.id for e in pool] == [pick.id]
    lead = principal_for(db, org.qc_lead)
    service.reassign(db, lead, pick.id, reviewer_id=colleague.id, settings=settings)
    db.refresh(pick)
    assert (pick.reviewer_id, pick.assigned_by_id) == (colleague.id, org.qc_lead.id)
    with pytest.raises(Forbidden):
        service.reassign(db, mine, pick.id, reviewer_id=org.reviewer.id, settings=settings)
    with pytest.raises(InvalidInput):
        service.reassign(db, lead, pick.id, reviewer_id=org.rep.id, settings=settings)


def test_nobody_reviews_their_own_calls(db: Session, org: Org, settings: Any) -> None:
    # A rep who became a reviewer keeps their old calls.
    former_rep = make_reviewer(db, team=org.team)
    own = make_scored_call(db, rep=former_rep, started_at=at(MONDAY, 10))
    db.commit()
    with pytest.raises(Forbidden, match="own calls"):
        service.pick_call(db, principal_for(db, former_rep), own.id, settings=settings)


def test_a_reviewer_can_pick_a_call_by_hand(db: Session, org: Org, settings: Any) -> None:
    call = make_scored_call(db, rep=org.rep, started_at=at(MONDAY, 10))
    db.commit()
    reviewer = principal_for(db, org.reviewer)
    pick = service.pick_call(db, reviewer, call.id, settings=settings, now=at(MONDAY, 12))
    assert (pick.reason, pick.status, pick.day) == (PickReason.MANUAL, AssignmentStatus.IN_REVIEW, MONDAY)
    with pytest.raises(Conflict, match="already in the review queue"):
        service.pick_call(db, principal_for(db, org.qc_lead), call.id, settings=settings)
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    assert len(picks(db)) == 2, "the chosen call counts towards the rep's target"


def test_blind_review_hides_the_rep_from_reviewers_only(db: Session, org: Org, settings: Any) -> None:
    lead = principal_for(db, org.qc_lead)
    service.update_policy(db, lead, team_id=org.team.id, form=_form(blind=True))
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    [entry, _] = reading.my_queue(db, principal_for(db, org.reviewer), settings=settings, now=at(MONDAY, 21))
    assert entry.rep_label.startswith("Rep ") and org.rep.name not in entry.rep_label
    assert reading.rep_label(db, lead, entry.assignment, settings) == org.rep.name


def test_policies_are_validated(db: Session, org: Org) -> None:
    lead = principal_for(db, org.qc_lead)
    for bad, field in [
        (_form(timezone="Mars/Olympus"), "timezone"),
        (_form(day_start="18:00", day_end="09:00"), "day_end"),
        (_form(working_days="mon,funday"), "working_days"),
        (_form(target=-1), "target"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            service.update_policy(db, lead, team_id=org.team.id, form=bad)
        assert caught.value.field == field
    with pytest.raises(Forbidden):
        service.update_policy(db, principal_for(db, org.manager), team_id=org.team.id, form=_form())
    service.update_policy(db, lead, team_id=org.team.id, form=_form(target=3, working_days="mon,tue"))
    row = db.get(ReviewPolicy, org.team.id)
    assert row is not None and (row.target_per_rep, row.working_days) == (3, "1,2")


def _form(**overrides: Any) -> PolicyForm:
    values: dict[str, Any] = {
        "target": 2,
        "working_days": "mon,tue,wed,thu,fri",
        "timezone": "UTC",
        "day_start": "09:00",
        "day_end": "18:00",
        "min_duration_s": 30,
        "risk_share_percent": 50,
        "low_score": 70,
        "exclude_own_team": False,
        "blind": False,
        **overrides,
    }
    return PolicyForm(**values)


def test_the_periodic_refresh_fills_today_and_closes_yesterday(db: Session, org: Org, settings: Any) -> None:
    tuesday = date(2026, 11, 24)
    day_of_calls(db, org.rep, MONDAY, [9, 10, 14, 15])
    day_of_calls(db, org.rep, tuesday, [9, 10])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 12))  # left open overnight
    db.commit()
    reports = builder.refresh_queues(db, settings=settings, now=at(tuesday, 14))
    assert [(r.day, r.closed) for r in reports] == [(MONDAY, ["Alpha", "Bravo"]), (tuesday, [])]
    by_day = {}
    for pick in picks(db):
        by_day.setdefault(pick.day, []).append(pick)
    assert len(by_day[MONDAY]) == 2 and all(p.queue_date == tuesday and p.overdue for p in by_day[MONDAY])
    assert len(by_day[tuesday]) == 1, "Tuesday's first part is over; its second is not"
    closed = db.scalar(
        select(QueueDay.is_closed).where(QueueDay.day == MONDAY, QueueDay.team_id == org.team.id)
    )
    assert closed is True


def test_the_worker_runs_the_refresh_periodically(org: Org, configure: Any, monkeypatch: Any) -> None:
    from huey.api import PeriodicTask

    from qc import wiring
    from qc.jobs import queue as jobs

    configure(queue_refresh_minutes=7)
    jobs.get_jobs.cache_clear()
    try:
        task = jobs.get_jobs().periodic["refresh_queues"]
        assert isinstance(task.task_class(), PeriodicTask)
        assert task.task_class().validate_datetime(datetime(2026, 11, 23, 10, 7)) is True
        assert task.task_class().validate_datetime(datetime(2026, 11, 23, 10, 8)) is False
        monkeypatch.setattr(builder, "utcnow", lambda: at(MONDAY, 14))
        reports = wiring.run_queue_refresh()
        # Monday is built; the Friday before, never built, is drawn and closed late.
        assert [(r.day, r.built, r.closed) for r in reports] == [
            (date(2026, 11, 20), ["Alpha", "Bravo"], ["Alpha", "Bravo"]),
            (MONDAY, ["Alpha", "Bravo"], []),
        ]
    finally:
        jobs.get_jobs.cache_clear()


# Races and rules ---------------------------------------------------------------------------------


def test_handing_out_a_waiting_pick_never_overwrites_a_claim(
    db: Session, org: Org, settings: Any, monkeypatch: Any
) -> None:
    from qc.reviews import repository

    org.reviewer.is_active = False
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    db.commit()
    waiting = picks(db)
    assert all(p.reviewer_id is None for p in waiting)
    # A reviewer takes one of them after the builder read the pool, before it writes.
    taker = make_reviewer(db)
    db.commit()
    stale = repository.unassigned_open(db, MONDAY)
    assert repository.claim(db, waiting[0].id, taker.id, at(MONDAY, 20.5))
    monkeypatch.setattr(repository, "unassigned_open", lambda session, day: stale)
    report = builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 21))
    assert report.pooled_assigned == 1
    claimed = db.get(Assignment, waiting[0].id)
    db.refresh(claimed)
    assert (claimed.status, claimed.reviewer_id) == (AssignmentStatus.IN_REVIEW, taker.id)


def test_closing_a_day_leaves_reviews_finished_meanwhile_alone(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 14])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    db.commit()
    first, second = picks(db)
    reviewer = principal_for(db, org.reviewer)
    service.claim(db, reviewer, first.id, settings=settings)
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 24.5))  # rolls both over
    tuesday = date(2026, 11, 24)
    service.complete(db, reviewer, first, at(tuesday, 10))  # finished while overdue
    db.commit()
    report = builder.build_queue(db, day=tuesday, settings=settings, now=at(tuesday, 24.5))
    assert report.missed == 1
    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status) == (AssignmentStatus.DONE, AssignmentStatus.MISSED)


def test_reassigning_a_pick_that_changed_meanwhile_is_refused(
    db: Session, org: Org, settings: Any, monkeypatch: Any
) -> None:
    from qc.reviews import repository

    day_of_calls(db, org.rep, MONDAY, [9, 14])
    colleague = make_reviewer(db)
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    db.commit()
    stale = service.get_assignment(db, picks(db)[0].id)
    holder = stale.reviewer_id
    assert holder is not None and repository.claim(db, stale.id, holder, at(MONDAY, 21))  # it is started
    other = colleague.id if holder != colleague.id else org.reviewer.id
    monkeypatch.setattr(service, "get_assignment", lambda session, assignment_id: stale)
    with pytest.raises(Conflict, match="changed meanwhile"):
        service.reassign(db, principal_for(db, org.qc_lead), stale.id, reviewer_id=other, settings=settings)


def test_reassigning_checks_the_reviewers_languages(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 14], language="ru")
    english = make_reviewer(db, languages=["en"], capacity=5)
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    with pytest.raises(Forbidden, match="This call is in ru"):
        service.reassign(
            db, principal_for(db, org.qc_lead), picks(db)[0].id, reviewer_id=english.id, settings=settings
        )


def test_rollover_skips_days_off(db: Session, org: Org, settings: Any) -> None:
    thursday = date(2026, 11, 26)
    day_of_calls(db, org.rep, thursday, [9, 14])
    db.commit()
    saturday_noon = datetime(2026, 11, 28, 12, tzinfo=UTC)  # the job was down on Friday
    builder.build_queue(db, day=thursday, settings=settings, now=saturday_noon)
    assert {p.queue_date for p in picks(db)} == {date(2026, 11, 30)}, "Monday, not Saturday"


def test_calls_no_scorecard_applies_to_are_not_picked(db: Session, org: Org, settings: Any) -> None:
    from qc.scoring.models import CallScore

    calls = day_of_calls(db, org.rep, MONDAY, [9, 14])
    for call in calls:
        score = db.scalar(select(CallScore).where(CallScore.call_id == call.id))
        score.scorecard_version_id = None
        score.note = "No scorecard applies to outbound calls of team Alpha"
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 24.5))
    assert picks(db) == []
    rep_day = db.scalar(select(RepDay).where(RepDay.rep_id == org.rep.id))
    assert rep_day is not None and (rep_day.no_scorecard, rep_day.shortfall_reason) == (
        2,
        Shortfall.NO_SCORECARD,
    )


def test_a_day_keeps_the_policy_it_started_with(db: Session, org: Org, settings: Any) -> None:
    day_of_calls(db, org.rep, MONDAY, [9, 10, 14, 15])
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 12))
    service.update_policy(db, principal_for(db, org.qc_lead), team_id=org.team.id, form=_form(target=4))
    db.commit()
    builder.build_queue(db, day=MONDAY, settings=settings, now=at(MONDAY, 20))
    assert len(picks(db)) == 2, "the new target applies from the next day"
    tuesday = date(2026, 11, 24)
    day_of_calls(db, org.rep, tuesday, [9.5, 12, 14, 16.5])  # one in each quarter of the hours
    db.commit()
    builder.build_queue(db, day=tuesday, settings=settings, now=at(tuesday, 20))
    assert len([p for p in picks(db) if p.day == tuesday]) == 4


def test_days_out_of_range_are_refused(db: Session, org: Org, settings: Any) -> None:
    with pytest.raises(InvalidInput, match="The day must be between"):
        builder.build_queue(db, day=date(9999, 12, 31), settings=settings)


def test_a_working_day_the_job_missed_is_drawn_and_closed_late(db: Session, org: Org, settings: Any) -> None:
    friday_calls = day_of_calls(db, org.rep, FRIDAY, [9, 14])
    db.commit()
    monday = date(2026, 11, 30)
    reports = builder.refresh_queues(db, settings=settings, now=at(monday, 8))  # first run since Thursday
    assert (FRIDAY, ["Alpha", "Bravo"]) in [(r.day, r.closed) for r in reports]
    late = [p for p in picks(db) if p.day == FRIDAY]
    assert {p.call_id for p in late} == {c.id for c in friday_calls}
    assert all(p.queue_date == monday and p.overdue for p in late)
