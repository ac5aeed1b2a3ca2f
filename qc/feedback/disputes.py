"""Disputes: a rep questions items of a released review; a resolver decides item by item.

A changed answer goes through the evaluations' audited edit path, so the score is
recomputed and the history shows who changed what and why. Two resolvers at once: the
first to close the dispute wins, the other gets a Conflict.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.errors import Conflict, Forbidden, InvalidTransition, NotFound
from qc.evaluations import form
from qc.evaluations import service as evaluations
from qc.evaluations.service import FormInvalid
from qc.feedback import access, policy
from qc.feedback import repository as repo
from qc.feedback import service as feedback
from qc.feedback.models import (
    Decision,
    Dispute,
    DisputeCause,
    DisputeItem,
    DisputeResolver,
    DisputeStatus,
)
from qc.jobs.events import emit
from qc.scoring import service as scoring
from qc.users import access as people
from qc.users import identity
from qc.users import service as users
from qc.users.models import Role
from qc.users.schemas import Principal

MAX_COMMENT = 2000
MAX_REASON = 1000


@dataclass(frozen=True)
class DisputedItem:
    """What the rep sends for one item: why, and optionally the answer they propose."""

    item_id: str
    comment: str
    proposed_answer: str | None = None


class DisputeInvalid(FormInvalid):
    """Field errors of a dispute or resolution form, keyed by field name."""


# Opening and withdrawing ------------------------------------------------------------------------------


def open_dispute(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    *,
    items: Sequence[DisputedItem],
    settings: Settings,
    now: datetime | None = None,
) -> Dispute:
    """Open a dispute on items of your released review, within the team's window and cap."""
    now = now or utcnow()
    row = feedback.require_feedback(session, evaluation_id)
    if row.released_at is None or not access.is_the_rep(principal, row.rep_id):
        raise NotFound(f"Evaluation {evaluation_id} does not exist or you cannot see it")
    card = feedback.build_cards(session, principal, [row], settings=settings, now=now)[0]
    rules = policy.team_rules(session, row.team_id, settings)
    if card.open_dispute is not None:
        raise Conflict("This review already has an open dispute; wait for its outcome or withdraw it")
    if card.dispute_until is None or now > card.dispute_until:
        raise InvalidTransition(
            f"Disputes are open for {rules.dispute_window_days} days after a review is released; "
            "this window has closed. Talk to your manager instead."
        )
    allowed = {i.item.id: i for i in feedback.open_items(card.items, card.disputes)}
    _check_items(items, allowed, rules.dispute_max_items - feedback.items_disputed(card.disputes))
    dispute = Dispute(
        evaluation_id=evaluation_id,
        call_id=row.call_id,
        rep_id=row.rep_id,
        team_id=row.team_id,
        reviewer_id=row.reviewer_id,
        scorecard_id=card.card.id,
        resolver_id=row.reviewer_id if rules.dispute_resolver is DisputeResolver.REVIEWER else None,
        status=DisputeStatus.OPEN,
        opened_at=now,
        due_at=policy.add_working_days(
            session, row.team_id, now, rules.dispute_due_working_days, settings=settings
        ),
        score_before=card.evaluation.final_score,
    )
    dispute.items = [
        DisputeItem(
            position=position,
            item_id=entry.item_id,
            comment=entry.comment.strip(),
            proposed_answer=entry.proposed_answer or None,
            answer_before=allowed[entry.item_id].answer.answer,
        )
        for position, entry in enumerate(items)
    ]
    session.add(dispute)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # another tab opened one at the same moment
        raise Conflict("This review already has an open dispute") from exc
    emit(session, "dispute.opened", _payload(dispute, due_at=dispute.due_at.isoformat()))
    return dispute


def _check_items(
    items: Sequence[DisputedItem], allowed: Mapping[str, feedback.ItemFeedback], cap: int
) -> None:
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for entry in items:
        if entry.item_id not in allowed or entry.item_id in seen:
            errors["items"] = (
                f"Item {entry.item_id!r} cannot be disputed (unknown, repeated or already decided)"
            )
            continue
        seen.add(entry.item_id)
        if len(entry.comment.strip()) < 5:
            errors[f"comment-{entry.item_id}"] = "Say what the reviewer missed (a sentence is enough)"
        elif len(entry.comment) > MAX_COMMENT:
            errors[f"comment-{entry.item_id}"] = f"Keep it under {MAX_COMMENT} characters"
        choices = form.choices(allowed[entry.item_id].item)
        if entry.proposed_answer and entry.proposed_answer not in choices:
            errors[f"proposed-{entry.item_id}"] = "Choose one of: " + ", ".join(
                form.label(c) for c in choices
            )
    if not items:
        errors["items"] = "Choose at least one item to dispute"
    if len(items) > cap:
        errors["items"] = (
            f"You can dispute {max(cap, 0)} more item{'' if cap == 1 else 's'} of this review; "
            "choose the ones that matter most"
        )
    if errors:
        raise DisputeInvalid(errors)


def withdraw_dispute(
    session: Session, principal: Principal, dispute_id: int, *, now: datetime | None = None
) -> Dispute:
    """The rep takes back their open dispute."""
    dispute = _visible(session, principal, dispute_id)
    if not access.is_the_rep(principal, dispute.rep_id):
        raise Forbidden("Only the rep who opened a dispute can withdraw it")
    if not repo.close_withdrawn(session, dispute_id, now=now or utcnow()):
        raise Conflict("This dispute is no longer open, so it cannot be withdrawn; reload to see why")
    dispute = _reloaded(session, dispute_id)
    emit(session, "dispute.withdrawn", _payload(dispute))
    return dispute


def _payload(dispute: Dispute, **extra: object) -> dict[str, object]:
    return {
        "dispute_id": dispute.id,
        "evaluation_id": dispute.evaluation_id,
        "call_id": dispute.call_id,
        "rep_id": dispute.rep_id,
        "team_id": dispute.team_id,
        "reviewer_id": dispute.reviewer_id,
        "resolver_id": dispute.resolver_id,
        "item_ids": [i.item_id for i in dispute.items],
        **extra,
    }


# Resolving ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDecision:
    item_id: str
    decision: Decision
    answer: str | None  # the new answer when changed
    reason: str
    cause: DisputeCause | None


def resolve_dispute(
    session: Session,
    principal: Principal,
    dispute_id: int,
    *,
    decisions: Sequence[ItemDecision],
    settings: Settings,
    now: datetime | None = None,
) -> Dispute:
    """Decide every disputed item (keep or change, with a reason and a cause). Changed answers
    are applied through the audited edit path and the score recomputed."""
    now = now or utcnow()
    dispute = _visible(session, principal, dispute_id)
    if dispute.status is not DisputeStatus.OPEN:
        raise Conflict(f"This dispute was already {dispute.status.value}; reload to see its outcome")
    if not access.can_resolve(principal, dispute):
        raise Forbidden(
            "This dispute is for a QC lead"
            + (" or the original reviewer" if dispute.resolver_id else "")
            + " to resolve"
        )
    detail = evaluations.evaluation_detail(session, principal, dispute.evaluation_id)
    items = {i.item.id: i.item for i in detail_items(detail)}
    # The review may have been edited since the rep disputed it: decide on what it says now.
    current = {a.item_id: a.answer for a in detail.evaluation.answers}
    by_item = _check_decisions(dispute, decisions, items, current)
    if not repo.claim_resolution(
        session, dispute_id, by=principal.id, now=now, score_before=detail.evaluation.final_score
    ):
        raise Conflict("Someone else resolved this dispute a moment ago; reload to see their decision")
    dispute = _reloaded(session, dispute_id)
    changed = {i: d for i, d in by_item.items() if d.decision is Decision.CHANGED}
    for entry in dispute.items:
        choice = by_item[entry.item_id]
        entry.decision = choice.decision
        kept = current.get(entry.item_id, entry.answer_before)
        entry.answer_after = choice.answer if choice.decision is Decision.CHANGED else kept
        entry.reason = choice.reason.strip()[:MAX_REASON]
        entry.cause = choice.cause
    if changed:
        evaluation = evaluations.correct_answers(
            session,
            principal,
            dispute.evaluation_id,
            answers={i: d.answer for i, d in changed.items() if d.answer is not None},
            reasons={i: f"Dispute #{dispute.id}: {d.reason.strip()}" for i, d in changed.items()},
            summary=f"Dispute #{dispute.id} resolved: "
            + "; ".join(f"{i}: {d.reason.strip()}" for i, d in changed.items()),
            settings=settings,
        )
        dispute.score_after = evaluation.final_score
    else:
        dispute.score_after = dispute.score_before
    session.flush()
    emit(
        session,
        "dispute.resolved",
        _payload(
            dispute,
            resolved_by_id=principal.id,
            overturned=sorted(changed),
            kept=sorted(set(by_item) - set(changed)),
            score_before=dispute.score_before,
            score_after=dispute.score_after,
        ),
    )
    return dispute


def detail_items(detail: evaluations.EvaluationDetail) -> list[feedback.ItemFeedback]:
    answers = {a.item_id: a for a in detail.evaluation.answers}
    return [
        feedback.ItemFeedback(item, answers[item.id], None, False)
        for item in detail.card.items
        if item.id in answers
    ]


def _check_decisions(
    dispute: Dispute,
    decisions: Sequence[ItemDecision],
    items: Mapping[str, object],
    current: Mapping[str, str | None],
) -> dict[str, ItemDecision]:
    by_item = {d.item_id: d for d in decisions}
    errors: dict[str, str] = {}
    for entry in dispute.items:
        choice = by_item.get(entry.item_id)
        if choice is None:
            errors[f"decision-{entry.item_id}"] = "Keep or change this answer"
            continue
        if len(choice.reason.strip()) < 3:
            errors[f"reason-{entry.item_id}"] = "Give the rep a reason"
        if choice.cause is None:
            errors[f"cause-{entry.item_id}"] = "Choose the cause"
        if choice.decision is Decision.CHANGED:
            item = items.get(entry.item_id)
            choices = form.choices(item) if item is not None else ()  # type: ignore[arg-type]
            if choice.answer not in choices:
                errors[f"answer-{entry.item_id}"] = "Choose the new answer"
            elif choice.answer == current.get(entry.item_id, entry.answer_before):
                errors[f"answer-{entry.item_id}"] = "That is the answer it has now; choose Keep instead"
    extra = set(by_item) - {i.item_id for i in dispute.items}
    if extra:
        errors["items"] = f"Not disputed: {', '.join(sorted(extra))}"
    if errors:
        raise DisputeInvalid(errors)
    return by_item


def _reloaded(session: Session, dispute_id: int) -> Dispute:
    """The dispute as the database has it now (after a conditional update)."""
    dispute = repo.get_dispute(session, dispute_id, fresh=True)
    assert dispute is not None
    return dispute


# Reading ------------------------------------------------------------------------------------------------


def _visible(session: Session, principal: Principal, dispute_id: int) -> Dispute:
    dispute = repo.get_dispute(session, dispute_id)
    if dispute is None or not access.can_see_dispute(principal, dispute):
        raise NotFound(f"Dispute {dispute_id} does not exist or you cannot see it")
    return dispute


@dataclass(frozen=True)
class DisputeView:
    dispute: Dispute
    card: feedback.FeedbackCard
    can_resolve: bool
    can_withdraw: bool
    causes: list[DisputeCause]


def dispute_view(
    session: Session, principal: Principal, dispute_id: int, *, settings: Settings
) -> DisputeView:
    """A dispute with its review, for the rep, the resolver and everyone who may see the review."""
    dispute = _visible(session, principal, dispute_id)
    row = feedback.require_feedback(session, dispute.evaluation_id)
    cards = feedback.build_cards(session, principal, [row], settings=settings, now=utcnow())
    if not cards:
        raise NotFound(f"Dispute {dispute_id} does not exist or you cannot see it")
    return DisputeView(
        dispute,
        cards[0],
        access.can_resolve(principal, dispute),
        access.is_the_rep(principal, dispute.rep_id) and dispute.status is DisputeStatus.OPEN,
        list(DisputeCause),
    )


@dataclass(frozen=True)
class DisputeRow:
    dispute: Dispute
    rep_name: str
    reviewer_name: str
    overdue: bool
    age_days: float
    item_labels: list[str]


def list_disputes(
    session: Session,
    principal: Principal,
    *,
    status: DisputeStatus | None = None,
    rep_id: int | None = None,
    settings: Settings,
    now: datetime | None = None,
) -> list[DisputeRow]:
    """Disputes `principal` may see: open first, overdue first among them."""
    now = now or utcnow()
    if principal.role is Role.REP:
        f = repo.DisputeFilter(status=status, rep_id=principal.id)
    elif principal.role is Role.REVIEWER:
        f = repo.DisputeFilter(status=status, rep_id=rep_id, involving=principal.id)
    else:
        f = repo.DisputeFilter(status=status, rep_id=rep_id, team_ids=people.visible_team_ids(principal))
    disputes = repo.list_disputes(session, f)
    names = users.names_of(session, {d.rep_id for d in disputes} | {d.reviewer_id for d in disputes})
    labels = scoring.item_labels(session)
    return [
        DisputeRow(
            d,
            identity.rep_name(
                principal,
                rep_id=d.rep_id,
                name=names.get(d.rep_id, "?"),
                team_id=d.team_id,
                settings=settings,
            ),
            names.get(d.reviewer_id, "?"),
            d.status is DisputeStatus.OPEN and d.due_at < now,
            round(((d.closed_at or now) - d.opened_at).total_seconds() / 86400, 1),
            [labels.get((d.scorecard_id, i.item_id), i.item_id) for i in d.items],
        )
        for d in disputes
    ]


def flag_overdue(session: Session, *, now: datetime | None = None) -> int:
    """Tell the QC leads about disputes past their due time, once each (a periodic task)."""
    now = now or utcnow()
    flagged = 0
    for dispute in repo.overdue_unflagged(session, now):
        if not repo.flag_overdue_once(session, dispute.id, now):
            continue  # another run flagged it meanwhile
        emit(
            session,
            "dispute.overdue",
            {
                "dispute_id": dispute.id,
                "evaluation_id": dispute.evaluation_id,
                "rep_id": dispute.rep_id,
                "team_id": dispute.team_id,
                "reviewer_id": dispute.reviewer_id,
                "resolver_id": dispute.resolver_id,
                "due_at": dispute.due_at.isoformat(),
            },
        )
        flagged += 1
    return flagged


# Figures ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeFigures:
    key: str
    label: str
    disputed: int
    overturned: int
    median_hours: float | None

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.disputed if self.disputed else None


@dataclass(frozen=True)
class DisputeStats:
    by_item: list[DisputeFigures]
    by_reviewer: list[DisputeFigures]
    by_cause: dict[str, int]


def dispute_stats(session: Session, principal: Principal) -> DisputeStats:
    """Disputed and overturned items, overturn rate and median time to resolve, per
    scorecard item and per reviewer (QC leads, administrators and managers for their teams).
    Counted in the database; only the resolution times of the disputes come back."""
    if principal.role in (Role.REP, Role.REVIEWER):
        raise Forbidden("Dispute figures are for QC leads, administrators and managers")
    teams = people.visible_team_ids(principal)
    labels = scoring.item_labels(session)
    items = repo.decided_counts(session, by_reviewer=False, team_ids=teams)
    reviewers = repo.decided_counts(session, by_reviewer=True, team_ids=teams)
    names = users.names_of(session, {int(str(group.key[0])) for group in reviewers})
    return DisputeStats(
        _figures(
            items,
            repo.resolution_times(session, by_reviewer=False, team_ids=teams),
            label=lambda key: labels.get((str(key[0]), str(key[1])), str(key[1])),
        ),
        _figures(
            reviewers,
            repo.resolution_times(session, by_reviewer=True, team_ids=teams),
            label=lambda key: names.get(int(str(key[0])), "?"),
        ),
        repo.overturns_by_cause(session, team_ids=teams),
    )


def _figures(
    counts: list[repo.GroupCounts],
    times: list[tuple[tuple[object, ...], datetime, datetime]],
    *,
    label: Callable[[tuple[object, ...]], str],
) -> list[DisputeFigures]:
    hours: dict[tuple[object, ...], list[float]] = defaultdict(list)
    for key, opened, closed in times:
        hours[key].append((closed - opened).total_seconds() / 3600)
    figures = [
        DisputeFigures(
            ":".join(str(part) for part in group.key),
            label(group.key),
            group.disputed,
            group.overturned,
            round(statistics.median(hours[group.key]), 1) if hours[group.key] else None,
        )
        for group in counts
    ]
    return sorted(figures, key=lambda f: (-f.overturned, -f.disputed, f.label))


def auto_check_overturns(
    session: Session, principal: Principal, *, scorecard_id: str, item_id: str
) -> list[tuple[Dispute, DisputeItem]]:
    """Overturned answers on `item_id` whose cause was "automatic check wrong" (for the
    check's agreement page)."""
    if principal.role not in (Role.ADMIN, Role.QC_LEAD, Role.REVIEWER):
        raise Forbidden("The agreement pages are for QC staff")
    return [
        (d, i)
        for d, i in repo.decided_items(session, scorecard_id=scorecard_id, item_id=item_id)
        if i.decision is Decision.CHANGED and i.cause is DisputeCause.AUTO_CHECK_WRONG
    ]
