"""My feedback, acknowledgements, disputes and their figures, team feedback rules; and the API."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.db import utcnow
from qc.errors import InvalidInput
from qc.evaluations import form
from qc.evaluations.routes import RawForm
from qc.feedback import disputes, policy, service
from qc.feedback.disputes import DisputedItem, DisputeInvalid, ItemDecision
from qc.feedback.models import Decision, DisputeCause, DisputeResolver, DisputeStatus
from qc.feedback.schemas import (
    AcknowledgementRead,
    DisputeCreate,
    DisputeRead,
    DisputeResolve,
    DisputeStatsRead,
    EvaluationList,
    dispute_read,
    figures_read,
    summary_read,
)
from qc.kit.pagination import PageRequest
from qc.kit.timeutil import Day
from qc.kit.web import DB, Id, PageNumber, SettingsDep, is_htmx_fragment, render
from qc.users import service as users
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["feedback"])

ItemId = Annotated[str, Path(pattern=r"^[a-z0-9_]+$", max_length=60)]
ScorecardId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]


def _redirect(request: Request, name: str, anchor: str = "", **params: Any) -> Response:
    return RedirectResponse(request.url_for(name, **params).path + anchor, status_code=303)


def _status(value: str | None) -> DisputeStatus | None:
    if not value:
        return None
    try:
        return DisputeStatus(value)
    except ValueError as exc:
        raise InvalidInput("status must be open, withdrawn or resolved", field="status") from exc


# My feedback ------------------------------------------------------------------------------------------


@pages.get("/feedback", name="feedback:mine")
def my_feedback_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, page: PageNumber = 1
) -> Response:
    view = service.my_feedback(session, principal, page=page, settings=settings)
    context = {"view": view, "answer_label": form.label, "now": utcnow()}
    return render(request, "feedback/mine.html", context)


@pages.post("/feedback/{evaluation_id}/acknowledge", name="feedback:acknowledge")
def acknowledge(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: Id
) -> Response:
    row = service.acknowledge(session, principal, evaluation_id)
    if is_htmx_fragment(request):
        response = render(request, "feedback/_acknowledged.html", {"feedback": row})
        response.headers["HX-Trigger"] = "inbox-changed"  # the header's unread count follows
        return response
    return _redirect(request, "feedback:mine", f"#evaluation-{evaluation_id}")


def _dispute_context(
    session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: int
) -> dict[str, Any]:
    card = service.own_card(session, principal, evaluation_id, settings=settings)
    rules = policy.team_rules(session, card.feedback.team_id, settings)
    return {
        "card": card,
        "items": service.open_items(card.items, card.disputes),
        "max_items": rules.dispute_max_items,
        "answer_label": form.label,
        "choices": form.choices,
    }


@pages.get("/feedback/{evaluation_id}/dispute", name="feedback:dispute_form")
def dispute_form(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: Id
) -> Response:
    context = _dispute_context(session, principal, settings, evaluation_id)
    return render(request, "feedback/dispute_form.html", {**context, "errors": {}, "values": {}})


def _disputed_items(values: dict[str, str], chosen: list[str]) -> list[DisputedItem]:
    return [
        DisputedItem(
            item_id=item_id[:60],
            comment=values.get(f"comment-{item_id}", ""),
            proposed_answer=values.get(f"proposed-{item_id}") or None,
        )
        for item_id in chosen
    ]


@pages.post("/feedback/{evaluation_id}/dispute", name="feedback:dispute_open")
def open_dispute_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    evaluation_id: Id,
    values: RawForm,
) -> Response:
    chosen = [key.removeprefix("item-") for key in values if key.startswith("item-")]
    try:
        dispute = disputes.open_dispute(
            session, principal, evaluation_id, items=_disputed_items(values, chosen), settings=settings
        )
    except DisputeInvalid as exc:
        context = _dispute_context(session, principal, settings, evaluation_id)
        context.update(errors=exc.errors, values=values, chosen=chosen)
        return render(request, "feedback/dispute_form.html", context, status_code=422)
    return _redirect(request, "feedback:dispute", dispute_id=dispute.id)


@pages.get("/feedback/unacknowledged", name="feedback:unacknowledged")
def unacknowledged_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep
) -> Response:
    late = service.unacknowledged_for(session, principal, settings=settings)
    names = users.names_of(session, {r.feedback.rep_id for r in late.rows})
    return render(
        request, "feedback/unacknowledged.html", {"rows": late.rows, "more": late.more, "names": names}
    )


# Disputes --------------------------------------------------------------------------------------------


@pages.get("/disputes", name="feedback:disputes")
def disputes_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, status: str | None = None
) -> Response:
    chosen = _status(status)
    rows = disputes.list_disputes(session, principal, status=chosen, settings=settings)
    return render(request, "feedback/disputes.html", {"rows": rows, "status": status or ""})


@pages.get("/disputes/stats", name="feedback:dispute_stats")
def dispute_stats_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    stats = disputes.dispute_stats(session, principal)
    causes = {c.value: c.label for c in DisputeCause}
    return render(request, "feedback/stats.html", {"stats": stats, "causes": causes})


@pages.get("/disputes/{dispute_id}", name="feedback:dispute")
def dispute_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, dispute_id: Id
) -> Response:
    view = disputes.dispute_view(session, principal, dispute_id, settings=settings)
    return render(request, "feedback/dispute.html", _dispute_page_context(view, {}, {}))


def _dispute_page_context(view: Any, errors: dict[str, str], values: dict[str, str]) -> dict[str, Any]:
    return {
        "view": view,
        "errors": errors,
        "values": values,
        "answer_label": form.label,
        "choices": form.choices,
        "causes": list(DisputeCause),
        "now": utcnow(),
    }


def _decisions(values: dict[str, str], item_ids: list[str]) -> list[ItemDecision]:
    decisions = []
    for item_id in item_ids:
        raw = values.get(f"decision-{item_id}", "")
        if raw not in {d.value for d in Decision}:
            continue
        cause = values.get(f"cause-{item_id}", "")
        decisions.append(
            ItemDecision(
                item_id=item_id,
                decision=Decision(raw),
                answer=values.get(f"answer-{item_id}") or None,
                reason=values.get(f"reason-{item_id}", ""),
                cause=DisputeCause(cause) if cause in {c.value for c in DisputeCause} else None,
            )
        )
    return decisions


@pages.post("/disputes/{dispute_id}", name="feedback:resolve")
def resolve_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    dispute_id: Id,
    values: RawForm,
) -> Response:
    view = disputes.dispute_view(session, principal, dispute_id, settings=settings)
    item_ids = [i.item_id for i in view.dispute.items]
    try:
        disputes.resolve_dispute(
            session, principal, dispute_id, decisions=_decisions(values, item_ids), settings=settings
        )
    except DisputeInvalid as exc:
        context = _dispute_page_context(view, exc.errors, values)
        return render(request, "feedback/dispute.html", context, status_code=422)
    return _redirect(request, "feedback:dispute", dispute_id=dispute_id)


@pages.post("/disputes/{dispute_id}/withdraw", name="feedback:withdraw")
def withdraw_page(request: Request, session: DB, principal: CurrentUser, dispute_id: Id) -> Response:
    dispute = disputes.withdraw_dispute(session, principal, dispute_id)
    return _redirect(request, "feedback:mine", f"#evaluation-{dispute.evaluation_id}")


@pages.get("/evaluations/{evaluation_id}/disputes", name="feedback:evaluation_disputes")
def evaluation_disputes_fragment(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: Id
) -> Response:
    """The evaluation page's disputes and the rep's answers, loaded into it."""
    card = service.visible_card(session, principal, evaluation_id, settings=settings)
    return render(request, "feedback/_evaluation_disputes.html", {"card": card})


@pages.get("/scorecards/{scorecard_id}/agreement/{item_id}/disputes", name="feedback:agreement_disputes")
def agreement_disputes_fragment(
    request: Request, session: DB, principal: CurrentUser, scorecard_id: ScorecardId, item_id: ItemId
) -> Response:
    """Disputes that overturned this item because its automatic check was wrong."""
    rows = disputes.auto_check_overturns(session, principal, scorecard_id=scorecard_id, item_id=item_id)
    return render(request, "feedback/_agreement_disputes.html", {"rows": rows})


# Team rules ---------------------------------------------------------------------------------------------


def _rules_values(rules: policy.Rules) -> dict[str, str]:
    return {
        "release_delay_hours": f"{rules.release_delay_hours:g}",
        "acknowledge_within_days": str(rules.acknowledge_within_days),
        "dispute_window_days": str(rules.dispute_window_days),
        "dispute_max_items": str(rules.dispute_max_items),
        "dispute_resolver": rules.dispute_resolver.value,
        "dispute_due_working_days": str(rules.dispute_due_working_days),
    }


@pages.get("/feedback/teams/{team_id}", name="feedback:policy")
def policy_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    saved: bool = False,
) -> Response:
    team, rules = policy.editable_rules(session, principal, team_id=team_id, settings=settings)
    context = {
        "team": team,
        "values": _rules_values(rules),
        "errors": {},
        "saved": saved,
        "resolvers": list(DisputeResolver),
    }
    return render(request, "feedback/policy.html", context)


@pages.post("/feedback/teams/{team_id}", name="feedback:policy_save")
def save_policy(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, team_id: Id, values: RawForm
) -> Response:
    try:
        policy.update_team_rules(session, principal, team_id=team_id, values=values, settings=settings)
    except InvalidInput as exc:
        team, _ = policy.editable_rules(session, principal, team_id=team_id, settings=settings)
        errors = (exc.details or {}).get("errors", {})
        context = {
            "team": team,
            "values": values,
            "errors": errors,
            "saved": False,
            "resolvers": list(DisputeResolver),
        }
        return render(request, "feedback/policy.html", context, status_code=422)
    return RedirectResponse(
        request.url_for("feedback:policy", team_id=team_id).path + "?saved=true", status_code=303
    )


# API --------------------------------------------------------------------------------------------------------


def _links(request: Request, evaluation_id: int, call_id: int) -> dict[str, str]:
    return {
        "self": str(request.url_for("api:evaluation", evaluation_id=evaluation_id)),
        "page": str(request.url_for("evaluations:detail", evaluation_id=evaluation_id)),
        "call": str(request.url_for("api:call", call_id=call_id)),
    }


@api.get("/evaluations", response_model=EvaluationList, name="api:evaluations")
def list_evaluations_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: Annotated[str | None, Query(description="The rep's email or external id")] = None,
    from_: Annotated[Day | None, Query(alias="from", description="Submitted on or after (UTC day)")] = None,
    to: Annotated[Day | None, Query(description="Submitted on or before (UTC day)")] = None,
    page: PageNumber = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EvaluationList:
    """Submitted reviews, newest first: a rep gets their own released ones, a manager their
    teams', QC leads and administrators everyone's. With acknowledgement and disputes."""
    start, end = from_, to
    cards, total = service.list_evaluations(
        session,
        principal,
        rep=rep,
        day_from=datetime.combine(start, time(), tzinfo=UTC) if start else None,
        day_to=datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC) if end else None,
        page=PageRequest(page, size),
        settings=settings,
    )
    request_page = PageRequest(page, size)
    return EvaluationList(
        items=[summary_read(c, _links(request, c.evaluation.id, c.call.id), viewer=principal) for c in cards],
        total=total,
        page=page,
        pages=max(1, -(-total // request_page.size)),
    )


@api.post(
    "/evaluations/{evaluation_id}/acknowledge", response_model=AcknowledgementRead, name="api:acknowledge"
)
def acknowledge_api(session: DB, principal: CurrentUser, evaluation_id: Id) -> AcknowledgementRead:
    """The rep confirms they have read the review; repeating it changes nothing."""
    row = service.acknowledge(session, principal, evaluation_id)
    return AcknowledgementRead(evaluation_id=evaluation_id, acknowledged_at=row.acknowledged_at)


@api.post(
    "/evaluations/{evaluation_id}/disputes",
    response_model=DisputeRead,
    status_code=201,
    name="api:dispute_open",
)
def open_dispute_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: Id, body: DisputeCreate
) -> DisputeRead:
    """Dispute items of your released review (window, cap and one open dispute enforced)."""
    items = [DisputedItem(i.item_id, i.comment, i.proposed_answer) for i in body.items]
    dispute = disputes.open_dispute(session, principal, evaluation_id, items=items, settings=settings)
    return dispute_read(dispute, viewer=principal, now=utcnow())


@api.get("/disputes", response_model=list[DisputeRead], name="api:disputes")
def list_disputes_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    status: Annotated[DisputeStatus | None, Query(description="open, withdrawn or resolved")] = None,
) -> list[DisputeRead]:
    """Disputes you may see: open first, overdue first among them."""
    now = utcnow()
    return [
        dispute_read(r.dispute, viewer=principal, now=now)
        for r in disputes.list_disputes(session, principal, status=status, settings=settings)
    ]


@api.get("/disputes/stats", response_model=DisputeStatsRead, name="api:dispute_stats")
def dispute_stats_api(session: DB, principal: CurrentUser) -> DisputeStatsRead:
    """Disputed and overturned items, overturn rate and median hours to resolve, per item and reviewer."""
    stats = disputes.dispute_stats(session, principal)
    return DisputeStatsRead(
        by_item=[figures_read(f) for f in stats.by_item],
        by_reviewer=[figures_read(f) for f in stats.by_reviewer],
        overturned_by_cause=stats.by_cause,
    )


@api.get("/disputes/{dispute_id}", response_model=DisputeRead, name="api:dispute")
def dispute_api(session: DB, principal: CurrentUser, settings: SettingsDep, dispute_id: Id) -> DisputeRead:
    view = disputes.dispute_view(session, principal, dispute_id, settings=settings)
    return dispute_read(view.dispute, viewer=principal, now=utcnow())


@api.post("/disputes/{dispute_id}/withdraw", response_model=DisputeRead, name="api:dispute_withdraw")
def withdraw_api(session: DB, principal: CurrentUser, dispute_id: Id) -> DisputeRead:
    """The rep takes back their open dispute."""
    return dispute_read(
        disputes.withdraw_dispute(session, principal, dispute_id), viewer=principal, now=utcnow()
    )


@api.post("/disputes/{dispute_id}/resolve", response_model=DisputeRead, name="api:dispute_resolve")
def resolve_api(
    session: DB, principal: CurrentUser, settings: SettingsDep, dispute_id: Id, body: DisputeResolve
) -> DisputeRead:
    """Decide every disputed item: keep or change (with the new answer), a reason and a cause.
    409 when someone else resolved it first."""
    decisions = [ItemDecision(i.item_id, i.decision, i.answer, i.reason, i.cause) for i in body.items]
    dispute = disputes.resolve_dispute(session, principal, dispute_id, decisions=decisions, settings=settings)
    return dispute_read(dispute, viewer=principal, now=utcnow())
