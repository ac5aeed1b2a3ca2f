"""The review workspace, evaluations, agreement with the checks, calibration; and the API."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.errors import InvalidInput
from qc.evaluations import agreement, calibration, comments, form, service
from qc.evaluations.models import EvaluationStatus
from qc.evaluations.schemas import EvaluationRead, evaluation_read
from qc.evaluations.service import FormInvalid, ReviewForm, Workspace
from qc.kit.forms import parse_ids
from qc.kit.web import DB, CurrentUser, Id, SettingsDep, render
from qc.scoring import views as scoring_views
from qc.transcription import export

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["evaluations"])

ScorecardId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
MAX_FIELDS = 400


async def review_form(request: Request) -> ReviewForm:
    """The review page's fields: `answer-<item>`, `reason-<item>`, the overall comment and the
    seconds spent on the page since the last save."""
    data = await request.form(max_fields=MAX_FIELDS)
    answers: dict[str, form.AnswerInput] = {}
    for key, value in data.multi_items():
        if key.startswith("answer-") and isinstance(value, str):
            item_id = key.removeprefix("answer-")[:60]
            reason = data.get(f"reason-{item_id}")
            answers[item_id] = form.AnswerInput(value, reason if isinstance(reason, str) else "")
    comment = data.get("overall_comment")
    return ReviewForm(
        answers, comment if isinstance(comment, str) else "", _seconds(data.get("active_seconds"))
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


def _workspace_context(
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
        "values": values or {},
        "show_auto": mode != "calibration",
        "answer_label": form.label,
        "evidence_kinds": EVIDENCE_KINDS,
        "turns": export.turns(transcript) if transcript else [],
        "highlights": scoring_views.highlighted_words(space.score, transcript.segments if transcript else [])
        if mode != "calibration"
        else {},
    }


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
        _workspace_context(request, space, mode="review", heading="Review", **urls),
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
        space = service.workspace(session, principal, assignment_id, settings=settings)
        context = _workspace_context(
            request,
            space,
            mode="review",
            heading="Review",
            errors=exc.errors,
            **_review_urls(request, space, assignment_id),
        )
        return render(request, "evaluations/review.html", context, status_code=422)
    target = request.url_for("reviews:mine").include_query_params(submitted=evaluation.id)
    return RedirectResponse(f"{target.path}?{target.query}", status_code=303)


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
    return render(request, "evaluations/_score.html", {"space": space, "show_auto": True})


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
    context = _workspace_context(
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
        context = _workspace_context(
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
) -> Response:
    report, item = agreement.one_item(session, principal, scorecard_id, item_id)
    return render(request, "evaluations/agreement_item.html", {"report": report, "item": item})


# Calibration --------------------------------------------------------------------------------------


@pages.get("/calibration", name="evaluations:calibrations")
def calibrations_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    sessions = calibration.list_sessions(session, principal)
    return render(request, "evaluations/calibrations.html", {"sessions": sessions})


@pages.get("/calibration/new", name="evaluations:calibration_new")
def new_calibration_page(
    request: Request, session: DB, principal: CurrentUser, call: int | None = None
) -> Response:
    context = {
        "reviewers": calibration.reviewers(session, principal),
        "form": {"calls": str(call) if call else "", "reviewers": []},
        "errors": {},
    }
    return render(request, "evaluations/calibration_new.html", context)


@pages.post("/calibration", name="evaluations:calibration_create")
def create_calibration(
    request: Request,
    session: DB,
    principal: CurrentUser,
    title: Annotated[str, Form()] = "",
    calls: Annotated[str, Form()] = "",
    reviewers: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = [r for r in reviewers or [] if r.isascii() and r.isdigit() and 0 < int(r) < 2**31]
    try:  # everything is checked before anything is stored
        created = calibration.create_session(
            session,
            principal,
            title=title,
            call_ids=parse_ids(calls, field="calls"),
            reviewer_ids=[int(r) for r in chosen],
        )
    except InvalidInput as exc:
        context = {
            "reviewers": calibration.reviewers(session, principal),
            "form": {"title": title, "calls": calls, "reviewers": [int(r) for r in chosen]},
            "errors": {exc.field or "title": exc.message},
        }
        return render(request, "evaluations/calibration_new.html", context, status_code=exc.status_code)
    return RedirectResponse(
        request.url_for("evaluations:calibration", session_id=created.id).path, status_code=303
    )


@pages.get("/calibration/{session_id}", name="evaluations:calibration")
def calibration_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    session_id: Id,
    scored: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    view = calibration.session_view(session, principal, session_id)
    context = {"view": view, "answer_label": form.label, "scored": scored}
    return render(request, "evaluations/calibration.html", context)


@pages.post("/calibration/{session_id}/close", name="evaluations:calibration_close")
def close_calibration(request: Request, session: DB, principal: CurrentUser, session_id: Id) -> Response:
    calibration.close_session(session, principal, session_id)
    return RedirectResponse(
        request.url_for("evaluations:calibration", session_id=session_id).path, status_code=303
    )


@pages.post("/calibration/{session_id}/calls", name="evaluations:calibration_add_call")
def add_calibration_call(
    request: Request, session: DB, principal: CurrentUser, session_id: Id, call: Annotated[str, Form()] = ""
) -> Response:
    calibration.add_calls(session, principal, session_id, parse_ids(call, field="calls"))
    return RedirectResponse(
        request.url_for("evaluations:calibration", session_id=session_id).path, status_code=303
    )


def _calibration_urls(request: Request, session_id: int, call_id: int, space: Workspace) -> dict[str, Any]:
    return {
        "form_action": str(
            request.url_for("evaluations:calibration_score", session_id=session_id, call_id=call_id).path
        ),
        "draft_url": str(
            request.url_for("evaluations:calibration_draft", session_id=session_id, call_id=call_id).path
        ),
        "comments_url": str(request.url_for("evaluations:comments", evaluation_id=space.evaluation.id).path),
    }


@pages.get("/calibration/{session_id}/calls/{call_id}", name="evaluations:calibration_score_form")
def calibration_score_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id, call_id: Id
) -> Response:
    space = calibration.scoring_workspace(session, principal, session_id, call_id, settings=settings)
    if space.evaluation.status is EvaluationStatus.SUBMITTED:  # final: show it, read-only
        target = request.url_for("evaluations:detail", evaluation_id=space.evaluation.id)
        return RedirectResponse(target.path, status_code=303)
    context = _workspace_context(
        request,
        space,
        mode="calibration",
        heading="Calibration scoring",
        **_calibration_urls(request, session_id, call_id, space),
    )
    return render(request, "evaluations/review.html", context)


@pages.post("/calibration/{session_id}/calls/{call_id}", name="evaluations:calibration_score")
def calibration_score(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    call_id: Id,
    data: ReviewData,
) -> Response:
    try:
        calibration.save_scoring(
            session, principal, session_id, call_id, data=data, settings=settings, submit=True
        )
    except FormInvalid as exc:
        space = calibration.scoring_workspace(session, principal, session_id, call_id, settings=settings)
        context = _workspace_context(
            request,
            space,
            mode="calibration",
            heading="Calibration scoring",
            errors=exc.errors,
            **_calibration_urls(request, session_id, call_id, space),
        )
        return render(request, "evaluations/review.html", context, status_code=422)
    target = request.url_for("evaluations:calibration", session_id=session_id).include_query_params(
        scored=call_id
    )
    return RedirectResponse(f"{target.path}?{target.query}", status_code=303)


@pages.post("/calibration/{session_id}/calls/{call_id}/draft", name="evaluations:calibration_draft")
def calibration_draft(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    session_id: Id,
    call_id: Id,
    data: ReviewData,
) -> Response:
    space = calibration.save_scoring(
        session, principal, session_id, call_id, data=data, settings=settings, submit=False
    )
    return render(request, "evaluations/_score.html", {"space": space, "show_auto": False})


# API ----------------------------------------------------------------------------------------------


@api.get("/evaluations/{evaluation_id}", response_model=EvaluationRead, name="api:evaluation")
def evaluation_api(session: DB, principal: CurrentUser, evaluation_id: Id) -> EvaluationRead:
    """An evaluation: answers next to the automatic results, score, comments, edit history."""
    page = service.evaluation_detail(session, principal, evaluation_id)
    return evaluation_read(page)
