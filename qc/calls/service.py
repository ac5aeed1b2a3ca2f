"""Calls: accept recordings, list and show them, retry failures."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Any, BinaryIO

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qc.calls import audio, pipeline
from qc.calls import repository as repo
from qc.calls.models import Call, CallStatus, ChannelLayout, Direction
from qc.calls.schemas import CallMeta
from qc.config import Settings
from qc.db import after_rollback, utcnow
from qc.errors import Conflict, Forbidden, InvalidInput, NotFound
from qc.kit import scratch
from qc.kit.filenames import safe_filename
from qc.kit.languages import clean_language
from qc.kit.pagination import Page, PageRequest
from qc.kit.storage import Storage
from qc.kit.uploads import SpooledFile, spool
from qc.users import access, identity
from qc.users import service as users
from qc.users.models import Role
from qc.users.schemas import Principal

MAX_METADATA_BYTES = 16 * 1024
MAX_EXTERNAL_ID = 200
_KNOWN_EXTENSIONS = {
    ".wav",
    ".mp3",
    ".ogg",
    ".opus",
    ".oga",
    ".flac",
    ".m4a",
    ".mp4",
    ".aac",
    ".webm",
    ".wma",
    ".amr",
}


@dataclass(frozen=True)
class IngestResult:
    call: Call
    created: bool


def ingest_recording(
    session: Session,
    *,
    principal: Principal,
    source: BinaryIO,
    filename: str,
    meta: CallMeta,
    settings: Settings,
    storage: Storage,
) -> IngestResult:
    """Validate and store a recording as a new call, or return the call it duplicates.

    The file is spooled, hashed, decoded and copied to storage before the first query,
    so the database transaction (a write lock on SQLite) stays short however long the
    recording is. Whatever goes wrong afterwards removes the stored copy again.
    """
    if principal.role not in access.UPLOADERS:
        raise Forbidden("Only administrators, QC leads and managers can upload calls")
    fields = _clean_fields(meta)
    suffix = _extension(filename)
    limit = settings.max_upload_bytes
    with spool(source, tmp_dir=settings.tmp_dir, max_bytes=limit, suffix=suffix) as upload:
        info = audio.probe_audio(
            upload.path,
            max_duration_s=settings.max_call_duration_s,
            timeout_s=settings.audio_check_timeout_s,
        )
        key = f"calls/{utcnow():%Y/%m}/{uuid.uuid4().hex}{suffix or '.' + info.container_format}"
        storage.put_file(key, upload.path)
    try:
        result = _record_call(
            session,
            principal=principal,
            meta=meta,
            fields=fields,
            upload=upload,
            info=info,
            key=key,
            filename=filename,
            settings=settings,
        )
    except BaseException:
        storage.delete(key)
        raise
    if result.created:
        after_rollback(session, lambda: storage.delete(key))
    else:
        storage.delete(key)
    return result


@dataclass(frozen=True)
class _Fields:
    language: str | None
    external_id: str | None


def _clean_fields(meta: CallMeta) -> _Fields:
    external_id = (meta.external_id or "").strip() or None
    if external_id and len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidInput(f"external_id is longer than {MAX_EXTERNAL_ID} characters", field="external_id")
    _check_metadata(meta.metadata)
    if meta.started_at.tzinfo is None:
        raise InvalidInput(
            "started_at needs a UTC offset, e.g. 2026-11-22T09:30:00+02:00", field="started_at"
        )
    return _Fields(language=clean_language(meta.language), external_id=external_id)


def _record_call(
    session: Session,
    *,
    principal: Principal,
    meta: CallMeta,
    fields: _Fields,
    upload: SpooledFile,
    info: audio.AudioInfo,
    key: str,
    filename: str,
    settings: Settings,
) -> IngestResult:
    rep = users.get_rep(session, principal, meta.rep)
    existing = repo.get_by_sha256(session, upload.sha256)
    if existing is not None:
        return IngestResult(_visible_duplicate(principal, existing), created=False)
    _check_audio(info, meta.channels, settings)
    if fields.external_id and repo.get_by_external_id(session, fields.external_id):
        raise _external_id_taken(fields.external_id)
    call = Call(
        rep_id=rep.id,
        team_id=rep.team_id,
        uploaded_by_id=principal.id,
        started_at=meta.started_at,
        direction=meta.direction,
        channel_layout=meta.channels,
        language=fields.language,
        external_id=fields.external_id,
        call_metadata=meta.metadata,
        sha256=upload.sha256,
        storage_key=key,
        original_filename=safe_filename(filename),
        container_format=info.container_format[:40],
        codec=info.codec[:40],
        size_bytes=upload.size,
        duration_s=round(info.duration_s, 3),
        sample_rate=info.sample_rate,
        channels=info.channels,
        status=CallStatus.RECEIVED,
    )
    try:
        with session.begin_nested():
            session.add(call)
    except IntegrityError:
        # A concurrent upload of the same bytes (or external id) won the race.
        existing = repo.get_by_sha256(session, upload.sha256)
        if existing is None:
            raise _external_id_taken(fields.external_id) from None
        return IngestResult(_visible_duplicate(principal, existing), created=False)
    pipeline.schedule(session, call)
    return IngestResult(call, created=True)


def _external_id_taken(external_id: str | None) -> Conflict:
    return Conflict(f"external_id {external_id!r} is already used by another call", field="external_id")


def _visible_duplicate(principal: Principal, call: Call) -> Call:
    if not access.can_see_call(principal, rep_id=call.rep_id, team_id=call.team_id):
        raise Conflict("This recording was already uploaded by someone else")
    return call


def _extension(filename: str) -> str:
    suffix = PurePath(safe_filename(filename)).suffix.lower()
    return suffix if suffix in _KNOWN_EXTENSIONS else ""


def _check_metadata(metadata: dict[str, Any]) -> None:
    try:
        encoded = json.dumps(metadata, allow_nan=False)
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidInput("metadata must be plain JSON (no NaN or Infinity)", field="metadata") from exc
    if len(encoded) > MAX_METADATA_BYTES:
        raise InvalidInput(f"metadata is larger than {MAX_METADATA_BYTES // 1024} KB", field="metadata")


def _check_audio(info: audio.AudioInfo, layout: ChannelLayout, settings: Settings) -> None:
    if info.peak_dbfs < settings.silence_threshold_dbfs:
        raise InvalidInput(
            f"The recording contains only silence (peak {info.peak_dbfs:.0f} dBFS); check the recorder",
            field="file",
        )
    if layout.is_stereo and info.channels == 1:
        raise InvalidInput(
            f"Channels were declared {layout.value} (stereo) but the file is mono; "
            "upload it with channels=mono",
            field="channels",
        )
    if layout.is_stereo and info.channels > 2:
        raise InvalidInput(
            f"The file has {info.channels} channels; stereo layouts need exactly 2", field="channels"
        )
    # A mono recording saved as stereo (both channels the same) is accepted: transcription
    # finds it out and transcribes it once, as mono (qc.transcription.channels).


# Reading -----------------------------------------------------------------------


def get_call(session: Session, principal: Principal, call_id: int) -> Call:
    """The call, if it exists and `principal` may see it (NotFound otherwise)."""
    call = repo.get(session, call_id)
    if call is None or not access.can_see_call(principal, rep_id=call.rep_id, team_id=call.team_id):
        raise NotFound(f"Call {call_id} does not exist or you cannot see it")
    return call


def calls_by_id(session: Session, principal: Principal, call_ids: list[int]) -> dict[int, Call]:
    """The listed calls `principal` may see, by id (the others are left out)."""
    return {
        call.id: call
        for call in repo.get_many(session, call_ids).values()
        if access.can_see_call(principal, rep_id=call.rep_id, team_id=call.team_id)
    }


def list_calls(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    rep: str | None = None,
    team_id: int | None = None,
    day: date | None = None,
    status: CallStatus | None = None,
    among: Select[Any] | None = None,
    page: PageRequest,
) -> Page[Call]:
    """Calls `principal` may see, newest first, filtered; `rep` is an email or external id, or
    under blind review the alias shown (see `qc.users.identity.match_rep`); `among` is a query of
    call ids another domain filters on (the access rules apply all the same)."""
    match = identity.match_rep(session, principal, rep, settings=settings) if rep else None
    is_rep = principal.role is Role.REP
    f = repo.CallFilter(
        rep_id=match.rep_id if match else None,
        rep_team_ids=match.hidden_teams if match else frozenset(),
        rep_in_teams=match.in_hidden_teams if match else False,
        team_id=team_id,
        day=day,
        status=status,
        # A rep sees all of their own calls, including those from a previous team.
        visible_team_ids=None if is_rep else access.visible_team_ids(principal),
        only_rep_id=principal.id if is_rep else None,
        among=among,
    )
    return repo.list_page(session, f, page)


# Changing --------------------------------------------------------------------------


def retry_call(session: Session, principal: Principal, call_id: int) -> Call:
    """Send a failed call back through the stage that failed."""
    call = get_call(session, principal, call_id)
    if not access.can_act_for_team(principal, call.team_id):
        raise Forbidden("Only administrators, QC leads and the team's managers can retry calls")
    pipeline.retry(session, call)
    return call


def parse_direction(value: str) -> Direction:
    try:
        return Direction(value.strip().lower())
    except ValueError as exc:
        raise InvalidInput("direction must be inbound or outbound", field="direction") from exc


def parse_layout(value: str) -> ChannelLayout:
    try:
        return ChannelLayout(value.strip().lower())
    except ValueError as exc:
        raise InvalidInput("channels must be agent-left, agent-right or mono", field="channels") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def parse_metadata(value: str | None) -> dict[str, Any]:
    if not value or not value.strip():
        return {}
    try:
        data = json.loads(value, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("metadata must be a JSON object", field="metadata") from exc
    if not isinstance(data, dict):
        raise InvalidInput("metadata must be a JSON object", field="metadata")
    return data


def waveform(
    session: Session, principal: Principal, call_id: int, *, storage: Storage, settings: Settings
) -> bytes:
    """The call's waveform peaks as JSON (computed by the pipeline; here only if missing)."""
    return _waveform(get_call(session, principal, call_id), storage=storage, settings=settings)


def prepare_waveform(session: Session, call_id: int, *, storage: Storage, settings: Settings) -> None:
    """Compute the call's waveform peaks ahead of the first review (a pipeline step)."""
    call = repo.get(session, call_id)
    if call is not None:
        _waveform(call, storage=storage, settings=settings)


def _waveform(call: Call, *, storage: Storage, settings: Settings) -> bytes:
    key = f"peaks/{call.sha256}.json"
    if storage.exists(key):
        with storage.local_copy(key) as path:
            return bytes(path.read_bytes())
    with storage.local_copy(call.waveform_source()) as path:
        peaks = audio.waveform_peaks(path, duration_s=call.duration_s)
    body = json.dumps(
        {"duration": call.duration_s, "layout": call.channel_layout.value, "peaks": peaks},
        separators=(",", ":"),
    ).encode()
    draft = scratch.own_dir(settings.tmp_dir) / f"peaks-{uuid.uuid4().hex}.json"
    try:
        draft.write_bytes(body)
        storage.put_file(key, draft)
    finally:
        draft.unlink(missing_ok=True)
    return body
