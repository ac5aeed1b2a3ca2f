"""The pages that draw most in the browser work under the content policy (issue 11, item 4).

Every page of the app is checked under the policy by the phone-width walk
(tests/e2e/test_phone_width_browser.py, with tests/e2e/csp.py). Here, what that walk cannot
wait for: the review page's waveform, drawn by wavesurfer.js in a shadow root it styles with
the page's nonce, and /docs, which Swagger UI renders from files once the OpenAPI document has
loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.csp import policy_problems, watch
from tests.e2e.test_browser import chromium, server, sign_in  # noqa: F401 - fixtures
from tests.e2e.test_phone_width_browser import DESKTOP
from tests.e2e.test_phone_width_browser import world as world
from tests.test_permissions import World

pytestmark = pytest.mark.e2e


@pytest.fixture
def visitor(chromium: Any, server: str, world: World) -> Iterator[Any]:  # noqa: F811
    """`visitor(persona)`: a desktop page signed in as the persona, watched for violations."""
    contexts: list[Any] = []

    def open_page(persona: str) -> Any:
        context = chromium.new_context(viewport=DESKTOP, base_url=server)
        contexts.append(context)
        page = context.new_page()
        watch(context, page)
        if persona != "anonymous":
            sign_in(page, getattr(world.org, persona).email)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_the_waveform_draws_under_the_content_policy(visitor: Any, world: World) -> None:
    page = visitor("reviewer")
    answer = page.goto(f"/reviews/{world.pick_id}")  # the review page: the player with its waveform
    page.wait_for_function(
        "() => [...document.querySelectorAll('*')]"
        ".some((el) => el.shadowRoot && el.shadowRoot.querySelector('canvas'))"
    )
    assert policy_problems(page, answer) == []


def test_the_api_documentation_renders_under_the_content_policy(visitor: Any) -> None:
    page = visitor("anonymous")
    answer = page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=20000)
    page.click(".swagger-ui .opblock-summary >> nth=0")  # an operation opens, with its styles
    page.wait_for_selector(".swagger-ui .opblock-body")
    assert policy_problems(page, answer) == []
