"""Request plumbing shared by every domain's routes: the DB session, settings, storage,
path parameters and rendering templates. Who is asking is `qc.users.web`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.datastructures import URL, URLPath
from starlette.responses import Response

from qc.config import Settings, get_settings
from qc.db import Work, session_scope
from qc.kit.charts import polylines
from qc.kit.storage import Storage, get_storage
from qc.kit.timeutil import format_clock

SESSION_COOKIE = "qc_session"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on error. A safe request
    (GET) reads without SQLite's write lock, so it never waits for a writer."""
    work = Work.READ if request.method in SAFE_METHODS else Work.WRITE
    with session_scope(work=work) as session:
        yield session


# `scope="function"` commits before the response is sent, so a failed commit is an
# error the client sees rather than a success that never happened.
DB = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StorageDep = Annotated[Storage, Depends(get_storage)]


_MAX_ID = 2**31 - 1  # the largest id every backend stores; bigger ones are refused, not 500s
Id = Annotated[int, Path(ge=1, le=_MAX_ID)]
RowId = Annotated[int, Field(ge=1, le=_MAX_ID)]  # an id inside a request body
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


# Templates -------------------------------------------------------------------------


def _datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value else ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _in_zone(value: datetime | None, zone: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in a team's time zone."""
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(zone)).strftime(fmt) if value else ""


def _due(value: datetime | None, zone: str = "UTC") -> str:
    """A deadline in a team's time zone; midnight reads as the end of the day before."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    if (local.hour, local.minute) == (0, 0):
        return "end of " + (local - timedelta(minutes=1)).strftime("%a %d %b")
    return local.strftime("%a %d %b %H:%M")


_PATHS_ATTR = "_qc_route_paths"


def _route_path(router: Any, name: str, params: tuple[tuple[str, Any], ...]) -> URLPath:
    """The path of a named route, remembered on the router (which is not hashable)."""
    paths: dict[tuple[str, tuple[tuple[str, Any], ...]], URLPath] = router.__dict__.setdefault(
        _PATHS_ATTR, {}
    )
    key = (name, params)
    if key not in paths:
        if len(paths) > 50_000:  # ids in links are unbounded: start again rather than grow
            paths.clear()
        paths[key] = router.url_path_for(name, **dict(params))
    return paths[key]


@pass_context
def _url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """`request.url_for` with the route lookup cached: Starlette walks every route on each
    call, which cost a list page more than its queries."""
    request: Request = context["request"]
    try:
        path = _route_path(request.scope["router"], name, tuple(sorted(path_params.items())))
    except TypeError:  # an unhashable parameter: look it up the slow way
        return request.url_for(name, **path_params)
    return path.make_absolute_url(base_url=request.base_url)


def build_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(settings.web_dir / "templates"))
    env = templates.env
    # Checking every template file's time on each render costs a page a dozen stat() calls,
    # each a hand-over of the GIL under load; templates change only with a new release.
    env.auto_reload = settings.env == "development"
    env.filters["clock"] = format_clock
    env.filters["dt"] = _datetime
    env.filters["iso"] = _iso
    env.filters["tz"] = _in_zone
    env.filters["due"] = _due
    env.filters["num"] = lambda value: f"{value:g}"
    env.globals["app_name"] = "qc"
    env.globals["url_for"] = _url_for
    env.globals["polylines"] = polylines
    return templates


_templates: Jinja2Templates | None = None


def templates() -> Jinja2Templates:
    global _templates
    if _templates is None:
        _templates = build_templates(get_settings())
    return _templates


def is_htmx_fragment(request: Request) -> bool:
    """An htmx request for part of a page (boosted navigation wants the whole page)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> Response:
    ctx = {"principal": getattr(request.state, "principal", None), **(context or {})}
    return templates().TemplateResponse(request, name, ctx, status_code=status_code)
