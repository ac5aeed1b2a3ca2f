"""The scorecard editor in a real browser: reviewers kept passing Olga's permission question
("Я вас не отвлекаю?", words the scorecard does not list); a QC lead adds the phrase in
Russian, backtests the draft, sees the calls that change, publishes and re-scores them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from qc.evaluations import service
from qc.evaluations.form import AnswerInput
from qc.evaluations.service import ReviewForm
from qc.jobs.queue import drain
from qc.kit.security import hash_password
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.users.service import principal_for
from tests.e2e.test_browser import PASSWORD, SCREENSHOTS, chromium, server  # noqa: F401 - fixtures
from tests.e2e.test_feedback_browser import open_as
from tests.factories import make_checked_call

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("scorecard_revisions_restored")]

OLGA = [
    ("agent", "Добрый день, меня зовут Ольга, компания Акме. Я вас не отвлекаю?"),
    ("customer", "Нет, слушаю вас."),
    ("agent", "Что для вас важнее всего при выборе тарифа?"),
    ("customer", "Цена."),
]


def test_a_lead_adds_a_russian_phrase_backtests_publishes_and_rescores(
    chromium: Any,  # noqa: F811
    server: str,  # noqa: F811
    db: Any,
    org: Any,
    settings: Any,
) -> None:
    org.qc_lead.password_hash = hash_password(PASSWORD)
    db.commit()
    calls = []
    for _ in range(3):  # the check failed, the reviewer heard the question
        call = make_checked_call(db, rep=org.rep, turns=OLGA, language="ru", statuses={"permission": "fail"})
        calls.append(call.id)
        reviewer = principal_for(db, org.reviewer)
        draft = service.review_call(db, reviewer, call.id, settings=settings)
        given = {a.item_id: AnswerInput(a.answer or "yes") for a in draft.answers}
        given["permission"] = AnswerInput("yes", "she asked, in her own words")
        service.submit_review(db, reviewer, draft.assignment_id, data=ReviewForm(given), settings=settings)
    db.commit()

    SCREENSHOTS.mkdir(exist_ok=True)
    lead = open_as(chromium, server, org.qc_lead.email)
    lead.goto("/scorecards/outbound-sales")
    lead.click("a:has-text('Edit')")
    lead.wait_for_url("**/scorecards/outbound-sales/edit")
    item = lead.locator("details.item-editor:has(input[value='permission'])")
    item.locator("> summary").click()
    russian = item.locator("textarea[name$='.c.phrases.ru']")
    russian.fill(russian.input_value() + "\nне отвлекаю")
    lead.screenshot(path=str(SCREENSHOTS / "scorecard_editor.png"), full_page=False)
    lead.click("button:has-text('Save and backtest')")
    lead.wait_for_url("**/scorecards/outbound-sales/backtest")

    summary = lead.locator("#backtest-summary")
    assert "3 calls would change" in summary.inner_text()
    changes = lead.locator("#backtest-changes tbody tr")
    assert changes.count() == 3
    assert all("now agrees" in changes.nth(i).inner_text() for i in range(3))
    lead.screenshot(path=str(SCREENSHOTS / "scorecard_backtest.png"), full_page=True)

    lead.fill("#publish-note", "Olga's way of asking counts")
    assert lead.locator("input[name=rescore]").is_checked()
    lead.click("#publish button[type=submit]")
    lead.wait_for_url("**/scorecards/outbound-sales?published=*")
    notice = lead.locator(".notice.success").inner_text()
    assert "is published" in notice and "3 calls queued for re-scoring" in notice
    assert not lead.errors

    drain()  # the worker re-scores them with the new revision
    db.expire_all()
    current = db.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == "outbound-sales", ScorecardVersion.is_current
        )
    )
    assert current.change_note == "Olga's way of asking counts"
    for call_id in calls:
        score = db.scalar(select(CallScore).where(CallScore.call_id == call_id))
        assert score.scorecard_version_id == current.id
        permission = db.scalar(
            select(CheckResult).where(
                CheckResult.call_score_id == score.id, CheckResult.item_id == "permission"
            )
        )
        assert permission.status.value == "pass"
