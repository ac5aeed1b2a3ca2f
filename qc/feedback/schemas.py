from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qc.feedback.models import Decision, DisputeCause, DisputeStatus
from qc.users import identity
from qc.users.schemas import Principal


class PersonRef(BaseModel):
    id: int | None = Field(description="The person's user id; a rep's is null in blind review")
    name: str = Field(description="The name, or a rep's alias where the team reviews blind")


class DisputeItemRead(BaseModel):
    item_id: str
    comment: str
    proposed_answer: str | None
    answer_before: str | None
    decision: Decision | None
    answer_after: str | None
    reason: str | None
    cause: DisputeCause | None


class DisputeRead(BaseModel):
    id: int
    evaluation_id: int
    call_id: int
    rep_id: int | None = Field(description="Null in blind review")
    reviewer_id: int
    resolver_id: int | None = Field(description="Who resolves it; null: any QC lead")
    status: DisputeStatus
    opened_at: datetime
    due_at: datetime
    overdue: bool
    closed_at: datetime | None
    resolved_by_id: int | None
    score_before: float | None
    score_after: float | None
    items: list[DisputeItemRead]


class DisputeRef(BaseModel):
    id: int
    status: DisputeStatus


class EvaluationSummaryRead(BaseModel):
    id: int
    call_id: int
    call_started_at: datetime
    rep: PersonRef
    reviewer: PersonRef
    scorecard: str
    final_score: float | None
    critical_failed: bool
    submitted_at: datetime | None
    released_at: datetime | None = Field(description="When the rep could first read it; null: not yet")
    acknowledged_at: datetime | None
    lost_items: list[str] = Field(description="Items the rep lost points on")
    disputes: list[DisputeRef]
    dispute_until: datetime | None = Field(description="Last moment to open a dispute")
    links: dict[str, str]


class EvaluationList(BaseModel):
    items: list[EvaluationSummaryRead]
    total: int
    page: int
    pages: int


class DisputedItemIn(BaseModel):
    item_id: str = Field(max_length=60)
    comment: str = Field(min_length=1, max_length=2000, description="Why the answer is wrong")
    proposed_answer: str | None = Field(default=None, max_length=8, description="yes, no, na or 1-5")


class DisputeCreate(BaseModel):
    items: list[DisputedItemIn] = Field(min_length=1, max_length=50)


class DecisionIn(BaseModel):
    item_id: str = Field(max_length=60)
    decision: Decision
    answer: str | None = Field(default=None, max_length=8, description="The new answer when changed")
    reason: str = Field(max_length=1000)
    cause: DisputeCause


class DisputeResolve(BaseModel):
    items: list[DecisionIn] = Field(min_length=1, max_length=50)


class AcknowledgementRead(BaseModel):
    evaluation_id: int
    acknowledged_at: datetime | None


class FiguresRead(BaseModel):
    key: str
    label: str
    disputed: int
    overturned: int
    overturn_rate: float | None
    median_hours_to_resolve: float | None


class DisputeStatsRead(BaseModel):
    by_item: list[FiguresRead]
    by_reviewer: list[FiguresRead]
    overturned_by_cause: dict[str, int]


def dispute_read(dispute: Any, *, viewer: Principal, now: datetime) -> DisputeRead:
    return DisputeRead(
        id=dispute.id,
        evaluation_id=dispute.evaluation_id,
        call_id=dispute.call_id,
        rep_id=None if identity.hides_rep(viewer, dispute.team_id) else dispute.rep_id,
        reviewer_id=dispute.reviewer_id,
        resolver_id=dispute.resolver_id,
        status=dispute.status,
        opened_at=dispute.opened_at,
        due_at=dispute.due_at,
        overdue=dispute.status is DisputeStatus.OPEN and dispute.due_at < now,
        closed_at=dispute.closed_at,
        resolved_by_id=dispute.resolved_by_id,
        score_before=dispute.score_before,
        score_after=dispute.score_after,
        items=[DisputeItemRead.model_validate(i, from_attributes=True) for i in dispute.items],
    )


def summary_read(card: Any, links: dict[str, str], *, viewer: Principal) -> EvaluationSummaryRead:
    evaluation, call = card.evaluation, card.call
    return EvaluationSummaryRead(
        id=evaluation.id,
        call_id=call.id,
        call_started_at=call.started_at,
        rep=PersonRef(
            id=None if identity.hides_rep(viewer, call.team_id) else call.rep_id, name=card.rep_name
        ),
        reviewer=PersonRef(id=evaluation.reviewer_id, name=evaluation.reviewer.name),
        scorecard=card.card.id,
        final_score=evaluation.final_score,
        critical_failed=evaluation.critical_failed,
        submitted_at=evaluation.submitted_at,
        released_at=card.feedback.released_at,
        acknowledged_at=card.feedback.acknowledged_at,
        lost_items=[i.item.id for i in card.lost],
        disputes=[DisputeRef(id=d.id, status=d.status) for d in card.disputes],
        dispute_until=card.dispute_until,
        links=links,
    )


def figures_read(figures: Any) -> FiguresRead:
    return FiguresRead(
        key=figures.key,
        label=figures.label,
        disputed=figures.disputed,
        overturned=figures.overturned,
        overturn_rate=figures.overturn_rate,
        median_hours_to_resolve=figures.median_hours,
    )
