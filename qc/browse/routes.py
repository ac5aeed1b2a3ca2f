"""The calls list, the call page, transcript downloads, and the calls read API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from qc.browse import service
from qc.browse.schemas import CallDetailRead, CallList, call_detail_read
from qc.calls.models import CallStatus
from qc.calls.routes import call_links
from qc.calls.schemas import call_read
from qc.db import utcnow
from qc.errors import Conflict, InvalidInput
from qc.evaluations import service as evaluations
from qc.kit.pagination import PageRequest
from qc.kit.timeutil import Day
from qc.kit.web import DB, Id, PageNumber, SettingsDep, is_htmx_fragment, render
from qc.privacy import access as privacy
from qc.scoring import access as scoring_access
from qc.scoring import views as scoring_views
from qc.transcription import export
from qc.users import access
from qc.users import service as users
from qc.users.models import Role
from qc.users.web import CurrentUser

TranscriptFormat = Literal["json", "txt", "vtt"]
SIDES_SWAPPED = "swapped"  # the calls list's filter for calls whose sides look swapped

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["calls"])


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("date must look like 2026-11-22", field="date") from exc


def _parse_team(value: str | None) -> int | None:
    """The filter forms send `team=` for "all teams"."""
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 2**31 - 1:
        raise InvalidInput("team must be a team id", field="team")
    return int(value)


def _parse_status(value: str | None) -> CallStatus | None:
    if not value:
        return None
    try:
        return CallStatus(value)
    except ValueError as exc:
        choices = ", ".join(s.value for s in CallStatus)
        raise InvalidInput(f"status must be one of: {choices}", field="status") from exc


def _parse_sides(value: str | None) -> bool:
    """`sides=swapped`: only calls whose sides look swapped; empty: every call."""
    if value and value != SIDES_SWAPPED:
        raise InvalidInput(f"sides must be {SIDES_SWAPPED!r} or empty", field="sides")
    return bool(value)


# Pages -------------------------------------------------------------------------------


@pages.get("/", name="home")
def home(request: Request, principal: CurrentUser) -> Response:
    """Each role lands where its day starts: reps on their feedback, reviewers and QC leads
    on their queue, managers and administrators on the calls."""
    target = {Role.REP: "feedback:mine", Role.REVIEWER: "reviews:mine", Role.QC_LEAD: "reviews:mine"}.get(
        principal.role, "calls:list"
    )
    return RedirectResponse(request.url_for(target).path, status_code=303)


@pages.get("/calls", name="calls:list")
def calls_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: str | None = None,
    team: str | None = None,
    date: str | None = None,
    status: str | None = None,
    sides: str | None = None,
    page: PageNumber = 1,
) -> Response:
    day, state, team_id = _parse_day(date), _parse_status(status), _parse_team(team)
    result = service.list_calls(
        session,
        principal,
        settings=settings,
        rep=rep or None,
        team_id=team_id,
        day=day,
        status=state,
        sides_look_swapped=_parse_sides(sides),
        page=PageRequest(page, 25),
    )
    filters = {
        "rep": rep or "",
        "team": team_id or "",
        "date": date or "",
        "status": status or "",
        "sides": sides or "",
    }
    context: dict[str, Any] = {
        "page": result.page,
        "scores": result.scores,
        "reviews": result.reviews,
        "swapped_sides": result.swapped_sides,
        "rep_names": result.rep_labels,
        "filters": filters,
        "query": {k: v for k, v in filters.items() if v},
        "statuses": list(CallStatus),
        "can_upload": principal.role in access.UPLOADERS,
    }
    if is_htmx_fragment(request):
        return render(request, "calls/_table.html", context)
    context["teams"] = users.list_visible_teams(session, principal)
    context["reps"] = users.list_people(session, principal, role=Role.REP) if context["can_upload"] else []
    return render(request, "calls/list.html", context)


@pages.get("/calls/{call_id}", name="calls:detail")
def call_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, call_id: Id
) -> Response:
    detail = service.get_call_detail(session, principal, call_id, settings=settings)
    call, transcript, score = detail.call, detail.transcript, detail.score
    context: dict[str, Any] = {
        "call": call,
        "rep": detail.rep,
        "transcript": transcript,
        "turns": export.turns(transcript) if transcript else [],
        "can_retry": access.can_act_for_team(principal, call.team_id),
        "score": score,
        "checks": scoring_views.grouped_checks(score) if score else [],
        "critical": scoring_views.critical_failures(score) if score else [],
        "highlights": scoring_views.highlighted_words(score, transcript.segments if transcript else []),
        "can_open_original": privacy.may_open_originals(session, principal, now=utcnow()),
        "sides": scoring_views.side_view(transcript),
        "can_swap_sides": scoring_access.can_swap_sides(principal),
    }
    if is_htmx_fragment(request):
        # The status panel polls while the call is in the pipeline; once it is done,
        # reload the page so the transcript appears.
        response = render(request, "calls/_status.html", context)
        if call.status.is_terminal and request.query_params.get("was") != call.status.value:
            response.headers["HX-Refresh"] = "true"
        return response
    context["review"] = evaluations.review_panel(session, principal, call, settings=settings)
    return render(request, "calls/detail.html", context)


@pages.get("/calls/{call_id}/transcript.{fmt}", name="calls:transcript")
def transcript_download(
    request: Request, session: DB, principal: CurrentUser, call_id: Id, fmt: str
) -> Response:
    return _transcript_response(session, principal, call_id, fmt, attachment=True)


def _transcript_response(
    session: DB, principal: CurrentUser, call_id: int, fmt: str, *, attachment: bool
) -> Response:
    if fmt not in export.FORMATS:
        raise InvalidInput("format must be json, txt or vtt", field="format")
    call, transcript = service.get_call_with_transcript(session, principal, call_id)
    if transcript is None:
        raise Conflict(
            f"Call {call_id} has no transcript yet (status: {call.status.value}); "
            "try again once it is transcribed"
        )
    media_type, extension = export.FORMATS[fmt]
    headers = {}
    if attachment:
        headers["content-disposition"] = f'attachment; filename="call-{call_id}.{extension}"'
    return PlainTextResponse(export.render(transcript, fmt), media_type=media_type, headers=headers)


# API ---------------------------------------------------------------------------------------


@api.get("/calls", response_model=CallList, name="api:calls")
def list_calls_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: Annotated[str | None, Query(description="Rep email or external id")] = None,
    date: Annotated[Day | None, Query(description="Day the call started (UTC), YYYY-MM-DD")] = None,
    team: Annotated[int | None, Query(description="Team id", ge=1, le=2**31 - 1)] = None,
    status: Annotated[CallStatus | None, Query()] = None,
    sides: Annotated[
        Literal["swapped"] | None, Query(description="swapped: only calls whose sides look swapped")
    ] = None,
    page: PageNumber = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CallList:
    result = service.list_calls(
        session,
        principal,
        settings=settings,
        rep=rep,
        team_id=team,
        day=date,
        status=status,
        sides_look_swapped=sides == SIDES_SWAPPED,
        page=PageRequest(page, size),
    )
    return CallList(
        items=[
            call_read(c, viewer=principal, settings=settings, links=call_links(request, c.id))
            for c in result.page.items
        ],
        total=result.page.total,
        page=result.page.request.page,
        pages=result.page.pages,
    )


@api.get("/calls/{call_id}", response_model=CallDetailRead, name="api:call")
def get_call_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, call_id: Id
) -> CallDetailRead:
    """The call with its status and, once processed, its transcript and automatic checks."""
    detail = service.get_call_detail(session, principal, call_id, settings=settings)
    return call_detail_read(
        detail.call,
        detail.transcript,
        viewer=principal,
        settings=settings,
        links=call_links(request, call_id),
        checks=scoring_views.checks_read(detail.score),
    )


@api.get(
    "/calls/{call_id}/transcript",
    name="api:transcript",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The transcript in the format asked for",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/TranscriptRead"}},
                "text/plain": {"schema": {"type": "string"}},
                "text/vtt": {"schema": {"type": "string"}},
            },
        }
    },
)
def transcript_api(
    session: DB, principal: CurrentUser, call_id: Id, format: Annotated[TranscriptFormat, Query()] = "json"
) -> Response:
    """The transcript as JSON, plain text (`txt`) or WebVTT (`vtt`)."""
    return _transcript_response(session, principal, call_id, format, attachment=False)
