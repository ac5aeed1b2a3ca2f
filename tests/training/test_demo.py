"""The demo's training: modules, rules and records made through the services."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.demo.training import seed_training
from qc.training.models import AssignmentStatus, TrainingAssignment, TrainingModule, TrainingRule
from qc.users.models import Role
from tests.factories import make_team, make_user

DOMAIN = "demo.test"


def test_seed_training_makes_a_catalogue_rules_and_records(db: Session) -> None:
    team = make_team(db, name="Sales North")
    make_user(db, role=Role.QC_LEAD, email=f"lead@{DOMAIN}")
    make_user(db, role=Role.MANAGER, email=f"manager.north@{DOMAIN}", managed_teams=["Sales North"])
    for name in ("laura", "emma", "daniel"):
        make_user(db, role=Role.REP, team=team, email=f"{name}@{DOMAIN}", name=name.title())
    db.commit()
    assert seed_training(DOMAIN) == 2  # no reviews here: the rules assign nobody
    db.expire_all()
    modules = db.scalars(select(TrainingModule).order_by(TrainingModule.id)).all()
    assert [(m.title, m.latest_version) for m in modules] == [
        ("Asking permission to talk", 1),
        ("Stating the price clearly", 2),
        ("Handling objections", 1),
    ]
    rules = db.scalars(select(TrainingRule).order_by(TrainingRule.id)).all()
    assert [(r.item_key, r.min_failed, r.last_reviews) for r in rules] == [
        ("outbound-sales:permission", 2, 5),
        ("outbound-sales:price", 3, 5),
    ]
    assignments = db.scalars(select(TrainingAssignment).order_by(TrainingAssignment.id)).all()
    passed, overdue = assignments
    assert (passed.status, passed.result.value if passed.result else None, passed.score) == (
        AssignmentStatus.COMPLETED,
        "passed",
        90,
    )
    assert overdue.status is AssignmentStatus.ASSIGNED and overdue.overdue_notified_at is not None
