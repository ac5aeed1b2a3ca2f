"""The training API's bodies in, shapes out: one function an endpoint, calling the services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi.responses import Response
from sqlalchemy.orm import Session

from qc.config import Settings
from qc.training import catalogue, records, rulebook, service
from qc.training.catalogue import ModuleInput
from qc.training.rulebook import RuleInput
from qc.training.schemas import (
    AssignIn,
    AssignmentRead,
    AssignReportRead,
    CompleteIn,
    ModuleIn,
    ModuleRead,
    RecordRead,
    RuleIn,
    RuleRead,
    assignment_read,
    module_read,
    rule_read,
)
from qc.training.service import AssignInput, CompletionInput
from qc.training.views import assignment_views
from qc.users.schemas import Principal

CSV_FILE = "training-records.csv"


def _module_input(body: ModuleIn) -> ModuleInput:
    return ModuleInput(
        title=body.title,
        description=body.description,
        material_url=body.material_url,
        material_text=body.material_text,
        items=body.items,
        expected_minutes=body.expected_minutes,
        has_assessment=body.has_assessment,
        pass_mark=body.pass_mark,
    )


def modules(session: Session, principal: Principal) -> list[ModuleRead]:
    return [module_read(m) for m in catalogue.list_modules(session, principal)]


def module(session: Session, principal: Principal, module_id: int) -> ModuleRead:
    return module_read(catalogue.get_module(session, principal, module_id))


def create_module(session: Session, principal: Principal, body: ModuleIn) -> ModuleRead:
    return module_read(catalogue.create_module(session, principal, data=_module_input(body)))


def edit_module(session: Session, principal: Principal, module_id: int, body: ModuleIn) -> ModuleRead:
    return module_read(catalogue.edit_module(session, principal, module_id, data=_module_input(body)))


def _reads(
    session: Session, principal: Principal, found: list[Any], settings: Settings
) -> list[AssignmentRead]:
    return [
        assignment_read(v.assignment, overdue=v.overdue)
        for v in assignment_views(session, principal, found, settings=settings)
    ]


def assignments(
    session: Session,
    principal: Principal,
    *,
    rep_id: int | None,
    team_id: int | None,
    open_only: bool,
    settings: Settings,
) -> list[AssignmentRead]:
    found = service.list_assignments(session, principal, rep_id=rep_id, team_id=team_id, open_only=open_only)
    return _reads(session, principal, found, settings)


def assign(session: Session, principal: Principal, body: AssignIn, *, settings: Settings) -> AssignReportRead:
    data = AssignInput(
        module_id=body.module_id, rep_id=body.rep_id, team_id=body.team_id, due_date=body.due_date
    )
    report = service.assign(session, principal, data=data)
    return AssignReportRead(
        created=_reads(session, principal, report.created, settings),
        skipped_rep_ids=[u.id for u in report.skipped],
    )


def start(
    session: Session, principal: Principal, assignment_id: int, *, settings: Settings
) -> AssignmentRead:
    started = service.start(session, principal, assignment_id)
    return _reads(session, principal, [started], settings)[0]


def complete(
    session: Session, principal: Principal, assignment_id: int, body: CompleteIn, *, settings: Settings
) -> AssignmentRead:
    data = CompletionInput(completed_on=body.completed_on, result=body.result, score=body.score)
    done = service.complete(session, principal, assignment_id, data=data, settings=settings)
    return _reads(session, principal, [done], settings)[0]


def rules(session: Session, principal: Principal) -> list[RuleRead]:
    return [rule_read(r) for r in rulebook.list_rules(session, principal)]


def save_rule(
    session: Session, principal: Principal, body: RuleIn, *, rule_id: int | None = None
) -> RuleRead:
    data = RuleInput(
        name=body.name,
        module_id=body.module_id,
        team_id=body.team_id,
        item=body.item,
        min_failed=body.min_failed,
        last_reviews=body.last_reviews,
        cooldown_days=body.cooldown_days,
        due_days=body.due_days,
        withdraw_unmatched=body.withdraw_unmatched,
    )
    if rule_id is None:
        rule = rulebook.create_rule(session, principal, data=data)
    else:
        rule = rulebook.update_rule(session, principal, rule_id, data=data)
    if rule.is_active != body.is_active:
        rule = rulebook.set_active(session, principal, rule.id, active=body.is_active)
    return rule_read(rule)


def records_response(
    session: Session, principal: Principal, *, team_id: int | None, rep_id: int | None, as_csv: bool
) -> Response | list[RecordRead]:
    rows = records.records(session, principal, team_id=team_id, rep_id=rep_id)
    if not as_csv:
        return [RecordRead(**asdict(row)) for row in rows]
    return Response(
        records.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{CSV_FILE}"'},
    )
