"""Every page of the app on a 390 px phone (issue 10), in a real browser.

The pages come from the permission matrix (tests/test_permissions.py): every GET route that a
persona may open (its cell is 200) is visited as that persona, with the matrix's own path
values, so a new page is covered as soon as it joins the matrix. A response that is not a
whole HTML document (audio, JSON, an htmx fragment) is not a page and is passed over.

On each page: the body does not scroll sideways, nothing sticks out of the screen outside a
scrolling box, no content is cut off by `overflow: hidden`, every table sits in a named
scroll region that takes keyboard focus (macros/ui.html `scroll_box`), and the navigation is
folded behind its Menu button, which opens it with every link on the screen. The walk also
checks each page under the content policy (issue 11): no violation, no inline handler
(tests/e2e/csp.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.config import Settings
from qc.kit.security import hash_password
from qc.training import catalogue
from qc.users.service import principal_for
from tests.e2e.csp import policy_problems, watch
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server, sign_in  # noqa: F401 - fixtures
from tests.factories import Org
from tests.test_permissions import TABLE, Persona, Row, World, arrange, fill, served_routes

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PERSONAS: tuple[Persona, ...] = ("rep", "reviewer", "qc_lead", "manager", "admin", "anonymous")
NOT_PAGES = ("/api/", "/static/", "/docs", "/openapi.json")
FOLDED_HEADER = 90  # px: the brand, the inbox and the Menu button on one row

# Problems of the page in view, as strings: each names the element and how far it is off.
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const classes = (el) => (typeof el.className === 'string' ? el.className.trim().split(/\\s+/) : [])
    .filter(Boolean).map((c) => '.' + c).join('');
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes(el);
  const span = (box) => `${Math.round(box.left)}..${Math.round(box.right)}px`;
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const inScrollBox = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true;
    return false;
  };
  const overflow = document.documentElement.scrollWidth - width;
  if (overflow > 0) problems.push(`the page scrolls sideways by ${overflow}px`);
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // not shown, or visually hidden for screen readers
    const style = getComputedStyle(el);
    if ((box.left < -1 || box.right > width + 1) && !inScrollBox(el)) {
      problems.push(`${name(el)} sticks out of the screen (${span(box)})`);
    }
    const clips = ['hidden', 'clip'].includes(style.overflowX);
    if (clips && style.textOverflow !== 'ellipsis' && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} cuts off its content (${el.scrollWidth} in ${el.clientWidth}px)`);
    }
  }
  for (const table of document.querySelectorAll('main table')) {
    const region = table.closest('[role=region][aria-label][tabindex="0"]');
    if (!region || !scrolls(region)) problems.push(`${name(table)} is not in a keyboard-scrollable region`);
  }
  return problems.slice(0, 8);
}"""

# Links of the open menu that are not wholly on the screen.
MENU = """() => {
  const width = document.documentElement.clientWidth;
  const links = document.querySelectorAll('.topbar nav > ul > li > :is(a, details > summary)');
  return [...links]
    .map((link) => [link.innerText.trim(), link.getBoundingClientRect()])
    .filter(([, box]) => box.width === 0 || box.left < 0 || box.right > width)
    .map(([text, box]) => `the open menu's ${text} is off the screen (${box.left}..${box.right}px)`);
}"""


def page_rows(app: Any) -> list[Row]:
    """The matrix's rows of GET routes that answer with a page."""
    served = served_routes(app)
    return [
        row
        for row in TABLE
        if row.method == "GET" and row.key in served and not served[row.key].startswith(NOT_PAGES)
    ]


def page_urls(app: Any, db: Session, world: World) -> dict[str, list[tuple[str, str]]]:
    """persona -> [(route name, URL)] of every page the matrix lets that persona open."""
    served = served_routes(app)
    urls: dict[str, list[tuple[str, str]]] = {persona: [] for persona in PERSONAS}
    for row in page_rows(app):
        values = dict(world.path())
        values |= row.path(world) if row.path else {}
        values |= row.fresh(db, world) if row.fresh else {}
        body = row.body(world) if callable(row.body) else (row.body or {})
        url = fill(served[row.key], values)
        if body.get("params"):
            url += "?" + "&".join(f"{key}={value}" for key, value in body["params"].items())
        for persona in PERSONAS:
            if row.expected.get(persona) == 200:
                urls[persona].append((row.route, url))
    return urls


@pytest.fixture
def world(db: Session, org: Org, settings: Settings) -> World:
    """The permission matrix's arrangement, with a password for every persona."""
    built = arrange(db, org, settings)
    for persona in PERSONAS:
        if persona != "anonymous":
            getattr(org, persona).password_hash = hash_password(PASSWORD)
    db.commit()
    return built


@pytest.fixture
def open_as(chromium: Any, server: str, world: World) -> Iterator[Any]:  # noqa: F811
    """`open_as(persona, viewport)`: a page signed in as the persona (none for `anonymous`)."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_page(persona: Persona, viewport: dict[str, int]) -> Any:
        context = chromium.new_context(viewport=viewport, base_url=server)
        contexts.append(context)
        page = context.new_page()
        watch(context, page)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        if persona != "anonymous":
            sign_in(page, getattr(world.org, persona).email)
        pages.append(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert [page.errors for page in pages if page.errors] == [], "JavaScript errors"


def settle(page: Any) -> None:
    """Wait for the requests htmx makes as the page loads (the inbox badge, lazy sections)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def is_page(page: Any, url: str) -> bool:
    """A whole HTML document that answers 200 (not audio, JSON or an htmx fragment)."""
    answer = page.request.get(url, max_redirects=0)
    return (
        answer.status == 200
        and answer.headers.get("content-type", "").startswith("text/html")
        and "<html" in answer.text()[:500].lower()
    )


def menu_problems(page: Any, before: list[str]) -> list[str]:
    """The navigation is folded on a phone and the Menu button opens it with every link in view."""
    if not page.locator(".topbar .nav-toggle-button").count():
        return []  # a page without the signed-in header (sign-in)
    problems = []
    header = page.locator(".topbar").bounding_box()
    if header["height"] > FOLDED_HEADER:
        problems.append(f"the folded header is {round(header['height'])}px high")
    page.click(".topbar .nav-toggle-button")
    problems += page.evaluate(MENU)
    return problems + [f"with the menu open, {p}" for p in page.evaluate(MEASURE) if p not in before]


def visit(page: Any, persona: str, urls: list[tuple[str, str]]) -> tuple[set[str], dict[str, list[str]]]:
    """Measure every page of `urls` that is one: the routes measured, and the problems by URL."""
    measured: set[str] = set()
    problems: dict[str, list[str]] = {}
    for route, url in urls:
        if not is_page(page, url):
            continue
        answer = page.goto(url)
        settle(page)
        found = policy_problems(page, answer) + page.evaluate(MEASURE)
        found += menu_problems(page, found)
        measured.add(route)
        if found:
            problems[f"{persona} {url}"] = found
            shot = SCREENSHOTS / f"phone_{persona}_{route.replace(':', '_')}.png"
            page.screenshot(path=str(shot), full_page=True)
    return measured, problems


def test_every_page_fits_a_390px_phone(open_as: Any, app: Any, db: Session, world: World) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    measured: dict[str, set[str]] = {}
    problems: dict[str, list[str]] = {}
    for persona, urls in page_urls(app, db, world).items():
        measured[persona], found = visit(open_as(persona, PHONE), persona, urls)
        problems |= found

    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
    core = {"calls:list", "scorecards:list", "feedback:disputes", "notifications:inbox"}
    for persona in ("rep", "reviewer", "qc_lead", "manager", "admin"):
        assert core <= measured[persona], f"{persona} did not reach {core - measured[persona]}"
    assert "users:login" in measured["anonymous"]
    assert {"reviews:day", "performance:team", "coaching:detail", "training:rules"} <= measured["manager"]
    assert {"evaluations:review", "evaluations:calibration_score_form"} <= measured["reviewer"]
    assert {"evaluations:agreement_item", "feedback:dispute_stats"} <= measured["qc_lead"]
    assert {"admin:users", "admin:user", "notifications:webhook"} <= measured["admin"]


def test_a_long_word_and_a_long_url_wrap_on_a_phone(open_as: Any, db: Session, world: World) -> None:
    word = "Preisverhandlungsgesprächsführungsgrundlagenschulungsunterlagen"
    url = "https://intranet.example.test/materials/" + "price-objection-handling-" * 6 + "final.pdf"
    data = catalogue.ModuleInput(
        title=f"{word} {word}",
        description=f"See {url}",
        material_url=url,
        material_text=f"Read {url}",
        items=["outbound-sales:price"],
    )
    module = catalogue.create_module(db, principal_for(db, world.org.qc_lead), data=data)
    db.commit()
    page = open_as("qc_lead", PHONE)
    page.goto(f"/training/modules/{module.id}")

    assert page.evaluate(MEASURE) == []
    assert page.locator("main h1").bounding_box()["width"] <= PHONE["width"]


@pytest.mark.parametrize("persona", ["rep", "admin"])
def test_the_phone_menu_opens_and_its_links_lead_to_their_pages(open_as: Any, persona: Persona) -> None:
    page = open_as(persona, PHONE)
    page.goto("/calls")
    links = page.locator(".topbar nav > ul:first-of-type > li > a:not(.brand)")
    assert links.count() >= 5
    assert not links.first.is_visible(), "folded until the Menu button is pressed"

    page.click(".topbar .nav-toggle-button")
    page.screenshot(path=str(SCREENSHOTS / f"phone_menu_{persona}.png"))
    for link in links.all():
        link.click(trial=True)  # visible, in view, and nothing covers it
    target = links.last
    href = target.get_attribute("href")
    target.click()
    page.wait_for_url(href)
    assert not links.first.is_visible(), "the menu folds again on the next page"


def test_the_menu_opens_from_the_keyboard(open_as: Any) -> None:
    page = open_as("reviewer", PHONE)
    page.goto("/calls")
    page.focus("#nav-toggle")
    page.keyboard.press("Space")
    assert page.is_visible(".topbar a:has-text('My queue')")


def test_the_desktop_header_has_no_menu_button(open_as: Any) -> None:
    page = open_as("admin", DESKTOP)
    page.goto("/calls")
    assert not page.is_visible(".topbar .nav-toggle-button")
    assert page.is_visible(".topbar a:has-text('Calls')")
    assert page.is_visible(".topbar summary:has-text('Admin')")
