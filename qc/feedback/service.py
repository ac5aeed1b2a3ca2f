"""Releasing reviews to reps, their acknowledgement, and the rep's "My feedback" page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.calls.models import Call
from qc.config import Settings
from qc.db import utcnow
from qc.errors import Forbidden, NotFound
from qc.evaluations import form
from qc.evaluations import service as evaluations
from qc.evaluations.models import Evaluation, EvaluationAnswer, EvaluationComment
from qc.feedback import access, policy
from qc.feedback import repository as repo
from qc.feedback.models import Dispute, DisputeStatus, Feedback
from qc.jobs.events import EventRecord, emit
from qc.kit.pagination import PageRequest
from qc.scoring import service as scoring
from qc.scoring.definitions import Item, Scorecard
from qc.scoring.models import CheckResult
from qc.users import access as people
from qc.users import identity
from qc.users import service as users
from qc.users.models import Role
from qc.users.schemas import Principal

PAGE_SIZE = 10


# Release -------------------------------------------------------------------------------------------


def on_evaluation_submitted(session: Session, event: EventRecord, *, settings: Settings) -> None:
    """A submitted review starts on its way to the rep: released now, or after the team's delay."""
    data = event.payload
    if repo.get(session, data["evaluation_id"]) is not None:
        return
    rules = policy.team_rules(session, data["team_id"], settings)
    submitted = datetime.fromisoformat(data["submitted_at"]) if data.get("submitted_at") else event.created_at
    row = Feedback(
        evaluation_id=data["evaluation_id"],
        call_id=data["call_id"],
        rep_id=data["rep_id"],
        team_id=data["team_id"],
        reviewer_id=data["reviewer_id"],
        submitted_at=submitted,
        release_due_at=submitted + timedelta(hours=rules.release_delay_hours),
    )
    session.add(row)
    session.flush()
    if row.release_due_at <= utcnow():
        _release(session, row, utcnow())


def _release(session: Session, row: Feedback, now: datetime) -> None:
    evaluations.release_evaluation(session, row.evaluation_id, now=now)
    row.released_at = now


def release_due(session: Session, *, now: datetime | None = None) -> int:
    """Release every review whose delay has passed (a periodic task); the count released."""
    now = now or utcnow()
    released = 0
    for evaluation_id in repo.due_for_release(session, now):
        row = repo.get(session, evaluation_id)
        if row is not None and row.released_at is None:
            _release(session, row, now)
            released += 1
    return released


# Acknowledgement -----------------------------------------------------------------------------------


def _own_released(session: Session, principal: Principal, evaluation_id: int) -> Feedback:
    row = repo.get(session, evaluation_id)
    if row is None or row.released_at is None or not access.is_the_rep(principal, row.rep_id):
        raise NotFound(f"Evaluation {evaluation_id} does not exist or you cannot see it")
    return row


def acknowledge(
    session: Session, principal: Principal, evaluation_id: int, *, now: datetime | None = None
) -> Feedback:
    """The rep confirms they have read the review (once; again is a no-op)."""
    row = _own_released(session, principal, evaluation_id)
    now = now or utcnow()
    if repo.mark_acknowledged(session, evaluation_id, now):
        session.refresh(row)
        emit(
            session,
            "evaluation.acknowledged",
            {
                "evaluation_id": evaluation_id,
                "rep_id": row.rep_id,
                "team_id": row.team_id,
                "user_id": principal.id,
            },
        )
    return row


# My feedback -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFeedback:
    """One scorecard item of a review: the reviewer's answer beside the automatic check."""

    item: Item
    answer: EvaluationAnswer
    check: CheckResult | None
    lost: bool  # the rep lost points on it

    @property
    def answer_label(self) -> str:
        return form.label(self.answer.answer)

    @property
    def auto_label(self) -> str:
        return form.label(self.answer.auto_answer)


@dataclass(frozen=True)
class FeedbackCard:
    feedback: Feedback
    evaluation: Evaluation
    call: Call
    rep_name: str
    card: Scorecard
    items: list[ItemFeedback]
    comments: list[EvaluationComment]
    disputes: list[Dispute]
    dispute_until: datetime | None  # the last moment a dispute may be opened; None: closed
    can_acknowledge: bool
    can_dispute: bool

    @property
    def lost(self) -> list[ItemFeedback]:
        return [i for i in self.items if i.lost]

    @property
    def open_dispute(self) -> Dispute | None:
        return next((d for d in self.disputes if d.status is DisputeStatus.OPEN), None)

    def comment_item(self, comment: EvaluationComment) -> Item | None:
        return next((i.item for i in self.items if i.item.id == comment.item_id), None)


@dataclass(frozen=True)
class FeedbackPage:
    cards: list[FeedbackCard]
    total: int
    page: int
    pages: int
    unacknowledged: int


def my_feedback(
    session: Session, principal: Principal, *, page: int = 1, settings: Settings, now: datetime | None = None
) -> FeedbackPage:
    """A rep's released reviews, newest first, with everything they need to read and answer them."""
    if principal.role is not Role.REP:
        raise Forbidden("My feedback is the reps' page; managers see their teams' reviews on the calls")
    rows, total = repo.released_page(session, principal.id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    cards = build_cards(session, principal, rows, settings=settings, now=now or utcnow())
    pages = max(1, -(-total // PAGE_SIZE))
    return FeedbackPage(cards, total, page, pages, repo.count_unacknowledged(session, principal.id))


def build_cards(
    session: Session, principal: Principal, rows: list[Feedback], *, settings: Settings, now: datetime
) -> list[FeedbackCard]:
    """Cards for feedback rows `principal` may see (the caller checked), in the rows' order."""
    ids = [row.evaluation_id for row in rows]
    loaded = evaluations.evaluations_by_id(session, ids)
    found = calls.calls_by_id(session, principal, [row.call_id for row in rows])
    scores = scoring.scores_for(session, list(found), with_checks=True)
    disputes = repo.disputes_of(session, ids)
    names = users.names_of(session, {row.rep_id for row in rows})
    rules = {team: policy.team_rules(session, team, settings) for team in {row.team_id for row in rows}}
    cards = []
    for row in rows:
        evaluation, call = loaded.get(row.evaluation_id), found.get(row.call_id)
        if evaluation is None or call is None:
            continue
        score = scores.get(call.id)
        checks = {c.item_id: c for c in score.checks} if score else {}
        card = _card(
            principal, row, evaluation, call, checks, disputes[row.evaluation_id], rules[row.team_id], now
        )
        # By the row's team: a rep who moved teams is named in one and an alias in another.
        shown = identity.rep_name(
            principal,
            rep_id=row.rep_id,
            name=names.get(row.rep_id, ""),
            team_id=row.team_id,
            settings=settings,
        )
        cards.append(replace(card, rep_name=shown))
    return cards


def _card(
    principal: Principal,
    row: Feedback,
    evaluation: Evaluation,
    call: Call,
    checks: dict[str, CheckResult],
    disputes: list[Dispute],
    rules: policy.Rules,
    now: datetime,
) -> FeedbackCard:
    card = scoring.definition(evaluation.scorecard_version)
    answers = {a.item_id: a for a in evaluation.answers}
    items = [
        ItemFeedback(item, answers[item.id], checks.get(item.id), _lost(item, answers[item.id].answer))
        for item in card.items
        if item.id in answers
    ]
    until = row.released_at + timedelta(days=rules.dispute_window_days) if row.released_at else None
    mine = access.is_the_rep(principal, row.rep_id)
    has_open = any(d.status is DisputeStatus.OPEN for d in disputes)
    disputable = (
        until is not None
        and now <= until
        and not has_open
        and bool(open_items(items, disputes))
        and items_disputed(disputes) < rules.dispute_max_items
    )
    return FeedbackCard(
        row,
        evaluation,
        call,
        "",
        card,
        items,
        list(evaluation.comments),
        disputes,
        until,
        can_acknowledge=mine and row.acknowledged_at is None,
        can_dispute=mine and disputable,
    )


def _lost(item: Item, answer: str | None) -> bool:
    credit = form.credit(item, answer)
    return credit is not None and credit < 1.0


def items_disputed(disputes: list[Dispute]) -> int:
    """Items of a review disputed so far (withdrawn disputes give theirs back): the cap counts
    per review, not per dispute."""
    return sum(len(d.items) for d in disputes if d.status is not DisputeStatus.WITHDRAWN)


def open_items(items: list[ItemFeedback], disputes: list[Dispute]) -> list[ItemFeedback]:
    """Items that may still be disputed: not decided in an earlier dispute."""
    decided = {i.item_id for d in disputes if d.status is DisputeStatus.RESOLVED for i in d.items}
    return [i for i in items if i.item.id not in decided]


def own_card(
    session: Session, principal: Principal, evaluation_id: int, *, settings: Settings
) -> FeedbackCard:
    """One of your released reviews, as My feedback shows it."""
    row = _own_released(session, principal, evaluation_id)
    return build_cards(session, principal, [row], settings=settings, now=utcnow())[0]


def visible_card(
    session: Session, principal: Principal, evaluation_id: int, *, settings: Settings
) -> FeedbackCard | None:
    """The feedback state of an evaluation `principal` may read (None before it is submitted)."""
    evaluations.get_evaluation(session, principal, evaluation_id)  # NotFound unless readable
    row = repo.get(session, evaluation_id)
    if row is None:
        return None
    cards = build_cards(session, principal, [row], settings=settings, now=utcnow())
    return cards[0] if cards else None


# The manager's list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unacknowledged:
    feedback: Feedback
    call: Call
    age_days: float


@dataclass(frozen=True)
class UnacknowledgedList:
    rows: list[Unacknowledged]
    total: int  # every late review, of which `rows` are the oldest

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


def unacknowledged_for(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 500,
) -> UnacknowledgedList:
    """Released reviews the rep has not acknowledged within their team's time, oldest
    first, for the rep's managers (and QC staff). Each team's own limit is applied in the
    query, so a team with a long limit cannot crowd out another team's late reviews."""
    if not access.sees_unacknowledged(principal):
        raise Forbidden("This list is for the reps' managers, QC leads and administrators")
    now = now or utcnow()
    teams = users.list_visible_teams(session, principal)
    cutoffs = {
        team.id: now - timedelta(days=policy.team_rules(session, team.id, settings).acknowledge_within_days)
        for team in teams
    }
    rows, total = repo.unacknowledged(session, cutoffs=cutoffs, limit=limit)
    found = calls.calls_by_id(session, principal, [r.call_id for r in rows])
    listed = []
    for row in rows:
        assert row.released_at is not None
        if row.call_id in found:
            age = (now - row.released_at).total_seconds() / 86400
            listed.append(Unacknowledged(row, found[row.call_id], round(age, 1)))
    return UnacknowledgedList(listed, total)


def is_acknowledged(session: Session, evaluation_id: int) -> bool:
    """Whether the rep has acknowledged this review (a notice that comes late, after it,
    is not sent)."""
    row = repo.get(session, evaluation_id)
    return row is not None and row.acknowledged_at is not None


def is_dispute_closed(session: Session, dispute_id: int) -> bool:
    """Whether this dispute was decided or withdrawn (nobody has it to do any more)."""
    dispute = repo.get_dispute(session, dispute_id, fresh=True)
    return dispute is not None and dispute.status is not DisputeStatus.OPEN


def require_feedback(session: Session, evaluation_id: int) -> Feedback:
    row = repo.get(session, evaluation_id)
    if row is None:  # a draft, a calibration scoring or no evaluation at all: all look alike
        raise NotFound(f"Evaluation {evaluation_id} does not exist or you cannot see it")
    return row


# The API's list ------------------------------------------------------------------------------------------


def list_evaluations(
    session: Session,
    principal: Principal,
    *,
    rep: str | None,
    day_from: datetime | None,
    day_to: datetime | None,
    page: PageRequest,
    settings: Settings,
) -> tuple[list[FeedbackCard], int]:
    """Submitted reviews `principal` may read, newest first: a rep their own released ones,
    a manager their teams', QC staff everyone's; `rep` (email or external id) narrows it."""
    rep_id = None
    if rep:
        person = users.find_person(session, rep)
        rep_id = person.id if person else -1
    if principal.role is Role.REP:
        if rep_id not in (None, principal.id):
            raise NotFound("No such rep among the people you can see")
        f = repo.FeedbackFilter(rep_id=principal.id, released_only=True)
    elif principal.role is Role.REVIEWER:
        raise Forbidden("Reviewers read evaluations one by one; lists are for reps, managers and QC leads")
    else:
        f = repo.FeedbackFilter(rep_id=rep_id, team_ids=people.visible_team_ids(principal))
    f = replace(f, submitted_from=day_from, submitted_to=day_to)
    rows, total = repo.list_feedback(session, f, offset=page.offset, limit=page.size)
    return build_cards(session, principal, rows, settings=settings, now=utcnow()), total
