"""Typed errors raised by services and mapped to HTTP in one place (`qc.app`)."""

from __future__ import annotations

from typing import Any


class QCError(Exception):
    """An expected failure with a message the user can act on."""

    status_code = 400
    code = "error"
    retry_after_s: int | None = None  # sent as Retry-After: when trying again may succeed

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.field = field
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body.update(self.details)
        return body


class NotAuthenticated(QCError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(QCError):
    status_code = 403
    code = "forbidden"


class NotFound(QCError):
    status_code = 404
    code = "not_found"


class Conflict(QCError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class InvalidInput(QCError):
    status_code = 422
    code = "invalid_input"


class UnsupportedMedia(InvalidInput):
    """The upload is not audio we can decode, or is audio we must refuse."""

    status_code = 415
    code = "unsupported_media"


class TooManyRequests(QCError):
    """Refused for now; `retry_after_s` seconds later the same request may succeed."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message, details={"retry_after": retry_after_s})
        self.retry_after_s = retry_after_s


class DatabaseBusy(QCError):
    """Other work held a database lock longer than this work may wait; nothing was changed."""

    status_code = 503
    code = "database_busy"
    retry_after_s = 5


class Gone(QCError):
    """It existed and was deleted on purpose (the retention policy)."""

    status_code = 410
    code = "gone"


class PayloadTooLarge(QCError):
    status_code = 413
    code = "payload_too_large"


class AudioError(QCError):
    """Decoding or validating a recording failed; retrying the same bytes will not help."""

    status_code = 422
    code = "audio_error"
