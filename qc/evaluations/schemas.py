from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qc.evaluations.models import EvaluationKind, EvaluationStatus
from qc.scoring.definitions import Status


class AnswerRead(BaseModel):
    item_id: str
    label: str
    section: str
    answer: str | None = Field(description="yes, no, na or 1-5")
    automatic: Status | None = Field(description="What the automatic check said")
    suggested: str | None = Field(description="The answer the automatic check stands for")
    overridden: bool
    override_reason: str | None


class CommentRead(BaseModel):
    at_s: float | None = Field(description="Seconds into the call; null for the call as a whole")
    text: str
    author_id: int
    created_at: datetime


class EditRead(BaseModel):
    action: str
    user_id: int
    user: str
    reason: str | None
    changes: list[dict[str, Any]]
    created_at: datetime


class EvaluationRead(BaseModel):
    id: int
    kind: EvaluationKind
    status: EvaluationStatus
    call_id: int
    reviewer_id: int
    reviewer: str
    scorecard: str
    scorecard_revision: int
    score: float | None
    final_score: float | None
    critical_failed: bool
    overall_comment: str
    active_seconds: float | None = Field(description="Time on task (shown to QC staff and the reviewer)")
    started_at: datetime
    submitted_at: datetime | None
    answers: list[AnswerRead]
    comments: list[CommentRead]
    history: list[EditRead]


def evaluation_read(detail: Any) -> EvaluationRead:
    evaluation, card = detail.evaluation, detail.card
    version = evaluation.scorecard_version
    answers = []
    for answer in evaluation.answers:
        try:
            item, section = card.item(answer.item_id), card.section_of(answer.item_id)
        except StopIteration:
            continue
        answers.append(
            AnswerRead(
                item_id=answer.item_id,
                label=item.label,
                section=section.title,
                answer=answer.answer,
                automatic=answer.auto_status if detail.sees_checks else None,
                suggested=answer.auto_answer if detail.sees_checks else None,
                overridden=answer.overridden if detail.sees_checks else False,
                override_reason=answer.override_reason,
            )
        )
    return EvaluationRead(
        id=evaluation.id,
        kind=evaluation.kind,
        status=evaluation.status,
        call_id=evaluation.call_id,
        reviewer_id=evaluation.reviewer_id,
        reviewer=evaluation.reviewer.name,
        scorecard=version.scorecard_id,
        scorecard_revision=version.revision,
        score=evaluation.score,
        final_score=evaluation.final_score,
        critical_failed=evaluation.critical_failed,
        overall_comment=evaluation.overall_comment,
        active_seconds=evaluation.active_seconds if detail.sees_time_on_task else None,
        started_at=evaluation.started_at,
        submitted_at=evaluation.submitted_at,
        answers=answers,
        comments=[
            CommentRead(at_s=c.at_s, text=c.text, author_id=c.author_id, created_at=c.created_at)
            for c in evaluation.comments
        ],
        history=[
            EditRead(
                action=h.action,
                user_id=h.user_id,
                user=h.user.name,
                reason=h.reason,
                changes=h.changes,
                created_at=h.created_at,
            )
            for h in detail.history
        ],
    )


# Backtest --------------------------------------------------------------------------------------------


class AgreementFigures(BaseModel):
    reviewed: int = Field(description="Reviews that answered the item")
    decided: int = Field(description="... where the check gave a verdict")
    agreed: int
    agreement: float | None = Field(description="agreed / decided")
    fail_precision: float | None = Field(description="Share of the check's fails reviewers confirmed")
    fail_recall: float | None = Field(
        description="Share of the failures reviewers found that the check flagged"
    )
    left_to_person: int


class ItemBacktestRead(BaseModel):
    item_id: str
    label: str
    section: str
    check: str
    published: AgreementFigures = Field(description="The revision in use (the agreement page's figures)")
    draft: AgreementFigures
    changed: int = Field(description="Reviewed calls whose verdict on this item the draft changes")


class BacktestChangeRead(BaseModel):
    call_id: int
    evaluation_id: int
    item_id: str
    published: Status
    draft: Status
    answer: str = Field(description="The reviewer's final answer (after disputes)")
    published_agreed: bool
    draft_agrees: bool


class BacktestRead(BaseModel):
    scorecard_id: str
    revision: int | None = Field(
        description="The revision in use the draft is compared with; null for a scorecard never published"
    )
    calls: int = Field(description="Reviewed calls run again")
    skipped: int = Field(description="Reviewed calls whose transcript is gone (retention)")
    changed_calls: int
    seconds: float
    items: list[ItemBacktestRead]
    changes: list[BacktestChangeRead] = Field(description="Up to 500, newest review first")
