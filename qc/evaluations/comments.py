"""Comments on an evaluation, pinned to moments of the call; after submitting, each
addition or removal is kept in the evaluation's history."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidInput, NotFound
from qc.evaluations import access, form, service
from qc.evaluations.models import Evaluation, EvaluationComment, EvaluationEdit, EvaluationStatus
from qc.scoring import service as scoring
from qc.users.schemas import Principal


def add_comment(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    *,
    text: str,
    at_s: float | None,
    item_id: str | None = None,
) -> list[EvaluationComment]:
    """Pin a remark to a moment of the call; after submitting, the addition is audited."""
    evaluation = service.get_evaluation(session, principal, evaluation_id)
    _require_writer(session, principal, evaluation)
    text = text.strip()
    if not text:
        raise InvalidInput("Write something first", field="text")
    if len(text) > form.MAX_COMMENT:
        raise InvalidInput(f"Keep comments under {form.MAX_COMMENT} characters", field="text")
    duration = service.call_duration(session, principal, evaluation)
    if at_s is not None and not 0 <= at_s <= duration + 1:
        raise InvalidInput("The moment is outside the call", field="at_s")
    card = scoring.definition(evaluation.scorecard_version)
    if item_id and item_id not in {i.id for i in card.items}:
        raise InvalidInput("No such scorecard item", field="item_id")
    comment = EvaluationComment(
        evaluation_id=evaluation.id,
        author_id=principal.id,
        at_s=None if at_s is None else round(at_s, 2),
        item_id=item_id or None,
        text=text,
    )
    session.add(comment)
    _audit_after_submit(session, principal, evaluation, "comment added", {"at_s": comment.at_s, "text": text})
    session.flush()
    return _comments(session, evaluation)


def delete_comment(
    session: Session, principal: Principal, evaluation_id: int, comment_id: int
) -> list[EvaluationComment]:
    """Remove a comment (audited after submitting); the comments left."""
    evaluation = service.get_evaluation(session, principal, evaluation_id)
    _require_writer(session, principal, evaluation)
    comment = next((c for c in evaluation.comments if c.id == comment_id), None)
    if comment is None:
        raise NotFound("No such comment")
    _audit_after_submit(
        session, principal, evaluation, "comment removed", {"at_s": comment.at_s, "text": comment.text}
    )
    session.delete(comment)
    session.flush()
    return _comments(session, evaluation)


def _comments(session: Session, evaluation: Evaluation) -> list[EvaluationComment]:
    session.refresh(evaluation, ["comments"])
    return list(evaluation.comments)


def _require_writer(session: Session, principal: Principal, evaluation: Evaluation) -> None:
    service.check_calibration_open(session, evaluation)  # a closed session's scorings are final
    if evaluation.status is EvaluationStatus.DRAFT:
        if principal.id != evaluation.reviewer_id:
            raise Forbidden("Only the reviewer comments on a review in progress")
        return
    if not access.can_edit(principal, evaluation):
        raise Forbidden("Only the reviewer who wrote it or a QC lead can change an evaluation")
    service.check_calibration_open(session, evaluation)


def _audit_after_submit(
    session: Session, principal: Principal, evaluation: Evaluation, what: str, data: dict[str, Any]
) -> None:
    if evaluation.status is not EvaluationStatus.SUBMITTED:
        return
    added = what == "comment added"
    evaluation.edits += 1
    session.add(
        EvaluationEdit(
            evaluation_id=evaluation.id,
            user_id=principal.id,
            action="edited",
            reason=what,
            changes=[{"field": "comment", "from": None if added else data, "to": data if added else None}],
        )
    )
