"""Training modules, assignments and rules, made through the services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.training import catalogue, rulebook, service
from qc.training.catalogue import ModuleInput
from qc.training.models import TrainingAssignment, TrainingModule, TrainingRule
from qc.training.rulebook import RuleInput
from qc.training.service import AssignInput
from qc.users.models import User
from qc.users.service import principal_for
from tests.factories import Org

PRICE = "outbound-sales:price"


def make_module(
    db: Session,
    org: Org,
    *,
    title: str = "Talking about price",
    assessment: bool = False,
    pass_mark: int | None = None,
    items: tuple[str, ...] = (PRICE,),
    minutes: int = 45,
) -> TrainingModule:
    data = ModuleInput(
        title=title,
        description="Say the price plainly, after the benefits",
        material_text="Read the price guide.\n\nThen role-play it.",
        items=list(items),
        expected_minutes=minutes,
        has_assessment=assessment,
        pass_mark=pass_mark,
    )
    module = catalogue.create_module(db, principal_for(db, org.qc_lead), data=data)
    db.commit()
    return module


def assign_rep(
    db: Session,
    org: Org,
    module: TrainingModule,
    *,
    rep: User | None = None,
    by: User | None = None,
    due: date | None = None,
    now: datetime | None = None,
) -> TrainingAssignment:
    data = AssignInput(module_id=module.id, rep_id=(rep or org.rep).id, due_date=due)
    report = service.assign(db, principal_for(db, by or org.manager), data=data, now=now)
    db.commit()
    return report.created[0]


def make_rule(
    db: Session, org: Org, module: TrainingModule, *, k: int = 2, n: int = 3, cooldown: int = 30, **more: Any
) -> TrainingRule:
    data = RuleInput(
        name="Price keeps failing",
        module_id=module.id,
        item=PRICE,
        min_failed=k,
        last_reviews=n,
        cooldown_days=cooldown,
        **more,
    )
    rule = rulebook.create_rule(db, principal_for(db, org.qc_lead), data=data)
    db.commit()
    return rule


@pytest.fixture
def module(db: Session, org: Org) -> TrainingModule:
    return make_module(db, org)


@pytest.fixture
def assessed(db: Session, org: Org) -> TrainingModule:
    return make_module(db, org, title="Price assessment", assessment=True, pass_mark=80)
