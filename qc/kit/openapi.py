"""The OpenAPI document as the server really answers, and /docs served from the package.

Every error under /api has one body (`ErrorRead`, built by `qc.errors.QCError.to_dict` and
the handlers in `qc.app`); it is documented once as a component and attached to each /api
operation with the statuses that operation can give, replacing FastAPI's default 422
(`HTTPValidationError`, a shape this server never sends). `/docs` is Swagger UI from
web/static/vendor/ started by web/static/js/api_docs.js: no CDN, no inline script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from qc.errors import QCError
from qc.kit.web import SESSION_COOKIE, render

SWAGGER_UI = "vendor/swagger-ui-dist-5.35.0"  # under /static; pinned in scripts/vendor_assets.py
_ERROR_REF = "#/components/schemas/ErrorRead"
_UNSAFE = {"post", "put", "patch", "delete"}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}
}


class Problem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Dotted path of the field ('' for the body as a whole)")
    message: str


def _codes(error: type[QCError] = QCError) -> list[str]:
    """The codes of `error` and its subclasses."""
    return [error.code, *(code for sub in error.__subclasses__() for code in _codes(sub))]


# Codes the handlers in qc.app and the CSRF check send besides QCError's.
_HANDLER_CODES = ["http_error", "internal", "csrf_failed"]


class ErrorRead(BaseModel):
    """The body of every error answer under /api."""

    model_config = ConfigDict(extra="allow", title="ErrorRead")

    error: str = Field(
        description="Machine-readable code: " + ", ".join(sorted({*_codes(), *_HANDLER_CODES})),
        examples=["not_found"],
    )
    detail: str = Field(description="What went wrong and what to do next, for a person to read")
    field: str | None = Field(default=None, description="The request field the error is about")
    problems: list[Problem] | None = Field(
        default=None, description="Every invalid field of the request (invalid_input from validation)"
    )
    errors: dict[str, str] | None = Field(
        default=None, description="Field name to message, when a form-like request has several problems"
    )


# Models a route reads from its raw body (several content types), added to the components.
_BODY_MODELS: dict[str, type[BaseModel]] = {}


def body_in(model: type[BaseModel], *, description: str, yaml: bool = False) -> dict[str, Any]:
    """`openapi_extra` for a route that reads `model` from the raw body itself: as JSON,
    and with `yaml` also as a YAML document (text)."""
    _BODY_MODELS[model.__name__] = model
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    }
    if yaml:
        content["application/yaml"] = {
            "schema": {"type": "string", "description": "The same, as a YAML file"}
        }
    return {"requestBody": {"required": True, "description": description, "content": content}}


def _add_body_models(schema: dict[str, Any]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _BODY_MODELS.items():
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(found.pop("$defs", {}))
        schemas[name] = found


# Which operations can answer an error status.
_Rule = Callable[[str, dict[str, Any]], bool]


def _always(method: str, op: dict[str, Any]) -> bool:
    return True


def _has_input(method: str, op: dict[str, Any]) -> bool:
    return bool(op.get("parameters")) or "requestBody" in op


def _names_an_object(method: str, op: dict[str, Any]) -> bool:
    return any(p.get("in") == "path" for p in op.get("parameters", []))


def _has_body(method: str, op: dict[str, Any]) -> bool:
    return "requestBody" in op


def _changes(method: str, op: dict[str, Any]) -> bool:
    return method in _UNSAFE


def _reads_media(method: str, op: dict[str, Any]) -> bool:
    """Operations that read an upload or choose what to do by the body's media type."""
    content = op.get("requestBody", {}).get("content", {})
    return "multipart/form-data" in content or "application/yaml" in content


_ERRORS: dict[str, tuple[str, _Rule]] = {
    "400": ("The body could not be read (malformed JSON or form data)", _has_body),
    "401": ("Not signed in: send `Authorization: Bearer <API token>`", _always),
    "403": ("Signed in, but not allowed to do this (or a browser request without its CSRF token)", _always),
    "404": ("Nothing with that id exists that you may see", _has_input),
    "409": ("The request conflicts with the current state (e.g. already done, or closed)", _changes),
    "410": ("It existed, and was deleted under the retention policy", _names_an_object),
    "413": ("The body is larger than the upload limit (QC_MAX_UPLOAD_MB)", _has_body),
    "415": (
        "The body is not of a type this operation reads "
        "(audio it cannot decode; a scorecard neither JSON nor YAML)",
        _reads_media,
    ),
    "422": (
        "The request is invalid; `problems` or `errors` name each field. Text may not contain U+0000 (NUL)",
        _has_input,
    ),
    "429": ("Too many requests from this client; wait for Retry-After seconds", _always),
    "500": ("An unexpected error; it was logged", _always),
    "503": ("The database is busy; try again after Retry-After seconds", _always),
}


def _error_response(status: str, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
    }
    if status in ("429", "503"):
        response["headers"] = _RETRY_AFTER
    return response


def _document_errors(schema: dict[str, Any]) -> None:
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, op in operations.items():
            op["security"] = [{"bearer": []}, {"session": []}]
            responses = op.setdefault("responses", {})
            for status, (description, applies) in _ERRORS.items():
                if applies(method, op):
                    responses[status] = _error_response(status, description)
            op["responses"] = dict(sorted(responses.items()))
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorRead.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorRead"] = error_schema
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: `qc token create`, or an admin issues one on the person's page",
        },
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
    }


def install(app: FastAPI) -> None:
    """Make `app.openapi()` document the error answers, and serve /docs from the package."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _add_body_models(schema)
            _document_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False, name="swagger_ui_html")
    def swagger_ui(request: Request) -> Response:
        return render(request, "api/docs.html", {"swagger_ui": SWAGGER_UI, "openapi_url": app.openapi_url})
