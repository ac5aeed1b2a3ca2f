"""Every page works under the content policy (issue 11, item 4), in a real browser.

The pages come from the permission matrix, as for the phone-width walk
(tests/e2e/test_phone_width_browser.py): every page each persona may open, plus the API
documentation and the wall board. On each, the browser must report no content-policy
violation, neither as a `securitypolicyviolation` event (listened for before any of the page's
own scripts run) nor on the console. The call page's waveform (a shadow root styled by
wavesurfer.js) and htmx's boosted navigation are exercised along the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.e2e.test_browser import chromium, server, sign_in  # noqa: F401 - fixtures
from tests.e2e.test_phone_width_browser import DESKTOP, is_page, page_urls, settle
from tests.e2e.test_phone_width_browser import world as world
from tests.test_permissions import World

pytestmark = pytest.mark.e2e

LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} refused ${e.blockedURI || 'inline'}`
    + ` (${e.sourceFile || 'page'}:${e.lineNumber}) ${e.sample || ''}`);
}, true);
"""


# Inline event handlers are refused only when their event fires: find them in the markup.
INLINE_HANDLERS = """() => [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes]
  .filter((a) => a.name.startsWith('on')).map((a) => `${el.tagName.toLowerCase()} ${a.name}`))"""


@pytest.fixture
def visitor(chromium: Any, server: str, world: World) -> Iterator[Any]:  # noqa: F811
    """`visitor(persona)`: a page signed in as the persona, recording policy violations."""
    contexts: list[Any] = []

    def open_page(persona: str) -> Any:
        context = chromium.new_context(viewport=DESKTOP, base_url=server)
        context.add_init_script(LISTEN)
        contexts.append(context)
        page = context.new_page()
        page.console_violations = []
        page.on(
            "console",
            lambda message: (
                page.console_violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        if persona != "anonymous":
            sign_in(page, getattr(world.org, persona).email)
        return page

    yield open_page
    for context in contexts:
        context.close()


def violations(page: Any) -> list[str]:
    """The policy violations since the last call, each once."""
    found = page.evaluate("() => window.__cspViolations") + [text[:240] for text in page.console_violations]
    page.console_violations.clear()
    page.evaluate("() => { window.__cspViolations = []; }")
    return sorted(set(found))


def test_every_page_works_under_the_content_policy(visitor: Any, app: Any, db: Session, world: World) -> None:
    problems: dict[str, list[str]] = {}
    visited = 0
    for persona, urls in page_urls(app, db, world).items():
        page = visitor(persona)
        problems |= {f"{persona} sign-in": found} if (found := violations(page)) else {}
        for extra in ("/docs",) if persona == "admin" else ():
            urls = [*urls, ("docs", extra)]
        for _route, url in urls:
            if not is_page(page, url):
                continue
            answer = page.goto(url)
            settle(page)
            visited += 1
            found = violations(page) + page.evaluate(INLINE_HANDLERS)
            if "script-src 'self'" not in answer.headers.get("content-security-policy", ""):
                found.append("no content policy")
            if found:
                problems[f"{persona} {url}"] = found

    assert visited > 40, "the pages were not found: the walk would prove nothing"
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())


def test_the_waveform_draws_under_the_content_policy(visitor: Any, world: World) -> None:
    page = visitor("reviewer")
    page.goto(f"/reviews/{world.pick_id}")  # the review page: the player with its waveform
    page.wait_for_function(
        "() => [...document.querySelectorAll('*')]"
        ".some((el) => el.shadowRoot && el.shadowRoot.querySelector('canvas'))"
    )
    assert violations(page) == []


def test_the_api_documentation_renders_under_the_content_policy(visitor: Any) -> None:
    page = visitor("anonymous")
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=20000)
    page.click(".swagger-ui .opblock-summary >> nth=0")  # an operation opens, with its styles
    page.wait_for_selector(".swagger-ui .opblock-body")
    assert violations(page) == []
