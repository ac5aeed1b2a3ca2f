"""Training in the demo: a catalogue of three modules (one ending with an assessment, edited
once so it has a version history), two rules, and records: Laura passed the price
assessment ten days ago, Emma's objections reading is overdue, and the permission rule
assigns its module to the rep whose reviews skipped the question in 2 of their last 5 calls
(Daniel, in the demo's review history).

Everything goes through the training services, as a QC lead and a manager would do it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from qc.config import get_settings
from qc.db import session_scope
from qc.jobs import events
from qc.training import catalogue, rulebook, service
from qc.training.catalogue import ModuleInput
from qc.training.models import TrainingModule
from qc.training.rulebook import RuleInput
from qc.training.service import AssignInput, CompletionInput
from qc.users import service as users
from qc.users.schemas import Principal

PERMISSION = ModuleInput(
    title="Asking permission to talk",
    description="Why the first question of a call is whether it is a good time, and how to ask it.",
    material_url="https://en.wikipedia.org/wiki/Cold_calling",
    material_text=(
        "Open with your name and the company, then ask whether it is a good time to talk.\n\n"
        "If it is not, agree a time to call back and end the call politely."
    ),
    items=["outbound-sales:permission"],
    expected_minutes=20,
)
PRICE = ModuleInput(
    title="Stating the price clearly",
    description="The price, said plainly after the benefits, with what it includes.",
    material_text="Say the monthly price in one sentence, then what it includes. Do not hide it.",
    items=["outbound-sales:price", "outbound-sales:presentation"],
    expected_minutes=45,
    has_assessment=True,
    pass_mark=80,
)
OBJECTIONS = ModuleInput(
    title="Handling objections",
    description="Listen, acknowledge, answer, check.",
    material_text="Let the customer finish. Acknowledge the concern, answer it, then ask if that helps.",
    items=["outbound-sales:objection_handling"],
    expected_minutes=30,
)


def _modules(session: Session, lead: Principal) -> tuple[TrainingModule, TrainingModule, TrainingModule]:
    permission = catalogue.create_module(session, lead, data=PERMISSION)
    price = catalogue.create_module(session, lead, data=PRICE)
    revised = ModuleInput.of(price.current)
    revised.material_text += "\n\nRole-play it with a colleague before the assessment."
    catalogue.edit_module(session, lead, price.id, data=revised)  # version 2
    objections = catalogue.create_module(session, lead, data=OBJECTIONS)
    return permission, price, objections


def seed_training(domain: str) -> int:
    """Modules, rules and records for the demo people of `domain`; the number of assignments."""
    settings = get_settings()
    now = datetime.now(UTC)
    with session_scope() as session:
        lead = users.principal_for(session, users.get_by_email(session, f"lead@{domain}"))
        nora = users.principal_for(session, users.get_by_email(session, f"manager.north@{domain}"))
        laura = users.get_by_email(session, f"laura@{domain}")
        emma = users.get_by_email(session, f"emma@{domain}")
        permission, price, objections = _modules(session, lead)
        for name, module, item, k, cooldown, due in (
            ("Permission skipped twice", permission, "outbound-sales:permission", 2, 30, 14),
            ("Price unclear three times", price, "outbound-sales:price", 3, 60, 21),
        ):
            data = RuleInput(name, module.id, None, item, k, 5, cooldown, due)
            rulebook.create_rule(session, lead, data=data)
        past = now - timedelta(days=20)
        passed = service.assign(
            session,
            nora,
            data=AssignInput(
                module_id=price.id, rep_id=laura.id, due_date=(past + timedelta(days=14)).date()
            ),
            now=past,
        ).created[0]
        service.complete(
            session,
            nora,
            passed.id,
            data=CompletionInput(completed_on=(now - timedelta(days=10)).date(), score=90),
            settings=settings,
            now=now - timedelta(days=10),
        )
        service.assign(
            session,
            nora,
            data=AssignInput(
                module_id=objections.id, rep_id=emma.id, due_date=(now - timedelta(days=5)).date()
            ),
            now=past,
        )
        by_rule = rulebook.run_all(session, settings=settings, now=now)
        service.flag_overdue(session, settings=settings, now=now)
    events.dispatch_pending()
    return 2 + by_rule
