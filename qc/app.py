"""The web application: factory, lifespan, middleware and the one place errors become HTTP."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from qc.config import Settings, get_settings
from qc.db import database_busy, ping
from qc.errors import NotAuthenticated, QCError
from qc.kit import leftovers, openapi
from qc.kit.csrf import SessionCSRFMiddleware
from qc.kit.headers import SecurityHeaders
from qc.kit.logging import configure_logging
from qc.kit.storage import get_storage
from qc.kit.web import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, is_htmx_fragment, render, templates

log = logging.getLogger(__name__)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/healthz"


class _ErrorJSON(JSONResponse):
    """An error body quotes what the client sent, and JSON lets a lone surrogate in ("\\ud808"),
    which UTF-8 cannot encode: it is sent as "?" rather than failing the response."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        return text.encode("utf-8", "replace")


def _error_response(request: Request, status_code: int, message: str, body: dict[str, Any]) -> Response:
    if _wants_json(request):
        return _ErrorJSON(body, status_code=status_code)
    template = "errors/_message.html" if is_htmx_fragment(request) else "errors/error.html"
    return render(
        request, template, {"status_code": status_code, "message": message}, status_code=status_code
    )


async def _qc_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QCError)
    if isinstance(exc, NotAuthenticated) and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = request.url_for("users:login").include_query_params(next=target)
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": str(login.path) + "?" + login.query})
        return RedirectResponse(f"{login.path}?{login.query}", status_code=303)
    response = _error_response(request, exc.status_code, exc.message, exc.to_dict())
    if exc.retry_after_s is not None:
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _database_error(request: Request, exc: Exception) -> Response:
    """A lock or statement timeout is a busy database (503, try again), anything else a bug."""
    busy = database_busy(exc)
    if busy is None:
        return await _unexpected_error(request, exc)
    log.warning("database busy on %s %s: %s", request.method, request.url.path, getattr(exc, "orig", exc))
    return await _qc_error(request, busy)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
            "message": e["msg"].removeprefix("Value error, "),  # our validators' own words
        }
        for e in exc.errors()
    ]
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return _error_response(
        request, 422, message, {"error": "invalid_input", "detail": message, "problems": problems}
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    settings: Settings = request.app.state.settings
    message = {
        404: "There is no such page",
        405: "That action is not allowed here",
        413: f"The upload is larger than the {settings.max_upload_mb} MB limit (QC_MAX_UPLOAD_MB)",
    }.get(exc.status_code, str(exc.detail))
    return _error_response(request, exc.status_code, message, {"error": "http_error", "detail": message})


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    message = "Something went wrong on our side; the error was logged. Try again in a moment."
    return _error_response(request, 500, message, {"error": "internal", "detail": message})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # A web process killed mid-upload left its files: remove them whether or not a worker
    # runs here (the worker sweeps its own at start).
    leftovers.sweep_leftovers(settings, get_storage())
    jobs = None
    if app.state.run_worker:
        from qc.wiring import EmbeddedJobs

        jobs = EmbeddedJobs(settings).start()
        app.state.pipeline_worker = jobs.pipeline
    # What is alive now (modules, templates, metadata) lives as long as the process: keep the
    # collector from rescanning it on every full collection a request's objects trigger.
    gc.freeze()
    try:
        yield
    finally:
        if jobs is not None:
            jobs.stop()


class _App(FastAPI):
    """The app, with the security headers outermost: outside even Starlette's last-resort
    error handler, which sits outside every middleware added, so a 500 carries them too."""

    security_headers: dict[str, Any]

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), **self.security_headers)


def web_app() -> FastAPI:
    """One of several web processes of `qc serve` (QC_WEB_PROCESSES > 1): pages and the API
    only; the process that started them runs the job worker."""
    _stop_with_parent()
    return create_app(get_settings(), run_worker=False)


def _stop_with_parent(every_s: float = 1.0) -> None:
    """uvicorn's web processes outlive a `qc serve` killed with SIGKILL (or by the OOM
    killer): they would keep the port and serve without a job worker. When the parent is
    gone, this process stops as on Ctrl-C (finishing the requests it has)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        log.warning("qc serve (pid %d) is gone; this web process stops", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent watch", daemon=True).start()


def create_app(settings: Settings | None = None, *, run_worker: bool | None = None) -> FastAPI:
    """Build the app. Migrations are applied by the caller (`qc serve`) before this."""
    from qc.wiring import wire

    settings = settings or get_settings()
    configure_logging(settings)
    wire()
    settings.ensure_dirs()
    app = _App(
        title="qc",
        summary="Call quality control: recordings in, transcripts, automatic checks, daily reviews",
        version="0.1.0",
        lifespan=_lifespan,
        docs_url=None,  # qc.kit.openapi serves /docs from the package
        redoc_url=None,
        # Refuse bodies over the upload limit (plus room for the form fields) as they
        # arrive, with or without a Content-Length.
        max_body_size=settings.max_upload_bytes + 1024 * 1024,
    )
    app.state.settings = settings
    app.state.run_worker = settings.embedded_worker if run_worker is None else run_worker

    app.add_exception_handler(QCError, _qc_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)

    app.add_middleware(
        SessionCSRFMiddleware,
        secret=settings.session_secret(),
        session_cookie=SESSION_COOKIE,
        required_urls=[re.compile(r"^/login$")],
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.cookie_secure,
    )
    from qc.board.web import DisplayHeaders

    app.add_middleware(DisplayHeaders)
    # The client's address (sign-in throttling, logs) from X-Forwarded-For of trusted proxies only.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    app.security_headers = {
        "hsts": settings.cookie_secure,
        "wall_frame_ancestors": settings.wall_frame_ancestor_list,
    }

    from qc.board import routes as board
    from qc.browse import routes as browse
    from qc.calls import routes as calls
    from qc.coaching import routes as coaching
    from qc.coaching import views as coaching_views
    from qc.digest import routes as digest
    from qc.evaluations import backtest_routes, calibration_routes
    from qc.evaluations import routes as evaluations
    from qc.feedback import routes as feedback
    from qc.notifications import routes as notifications
    from qc.performance import routes as performance
    from qc.privacy import routes as privacy
    from qc.reports import routes as reports
    from qc.reports import trends, trends_routes
    from qc.reviews import routes as reviews
    from qc.scoring import editor_pages, editor_routes
    from qc.scoring import routes as scoring
    from qc.training import routes as training
    from qc.users import routes as users

    routers = (
        users.pages,
        users.api,
        calls.pages,  # before browse: /calls/upload is not a call id
        calls.api,
        browse.pages,
        browse.api,
        editor_pages.pages,  # before scoring.pages: /scorecards/new is not a scorecard id
        scoring.pages,
        scoring.api,
        scoring.score_api,
        editor_routes.api,
        backtest_routes.api,
        backtest_routes.pages,
        reviews.pages,
        reviews.api,
        evaluations.pages,
        evaluations.api,
        calibration_routes.pages,
        feedback.pages,
        feedback.api,
        coaching.pages,
        coaching.api,
        training.pages,
        training.api,
        notifications.pages,
        notifications.api,
        performance.pages,
        board.pages,
        reports.pages,
        reports.api,
        trends_routes.pages,
        trends_routes.api,
        digest.pages,
        digest.api,
        privacy.pages,
    )
    for router in routers:
        app.include_router(router)
    openapi.install(app)
    coaching_views.install(templates().env)  # capabilities the navigation and evaluation pages ask
    templates().env.globals["sees_trends"] = trends.sees_trends  # the navigation

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        ping()
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=str(settings.web_dir / "static")), name="static")
    return app
