"""Agreement, calibration and evaluation pages."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qc.evaluations import calibration, service
from qc.evaluations.form import AnswerInput
from qc.evaluations.service import ReviewForm
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call, make_reviewer


def _reviewed(db: Session, org: Org, settings: Any, **answers: str) -> int:
    call = make_checked_call(db, rep=org.rep, statuses={"price": "fail"})
    reviewer = principal_for(db, org.reviewer)
    draft = service.review_call(db, reviewer, call.id, settings=settings)
    given = {a.item_id: AnswerInput(a.answer or "yes", "listened again") for a in draft.answers}
    given.update({k: AnswerInput(v, "listened again") for k, v in answers.items()})
    service.submit_review(db, reviewer, draft.assignment_id, data=ReviewForm(given), settings=settings)
    db.commit()
    return draft.id


def test_the_agreement_page_lists_items_worst_first(
    browser: Any, db: Session, org: Org, settings: Any
) -> None:
    _reviewed(db, org, settings, price="yes")
    _reviewed(db, org, settings)
    page = browser.login_as(org.qc_lead).page("/scorecards/outbound-sales/agreement")
    rows = page.select("#agreement tbody tr")
    assert rows[0]["data-item"] == "price"
    cells = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    assert cells[1] == "2" and cells[2] == "50%"
    assert "listened again" in rows[0].select_one("details.overrides").get_text()
    item = browser.page("/scorecards/outbound-sales/agreement/price")
    matrix = [
        [td.get_text(strip=True) for td in tr.select("td")] for tr in item.select("#confusion tbody tr")
    ]
    # Both calls failed the price check: one reviewer agreed (no), one overrode it (yes).
    assert matrix == [["0", "0"], ["1", "1"], ["0", "0"]]
    assert "listened again" in item.select_one("#overrides").get_text()
    assert browser.get("/scorecards/outbound-sales/agreement/no_such_item").status_code == 404
    reviewer = browser.__class__(browser.app).login_as(org.reviewer)
    assert reviewer.get("/scorecards/outbound-sales/agreement").status_code == 403
    assert reviewer.get("/scorecards/outbound-sales/agreement/price").status_code == 403
    assert browser.get("/scorecards/no-such-card/agreement").status_code == 404


def test_a_lead_runs_a_calibration_session_from_the_pages(
    browser_factory: Any, db: Session, org: Org, settings: Any
) -> None:
    call = make_checked_call(db, rep=org.rep)
    second = make_reviewer(db, name="Sam Second")
    db.commit()
    lead = browser_factory().login_as(org.qc_lead)
    form = lead.page(f"/calibration/new?call={call.id}")
    assert form.select_one("input[name=calls]")["value"] == str(call.id)
    refused = lead.post(
        "/calibration", data={"title": "", "calls": str(call.id), "reviewers": [str(second.id)]}
    )
    assert refused.status_code == 422
    created = lead.post(
        "/calibration",
        data={"title": "Week 48", "calls": str(call.id), "reviewers": [str(org.reviewer.id), str(second.id)]},
    )
    assert created.status_code == 303
    url = created.headers["location"]
    reviewer = browser_factory().login_as(org.reviewer)
    page = reviewer.page(url)
    start = page.select_one("#calibration-progress form")
    assert start.get_text(strip=True) == "Score"
    started = reviewer.post(start["action"])
    assert started.status_code == 303
    score_url = started.headers["location"]
    scoring = reviewer.page(score_url)
    assert scoring.select_one(".auto") is None, "calibration hides the automatic results"
    assert not scoring.select("#review-form input[type=radio][checked]"), "nothing pre-filled"
    fields = {
        f"answer-{f['data-item']}": ("yes" if f.select("input[value=yes]") else "3")
        for f in scoring.select("#review-form fieldset.item")
    }
    assert reviewer.post(score_url, data=fields).status_code == 303
    assert "Results are shared when the lead closes" in reviewer.page(url).get_text()
    session_id = int(url.rstrip("/").split("/")[-1])
    lead_principal = principal_for(db, org.qc_lead)
    space = calibration.start_scoring(db, lead_principal, session_id, call.id, settings=settings)
    given = {a.item_id: AnswerInput("yes") for a in space.evaluation.answers}
    given["greeting"] = AnswerInput("no")
    calibration.save_scoring(
        db, lead_principal, session_id, call.id, data=ReviewForm(given), settings=settings, submit=True
    )
    db.commit()
    results = lead.page(url)
    row = results.select_one(f"#deviations tr[data-reviewer='{org.reviewer.id}']")
    assert "Greets the customer" in row.get_text(), "items are named by their label"
    assert lead.post(f"/calibration/{session_id}/close").status_code == 303
    shared = BeautifulSoup(reviewer.get(url).text, "html.parser")
    assert shared.select_one("#deviations")
    outsider = browser_factory().login_as(org.rep)
    assert outsider.get(url).status_code == 404
