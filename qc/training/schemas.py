"""The training API's shapes: modules and their versions, assignments, completion, rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from qc.kit.timeutil import Day
from qc.training.models import (
    AssignmentStatus,
    TrainingAssignment,
    TrainingModule,
    TrainingModuleVersion,
    TrainingResult,
    TrainingRule,
)

MAX_ID = 2**31 - 1
THREE_VISIBLE = r"\S\s*\S\s*\S"  # at least 3 characters once spaces are trimmed, as the services count


def documents(**constraints: JsonValue) -> dict[str, JsonValue]:
    """Constraints the schema states and the service enforces (its messages keyed by field)."""
    return constraints


class ModuleIn(BaseModel):
    title: str = Field(max_length=200, json_schema_extra=documents(pattern=THREE_VISIBLE))
    description: str = Field(default="", max_length=4000)
    material_url: str = Field(
        default="",
        max_length=2000,
        description="A link to the material",
        json_schema_extra=documents(pattern=r"^(https?://[^/?#\s]|$)"),
    )
    material_text: str = Field(default="", max_length=50_000, description="... or the material itself")
    items: list[str] = Field(
        default=[],
        max_length=20,
        description='Items it addresses, "scorecard:item"',
        json_schema_extra=documents(maxItems=10),
    )
    expected_minutes: int = Field(default=30, json_schema_extra=documents(minimum=1, maximum=24 * 60))
    has_assessment: bool = False
    pass_mark: int | None = Field(
        default=None,
        description="Score out of 100 to pass (assessments only); null: pass/fail",
        json_schema_extra=documents(minimum=1, maximum=100),
    )


class VersionRead(BaseModel):
    version: int
    title: str
    description: str
    material_url: str | None
    material_text: str
    items: list[str]
    expected_minutes: int
    has_assessment: bool
    pass_mark: int | None
    created_at: datetime


class ModuleRead(BaseModel):
    id: int
    title: str
    latest_version: int
    current: VersionRead
    versions: list[VersionRead] = Field(description="Every version, the first first")


class AssignIn(BaseModel):
    module_id: int = Field(ge=1, le=MAX_ID)
    rep_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="One rep ...")
    team_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="... or every active rep of a team"
    )
    due_date: Day | None = Field(default=None, description="From today to a year ahead")


class AssignmentRead(BaseModel):
    id: int
    module_id: int
    version: int = Field(description="The version assigned; once started, the one the rep works through")
    title: str
    rep_id: int
    team_id: int
    assigned_by_id: int | None
    rule_id: int | None = Field(description="The rule that assigned it, if no person did")
    status: AssignmentStatus
    assigned_at: datetime
    due_date: date | None
    started_at: datetime | None
    completed_on: date | None
    result: TrainingResult | None
    score: float | None
    recorded_by_id: int | None
    withdrawn_at: datetime | None
    withdraw_reason: str
    overdue: bool = Field(description="Open and past its due date in the team's calendar")


class AssignReportRead(BaseModel):
    created: list[AssignmentRead]
    skipped_rep_ids: list[int] = Field(description="Reps who have the module open already")


class CompleteIn(BaseModel):
    completed_on: Day | None = Field(default=None, description="The day it was done (default today)")
    result: Literal["passed", "failed", ""] = Field(default="", description="For a pass/fail assessment")
    score: float | None = Field(
        default=None,
        description="Out of 100, for an assessment with a pass mark",
        json_schema_extra=documents(minimum=0, maximum=100),
    )


class RuleIn(BaseModel):
    name: str = Field(max_length=200, json_schema_extra=documents(pattern=THREE_VISIBLE))
    module_id: int = Field(ge=1, le=MAX_ID)
    team_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Only this team's reps; null: every team"
    )
    item: str = Field(max_length=130, description='"scorecard:item" whose failures count')
    min_failed: int = Field(
        default=2,
        description="k: failed in at least this many ...",
        json_schema_extra=documents(minimum=1, maximum=100),
    )
    last_reviews: int = Field(
        default=5,
        description="... of the rep's last n reviewed calls",
        json_schema_extra=documents(minimum=1, maximum=100),
    )
    cooldown_days: int = Field(
        default=30,
        description="Not assigned again this long after a completion",
        json_schema_extra=documents(minimum=0, maximum=365),
    )
    due_days: int = Field(
        default=14,
        description="Days the rep has to complete it",
        json_schema_extra=documents(minimum=1, maximum=365),
    )
    withdraw_unmatched: bool = Field(
        default=True, description="Withdraw it unstarted once the rule no longer holds"
    )
    is_active: bool = True


class RuleRead(BaseModel):
    id: int
    name: str
    module_id: int
    team_id: int | None
    item: str
    min_failed: int
    last_reviews: int
    cooldown_days: int
    due_days: int
    withdraw_unmatched: bool
    is_active: bool


class RecordRead(BaseModel):
    rep_name: str
    email: str
    team: str
    module: str
    version: int
    assigned_at: str
    due_date: str
    assigned_by: str
    started: str
    completed: str
    result: str
    score: str
    minutes: str
    recorded_by: str


def version_read(v: TrainingModuleVersion) -> VersionRead:
    return VersionRead(
        version=v.version,
        title=v.title,
        description=v.description,
        material_url=v.material_url,
        material_text=v.material_text,
        items=list(v.items),
        expected_minutes=v.expected_minutes,
        has_assessment=v.has_assessment,
        pass_mark=v.pass_mark,
        created_at=v.created_at,
    )


def module_read(module: TrainingModule) -> ModuleRead:
    return ModuleRead(
        id=module.id,
        title=module.title,
        latest_version=module.latest_version,
        current=version_read(module.current),
        versions=[version_read(v) for v in module.versions],
    )


def assignment_read(a: TrainingAssignment, *, overdue: bool) -> AssignmentRead:
    return AssignmentRead(
        id=a.id,
        module_id=a.module_id,
        version=a.version.version,
        title=a.version.title,
        rep_id=a.rep_id,
        team_id=a.team_id,
        assigned_by_id=a.assigned_by_id,
        rule_id=a.rule_id,
        status=a.status,
        assigned_at=a.assigned_at,
        due_date=a.due_date,
        started_at=a.started_at,
        completed_on=a.completed_on,
        result=a.result,
        score=a.score,
        recorded_by_id=a.recorded_by_id,
        withdrawn_at=a.withdrawn_at,
        withdraw_reason=a.withdraw_reason,
        overdue=overdue,
    )


def rule_read(rule: TrainingRule) -> RuleRead:
    return RuleRead(
        id=rule.id,
        name=rule.name,
        module_id=rule.module_id,
        team_id=rule.team_id,
        item=rule.item_key,
        min_failed=rule.min_failed,
        last_reviews=rule.last_reviews,
        cooldown_days=rule.cooldown_days,
        due_days=rule.due_days,
        withdraw_unmatched=rule.withdraw_unmatched,
        is_active=rule.is_active,
    )
