"""Queries over training modules, assignments and rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from qc.training.models import (
    AssignmentStatus,
    TrainingAssignment,
    TrainingModule,
    TrainingModuleVersion,
    TrainingRule,
)

OPEN = (AssignmentStatus.ASSIGNED, AssignmentStatus.STARTED)


def get_module(session: Session, module_id: int, *, for_update: bool = False) -> TrainingModule | None:
    query = (
        select(TrainingModule)
        .where(TrainingModule.id == module_id)
        .options(selectinload(TrainingModule.versions))
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def modules(session: Session) -> list[TrainingModule]:
    query = select(TrainingModule).options(selectinload(TrainingModule.versions))
    return list(session.scalars(query.order_by(TrainingModule.title, TrainingModule.id)))


def latest_version(session: Session, module_id: int) -> TrainingModuleVersion:
    return session.scalars(
        select(TrainingModuleVersion)
        .where(TrainingModuleVersion.module_id == module_id)
        .order_by(TrainingModuleVersion.version.desc())
        .limit(1)
    ).one()


def _assignments() -> Select[TrainingAssignment]:
    return select(TrainingAssignment).options(selectinload(TrainingAssignment.version))


def get_assignment(
    session: Session, assignment_id: int, *, for_update: bool = False
) -> TrainingAssignment | None:
    query = _assignments().where(TrainingAssignment.id == assignment_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def assignments(
    session: Session,
    *,
    rep_ids: Iterable[int] | None = None,
    team_ids: Iterable[int] | None = None,
    module_id: int | None = None,
    open_only: bool = False,
    limit: int = 5000,
) -> list[TrainingAssignment]:
    """Assignments, the latest assigned first."""
    query = _assignments()
    if rep_ids is not None:
        query = query.where(TrainingAssignment.rep_id.in_(list(rep_ids)))
    if team_ids is not None:
        query = query.where(TrainingAssignment.team_id.in_(list(team_ids)))
    if module_id is not None:
        query = query.where(TrainingAssignment.module_id == module_id)
    if open_only:
        query = query.where(TrainingAssignment.status.in_(OPEN))
    query = query.order_by(TrainingAssignment.assigned_at.desc(), TrainingAssignment.id.desc())
    return list(session.scalars(query.limit(limit)))


def open_of(session: Session, rep_ids: Iterable[int], module_id: int) -> dict[int, TrainingAssignment]:
    """The reps' open assignments of the module, by rep."""
    found = assignments(session, rep_ids=rep_ids, module_id=module_id, open_only=True)
    return {a.rep_id: a for a in found}


def overdue_candidates(session: Session, before: date) -> list[TrainingAssignment]:
    """Open assignments due before `before` whose overdue event has not gone out."""
    query = _assignments().where(
        TrainingAssignment.status.in_(OPEN),
        TrainingAssignment.due_date < before,
        TrainingAssignment.overdue_notified_at.is_(None),
    )
    return list(
        session.scalars(query.order_by(TrainingAssignment.due_date, TrainingAssignment.id).limit(1000))
    )


def completed_between(
    session: Session, *, team_id: int, since: date, until: date
) -> list[TrainingAssignment]:
    """The team's assignments completed on a day in [since, until)."""
    query = _assignments().where(
        TrainingAssignment.team_id == team_id,
        TrainingAssignment.status == AssignmentStatus.COMPLETED,
        TrainingAssignment.completed_on >= since,
        TrainingAssignment.completed_on < until,
    )
    return list(session.scalars(query))


def rules(session: Session, *, active_only: bool = False) -> list[TrainingRule]:
    query = select(TrainingRule).order_by(TrainingRule.name, TrainingRule.id)
    if active_only:
        query = query.where(TrainingRule.is_active)
    return list(session.scalars(query))


def get_rule(session: Session, rule_id: int) -> TrainingRule | None:
    return session.get(TrainingRule, rule_id)
