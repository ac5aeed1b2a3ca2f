"""Calibration pages: sessions, scoring blind, results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.errors import InvalidInput
from qc.evaluations import calibration, form
from qc.evaluations.models import EvaluationStatus
from qc.evaluations.routes import ReviewData, workspace_context
from qc.evaluations.service import FormInvalid, Workspace
from qc.kit.forms import parse_ids
from qc.kit.web import DB, Id, SettingsDep, render
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)


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
    if space is None:  # not started: reading the page stores nothing, its button starts it
        context = {"view": calibration.session_view(session, principal, session_id), "call_id": call_id}
        return render(request, "evaluations/calibration_start.html", context)
    if space.evaluation.status is EvaluationStatus.SUBMITTED:  # final: show it, read-only
        target = request.url_for("evaluations:detail", evaluation_id=space.evaluation.id)
        return RedirectResponse(target.path, status_code=303)
    context = workspace_context(
        request,
        space,
        mode="calibration",
        heading="Calibration scoring",
        **_calibration_urls(request, session_id, call_id, space),
    )
    return render(request, "evaluations/review.html", context)


@pages.post("/calibration/{session_id}/calls/{call_id}/start", name="evaluations:calibration_start")
def calibration_start(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, session_id: Id, call_id: Id
) -> Response:
    calibration.start_scoring(session, principal, session_id, call_id, settings=settings)
    target = request.url_for("evaluations:calibration_score_form", session_id=session_id, call_id=call_id)
    return RedirectResponse(target.path, status_code=303)


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
        space = calibration.start_scoring(session, principal, session_id, call_id, settings=settings)
        context = workspace_context(
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
