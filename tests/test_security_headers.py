"""Security headers on every response: each GET route of the app (the permission matrix's rows,
with its arrangement) as a signed-in administrator and as an anonymous visitor, plus error
answers; the wall board's framing rule and HSTS behind HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import Response
from sqlalchemy.orm import Session

from qc.config import Settings
from tests.factories import Browser, Org
from tests.test_permissions import TABLE, Matrix, Persona, Row, arrange, fill

# Routes that choose their own caching: a call's audio and waveform, private to the browser.
OWN_CACHING = {"calls:audio", "calls:peaks"}


def directives(response: Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value for name, _, value in pairs}


def header_problems(response: Response, *, route: str, framed_by: str = "'none'") -> list[str]:
    """What is missing or wrong among one response's security headers."""
    csp = directives(response)
    headers = response.headers
    problems = []
    if csp.get("script-src") != "'self'":
        problems.append(f"script-src is {csp.get('script-src')!r}, not 'self' alone")
    for name, value in {
        "default-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": framed_by,
    }.items():
        if csp.get(name) != value:
            problems.append(f"{name} is {csp.get(name)!r}, not {value}")
    if "unsafe-inline" in csp.get("style-src", "") or "unsafe-eval" in str(csp):
        problems.append(f"styles or scripts allow unsafe sources: {csp}")
    if framed_by == "'none'" and headers.get("x-frame-options") != "DENY":
        problems.append(f"X-Frame-Options is {headers.get('x-frame-options')!r}")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") not in ("same-origin", "no-referrer"):
        problems.append(f"Referrer-Policy is {headers.get('referrer-policy')!r}")
    if "camera=()" not in headers.get("permissions-policy", ""):
        problems.append("no Permissions-Policy refusing the camera and microphone")
    cache = headers.get("cache-control", "")
    if route == "static":
        if "no-store" in cache:
            problems.append("a static file is not cached")
    elif not ("no-store" in cache or (route in OWN_CACHING and cache.startswith("private"))):
        problems.append(f"Cache-Control is {cache!r}, not no-store")
    return problems


def get_rows() -> list[Row]:
    return [row for row in TABLE if row.method == "GET"]


@pytest.fixture
def matrix(app: FastAPI, db: Session, org: Org, settings: Settings) -> Iterator[Matrix]:
    world = arrange(db, org, settings)
    with Browser(app) as client:
        yield Matrix(app, client, db, world)


@pytest.mark.parametrize("persona", ["admin", "rep", "anonymous"])
def test_every_get_route_sends_the_security_headers(matrix: Matrix, persona: Persona) -> None:
    assert len(get_rows()) > 40, "the matrix's GET routes were not found: the test would prove nothing"
    problems = []
    for row in get_rows():
        if row.key not in matrix.templates:
            continue  # a row of a route not served: test_permissions says so
        values = {**matrix.world.path(), **(row.path(matrix.world) if row.path else {})}
        values |= row.fresh(matrix.db, matrix.world) if row.fresh else {}
        body = row.body(matrix.world) if callable(row.body) else row.body or {}
        response = matrix.send(persona, "GET", fill(matrix.templates[row.key], values), **body)
        found = header_problems(response, route=row.route)
        problems += [f"{row.route} ({response.status_code}): {problem}" for problem in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_error_answers_send_the_security_headers(browser: Browser) -> None:
    refused = browser.post("/login", data={"email": "a@example.test"})  # no CSRF cookie yet
    missing_page = browser.get("/no-such-page")
    missing_api = browser.get("/api/calls/1")  # not signed in
    assert (missing_page.status_code, missing_api.status_code, refused.status_code) == (404, 401, 403)
    for response in (missing_page, missing_api, refused):
        assert header_problems(response, route="error") == []


def test_a_page_carries_a_fresh_nonce_only_for_styles(browser: Browser) -> None:
    first, second = browser.get("/login"), browser.get("/login")
    nonces = [directives(r)["style-src"] for r in (first, second)]
    assert nonces[0].startswith("'self' 'nonce-") and nonces[0] != nonces[1]
    assert directives(first)["style-src-attr"] == "'none'"
    meta = first.text.split('name="csp-nonce" content="')[1].split('"')[0]
    assert f"'nonce-{meta}'" in nonces[0], "the page hands the player its own response's nonce"


def test_the_wall_board_may_be_framed_only_by_the_configured_sites(configure: Any, matrix: Matrix) -> None:
    from qc.app import create_app
    from tests.test_permissions import display_link

    token_url = "/wall/{token}".format(**display_link(matrix.db, matrix.world))
    with Browser(matrix.client.app) as default:
        denied = default.get(token_url)
    assert denied.status_code == 200
    assert header_problems(denied, route="board:display") == []

    signage = "https://signage.example.com https://tv.example.com"
    settings = configure(wall_frame_ancestors="https://signage.example.com, https://tv.example.com")
    app = create_app(settings, run_worker=False)
    with Browser(app) as client:
        framed = client.get(token_url)
        page = client.get("/login")
    assert framed.status_code == 200
    assert header_problems(framed, route="board:display", framed_by=signage) == []
    assert "x-frame-options" not in framed.headers
    assert header_problems(page, route="users:login") == [], "other pages still refuse framing"


def test_hsts_is_sent_when_cookies_are_secure(configure: Any, browser: Browser) -> None:
    from qc.app import create_app

    assert "strict-transport-security" not in browser.get("/login").headers
    with Browser(create_app(configure(cookie_secure=True), run_worker=False)) as secure:
        assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=31536000")


def test_an_unexpected_error_still_carries_the_headers(configure: Any) -> None:
    """Starlette's last-resort handler sits outside every middleware added to the app; the
    headers are outside it, so a 500 page is framed, sniffed and cached no more than any."""
    from fastapi.testclient import TestClient

    from qc.app import create_app

    app = create_app(configure(), run_worker=False)

    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom-for-test")
    assert answer.status_code == 500
    assert "a bug" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
