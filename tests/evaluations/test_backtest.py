"""The backtest of a scorecard draft: the revision in use against the reviewers as the
agreement page counts it, and what the draft's checks would make of the same calls."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from qc.evaluations import agreement
from qc.users.service import principal_for
from tests.evaluations.test_agreement_and_calibration import review
from tests.factories import Org, api_token, bearer


def lead_headers(db: Session, org: Org) -> dict[str, str]:
    headers = bearer(api_token(db, org.qc_lead))
    db.commit()
    return headers


def figures(stats: agreement.ItemAgreement) -> dict[str, Any]:
    return {
        "reviewed": stats.reviewed,
        "decided": stats.decided,
        "agreed": stats.agreed,
        "agreement": stats.agreement,
        "fail_precision": stats.precision,
        "fail_recall": stats.recall,
        "left_to_person": stats.left_to_person,
    }


def arrange(db: Session, org: Org, settings: Any) -> None:
    """Four reviewed calls where the agent names the company ("... from Acme Telecom"): the
    check was wrong on three (fail, the reviewer said yes), right on one."""
    for _ in range(3):
        review(db, org, settings, {"company_name": "fail"}, {"company_name": "yes"})
    review(db, org, settings, {"company_name": "pass", "price": "fail"}, {"price": "no"})
    db.commit()


def test_the_published_figures_are_the_agreement_pages(
    client: Any, db: Session, org: Org, settings: Any
) -> None:
    arrange(db, org, settings)
    headers = lead_headers(db, org)
    card = client.get("/api/scorecards/outbound-sales", headers=headers).json()["definition"]
    client.put("/api/scorecards/outbound-sales/draft", json=card, headers=headers)
    answer = client.post("/api/scorecards/outbound-sales/draft/backtest", headers=headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    page = agreement.item_agreement(db, principal_for(db, org.qc_lead), "outbound-sales")
    assert {i["item_id"]: i["published"] for i in report["items"]} == {
        i.item_id: figures(i) for i in page.items
    }
    assert (report["calls"], report["skipped"]) == (4, 0)
    company = next(i for i in report["items"] if i["item_id"] == "company_name")
    # The checks, run again on the transcripts, hear "Acme Telecom" every time.
    assert (company["published"]["agreed"], company["draft"]["agreed"], company["changed"]) == (1, 4, 3)
    changes = [c for c in report["changes"] if c["item_id"] == "company_name"]
    assert {(c["published"], c["draft"], c["answer"], c["draft_agrees"]) for c in changes} == {
        ("fail", "pass", "yes", True)
    }


def test_a_draft_that_drops_the_company_phrases_loses_agreement(
    client: Any, db: Session, org: Org, settings: Any
) -> None:
    arrange(db, org, settings)
    headers = lead_headers(db, org)
    card = copy.deepcopy(client.get("/api/scorecards/outbound-sales", headers=headers).json()["definition"])
    item = next(i for s in card["sections"] for i in s["items"] if i["id"] == "company_name")
    item["check"]["phrases"]["en"] = ["calling on behalf of"]
    client.put("/api/scorecards/outbound-sales/draft", json=card, headers=headers)
    report = client.post("/api/scorecards/outbound-sales/draft/backtest", headers=headers).json()
    company = next(i for i in report["items"] if i["item_id"] == "company_name")
    assert (company["published"]["agreed"], company["draft"]["agreed"]) == (1, 0)
    assert company["draft"]["fail_precision"] == 0.0  # four fails, none confirmed
    lost = [c for c in report["changes"] if c["item_id"] == "company_name"]
    assert [(c["published"], c["draft"], c["published_agreed"], c["draft_agrees"]) for c in lost] == [
        ("pass", "fail", True, False)
    ]
    # Nothing was published or changed.
    assert client.get("/api/scorecards/outbound-sales/draft", headers=headers).json()["definition"] == card


def test_without_a_draft_there_is_nothing_to_backtest(client: Any, db: Session, org: Org) -> None:
    answer = client.post("/api/scorecards/outbound-sales/draft/backtest", headers=lead_headers(db, org))
    assert answer.status_code == 404
