"""Serve a stored object with HTTP Range support, so audio players can seek."""

from __future__ import annotations

import mimetypes
import re

from fastapi import Request
from starlette.responses import Response, StreamingResponse

from qc.errors import NotFound
from qc.kit.filenames import content_disposition
from qc.kit.storage import Storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def media_type_for(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key)
    overrides = {".opus": "audio/ogg", ".m4a": "audio/mp4", ".flac": "audio/flac", ".wav": "audio/wav"}
    for suffix, media in overrides.items():
        if key.endswith(suffix):
            return media
    return guessed or "application/octet-stream"


def ranged_response(request: Request, storage: Storage, key: str, *, filename: str | None = None) -> Response:
    try:
        size = storage.size(key)
    except FileNotFoundError as exc:
        raise NotFound("The recording is missing from storage; ask an administrator to restore it") from exc
    headers = {"accept-ranges": "bytes", "cache-control": "private, max-age=3600"}
    if filename:
        headers["content-disposition"] = content_disposition(filename, inline=True)
    media_type = media_type_for(key)
    match = _RANGE.match(request.headers.get("range", "").strip())
    if not match or size == 0:
        headers["content-length"] = str(size)
        return StreamingResponse(storage.iter_range(key, 0, size - 1), media_type=media_type, headers=headers)
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # suffix range: the last N bytes
        start, end = max(0, size - int(last or 0)), size - 1
    if start > end or start >= size:
        return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
    headers["content-range"] = f"bytes {start}-{end}/{size}"
    headers["content-length"] = str(end - start + 1)
    return StreamingResponse(
        storage.iter_range(key, start, end), status_code=206, media_type=media_type, headers=headers
    )
