"""The flows a person uses, in a real browser: Debian chromium driven by Playwright.

Skipped cleanly where chromium is not installed (a user's fresh machine); `.ci/run`
installs it, so CI always runs these.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qc.jobs.queue import drain
from tests.factories import SAMPLES, make_call, make_transcript

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "browser-password-1"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def sign_in(page: Any, email: str) -> None:
    page.goto("/calls")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/calls")


@pytest.fixture
def people(db: Any, org: Any) -> Any:
    from qc.kit.security import hash_password

    for user in (org.manager, org.reviewer):
        user.password_hash = hash_password(PASSWORD)
    db.commit()
    return org


def test_clicking_a_word_plays_the_call_from_there(page: Any, db: Any, people: Any) -> None:
    call = make_call(db, rep=people.rep)
    make_transcript(
        db,
        call,
        [
            ("agent", "Good morning, this is Daniel from Acme Telecom."),
            ("customer", "Yes, sure, go ahead."),
            ("agent", "What matters most to you in a mobile plan?"),
        ],
    )
    db.commit()
    sign_in(page, people.reviewer.email)

    page.click(f"a[href$='/calls/{call.id}']")
    page.wait_for_selector("#transcript .w")
    word = page.locator("#transcript .turn").nth(2).locator(".w").nth(2)
    start = float(word.get_attribute("data-start"))
    word.click()
    page.wait_for_function("() => document.getElementById('call-audio').currentTime > 0")
    position = page.evaluate("document.getElementById('call-audio').currentTime")
    assert start - 0.1 <= position <= start + 1.5
    page.wait_for_selector("#transcript .w.current")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "call_page.png"), full_page=True)


def test_manager_uploads_recordings_and_follows_one_to_its_transcript(page: Any, people: Any) -> None:
    sign_in(page, people.manager.email)
    page.click("text=Upload recordings")
    page.wait_for_selector("#upload-form")
    page.select_option("select[name=rep]", people.rep.email)
    page.set_input_files(
        "input[type=file]", [str(SAMPLES / "outbound_en_pushy.mp3"), str(SAMPLES / "inbound_en_mono.flac")]
    )
    page.select_option("select[name=channels]", "agent-right")
    # The page lists the chosen files from script: wait for it (a loaded machine is slow).
    page.wait_for_function("document.querySelectorAll('#upload-list tbody tr').length === 2")
    assert page.locator("#upload-list tbody tr").count() == 2
    page.click("#upload-button")
    page.wait_for_selector("#upload-list tbody tr:nth-child(2) .result:not(:empty)")

    results = page.locator("#upload-list .result")
    assert results.nth(0).inner_text() == "Uploaded, open call"
    assert "file is mono" in results.nth(1).inner_text()  # declared stereo: refused with the reason
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "upload.png"), full_page=True)

    drain()  # the worker
    results.nth(0).locator("a").click()
    page.wait_for_selector("#transcript .turn")
    assert page.locator("#call-status .badge").inner_text() == "scored"
    assert page.locator("#transcript .turn .who").first.inner_text() == "Agent"


def test_call_page_updates_itself_when_transcription_finishes(page: Any, db: Any, people: Any) -> None:
    from qc.calls import pipeline
    from qc.db import session_scope

    call = make_call(db, rep=people.rep, sample="outbound_en_pushy.mp3", channel_layout="agent-right")
    db.commit()
    sign_in(page, people.manager.email)
    page.goto(f"/calls/{call.id}")
    assert page.locator("#call-status .badge").inner_text() == "received"
    with session_scope() as session:
        pipeline.schedule(session, session.get(type(call), call.id))
    drain()
    page.wait_for_selector("#transcript .turn", timeout=15_000)  # the status poll reloaded the page
    assert page.locator("#call-status .badge").inner_text() == "scored"


def test_a_reviewer_works_through_the_queue(page: Any, db: Any, people: Any, settings: Any) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from qc.evaluations.models import Evaluation, EvaluationAnswer, EvaluationStatus
    from qc.reviews import builder
    from tests.factories import make_checked_call

    call = make_checked_call(db, rep=people.rep, started_at=datetime(2026, 11, 23, 9, tzinfo=UTC))
    db.commit()
    builder.build_queue(
        db,
        day=call.started_at.date(),
        settings=settings,
        draw_now=True,
        now=datetime(2026, 11, 23, 12, tzinfo=UTC),
    )
    db.commit()
    sign_in(page, people.reviewer.email)

    page.click("nav >> text=My queue")
    page.wait_for_selector("#my-queue")
    page.locator("#my-queue tbody tr").first.locator("text=Start review").click()
    page.wait_for_url("**/reviews/*")
    # wavesurfer draws into its own element inside the container once the peaks arrive
    page.wait_for_function("() => document.querySelector('#waveform').children.length > 2")

    page.click("#play-toggle")  # plays
    page.wait_for_function("() => document.getElementById('call-audio').currentTime > 0.2")
    assert page.locator("#play-toggle").inner_text().startswith("❚❚")
    page.click("#play-toggle")  # pauses
    word = page.locator("#transcript .turn").nth(2).locator(".w").nth(1)
    start = float(word.get_attribute("data-start"))
    word.click()  # the player seeks there and plays
    # Functions, not expressions: Playwright evaluates an expression with eval, which the content
    # policy refuses.
    playing_at = "() => Math.abs(document.getElementById('call-audio').currentTime - %s) < 1.5"
    page.wait_for_function(playing_at % start)
    page.click("#play-toggle")
    before = page.evaluate("document.getElementById('call-audio').currentTime")
    page.locator("body").press("ArrowRight")  # shortcut: forward 5 s
    after = page.evaluate("document.getElementById('call-audio').currentTime")
    assert 4 <= after - before <= 5.5

    greeting = page.locator("fieldset[data-item=greeting]")
    reason = greeting.locator(".override-reason")
    assert reason.is_hidden()
    greeting.locator("input[value=no]").check()  # override the check's "yes"
    assert reason.is_visible()
    reason.locator("input").fill("The greeting came after the pitch")
    page.fill("textarea[name=overall_comment]", "Good energy; greet first.")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review_page.png"), full_page=True)
    page.click("#submit-review")
    page.wait_for_url("**/queue?submitted=*")
    row = page.locator("#my-queue tbody tr").first
    assert "Done" in row.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "queue_done.png"), full_page=True)

    db.expire_all()
    evaluation = db.scalar(select(Evaluation))
    assert evaluation is not None and evaluation.status is EvaluationStatus.SUBMITTED
    answer = db.scalar(
        select(EvaluationAnswer).where(
            EvaluationAnswer.evaluation_id == evaluation.id, EvaluationAnswer.item_id == "greeting"
        )
    )
    assert answer is not None and (answer.answer, answer.override_reason) == (
        "no",
        "The greeting came after the pitch",
    )
    assert evaluation.overall_comment == "Good energy; greet first."
    assert evaluation.active_seconds > 0
