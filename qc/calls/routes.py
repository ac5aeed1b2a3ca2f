"""Calls: upload, list, the call page, audio, transcript downloads; and the REST API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from qc.calls import service
from qc.calls.models import CallStatus, ChannelLayout, Direction
from qc.calls.schemas import CallList, CallMeta, CallRead, call_read
from qc.errors import InvalidInput
from qc.evaluations import service as evaluations
from qc.kit.pagination import PageRequest
from qc.kit.ranges import ranged_response
from qc.kit.timeutil import parse_datetime
from qc.kit.web import DB, CurrentUser, Id, PageNumber, SettingsDep, StorageDep, is_htmx_fragment, render
from qc.reviews import reading as reviews
from qc.scoring import views as scoring_views
from qc.transcription import export
from qc.users import access
from qc.users import service as users
from qc.users.models import Role

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["calls"])


def _links(request: Request, call_id: Id) -> dict[str, str]:
    return {
        "self": str(request.url_for("api:call", call_id=call_id)),
        "page": str(request.url_for("calls:detail", call_id=call_id)),
        "audio": str(request.url_for("calls:audio", call_id=call_id)),
        "transcript": str(request.url_for("api:transcript", call_id=call_id)),
    }


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


# Pages -------------------------------------------------------------------------------


@pages.get("/", name="home")
def home(request: Request, principal: CurrentUser) -> Response:
    return RedirectResponse(request.url_for("calls:list").path, status_code=303)


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
    page: PageNumber = 1,
) -> Response:
    day, state, team_id = _parse_day(date), _parse_status(status), _parse_team(team)
    result = service.list_calls(
        session,
        principal,
        rep=rep or None,
        team_id=team_id,
        day=day,
        status=state,
        page=PageRequest(page, 25),
    )
    filters = {"rep": rep or "", "team": team_id or "", "date": date or "", "status": status or ""}
    scores = service.scores_of(session, result.items)
    context: dict[str, Any] = {
        "page": result,
        "scores": scores,
        "rep_names": reviews.rep_labels(session, principal, result.items, settings=settings),
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


@pages.get("/calls/upload", name="calls:upload")
def upload_page(request: Request, session: DB, principal: CurrentUser, settings: SettingsDep) -> Response:
    reps = users.list_people(session, principal, role=Role.REP)
    context = {
        "reps": [r for r in reps if r.is_active],
        "layouts": list(ChannelLayout),
        "directions": list(Direction),
        "max_upload_mb": settings.max_upload_mb,
    }
    return render(request, "calls/upload.html", context)


@pages.get("/calls/{call_id}", name="calls:detail")
def call_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, call_id: Id
) -> Response:
    detail = service.get_call_detail(session, principal, call_id)
    call, transcript, score = detail.call, detail.transcript, detail.score
    context: dict[str, Any] = {
        "call": call,
        "rep_name": reviews.rep_labels(session, principal, [call], settings=settings)[call.id],
        "transcript": transcript,
        "turns": export.turns(transcript) if transcript else [],
        "can_retry": access.can_act_for_team(principal, call.team_id),
        "score": score,
        "checks": scoring_views.grouped_checks(score) if score else [],
        "critical": scoring_views.critical_failures(score) if score else [],
        "highlights": scoring_views.highlighted_words(score, transcript.segments if transcript else []),
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


@pages.post("/calls/{call_id}/retry", name="calls:retry")
def retry_page(request: Request, session: DB, principal: CurrentUser, call_id: Id) -> Response:
    service.retry_call(session, principal, call_id)
    return RedirectResponse(request.url_for("calls:detail", call_id=call_id).path, status_code=303)


@pages.get("/calls/{call_id}/audio", name="calls:audio")
def call_audio(
    request: Request, session: DB, principal: CurrentUser, storage: StorageDep, call_id: Id
) -> Response:
    call = service.get_call(session, principal, call_id)
    return ranged_response(request, storage, call.storage_key, filename=None)


@pages.get("/calls/{call_id}/peaks.json", name="calls:peaks")
def call_peaks(
    session: DB, principal: CurrentUser, storage: StorageDep, settings: SettingsDep, call_id: Id
) -> Response:
    """The waveform the player draws (per channel, so agent and customer get a lane each)."""
    body = service.waveform(session, principal, call_id, storage=storage, settings=settings)
    return Response(body, media_type="application/json", headers={"cache-control": "private, max-age=86400"})


@pages.get("/calls/{call_id}/transcript.{fmt}", name="calls:transcript")
def transcript_download(
    request: Request, session: DB, principal: CurrentUser, call_id: Id, fmt: str
) -> Response:
    return _transcript_response(session, principal, call_id, fmt, attachment=True)


def _transcript_response(
    session: DB, principal: CurrentUser, call_id: Id, fmt: str, *, attachment: bool
) -> Response:
    if fmt not in export.FORMATS:
        raise InvalidInput("format must be json, txt or vtt", field="format")
    call, transcript = service.get_call_with_transcript(session, principal, call_id)
    if transcript is None:
        raise InvalidInput(f"Call {call_id} has no transcript yet (status: {call.status.value})")
    media_type, extension = export.FORMATS[fmt]
    headers = {}
    if attachment:
        headers["content-disposition"] = f'attachment; filename="call-{call_id}.{extension}"'
    return PlainTextResponse(export.render(transcript, fmt), media_type=media_type, headers=headers)


# API ---------------------------------------------------------------------------------------


@api.post(
    "/calls",
    response_model=CallRead,
    status_code=201,
    name="api:calls_create",
    responses={200: {"description": "The same recording was already uploaded: the existing call"}},
)
def create_call(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    storage: StorageDep,
    file: Annotated[UploadFile, File(description="The recording: wav, mp3, ogg/opus, flac, m4a...")],
    rep: Annotated[str, Form(description="The rep's email or external id")],
    started_at: Annotated[str, Form(description="ISO 8601 with offset, e.g. 2026-11-22T09:30:00+02:00")],
    direction: Annotated[str, Form(description="inbound or outbound")],
    channels: Annotated[str, Form(description="agent-left, agent-right or mono")],
    language: Annotated[str | None, Form(description="ISO 639-1; else the team's, else detected")] = None,
    external_id: Annotated[str | None, Form(description="Your system's id for the call")] = None,
    metadata: Annotated[str | None, Form(description='A JSON object, e.g. {"campaign": "spring"}')] = None,
) -> Response:
    """Upload a call recording. Returns 201 with the new call, or 200 with the existing one."""
    meta = CallMeta(
        rep=rep,
        started_at=parse_datetime(started_at, field="started_at"),
        direction=service.parse_direction(direction),
        channels=service.parse_layout(channels),
        language=language,
        external_id=external_id,
        metadata=service.parse_metadata(metadata),
    )
    result = service.ingest_recording(
        session,
        principal=principal,
        source=file.file,
        filename=file.filename or "",
        meta=meta,
        settings=settings,
        storage=storage,
    )
    call = service.get_call(session, principal, result.call.id)
    body = call_read(call, links=_links(request, call.id))  # uploaders always see the rep
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if result.created else 200)


@api.get("/calls", response_model=CallList, name="api:calls")
def list_calls_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    rep: Annotated[str | None, Query(description="Rep email or external id")] = None,
    date: Annotated[str | None, Query(description="Day the call started (UTC), YYYY-MM-DD")] = None,
    team: Annotated[int | None, Query(description="Team id", ge=1, le=2**31 - 1)] = None,
    status: Annotated[str | None, Query()] = None,
    page: PageNumber = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CallList:
    result = service.list_calls(
        session,
        principal,
        rep=rep,
        team_id=team,
        day=_parse_day(date),
        status=_parse_status(status),
        page=PageRequest(page, size),
    )
    names = reviews.rep_labels(session, principal, result.items, settings=settings)
    return CallList(
        items=[call_read(c, links=_links(request, c.id), rep_label=names[c.id]) for c in result.items],
        total=result.total,
        page=result.request.page,
        pages=result.pages,
    )


@api.get("/calls/{call_id}", response_model=CallRead, name="api:call")
def get_call_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, call_id: Id
) -> CallRead:
    """The call with its status and, once processed, its transcript and automatic checks."""
    detail = service.get_call_detail(session, principal, call_id)
    checks = scoring_views.checks_read(detail.score)
    label = reviews.rep_labels(session, principal, [detail.call], settings=settings)[call_id]
    return call_read(
        detail.call, detail.transcript, links=_links(request, call_id), checks=checks, rep_label=label
    )


@api.post("/calls/{call_id}/retry", response_model=CallRead, name="api:call_retry")
def retry_call_api(request: Request, session: DB, principal: CurrentUser, call_id: Id) -> CallRead:
    """Send a failed call through the pipeline again."""
    call = service.retry_call(session, principal, call_id)
    return call_read(call, links=_links(request, call.id))


@api.get("/calls/{call_id}/transcript", name="api:transcript")
def transcript_api(
    session: DB, principal: CurrentUser, call_id: Id, format: Annotated[str, Query()] = "json"
) -> Response:
    """The transcript as JSON, plain text (`txt`) or WebVTT (`vtt`)."""
    return _transcript_response(session, principal, call_id, format, attachment=False)
