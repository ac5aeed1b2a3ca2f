"""The backtest of a scorecard draft: the revision in use against the reviewers as the
agreement page counts it, and what the draft's checks would make of the same calls."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.config import get_settings
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


def save_company_phrases(
    client: Any, headers: dict[str, str], phrases: list[str], *, append: bool
) -> dict[str, Any]:
    """Save as the draft the scorecard in use with the English phrases of company_name
    extended (or replaced); the draft's definition."""
    card = copy.deepcopy(client.get("/api/scorecards/outbound-sales", headers=headers).json()["definition"])
    item = next(i for s in card["sections"] for i in s["items"] if i["id"] == "company_name")
    item["check"]["phrases"]["en"] = [*item["check"]["phrases"]["en"], *phrases] if append else phrases
    assert client.put("/api/scorecards/outbound-sales/draft", json=card, headers=headers).status_code == 200
    return card


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
    client.put(
        "/api/scorecards/outbound-sales/draft",
        json=card | {"title": "Only the title changed"},
        headers=headers,
    )
    answer = client.post("/api/scorecards/outbound-sales/draft/backtest", headers=headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    page = agreement.item_agreement(db, principal_for(db, org.qc_lead), "outbound-sales")
    expected = {i.item_id: figures(i) for i in page.items}
    assert {i["item_id"]: i["published"] for i in report["items"]} == expected
    # No rule changed: the draft would decide every reviewed call as it was decided.
    assert {i["item_id"]: i["draft"] for i in report["items"]} == expected
    assert (report["calls"], report["skipped"], report["changed_calls"], report["changes"]) == (4, 0, 0, [])


def test_a_phrase_that_reviewers_kept_confirming_raises_the_items_agreement(
    client: Any, db: Session, org: Org, settings: Any
) -> None:
    arrange(db, org, settings)
    headers = lead_headers(db, org)
    save_company_phrases(client, headers, ["this is daniel from"], append=True)
    report = client.post("/api/scorecards/outbound-sales/draft/backtest", headers=headers).json()
    company = next(i for i in report["items"] if i["item_id"] == "company_name")
    # The checks, run again with the draft, hear the company every time.
    assert (company["published"]["agreed"], company["draft"]["agreed"], company["changed"]) == (1, 4, 3)
    assert company["draft"]["agreement"] == 1.0
    changes = report["changes"]
    assert {(c["item_id"], c["published"], c["draft"], c["answer"], c["draft_agrees"]) for c in changes} == {
        ("company_name", "fail", "pass", "yes", True)
    }
    assert report["changed_calls"] == 3
    price = next(i for i in report["items"] if i["item_id"] == "price")
    assert price["changed"] == 0 and price["draft"] == price["published"]  # not run again


def test_a_draft_that_drops_the_company_phrases_loses_agreement(
    client: Any, db: Session, org: Org, settings: Any
) -> None:
    arrange(db, org, settings)
    headers = lead_headers(db, org)
    card = save_company_phrases(client, headers, ["calling on behalf of"], append=False)
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


def test_items_whose_windows_refer_to_a_changed_item_are_run_again() -> None:
    from qc.config import get_settings
    from qc.evaluations.backtest import changed_items
    from qc.scoring.definitions import Scorecard, canonical, parse_scorecard

    path = get_settings().scorecards_dir / "outbound_sales.yaml"
    published = parse_scorecard(path.read_text(), source=path.name)
    data = canonical(published)
    item = next(i for s in data["sections"] for i in s["items"] if i["id"] == "presentation")
    item["check"]["phrases"]["en"].append("here is what it gives you")
    # open_questions and price look before / after the presentation: their verdicts may move.
    assert changed_items(Scorecard.model_validate(data), published) == {
        "presentation",
        "open_questions",
        "price",
    }
    relabelled = canonical(published)
    relabelled["sections"][0]["items"][0]["label"] = "Says hello"
    assert changed_items(Scorecard.model_validate(relabelled), published) == set()


@pytest.mark.usefixtures("scorecard_revisions_restored")
def test_the_calls_a_backtest_lists_are_rescored_in_one_request(
    client: Any, db: Session, org: Org, settings: Any
) -> None:
    from sqlalchemy import select

    from qc.calls.models import Call, CallStatus
    from qc.evaluations.models import Evaluation

    arrange(db, org, settings)
    headers = lead_headers(db, org)
    save_company_phrases(client, headers, ["this is daniel from"], append=True)
    changed = sorted(
        {
            c["call_id"]
            for c in client.post("/api/scorecards/outbound-sales/draft/backtest", headers=headers).json()[
                "changes"
            ]
        }
    )
    assert client.post("/api/scorecards/outbound-sales/publish", json={}, headers=headers).status_code == 200
    other = next(i for i in db.scalars(select(Evaluation.call_id)) if i not in changed)
    answer = client.post(
        "/api/scorecards/outbound-sales/rescore", json={"call_ids": changed}, headers=headers
    )
    assert answer.json() == {"queued": 3}
    db.expire_all()
    statuses = {c.id: c.status for c in db.scalars(select(Call))}
    assert {statuses[i] for i in changed} == {CallStatus.TRANSCRIBED}  # back in the pipeline for scoring
    assert statuses[other] is CallStatus.SCORED
    # Re-scoring every call stays with administrators.
    everything = client.post("/api/scorecards/outbound-sales/rescore", json={"call_ids": []}, headers=headers)
    assert everything.status_code == 422


@pytest.mark.usefixtures("scorecard_revisions_restored")
def test_the_backtest_page_shows_the_changes_then_publishes_and_rescores_them(
    client: Any, browser: Any, db: Session, org: Org, settings: Any
) -> None:
    arrange(db, org, settings)
    headers = lead_headers(db, org)
    save_company_phrases(client, headers, ["this is daniel from"], append=True)
    lead = browser.login_as(org.qc_lead)
    page = lead.page("/scorecards/outbound-sales/backtest")
    assert "3 calls would change" in page.find(id="backtest-summary").text
    rows = page.find(id="backtest-changes").find_all("tr")[1:]
    assert len(rows) == 3 and all("now agrees" in r.text for r in rows)
    rescore = page.find("input", attrs={"name": "rescore"})
    changed = sorted(int(i) for i in rescore["value"].split(","))
    assert len(changed) == 3
    published = lead.post(
        "/scorecards/outbound-sales/publish", data={"note": "Daniel's opening", "rescore": rescore["value"]}
    )
    assert published.status_code == 303
    found = re.search(r"published=(\d+)&queued=3$", published.headers["location"])
    assert found is not None, published.headers["location"]
    revision = int(found.group(1))
    assert client.get("/api/scorecards/outbound-sales", headers=headers).json()["revision"] == revision
    detail = lead.page(published.headers["location"])
    assert f"Revision {revision} is published" in detail.text and "3 calls queued" in detail.text
    assert "Daniel's opening" in detail.text
    # The revisions compare side by side; the earlier one can be restored.
    compare = lead.page(f"/scorecards/outbound-sales/compare?left=1&right={revision}")
    inserted = [r for r in compare.select("table.diff tr.insert, table.diff tr.replace")]
    assert any("this is daniel from" in r.text for r in inserted)
    restored = lead.post("/scorecards/outbound-sales/revisions/1/restore", data={"note": "too loose"})
    assert restored.headers["location"].endswith("restored=1")
    assert client.get("/api/scorecards/outbound-sales", headers=headers).json()["revision"] == 1
    log = lead.page("/scorecards/outbound-sales/changes").text
    assert "Published" in log and "Restored" in log and "too loose" in log


def scored_call(db: Session, org: Org, opening: str) -> int:
    """A call scored by the real checks (its word forms kept), reviewed: permission heard."""
    from qc.calls.models import CallStatus
    from qc.evaluations import service
    from qc.evaluations.form import AnswerInput
    from qc.evaluations.service import ReviewForm
    from qc.scoring import service as scoring
    from tests.factories import make_call, make_transcript

    call = make_call(db, rep=org.rep, status=CallStatus.TRANSCRIBED)
    make_transcript(
        db,
        call,
        [("agent", f"Good morning, this is Dan from Acme Telecom. {opening}"), ("customer", "Go on.")],
    )
    call.status = CallStatus.TRANSCRIBED
    db.commit()
    scoring.store_score(db, call, scoring.score_call(call.id))
    call.status = CallStatus.SCORED
    db.commit()
    reviewer = principal_for(db, org.reviewer)
    draft = service.review_call(db, reviewer, call.id, settings=get_settings())
    given = {a.item_id: AnswerInput(a.answer or "yes") for a in draft.answers}
    given["permission"] = AnswerInput("yes", "heard")
    service.submit_review(db, reviewer, draft.assignment_id, data=ReviewForm(given), settings=get_settings())
    db.commit()
    return call.id


def report_figures(report: Any) -> tuple[Any, ...]:
    return (
        report.calls,
        report.changed_calls,
        sorted((c.call_id, c.item_id, c.before, c.after) for c in report.changes),
        [(figures(i.before), figures(i.after), i.changed) for i in report.items],
    )


@pytest.mark.parametrize(
    ("change", "moves"),
    [
        pytest.param(lambda phrases: [*phrases, "bad moment"], "own words", id="a phrase added"),
        pytest.param(
            lambda phrases: [p for p in phrases if p != "do you have a minute"],
            "asked",
            id="a phrase removed",
        ),
    ],
)
def test_calls_without_the_changed_words_keep_their_verdicts_unread_and_the_figures_are_the_same(
    db: Session, org: Org, change: Any, moves: str
) -> None:
    from sqlalchemy import update

    from qc.evaluations import backtest
    from qc.scoring import editor
    from qc.scoring.definitions import Scorecard
    from qc.scoring.models import CallScore

    own_words = [scored_call(db, org, "Is this a bad moment to talk?") for _ in range(2)]
    asked = [scored_call(db, org, "Do you have a minute?") for _ in range(2)]
    _other = [scored_call(db, org, "Can you talk now?") for _ in range(2)]
    lead = principal_for(db, org.qc_lead)
    card = copy.deepcopy(editor.editing(db, lead, "outbound-sales").definition)
    item = next(i for s in card["sections"] for i in s["items"] if i["id"] == "permission")
    item["check"]["phrases"]["en"] = change(item["check"]["phrases"]["en"])
    draft = Scorecard.model_validate(card)

    fast = backtest.backtest(db, lead, "outbound-sales", draft)
    db.execute(update(CallScore).values(word_forms=None))
    slow = backtest.backtest(db, lead, "outbound-sales", draft)
    # Four calls hold none of the words that matter ("bad"; "do you have a minute"): unread.
    assert slow.unread == 0 and fast.unread == 4
    assert report_figures(fast) == report_figures(slow)
    assert {c.call_id for c in slow.changes} == set(own_words if moves == "own words" else asked)


def test_only_the_languages_of_the_reviewed_calls_are_loaded_for_the_prefilter(
    db: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The outbound card has five languages; these calls are English. Loading the other four
    # languages' tools cost a first backtest about 10 s.
    from qc.evaluations import backtest
    from qc.scoring import editor, nlp
    from qc.scoring.definitions import Scorecard

    for _ in range(2):
        scored_call(db, org, "Do you have a minute?")
    lead = principal_for(db, org.qc_lead)
    card = copy.deepcopy(editor.editing(db, lead, "outbound-sales").definition)
    item = next(i for s in card["sections"] for i in s["items"] if i["id"] == "permission")
    item["check"]["phrases"]["en"].append("bad moment")
    loaded: list[str] = []
    tools = nlp.tools
    monkeypatch.setattr(nlp, "tools", lambda code: loaded.append(code) or tools(code))

    report = backtest.backtest(db, lead, "outbound-sales", Scorecard.model_validate(card))

    assert report.unread == 2
    assert set(loaded) == {"en"}
