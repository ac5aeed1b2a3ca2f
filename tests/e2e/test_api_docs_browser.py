"""/docs in a real browser with no network beyond the app, under a policy allowing no inline script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_browser import chromium, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

# What the page must work under, whatever else the app sends: scripts and styles only from the
# app (no inline script); Swagger UI draws its icons from data: URLs.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'"
)


@pytest.fixture
def offline_page(chromium: Any, server: str) -> Iterator[tuple[Any, ...]]:  # noqa: F811
    """A page whose requests outside the app are refused (and listed), and whose app answers
    carry `POLICY`; with the policy violations and script errors it saw."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=server)
    outside: list[str] = []
    problems: list[str] = []

    def handle(route: Any) -> None:
        if not route.request.url.startswith(server):
            outside.append(route.request.url)
            route.abort()
            return
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": POLICY})

    context.route("**/*", handle)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    yield page, outside, problems
    context.close()


def test_api_docs_render_offline_without_inline_script(offline_page: tuple[Any, ...]) -> None:
    page, outside, problems = offline_page
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    page.goto("/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/calls/{call_id}" in [p.replace("\u200b", "") for p in paths]
    page.locator(".opblock-summary-path", has_text="/api/me").first.click()
    page.wait_for_selector(".responses-table")
    statuses = page.locator(".response-col_status").all_inner_texts()
    assert {"401", "429", "503"} <= {s.strip().split()[0] for s in statuses if s.strip()}, statuses
    page.wait_for_selector("section.models")
    # A long schema list is virtual (drawn as it scrolls in its own box): scroll it until the
    # one that matters is drawn.
    error_read = page.locator("section.models").get_by_text("ErrorRead")
    scroller = page.locator("section.models .models-scroll")
    for _ in range(40):
        if error_read.count() or not scroller.count():
            break
        scroller.evaluate("box => box.scrollBy(0, 300)")
        page.wait_for_timeout(100)
    assert error_read.count() >= 1
    assert outside == [], f"requests outside the app: {outside}"
    assert problems == [], problems
