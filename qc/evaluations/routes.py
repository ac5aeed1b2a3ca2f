"""The review workspace, evaluations, agreement with the checks, calibration; and the API."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.errors import InvalidInput
from qc.evaluations import agreement, comments, form, service
from qc.evaluations.schemas import EvaluationRead, evaluation_read
from qc.evaluations.service import ChecksChanged, FormInvalid, ReviewForm, Workspace
from qc.kit.web import DB, Id, SettingsDep, render
from qc.reviews import reading
from qc.reviews import routes as queue_routes
from qc.reviews.schemas import AssignmentRead
from qc.scoring import views as scoring_views
from qc.transcription import export
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["evaluations"])

ScorecardId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
MAX_FIELDS = 400


async def review_form(request: Request) -> ReviewForm:
    """The review page's fields: `answer-<item>`, `reason-<item>`, the automatic answers the
    page showed (`auto-<item>`), the overall comment and the seconds spent on the page since
    the last save."""
    data = await request.form(max_fields=MAX_FIELDS)
    answers: dict[str, form.AnswerInput] = {}
    shown: dict[str, str | None] = {}
    for key, value in data.multi_items():
        if key.startswith("answer-") and isinstance(value, str):
            item_id = key.removeprefix("answer-")[:60]
            reason = data.get(f"reason-{item_id}")
            answers[item_id] = form.AnswerInput(value, reason if isinstance(reason, str) else "")
        elif key.startswith("auto-") and isinstance(value, str):
            shown[key.removeprefix("auto-")[:60]] = value.strip().lower()[:8] or None
    comment = data.get("overall_comment")
    return ReviewForm(
        answers,
        comment if isinstance(comment, str) else "",
        _seconds(data.get("active_seconds")),
        shown_auto=shown or None,
    )


def _seconds(value: Any) -> float:
    try:
        seconds = float(value) if isinstance(value, str) else 0.0
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


ReviewData = Annotated[ReviewForm, Depends(review_form)]

# What a piece of evidence shows, for the ones that are not plain matches.
EVIDENCE_KINDS = {
    "violation": "forbidden phrase",
    "negated": "negated, not counted",
    "outside_window": "outside the time window, not counted",
    "objection": "customer objection",
    "handling": "handled",
    "unhandled": "not handled",
    "metric": "measured",
}


async def raw_form(request: Request) -> dict[str, str]:
    """The posted fields as they were typed, to show them again next to their errors."""
    data = await request.form(max_fields=MAX_FIELDS)
    return {k: v for k, v in data.multi_items() if isinstance(v, str)}


RawForm = Annotated[dict[str, str], Depends(raw_form)]


def workspace_context(
    request: Request,
    space: Workspace,
    *,
    mode: str,
    heading: str,
    form_action: str,
    draft_url: str | None,
    comments_url: str | None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    refused: str | None = None,
) -> dict[str, Any]:
    transcript = space.transcript
    return {
        "space": space,
        "mode": mode,
        "heading": heading,
        "form_action": form_action,
        "draft_url": draft_url,
        "comments_url": comments_url,
        "comments": space.evaluation.comments,
        "errors": errors or {},
        "refused": refused,
        "values": values or {},
        "show_auto": mode != "calibration",
        "answer_label": form.label,
        "evidence_kinds": EVIDENCE_KINDS,
        "turns": export.turns(transcript) if transcript else [],
        "sides": scoring_views.side_view(transcript),
        "highlights": scoring_views.highlighted_words(space.score, transcript.segments if transcript else [])
        if mode != "calibration"
        else {},
    }


# My queue and starting a review -------------------------------------------------------------------


def _to_review(request: Request, assignment_id: int | None) -> Response:
    url = request.url_for("evaluations:review", assignment_id=assignment_id)
    return RedirectResponse(url.path, status_code=303)


@pages.get("/queue", name="reviews:mine")
def my_queue_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    submitted: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    released: bool = False,
    saved: bool = False,
) -> Response:
    page = reading.queue_page(session, principal, settings=settings)
    done = [e.assignment.call_id for e in page.entries]
    context = {
        "page": page,
        "evaluations": service.reviews_by_call(session, done),
        "submitted": submitted,
        "released": released,
        "saved": saved,
        "languages": queue_routes.LANGUAGE_CHOICES,
    }
    return render(request, "reviews/queue.html", context)


@pages.post("/queue/{assignment_id}/start", name="reviews:start")
def start(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, assignment_id: Id
) -> Response:
    service.start_review(session, principal, assignment_id, settings=settings)
    return _to_review(request, assignment_id)


@pages.post("/calls/{call_id}/review", name="reviews:pick")
def pick(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, call_id: Id
) -> Response:
    evaluation = service.review_call(session, principal, call_id, settings=settings)
    return _to_review(request, evaluation.assignment_id)


@api.post("/queue/assignments/{assignment_id}/claim", response_model=AssignmentRead, name="api:queue_claim")
def claim_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, assignment_id: Id
) -> AssignmentRead:
    """Take a pick (yours, or one waiting for anyone). 409 when someone else holds it."""
    evaluation = service.start_review(session, principal, assignment_id, settings=settings)
    return queue_routes.assignment_body(
        request, session, principal, evaluation.assignment_id or assignment_id, settings, evaluation.id
    )


# Reviewing a pick ---------------------------------------------------------------------------------


def _review_urls(request: Request, space: Workspace, assignment_id: int) -> dict[str, Any]:
    return {
        "form_action": str(request.url_for("evaluations:submit", assignment_id=assignment_id).path),
        "draft_url": str(request.url_for("evaluations:draft", assignment_id=assignment_id).path),
        "comments_url": str(request.url_for("evaluations:comments", evaluation_id=space.evaluation.id).path),
    }


@pages.get("/reviews/{assignment_id}", name="evaluations:review")
def review_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, assignment_id: Id
) -> Response:
    space = service.workspace(session, principal, assignment_id, settings=settings)
    urls = _review_urls(request, space, assignment_id)
    return render(
        request,
        "evaluations/review.html",
        workspace_context(request, space, mode="review", heading="Review", **urls),
    )


@pages.post("/reviews/{assignment_id}", name="evaluations:submit")
def submit(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: Id,
    data: ReviewData,
) -> Response:
    try:
        evaluation = service.submit_review(session, principal, assignment_id, data=data, settings=settings)
    except FormInvalid as exc:  # the draft keeps what was entered; show it with the errors
        return _review_again(request, session, principal, settings, assignment_id, errors=exc.errors)
    except ChecksChanged as exc:  # the draft keeps what was entered, up to the new checks
        return _review_again(request, session, principal, settings, assignment_id, refused=exc.message)
    target = request.url_for("reviews:mine").include_query_params(submitted=evaluation.id)
    return RedirectResponse(f"{target.path}?{target.query}", status_code=303)


def _review_again(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: int,
    *,
    errors: dict[str, str] | None = None,
    refused: str | None = None,
) -> Response:
    """The review page once more after a refused submit: 422 with the field errors, or 409
    when the page was older than the call's checks."""
    space = service.workspace(session, principal, assignment_id, settings=settings)
    context = workspace_context(
        request,
        space,
        mode="review",
        heading="Review",
        errors=errors,
        refused=refused,
        **_review_urls(request, space, assignment_id),
    )
    return render(request, "evaluations/review.html", context, status_code=409 if refused else 422)


@pages.post("/reviews/{assignment_id}/draft", name="evaluations:draft")
def save_draft(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: Id,
    data: ReviewData,
) -> Response:
    """Autosave: keeps the answers and returns the score they give so far."""
    space = service.save_draft(session, principal, assignment_id, data=data, settings=settings)
    context = {
        "space": space,
        "show_auto": True,
        "reload_url": str(request.url_for("evaluations:review", assignment_id=assignment_id).path),
    }
    return render(request, "evaluations/_score.html", context)


# Evaluations --------------------------------------------------------------------------------------


@pages.get("/evaluations/{evaluation_id}", name="evaluations:detail")
def evaluation_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: Id
) -> Response:
    page = service.evaluation_page(session, principal, evaluation_id, settings=settings)
    space = page.space
    transcript = space.transcript
    context = {
        "page": page,
        "space": space,
        "comments": space.evaluation.comments,
        "comments_url": None,
        "answer_label": form.label,
        "turns": export.turns(transcript) if transcript else [],
        "highlights": {},
    }
    return render(request, "evaluations/detail.html", context)


def _edit_urls(request: Request, evaluation_id: int) -> dict[str, Any]:
    return {
        "form_action": str(request.url_for("evaluations:edit", evaluation_id=evaluation_id).path),
        "draft_url": None,
        "comments_url": str(request.url_for("evaluations:comments", evaluation_id=evaluation_id).path),
    }


@pages.get("/evaluations/{evaluation_id}/edit", name="evaluations:edit_form")
def edit_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, evaluation_id: Id
) -> Response:
    page = service.evaluation_page(session, principal, evaluation_id, settings=settings, for_edit=True)
    context = workspace_context(
        request,
        page.space,
        mode="edit",
        heading="Edit the evaluation",
        **_edit_urls(request, evaluation_id),
    )
    return render(request, "evaluations/review.html", context)


@pages.post("/evaluations/{evaluation_id}/edit", name="evaluations:edit")
def edit(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    evaluation_id: Id,
    data: ReviewData,
    raw: RawForm,
) -> Response:
    try:
        service.edit_evaluation(
            session, principal, evaluation_id, data=data, reason=raw.get("edit_reason", ""), settings=settings
        )
    except FormInvalid as exc:
        page = service.evaluation_page(session, principal, evaluation_id, settings=settings, for_edit=True)
        context = workspace_context(
            request,
            page.space,
            mode="edit",
            heading="Edit the evaluation",
            errors=exc.errors,
            values=raw,
            **_edit_urls(request, evaluation_id),
        )
        return render(request, "evaluations/review.html", context, status_code=422)
    return RedirectResponse(
        request.url_for("evaluations:detail", evaluation_id=evaluation_id).path, status_code=303
    )


def _at(value: str) -> float | None:
    if not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError as exc:
        raise InvalidInput("The moment must be a number of seconds", field="at_s") from exc
    if not math.isfinite(seconds):
        raise InvalidInput("The moment must be a number of seconds", field="at_s")
    return seconds


@pages.post("/evaluations/{evaluation_id}/comments", name="evaluations:comments")
def add_comment(
    request: Request,
    session: DB,
    principal: CurrentUser,
    evaluation_id: Id,
    text: Annotated[str, Form()] = "",
    at_s: Annotated[str, Form()] = "",
) -> Response:
    listed = comments.add_comment(session, principal, evaluation_id, text=text, at_s=_at(at_s))
    url = str(request.url_for("evaluations:comments", evaluation_id=evaluation_id).path)
    return render(request, "evaluations/_comments.html", {"comments": listed, "comments_url": url})


@pages.post("/evaluations/{evaluation_id}/comments/{comment_id}/delete", name="evaluations:comment_delete")
def delete_comment(
    request: Request, session: DB, principal: CurrentUser, evaluation_id: Id, comment_id: Id
) -> Response:
    listed = comments.delete_comment(session, principal, evaluation_id, comment_id)
    url = str(request.url_for("evaluations:comments", evaluation_id=evaluation_id).path)
    return render(request, "evaluations/_comments.html", {"comments": listed, "comments_url": url})


# Agreement with the automatic checks --------------------------------------------------------------


@pages.get("/scorecards/{scorecard_id}/agreement", name="evaluations:agreement")
def agreement_page(
    request: Request, session: DB, principal: CurrentUser, scorecard_id: ScorecardId
) -> Response:
    report = agreement.item_agreement(session, principal, scorecard_id)
    return render(request, "evaluations/agreement.html", {"report": report})


@pages.get("/scorecards/{scorecard_id}/agreement/{item_id}", name="evaluations:agreement_item")
def agreement_item_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    item_id: Annotated[str, Path(pattern=r"^[a-z0-9_]+$", max_length=60)],
    added: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> Response:
    report, item = agreement.one_item(session, principal, scorecard_id, item_id)
    context = {"report": report, "item": item, "added": added}
    return render(request, "evaluations/agreement_item.html", context)


@api.get("/evaluations/{evaluation_id}", response_model=EvaluationRead, name="api:evaluation")
def evaluation_api(session: DB, principal: CurrentUser, evaluation_id: Id) -> EvaluationRead:
    """An evaluation: answers next to the automatic results, score, comments, edit history."""
    page = service.evaluation_detail(session, principal, evaluation_id)
    return evaluation_read(page)
