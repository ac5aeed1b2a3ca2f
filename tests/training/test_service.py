"""Training through its services: the catalogue's versions, assigning, completing by the
right person, overdue and withdrawn assignments, rules on real submitted reviews, the effect."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidTransition, NotFound
from qc.jobs import events
from qc.notifications.models import Notification
from qc.training import catalogue, records, rulebook, service
from qc.training.catalogue import ModuleInput, TrainingInvalid
from qc.training.effect import effects
from qc.training.models import AssignmentStatus, TrainingModule, TrainingResult
from qc.training.service import AssignInput, CompletionInput
from qc.users.models import Role
from qc.users.service import principal_for
from tests.factories import Org, make_user
from tests.feedback.conftest import submit_review
from tests.training.conftest import PRICE, assign_rep, make_module, make_rule

FAIL = {"price": "fail"}
PASS = {"greeting": "pass"}  # every item passes


def _inbox(db: Session, user_id: int, kind: str) -> list[Notification]:
    db.rollback()
    db.expire_all()
    return list(
        db.scalars(select(Notification).where(Notification.user_id == user_id, Notification.kind == kind))
    )


def _dispatch(db: Session) -> None:
    db.commit()
    events.dispatch_pending()
    db.expire_all()


# The catalogue ----------------------------------------------------------------------------------------


def test_editing_a_module_writes_a_new_version_and_keeps_the_old(
    db: Session, org: Org, module: TrainingModule
) -> None:
    lead = principal_for(db, org.qc_lead)
    data = ModuleInput.of(module.current)
    data.title, data.expected_minutes = "Price, plainly", 60
    catalogue.edit_module(db, lead, module.id, data=data)
    db.commit()
    found = catalogue.get_module(db, lead, module.id)
    assert [v.version for v in found.versions] == [1, 2]
    assert (found.title, found.current.expected_minutes) == ("Price, plainly", 60)
    assert found.versions[0].title == "Talking about price" and found.versions[0].expected_minutes == 45


def test_saving_a_module_unchanged_writes_no_version(db: Session, org: Org, module: TrainingModule) -> None:
    lead = principal_for(db, org.qc_lead)
    catalogue.edit_module(db, lead, module.id, data=ModuleInput.of(module.current))
    assert catalogue.get_module(db, lead, module.id).latest_version == 1


def test_a_module_form_reports_every_error_at_once(db: Session, org: Org) -> None:
    data = ModuleInput(
        title="x", material_url="ftp://x", items=["nope:nope"], expected_minutes=0, pass_mark=50
    )
    with pytest.raises(TrainingInvalid) as caught:
        catalogue.create_module(db, principal_for(db, org.qc_lead), data=data)
    assert set(caught.value.errors) == {"title", "material_url", "items", "expected_minutes", "pass_mark"}


@pytest.mark.parametrize("persona", ["manager", "rep", "reviewer"])
def test_only_qc_leads_and_admins_keep_the_catalogue(db: Session, org: Org, persona: str) -> None:
    data = ModuleInput(title="Objections", material_text="Listen first", expected_minutes=20)
    with pytest.raises(Forbidden):
        catalogue.create_module(db, principal_for(db, getattr(org, persona)), data=data)
    assert catalogue.create_module(db, principal_for(db, org.admin), data=data).latest_version == 1


# Assigning --------------------------------------------------------------------------------------------


def test_a_manager_assigns_a_rep_who_is_told(db: Session, org: Org, module: TrainingModule) -> None:
    due = date.today() + timedelta(days=7)
    assignment = assign_rep(db, org, module, due=due)
    assert (assignment.status, assignment.version.version, assignment.due_date) == (
        AssignmentStatus.ASSIGNED,
        1,
        due,
    )
    assert assignment.assigned_by_id == org.manager.id and assignment.rule_id is None
    _dispatch(db)
    [notice] = _inbox(db, org.rep.id, "training_assigned")
    assert "Mia Manager assigned you “Talking about price”" in notice.text


def test_assigning_a_team_skips_reps_who_have_it_open(db: Session, org: Org, module: TrainingModule) -> None:
    teammate = make_user(db, role=Role.REP, team=org.team, name="Tess Teammate")
    assign_rep(db, org, module)
    report = service.assign(
        db, principal_for(db, org.manager), data=AssignInput(module_id=module.id, team_id=org.team.id)
    )
    assert [a.rep_id for a in report.created] == [teammate.id]
    assert [u.id for u in report.skipped] == [org.rep.id]


def test_a_rep_with_the_module_open_is_refused_with_a_field_error(
    db: Session, org: Org, module: TrainingModule
) -> None:
    assign_rep(db, org, module)
    with pytest.raises(TrainingInvalid) as caught:
        assign_rep(db, org, module)
    assert "open already" in caught.value.errors["rep"]


@pytest.mark.parametrize("persona", ["outsider_manager", "rep", "reviewer"])
def test_who_may_not_assign(db: Session, org: Org, module: TrainingModule, persona: str) -> None:
    with pytest.raises(Forbidden):
        assign_rep(db, org, module, by=getattr(org, persona))


def test_a_waiting_assignment_takes_the_newest_version_when_started_and_keeps_it(
    db: Session, org: Org, module: TrainingModule
) -> None:
    waiting = assign_rep(db, org, module)
    early_rep = make_user(db, role=Role.REP, team=org.team)
    started_early = assign_rep(db, org, module, rep=early_rep)
    service.start(db, principal_for(db, early_rep), started_early.id)
    lead = principal_for(db, org.qc_lead)
    data = ModuleInput.of(module.current)
    data.title = "Price v2"
    catalogue.edit_module(db, lead, module.id, data=data)
    db.commit()
    assert waiting.version.version == 1  # not started: still the version assigned
    started = service.start(db, principal_for(db, org.rep), waiting.id)
    assert (started.status, started.version.version) == (AssignmentStatus.STARTED, 2)
    assert service.get_assignment(db, lead, started_early.id).version.version == 1


# Completion ---------------------------------------------------------------------------------------------


def test_the_rep_marks_reading_done_and_nobody_else_may(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    assignment = assign_rep(db, org, module)
    with pytest.raises(Forbidden, match="marks reading material done"):
        service.complete(
            db, principal_for(db, org.manager), assignment.id, data=CompletionInput(), settings=settings
        )
    done = service.complete(
        db, principal_for(db, org.rep), assignment.id, data=CompletionInput(), settings=settings
    )
    assert (done.status, done.result, done.recorded_by_id) == (
        AssignmentStatus.COMPLETED,
        TrainingResult.DONE,
        org.rep.id,
    )
    assert done.completed_on is not None and done.started_at is not None
    with pytest.raises(InvalidTransition):
        service.complete(
            db, principal_for(db, org.rep), assignment.id, data=CompletionInput(), settings=settings
        )


def test_an_assessment_score_is_checked_against_the_pass_mark_by_a_manager(
    db: Session, org: Org, assessed: TrainingModule, settings: Any
) -> None:
    first = assign_rep(db, org, assessed)
    with pytest.raises(Forbidden, match="recorded by the rep's manager"):
        service.complete(
            db, principal_for(db, org.rep), first.id, data=CompletionInput(score=95), settings=settings
        )
    manager = principal_for(db, org.manager)
    with pytest.raises(TrainingInvalid) as caught:
        service.complete(db, manager, first.id, data=CompletionInput(), settings=settings)
    assert "pass mark is 80" in caught.value.errors["score"]
    failed = service.complete(db, manager, first.id, data=CompletionInput(score=79.5), settings=settings)
    assert (failed.result, failed.score, failed.recorded_by_id) == (
        TrainingResult.FAILED,
        79.5,
        org.manager.id,
    )
    second = assign_rep(db, org, assessed)
    passed = service.complete(
        db, principal_for(db, org.qc_lead), second.id, data=CompletionInput(score=80), settings=settings
    )
    assert passed.result is TrainingResult.PASSED
    _dispatch(db)
    assert len(_inbox(db, org.rep.id, "training_completed")) == 2  # the rep hears both results


def test_a_pass_fail_assessment_needs_a_result_and_a_past_day(db: Session, org: Org, settings: Any) -> None:
    module = make_module(db, org, title="Compliance quiz", assessment=True)
    assignment = assign_rep(db, org, module)
    data = CompletionInput(completed_on=date.today() + timedelta(days=3))
    with pytest.raises(TrainingInvalid) as caught:
        service.complete(db, principal_for(db, org.manager), assignment.id, data=data, settings=settings)
    assert set(caught.value.errors) == {"completed_on", "result"}
    done = service.complete(
        db,
        principal_for(db, org.manager),
        assignment.id,
        data=CompletionInput(result="passed"),
        settings=settings,
    )
    assert done.result is TrainingResult.PASSED and done.score is None


# Overdue and withdrawn --------------------------------------------------------------------------------


def test_an_overdue_assignment_is_flagged_once_and_the_rep_told(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    assign_rep(db, org, module, due=date.today() + timedelta(days=2))
    later = datetime.now(UTC) + timedelta(days=4)
    assert service.flag_overdue(db, settings=settings, now=later) == 1
    assert service.flag_overdue(db, settings=settings, now=later + timedelta(days=1)) == 0
    _dispatch(db)
    [notice] = _inbox(db, org.rep.id, "training_overdue")
    assert "was due" in notice.text and notice.cleared_at is None


def test_not_yet_due_is_not_overdue(db: Session, org: Org, module: TrainingModule, settings: Any) -> None:
    assign_rep(db, org, module, due=date.today() + timedelta(days=2))
    assert service.flag_overdue(db, settings=settings) == 0


def test_withdrawing_clears_the_reps_notice(db: Session, org: Org, module: TrainingModule) -> None:
    assignment = assign_rep(db, org, module)
    _dispatch(db)
    with pytest.raises(Forbidden):
        service.withdraw(db, principal_for(db, org.rep), assignment.id, reason="Not needed")
    with pytest.raises(TrainingInvalid):
        service.withdraw(db, principal_for(db, org.manager), assignment.id, reason="")
    service.withdraw(db, principal_for(db, org.manager), assignment.id, reason="Covered in coaching")
    _dispatch(db)
    [assigned] = _inbox(db, org.rep.id, "training_assigned")
    assert assigned.cleared_at is not None
    [told] = _inbox(db, org.rep.id, "training_withdrawn")
    assert "Covered in coaching" in told.text


# Rules on real reviews ------------------------------------------------------------------------------------


def _reviews(db: Session, org: Org, settings: Any, *statuses: dict[str, str], start: int = 20) -> None:
    """Reviews of the rep's calls, one a day, oldest first, each dispatched (the rules run)."""
    base = datetime.now(UTC) - timedelta(days=start)
    for i, status in enumerate(statuses):
        submit_review(db, org, settings, statuses=status, started_at=base + timedelta(days=i))


def _rule_assignments(db: Session, org: Org) -> list[Any]:
    db.rollback()
    db.expire_all()
    return [
        a for a in service.assignments_of_rep(db, principal_for(db, org.qc_lead), org.rep.id) if a.rule_id
    ]


def test_a_rule_assigns_on_the_kth_failed_review_and_only_once(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    make_rule(db, org, module, k=2, n=3)
    _reviews(db, org, settings, FAIL, PASS)
    assert _rule_assignments(db, org) == []
    _reviews(db, org, settings, FAIL, start=10)
    [assigned] = _rule_assignments(db, org)
    assert assigned.status is AssignmentStatus.ASSIGNED and assigned.due_date is not None
    _reviews(db, org, settings, FAIL, start=9)
    assert len(_rule_assignments(db, org)) == 1  # never twice while open
    [notice] = _inbox(db, org.rep.id, "training_assigned")
    assert "recent reviews" in notice.text


def test_a_rule_withdraws_what_it_assigned_once_the_rep_no_longer_matches(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    make_rule(db, org, module, k=2, n=3)
    _reviews(db, org, settings, FAIL, FAIL, PASS, PASS)
    [withdrawn] = _rule_assignments(db, org)
    assert withdrawn.status is AssignmentStatus.WITHDRAWN
    assert _inbox(db, org.rep.id, "training_assigned")[0].cleared_at is not None


def test_a_started_assignment_is_never_withdrawn(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    make_rule(db, org, module, k=2, n=3)
    _reviews(db, org, settings, FAIL, FAIL)
    [assigned] = _rule_assignments(db, org)
    service.start(db, principal_for(db, org.rep), assigned.id)
    db.commit()
    _reviews(db, org, settings, PASS, PASS, start=5)
    assert _rule_assignments(db, org)[0].status is AssignmentStatus.STARTED


def test_a_rule_waits_out_its_cooldown_after_a_completion(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    rule = make_rule(db, org, module, k=1, n=2, cooldown=10)
    _reviews(db, org, settings, FAIL)
    [first] = _rule_assignments(db, org)
    service.complete(db, principal_for(db, org.rep), first.id, data=CompletionInput(), settings=settings)
    db.commit()
    _reviews(db, org, settings, FAIL, start=5)
    assert len(_rule_assignments(db, org)) == 1  # within the cooldown
    rep = db.get_one(type(org.rep), org.rep.id)
    decisions = rulebook.run_for_rep(db, rep, settings=settings, now=datetime.now(UTC) + timedelta(days=11))
    assert [(r.id, d.action.value) for r, d in decisions] == [(rule.id, "assign")]


def test_the_nightly_run_covers_every_rep_and_skips_disabled_rules(
    db: Session, org: Org, module: TrainingModule, settings: Any
) -> None:
    rule = make_rule(db, org, module, k=1, n=1)
    submit_review(db, org, settings, statuses=FAIL, dispatch=False)
    rulebook.set_active(db, principal_for(db, org.qc_lead), rule.id, active=False)
    assert rulebook.run_all(db, settings=settings) == 0
    rulebook.set_active(db, principal_for(db, org.qc_lead), rule.id, active=True)
    assert rulebook.run_all(db, settings=settings) == 1
    assert rulebook.run_all(db, settings=settings) == 0


def test_only_qc_leads_and_admins_keep_the_rules(db: Session, org: Org, module: TrainingModule) -> None:
    with pytest.raises(Forbidden):
        rulebook.create_rule(db, principal_for(db, org.manager), data=rulebook.RuleInput(name="x"))
    with pytest.raises(TrainingInvalid) as caught:
        make_rule(db, org, module, k=4, n=3)
    assert "At most 3" in caught.value.errors["min_failed"]


# Reading ------------------------------------------------------------------------------------------------


def test_who_reads_a_reps_record(db: Session, org: Org, module: TrainingModule) -> None:
    assign_rep(db, org, module)
    for persona in ("rep", "manager", "qc_lead", "admin"):
        assert len(service.assignments_of_rep(db, principal_for(db, getattr(org, persona)), org.rep.id)) == 1
    with pytest.raises(NotFound):
        service.assignments_of_rep(db, principal_for(db, org.other_rep), org.rep.id)
    for persona in ("outsider_manager", "reviewer"):
        with pytest.raises(Forbidden):
            service.assignments_of_rep(db, principal_for(db, getattr(org, persona)), org.rep.id)
    assert records.records(db, principal_for(db, org.other_rep)) == []
    assert records.records(db, principal_for(db, org.outsider_manager)) == []


# The effect ---------------------------------------------------------------------------------------------


def test_the_training_effect_is_the_coaching_measure_around_the_completion_day(
    db: Session, org: Org, module: TrainingModule, configure: Any
) -> None:
    settings = configure(coaching_effect_days=10, coaching_effect_min_calls=2)
    now = datetime.now(UTC)
    assignment = assign_rep(db, org, module, now=now - timedelta(days=20))
    day = (now - timedelta(days=15)).date()
    service.complete(
        db,
        principal_for(db, org.rep),
        assignment.id,
        data=CompletionInput(completed_on=day),
        settings=settings,
        now=now - timedelta(days=15),
    )
    db.commit()
    moment = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    teammate = make_user(db, role=Role.REP, team=org.team)
    db.commit()
    for offset, status in ((-5, FAIL), (-3, FAIL), (-2, PASS), (2, PASS), (4, PASS)):
        submit_review(
            db,
            org,
            settings,
            statuses=status,
            started_at=moment + timedelta(days=offset, hours=3),
            dispatch=False,
        )
    for offset, status in ((-4, PASS), (3, FAIL)):
        submit_review(
            db,
            org,
            settings,
            rep=teammate,
            statuses=status,
            started_at=moment + timedelta(days=offset, hours=3),
            dispatch=False,
        )
    found = service.get_assignment(db, principal_for(db, org.manager), assignment.id)
    effect = effects(db, found, settings=settings)[PRICE]
    assert (effect.rep_before.passed, effect.rep_before.total) == (1, 3)
    assert (effect.rep_after.passed, effect.rep_after.total) == (2, 2)
    assert (effect.others_before.passed, effect.others_before.total, effect.others_after.passed) == (1, 1, 0)
    assert effect.effect == pytest.approx((1 - 1 / 3) - (0 - 1))
    assert effect.final
    db.commit()
    db.expire_all()
    assert PRICE in (service.get_assignment(db, principal_for(db, org.manager), assignment.id).effect or {})
