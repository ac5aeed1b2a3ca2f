"""Calls in: upload (page and API), the recording and its waveform, retrying a failed call.

The calls list and the call page are in `qc.browse`, which sees every domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from qc.calls import service
from qc.calls.models import ChannelLayout, Direction
from qc.calls.schemas import CallMeta, CallRead, call_read
from qc.calls.service import MAX_EXTERNAL_ID
from qc.kit.ranges import ranged_response
from qc.kit.timeutil import Instant
from qc.kit.web import DB, Id, SettingsDep, StorageDep, render
from qc.users import service as users
from qc.users.models import Role
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["calls"])


def call_links(request: Request, call_id: int) -> dict[str, str]:
    return {
        "self": str(request.url_for("api:call", call_id=call_id)),
        "page": str(request.url_for("calls:detail", call_id=call_id)),
        "audio": str(request.url_for("calls:audio", call_id=call_id)),
        "transcript": str(request.url_for("api:transcript", call_id=call_id)),
    }


# Pages -------------------------------------------------------------------------------


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


@pages.post("/calls/{call_id}/retry", name="calls:retry")
def retry_page(request: Request, session: DB, principal: CurrentUser, call_id: Id) -> Response:
    service.retry_call(session, principal, call_id)
    return RedirectResponse(request.url_for("calls:detail", call_id=call_id).path, status_code=303)


@pages.get("/calls/{call_id}/audio", name="calls:audio")
def call_audio(
    request: Request, session: DB, principal: CurrentUser, storage: StorageDep, call_id: Id
) -> Response:
    call = service.get_call(session, principal, call_id)
    return ranged_response(request, storage, call.recording_to_play(), filename=None)


@pages.get("/calls/{call_id}/peaks.json", name="calls:peaks")
def call_peaks(
    session: DB, principal: CurrentUser, storage: StorageDep, settings: SettingsDep, call_id: Id
) -> Response:
    """The waveform the player draws (per channel, so agent and customer get a lane each)."""
    body = service.waveform(session, principal, call_id, storage=storage, settings=settings)
    return Response(body, media_type="application/json", headers={"cache-control": "private, max-age=86400"})


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
    started_at: Annotated[Instant, Form(description="ISO 8601 with offset, e.g. 2026-11-22T09:30:00+02:00")],
    direction: Annotated[str, Form(json_schema_extra={"enum": [d.value for d in Direction]})],
    channels: Annotated[
        str,
        Form(
            description="Which channel the agent is on",
            json_schema_extra={"enum": [c.value for c in ChannelLayout]},
        ),
    ],
    language: Annotated[str | None, Form(description="ISO 639-1; else the team's, else detected")] = None,
    external_id: Annotated[
        str | None,
        Form(description="Your system's id for the call", json_schema_extra={"maxLength": MAX_EXTERNAL_ID}),
    ] = None,
    metadata: Annotated[str | None, Form(description='A JSON object, e.g. {"campaign": "spring"}')] = None,
) -> Response:
    """Upload a call recording. Returns 201 with the new call, or 200 with the existing one."""
    meta = CallMeta(
        rep=rep,
        started_at=started_at,
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
    body = call_read(call, viewer=principal, settings=settings, links=call_links(request, call.id))
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if result.created else 200)


@api.post("/calls/{call_id}/retry", response_model=CallRead, name="api:call_retry")
def retry_call_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, call_id: Id
) -> CallRead:
    """Send a failed call through the pipeline again."""
    call = service.retry_call(session, principal, call_id)
    return call_read(call, viewer=principal, settings=settings, links=call_links(request, call.id))
