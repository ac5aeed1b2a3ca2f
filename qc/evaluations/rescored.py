"""Review drafts follow their call's re-scored checks.

A review draft is pre-filled with the automatic answers (`service.new_draft`). When the call
is scored again (its sides swapped by a QC lead or by the platform, a scorecard published),
the scoring domain records `call.scored`; the composition module subscribes
`on_call_scored`, which brings every open review draft of the call up to the new results:

- an answer that still holds the automatic answer it was pre-filled with (or none) takes the
  new automatic answer: the reviewer had not made it theirs ("updated");
- an answer the reviewer set stays; when the check under it changed, the draft says so
  ("kept"), and the workspace lists those that now differ from the check.

A page loaded before the re-scoring sends back the automatic answers it showed
(`auto-<item>`): `reconcile` reads such a form against the refreshed draft, so a stale page
never writes the old checks back, and the caller refuses to submit it. Submitted
evaluations never change here, and calibration scorings are left alone: they are scored
blind to the checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from qc.evaluations import form
from qc.evaluations import repository as repo
from qc.evaluations.models import Evaluation, EvaluationAnswer, EvaluationKind, EvaluationStatus
from qc.jobs.events import EventRecord
from qc.scoring import service as scoring
from qc.scoring.definitions import Item, Scorecard, Status
from qc.scoring.models import CallScore, ScorecardVersion

if TYPE_CHECKING:
    from qc.evaluations.service import ReviewForm

UPDATED = "updated"  # the answer followed the new check
KEPT = "kept"  # the reviewer's own answer stayed while the check under it changed


def on_call_scored(session: Session, event: EventRecord) -> None:
    """Event handler (`call.scored`): the call's open review drafts follow its new checks."""
    refresh_drafts(session, call_id=int(event.payload["call_id"]))


def refresh_drafts(session: Session, *, call_id: int) -> int:
    """Bring every open review draft of the call up to its current automatic results (the
    drafts are locked first); the number of drafts that changed. Idempotent."""
    drafts = repo.open_reviews_of_call(session, call_id)
    if not drafts:
        return 0
    score = scoring.get_call_score(session, call_id)
    return sum(refresh_draft(session, draft, score) for draft in drafts)


def refresh_draft(session: Session, evaluation: Evaluation, score: CallScore | None) -> bool:
    """Bring one review draft (loaded with its answers and scorecard) up to `score`, as read
    by `scoring.get_call_score`; True if anything changed."""
    if evaluation.kind is not EvaluationKind.REVIEW or evaluation.status is not EvaluationStatus.DRAFT:
        return False
    if score is None or score.scorecard_version is None:
        return False  # no automatic results to follow: the draft keeps what it has
    moved = _move_to(evaluation, score.scorecard_version)
    items = {item.id: item for item in scoring.definition(evaluation.scorecard_version).items}
    statuses = {check.item_id: check.status for check in score.checks}
    followed = [
        answer
        for answer in evaluation.answers
        if answer.item_id in items and _follow(answer, items[answer.item_id], statuses.get(answer.item_id))
    ]
    if not (moved or followed):
        return False
    session.flush()
    return True


def _move_to(evaluation: Evaluation, version: ScorecardVersion) -> bool:
    """Put the draft on the scorecard revision its call is now scored with (a published
    revision, or another scorecard that now applies): answers are kept by item, items the
    revision adds start empty (and take their check's answer), removed items go."""
    if evaluation.scorecard_version_id == version.id:
        return False
    existing = {answer.item_id: answer for answer in evaluation.answers}
    answers: list[EvaluationAnswer] = []
    for position, item in enumerate(scoring.definition(version).items):
        answer = existing.get(item.id) or EvaluationAnswer(item_id=item.id, answer=None)
        answer.position = position
        answers.append(answer)
    evaluation.answers = answers  # delete-orphan removes the answers of removed items
    evaluation.scorecard_version = version
    return True


def _follow(answer: EvaluationAnswer, item: Item, status: Status | None) -> bool:
    """Record the check's new verdict on one answer; an answer the reviewer had not made
    theirs takes the new automatic answer. True if anything changed."""
    suggestion = form.suggested(item, status)
    if answer.auto_status == status and answer.auto_answer == suggestion:
        return False
    previous = answer.auto_answer
    answer.auto_status = status
    answer.auto_answer = suggestion
    if suggestion == previous:
        return True  # another verdict that suggests the same answer: nothing for the reviewer
    if answer.answer is None or answer.answer == previous:
        if answer.answer != suggestion:
            answer.answer = suggestion
            answer.override_reason = None
            answer.auto_change = UPDATED
    else:
        answer.auto_change = KEPT
    return True


# A page older than the checks -----------------------------------------------------------------------


def reconcile(evaluation: Evaluation, data: ReviewForm) -> tuple[ReviewForm, bool]:
    """Read a posted form against the draft's current automatic answers. True when the page
    showed older ones: its items left as the old check said take the new automatic answer,
    what the reviewer set is kept (and marked when it differs from the new check). A form
    that does not say what it showed (`shown_auto` None) is taken as it is."""
    shown = data.shown_auto
    if shown is None:
        return data, False
    answers = dict(data.answers)
    # Items the page showed that the draft no longer has, or the other way round: the call
    # is now scored with another scorecard revision.
    stale = set(shown) != {answer.item_id for answer in evaluation.answers}
    for answer in evaluation.answers:
        seen = shown.get(answer.item_id) or None
        if answer.item_id not in shown or seen == answer.auto_answer:
            continue
        stale = True
        given = answers.get(answer.item_id, form.AnswerInput(None))
        typed = (given.answer or "").strip().lower() or None
        if typed is None or typed == seen:  # left as the old check said
            answers[answer.item_id] = form.AnswerInput(answer.auto_answer, given.reason)
            if typed != answer.auto_answer:
                answer.auto_change = UPDATED
        elif typed != answer.auto_answer:
            answer.auto_change = KEPT
    return replace(data, answers=answers), stale


# What the workspace says -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecksNotice:
    """How the call's re-scoring changed a draft since its reviewer started."""

    updated: int  # answers that followed the new checks
    differing: list[str]  # labels of the items whose answer the reviewer set differs from the new check


def notice(card: Scorecard, answers: Sequence[EvaluationAnswer]) -> ChecksNotice | None:
    """What to tell the reviewer about re-scored checks; None when they never changed."""
    changed = [answer for answer in answers if answer.auto_change]
    if not changed:
        return None
    labels = {item.id: item.label for item in card.items}
    return ChecksNotice(
        updated=sum(answer.auto_change == UPDATED for answer in changed),
        differing=[
            labels.get(answer.item_id, answer.item_id)
            for answer in changed
            if answer.auto_change == KEPT and answer.overridden
        ],
    )
