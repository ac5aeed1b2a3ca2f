"""Open review drafts follow their call's re-scored checks: answers left as the check said
take the new check's answer, answers the reviewer set are kept and reported, submitted
reviews never change, and a page older than the checks cannot submit the old ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.evaluations import rescored, service
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation, EvaluationStatus
from qc.evaluations.service import ReviewForm
from qc.jobs import events
from qc.scoring import service as scoring
from qc.scoring.definitions import Status
from qc.scoring.models import ScorecardVersion
from qc.scoring.results import Evidence, ItemResult, ScoreResult
from qc.users.service import principal_for
from tests.factories import Org, make_checked_call

PRICE = "States the price clearly"
NEEDS_SUMMARY = "Sums up what the customer needs"


def _rescore(db: Session, call_id: int, *, version_id: int | None = None, **statuses: str) -> None:
    """Store new automatic results for the call as the scoring stage does (a swap of its
    sides, a published scorecard): the same verdicts as before but `statuses`, each with new
    evidence; with `version_id`, scored with that revision's items."""
    score = scoring.get_call_score(db, call_id)
    assert score is not None
    before = {check.item_id: check.status for check in score.checks}
    version = db.get_one(ScorecardVersion, version_id or score.scorecard_version_id)
    items = [
        ItemResult(
            item.id,
            Status(statuses.get(item.id, before.get(item.id, Status.PASS))),
            0.8,
            f"{item.id}: re-scored",
            [Evidence("match", "agent", 2.0, 3.0, "after the swap", '"after"')],
        )
        for item in scoring.definition(version).items
    ]
    result = ScoreResult(version.scorecard_id, "en", items, 70.0, [], True)
    call = db.get_one(Call, call_id)
    scoring.store_score(db, call, scoring.ScoringOutput(version.id, result, None))
    db.commit()


def _answers(evaluation: Evaluation) -> dict[str, Any]:
    return {a.item_id: a for a in evaluation.answers}


def _reload(db: Session, evaluation_id: int) -> Evaluation:
    db.expire_all()
    evaluation = service.repo.get(db, evaluation_id)
    assert evaluation is not None
    return evaluation


@pytest.fixture
def draft(db: Session, org: Org, settings: Any) -> Evaluation:
    """A review draft whose reviewer set two answers of their own: no to own_name (the check
    said yes) and yes to needs_summary (the check left it to them)."""
    call = make_checked_call(db, rep=org.rep, statuses={"price": "fail", "needs_summary": "needs_review"})
    db.commit()
    reviewer = principal_for(db, org.reviewer)
    evaluation = service.review_call(db, reviewer, call.id, settings=settings)
    given = {a.item_id: AnswerInput(a.answer) for a in evaluation.answers}
    given["own_name"] = AnswerInput("no", "He never says his name")
    given["needs_summary"] = AnswerInput("yes")
    assert evaluation.assignment_id is not None
    service.save_draft(db, reviewer, evaluation.assignment_id, data=ReviewForm(given), settings=settings)
    db.commit()
    return evaluation


# The draft follows the checks ------------------------------------------------------------------------


def test_a_rescore_updates_the_answers_left_as_the_check_said_and_keeps_the_reviewers(
    db: Session, draft: Evaluation
) -> None:
    _rescore(db, draft.call_id, price="pass", greeting="fail", own_name="fail", needs_summary="fail")
    before = _answers(_reload(db, draft.id))
    assert before["price"].answer == "no", "nothing changes before the event is handled"
    events.dispatch_pending()
    answers = _answers(_reload(db, draft.id))
    # Pre-filled and untouched: they follow the new checks.
    assert (answers["price"].answer, answers["price"].auto_answer, answers["price"].auto_status) == (
        "yes",
        "yes",
        Status.PASS,
    )
    assert (answers["greeting"].answer, answers["greeting"].auto_change) == ("no", rescored.UPDATED)
    # The reviewer's own answers stay, whatever the check now says.
    assert (answers["needs_summary"].answer, answers["needs_summary"].auto_answer) == ("yes", "no")
    assert answers["needs_summary"].auto_change == rescored.KEPT
    assert (answers["own_name"].answer, answers["own_name"].auto_answer) == ("no", "no")
    assert answers["own_name"].override_reason == "He never says his name"
    # Items whose check did not change are left as they were.
    assert answers["farewell"].auto_change is None and answers["farewell"].answer == "yes"
    card = scoring.definition(_reload(db, draft.id).scorecard_version)
    notice = rescored.notice(card, list(answers.values()))
    assert notice == rescored.ChecksNotice(updated=2, differing=[NEEDS_SUMMARY])
    assert rescored.refresh_drafts(db, call_id=draft.call_id) == 0, "handling it again changes nothing"


def test_a_draft_without_rescoring_has_no_notice(db: Session, draft: Evaluation) -> None:
    evaluation = _reload(db, draft.id)
    assert rescored.notice(scoring.definition(evaluation.scorecard_version), evaluation.answers) is None
    _rescore(db, draft.call_id)  # the same verdicts again: nothing for the reviewer
    events.dispatch_pending()
    evaluation = _reload(db, draft.id)
    assert all(a.auto_change is None for a in evaluation.answers)


def test_a_submitted_review_never_follows_a_rescore(
    db: Session, org: Org, draft: Evaluation, settings: Any
) -> None:
    reviewer = principal_for(db, org.reviewer)
    given = {a.item_id: AnswerInput(a.answer, "He never says his name") for a in draft.answers}
    given["own_name"] = AnswerInput("no", "He never says his name")
    given["needs_summary"] = AnswerInput("yes")
    assert draft.assignment_id is not None
    service.submit_review(db, reviewer, draft.assignment_id, data=ReviewForm(given), settings=settings)
    db.commit()
    submitted = _reload(db, draft.id)
    kept = {a.item_id: (a.answer, a.auto_status, a.auto_answer) for a in submitted.answers}
    final_score = submitted.final_score
    _rescore(db, draft.call_id, price="pass", greeting="fail", needs_summary="fail")
    events.dispatch_pending()
    after = _reload(db, draft.id)
    assert after.status is EvaluationStatus.SUBMITTED and after.final_score == final_score
    assert {a.item_id: (a.answer, a.auto_status, a.auto_answer) for a in after.answers} == kept
    assert all(a.auto_change is None for a in after.answers)


@pytest.mark.usefixtures("scorecard_revisions_restored")
def test_a_draft_moves_to_the_revision_its_call_is_now_scored_with(
    browser: Any, db: Session, org: Org, draft: Evaluation
) -> None:
    current = db.get_one(ScorecardVersion, draft.scorecard_version_id)
    definition = copy.deepcopy(current.definition)
    for section in definition["sections"]:
        for item in section["items"]:
            if item["id"] == "needs_summary":
                item["label"] = "Sums up <em>needs</em> & wants"
    last = definition["sections"][-1]["items"]
    last[:] = [item for item in last if item["id"] != "monologue"]
    last.append({**copy.deepcopy(last[-1]), "id": "recap", "label": "Recaps the call"})
    published = ScorecardVersion(
        scorecard_id=current.scorecard_id,
        revision=current.revision + 100,
        label="test",
        title=current.title,
        content_hash="rescored-drafts-test",
        definition=definition,
        source_file=current.source_file,
        is_current=False,
    )
    db.add(published)
    db.commit()
    url = f"/reviews/{draft.assignment_id}"
    old_page = _fields(browser.login_as(org.reviewer).page(url))
    _rescore(db, draft.call_id, version_id=published.id, price="pass", recap="fail", needs_summary="fail")
    events.dispatch_pending()
    evaluation = _reload(db, draft.id)
    assert evaluation.scorecard_version_id == published.id
    answers = _answers(evaluation)
    assert [a.item_id for a in evaluation.answers] == [i.id for i in scoring.definition(published).items]
    assert "monologue" not in answers
    assert (answers["recap"].answer, answers["recap"].auto_change) == ("no", rescored.UPDATED)
    assert answers["price"].answer == "yes" and answers["needs_summary"].answer == "yes"
    assert [a.position for a in evaluation.answers] == list(range(len(evaluation.answers)))
    # A page of the old revision does not submit; the page shows the new revision's items,
    # and the labels it names are text, not markup.
    assert browser.post(url, data=old_page).status_code == 409
    page = browser.page(url)
    assert page.select_one('fieldset[data-item="recap"]') is not None
    assert page.select_one('fieldset[data-item="monologue"]') is None
    notice = page.select_one("#checks-changed")
    assert [s.get_text() for s in notice.select(".differing-item")] == ["Sums up <em>needs</em> & wants"]
    assert notice.select_one("em") is None


# The workspace -------------------------------------------------------------------------------------


def _fields(page: BeautifulSoup) -> dict[str, str]:
    """What the review form posts as the page stands: hidden fields, checked radios, reasons
    and the comment."""
    form = page.select_one("#review-form")
    assert form is not None
    fields: dict[str, str] = {}
    for field in form.select("input[name]"):
        kind = field.get("type", "text")
        if kind == "radio" and not field.has_attr("checked"):
            continue
        fields[str(field["name"])] = str(field.get("value", ""))
    for area in form.select("textarea[name]"):
        fields[str(area["name"])] = area.get_text()
    return fields


def test_the_review_page_says_what_the_rescore_changed(
    browser: Any, db: Session, org: Org, draft: Evaluation
) -> None:
    url = f"/reviews/{draft.assignment_id}"
    browser.login_as(org.reviewer)
    page = browser.page(url)
    assert page.select_one("#checks-changed") is None
    _rescore(db, draft.call_id, price="pass", greeting="fail", needs_summary="fail")
    events.dispatch_pending()
    page = browser.page(url)
    notice = page.select_one("#checks-changed")
    assert notice is not None
    text = " ".join(notice.get_text(" ", strip=True).split())
    assert "The automatic checks changed since you started (the call was re-scored)" in text
    assert "2 answers were updated" in text
    assert "where the check changed, 1 answer you set differs from it" in text
    assert [s.get_text() for s in notice.select(".differing-item")] == [NEEDS_SUMMARY]
    price = page.select_one('fieldset[data-item="price"]')
    assert price.select_one("input[checked]")["value"] == "yes"
    assert price["data-suggested"] == "yes"
    assert price.select_one('.check-changed[data-change="updated"]') is not None
    assert page.select_one('input[name="auto-price"]')["value"] == "yes"
    assert "after the swap" in price.select_one(".evidence").get_text(), "the new evidence is shown"
    summary = page.select_one('fieldset[data-item="needs_summary"]')
    assert summary.select_one("input[checked]")["value"] == "yes"
    assert summary.select_one('.check-changed[data-change="kept"]') is not None


@pytest.mark.parametrize("dispatched", [True, False], ids=["event-handled", "event-pending"])
def test_a_submit_from_a_page_older_than_the_checks_is_sent_back_to_the_refreshed_draft(
    browser: Any, db: Session, org: Org, draft: Evaluation, dispatched: bool
) -> None:
    url = f"/reviews/{draft.assignment_id}"
    browser.login_as(org.reviewer)
    fields = _fields(browser.page(url))
    assert fields["answer-price"] == "no" and fields["auto-price"] == "no"
    _rescore(db, draft.call_id, price="pass", needs_summary="fail")
    if dispatched:
        events.dispatch_pending()
    # The reviewer goes on with the page they loaded before the re-scoring.
    fields.update({"overall_comment": "Clear pitch.", "reason-needs_summary": "He summed it up at 1:10"})
    refused = browser.post(url, data=fields)
    assert refused.status_code == 409
    page = BeautifulSoup(refused.text, "html.parser")
    assert "the automatic checks changed" in page.select_one("#submit-refused").get_text()
    assert page.select_one("#checks-changed") is not None
    assert page.select_one('fieldset[data-item="price"] input[checked]')["value"] == "yes"
    assert page.select_one("textarea[name=overall_comment]").get_text() == "Clear pitch."
    evaluation = _reload(db, draft.id)
    assert evaluation.status is EvaluationStatus.DRAFT, "nothing was submitted"
    answers = _answers(evaluation)
    assert answers["price"].answer == "yes", "the old check's no is not written back"
    assert answers["needs_summary"].answer == "yes"
    assert answers["needs_summary"].override_reason == "He summed it up at 1:10"
    assert evaluation.overall_comment == "Clear pitch."
    # From the refreshed page the review goes through, with the new checks' answers.
    done = browser.post(url, data=_fields(page))
    assert done.status_code == 303, done.text[:500]
    evaluation = _reload(db, draft.id)
    assert evaluation.status is EvaluationStatus.SUBMITTED
    assert _answers(evaluation)["price"].answer == "yes"


def test_a_submit_keeps_answers_the_reviewer_changed_on_an_older_page(
    browser: Any, db: Session, org: Org, draft: Evaluation
) -> None:
    url = f"/reviews/{draft.assignment_id}"
    browser.login_as(org.reviewer)
    fields = _fields(browser.page(url))
    _rescore(db, draft.call_id, price="pass", greeting="fail")
    events.dispatch_pending()
    # On the old page the reviewer had changed greeting themselves (to no, as the check now
    # says): it was not left as the old check said, so it is theirs.
    fields.update({"answer-greeting": "no", "reason-greeting": "No greeting at all"})
    refused = browser.post(url, data=fields)
    assert refused.status_code == 409
    answers = _answers(_reload(db, draft.id))
    assert answers["greeting"].answer == "no" and answers["greeting"].auto_answer == "no"
    assert answers["own_name"].answer == "no", "the reviewer's earlier answer stays"


def test_an_autosave_from_an_older_page_does_not_write_the_old_checks_back(
    browser: Any, db: Session, org: Org, draft: Evaluation
) -> None:
    url = f"/reviews/{draft.assignment_id}"
    browser.login_as(org.reviewer)
    fields = _fields(browser.page(url))
    _rescore(db, draft.call_id, price="pass")
    events.dispatch_pending()
    saved = browser.post(f"{url}/draft", data={**fields, "overall_comment": "So far so good"})
    assert saved.status_code == 200
    fragment = BeautifulSoup(saved.text, "html.parser")
    stale = fragment.select_one("#checks-stale")
    assert stale is not None and stale.select_one("a")["href"] == url
    evaluation = _reload(db, draft.id)
    assert _answers(evaluation)["price"].answer == "yes"
    assert evaluation.overall_comment == "So far so good"
    # A save from the current page is not stale.
    current = browser.post(f"{url}/draft", data=_fields(browser.page(url)))
    assert BeautifulSoup(current.text, "html.parser").select_one("#checks-stale") is None


def test_forms_that_do_not_say_which_checks_they_saw_are_taken_as_they_are(
    db: Session, org: Org, draft: Evaluation, settings: Any
) -> None:
    _rescore(db, draft.call_id, price="pass")
    events.dispatch_pending()
    evaluation = _reload(db, draft.id)
    given = {a.item_id: AnswerInput(a.answer, "Listened again") for a in evaluation.answers}
    assert evaluation.assignment_id is not None
    reviewer = principal_for(db, org.reviewer)
    done = service.submit_review(
        db, reviewer, evaluation.assignment_id, data=ReviewForm(given), settings=settings
    )
    assert done.status is EvaluationStatus.SUBMITTED
    assert _answers(done)["price"].answer == "yes"
    assert db.scalar(select(Evaluation.status).where(Evaluation.id == draft.id)) is EvaluationStatus.SUBMITTED


def test_a_save_that_waited_for_a_submit_does_not_change_the_submitted_review(
    browser: Any, db: Session, org: Org, draft: Evaluation
) -> None:
    # An autosave reads the assignment (still in review), then waits for the draft's lock while
    # the submit commits: it finds the evaluation submitted and must leave it as it is.
    url = f"/reviews/{draft.assignment_id}"
    browser.login_as(org.reviewer)
    fields = _fields(browser.page(url))
    db.get(Evaluation, draft.id).status = EvaluationStatus.SUBMITTED  # the submit, committed first
    db.commit()
    saved = browser.post(f"{url}/draft", data={**fields, "overall_comment": "Changed after submitting"})
    assert saved.status_code == 409
    assert _reload(db, draft.id).overall_comment != "Changed after submitting"
