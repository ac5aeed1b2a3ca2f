"""Disputes end to end: window and cap, withdrawal, item-by-item resolution through the
audited edit path, two resolvers at once, due times, overdue notices and figures."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.db import session_scope, utcnow
from qc.errors import Conflict, Forbidden, InvalidTransition, NotFound
from qc.evaluations import service as evaluations
from qc.evaluations.models import Evaluation, EvaluationEdit
from qc.feedback import disputes, policy
from qc.feedback.disputes import DisputedItem, DisputeInvalid, ItemDecision
from qc.feedback.models import Decision, Dispute, DisputeCause, DisputeStatus
from qc.jobs.models import Event
from qc.users.service import principal_for
from tests.factories import Browser, Org, api_token, bearer
from tests.feedback.conftest import submit_review

PRICE = DisputedItem("price", "I did ask about the budget at 1:10", proposed_answer="yes")


def _open(
    db: Session, org: Org, review: Evaluation, settings: Any, *items: DisputedItem, **kw: Any
) -> Dispute:
    rep = principal_for(db, org.rep)
    dispute = disputes.open_dispute(db, rep, review.id, items=list(items) or [PRICE], settings=settings, **kw)
    db.commit()
    return dispute


def _types(db: Session) -> list[str]:
    db.rollback()
    return list(db.scalars(select(Event.type).order_by(Event.id)))


# Opening ---------------------------------------------------------------------------------------------


def test_the_rep_disputes_an_item_of_a_released_review(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    dispute = _open(db, org, review, settings)
    assert dispute.status is DisputeStatus.OPEN and dispute.resolver_id is None  # any QC lead
    assert [(i.item_id, i.answer_before, i.proposed_answer) for i in dispute.items] == [
        ("price", "no", "yes")
    ]
    assert dispute.score_before == review.final_score
    assert "dispute.opened" in _types(db)


def test_one_open_dispute_per_review(db: Session, org: Org, review: Evaluation, settings: Any) -> None:
    _open(db, org, review, settings)
    with pytest.raises(Conflict):
        _open(db, org, review, settings, DisputedItem("greeting", "And the greeting too"))


def test_the_window_closes_after_the_team_setting(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    late = utcnow() + timedelta(days=settings.dispute_window_days, minutes=1)
    with pytest.raises(InvalidTransition, match="window has closed"):
        _open(db, org, review, settings, now=late)
    _open(db, org, review, settings, now=utcnow() + timedelta(days=settings.dispute_window_days - 1))


def test_items_are_capped_and_each_needs_a_comment(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    lead = principal_for(db, org.qc_lead)
    values = {
        "release_delay_hours": "0",
        "acknowledge_within_days": "3",
        "dispute_window_days": "7",
        "dispute_max_items": "2",
        "dispute_resolver": "qc_lead",
        "dispute_due_working_days": "2",
    }
    policy.update_team_rules(db, lead, team_id=org.team.id, values=values, settings=settings)
    db.commit()
    three = [DisputedItem(i, "Not what happened") for i in ("greeting", "price", "farewell")]
    with pytest.raises(DisputeInvalid) as capped:
        _open(db, org, review, settings, *three)
    assert "You can dispute 2 more items" in capped.value.errors["items"]
    with pytest.raises(DisputeInvalid) as empty:
        _open(db, org, review, settings, DisputedItem("price", " "), DisputedItem("nonsense", "x" * 10))
    assert set(empty.value.errors) == {"comment-price", "items"}
    with pytest.raises(DisputeInvalid) as bad:
        _open(db, org, review, settings, DisputedItem("price", "Wrong answer", proposed_answer="maybe"))
    assert "proposed-price" in bad.value.errors
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Dispute)) == 0


def test_only_the_rep_of_the_call_disputes(db: Session, org: Org, review: Evaluation, settings: Any) -> None:
    for person in (org.other_rep, org.manager, org.qc_lead):
        with pytest.raises(NotFound):
            disputes.open_dispute(db, principal_for(db, person), review.id, items=[PRICE], settings=settings)


def test_the_rep_withdraws_an_open_dispute(db: Session, org: Org, review: Evaluation, settings: Any) -> None:
    dispute = _open(db, org, review, settings)
    with pytest.raises(Forbidden):
        disputes.withdraw_dispute(db, principal_for(db, org.qc_lead), dispute.id)
    disputes.withdraw_dispute(db, principal_for(db, org.rep), dispute.id)
    db.commit()
    with pytest.raises(Conflict):
        disputes.withdraw_dispute(db, principal_for(db, org.rep), dispute.id)
    assert "dispute.withdrawn" in _types(db)
    _open(db, org, review, settings)  # a withdrawn dispute leaves the items open


def test_the_due_time_counts_working_days(db: Session, org: Org, review: Evaluation, settings: Any) -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    due = policy.add_working_days(db, org.team.id, friday, 2, settings=settings)
    assert due == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Monday and Tuesday


# Resolving ---------------------------------------------------------------------------------------------


def _decide(decision: Decision, answer: str | None = None) -> list[ItemDecision]:
    return [
        ItemDecision(
            "price", decision, answer, "Heard the budget question at 1:10", DisputeCause.REVIEWER_ERROR
        )
    ]


def test_a_changed_answer_recomputes_the_score_and_keeps_the_history(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    dispute = _open(db, org, review, settings)
    lead = principal_for(db, org.qc_lead)
    resolved = disputes.resolve_dispute(
        db, lead, dispute.id, decisions=_decide(Decision.CHANGED, "yes"), settings=settings
    )
    db.commit()
    assert resolved.status is DisputeStatus.RESOLVED and resolved.resolved_by_id == org.qc_lead.id
    assert resolved.score_after == 100 and resolved.score_before is not None and resolved.score_before < 100
    db.expire_all()
    evaluation = evaluations.get_evaluation(db, principal_for(db, org.rep), review.id)
    assert evaluation.final_score == 100
    price = next(a for a in evaluation.answers if a.item_id == "price")
    assert price.answer == "yes" and "Dispute #" in (price.override_reason or "")
    edit = db.scalars(select(EvaluationEdit).where(EvaluationEdit.action == "dispute")).one()
    assert edit.user_id == org.qc_lead.id and "Heard the budget question" in (edit.reason or "")
    assert {"field": "answer:price", "from": "no", "to": "yes"} in edit.changes
    assert _types(db)[-2:] == ["evaluation.edited", "dispute.resolved"]


def test_a_kept_answer_changes_nothing_but_says_why(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    dispute = _open(db, org, review, settings)
    resolved = disputes.resolve_dispute(
        db, principal_for(db, org.qc_lead), dispute.id, decisions=_decide(Decision.KEPT), settings=settings
    )
    db.commit()
    assert resolved.items[0].decision is Decision.KEPT and resolved.items[0].answer_after == "no"
    assert resolved.score_after == resolved.score_before
    assert (
        db.scalar(select(func.count()).select_from(EvaluationEdit).where(EvaluationEdit.action == "dispute"))
        == 0
    )
    with pytest.raises(DisputeInvalid):  # decided items cannot be disputed again
        _open(db, org, review, settings)


def test_every_item_needs_a_decision_reason_and_cause(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    dispute = _open(db, org, review, settings)
    lead = principal_for(db, org.qc_lead)
    with pytest.raises(DisputeInvalid) as missing:
        disputes.resolve_dispute(db, lead, dispute.id, decisions=[], settings=settings)
    assert set(missing.value.errors) == {"decision-price"}
    bad = [ItemDecision("price", Decision.CHANGED, "no", "", None)]
    with pytest.raises(DisputeInvalid) as wrong:
        disputes.resolve_dispute(db, lead, dispute.id, decisions=bad, settings=settings)
    assert set(wrong.value.errors) == {"reason-price", "cause-price", "answer-price"}


def test_who_may_resolve(db: Session, org: Org, settings: Any) -> None:
    review = submit_review(db, org, settings)
    dispute = _open(db, org, review, settings)
    for person in (org.rep, org.manager, org.reviewer):
        with pytest.raises(Forbidden):
            disputes.resolve_dispute(
                db, principal_for(db, person), dispute.id, decisions=_decide(Decision.KEPT), settings=settings
            )
    with pytest.raises(NotFound):
        disputes.resolve_dispute(
            db,
            principal_for(db, org.other_rep),
            dispute.id,
            decisions=_decide(Decision.KEPT),
            settings=settings,
        )


def test_a_team_may_route_disputes_to_the_original_reviewer(db: Session, org: Org, settings: Any) -> None:
    lead = principal_for(db, org.qc_lead)
    values = {
        "release_delay_hours": "0",
        "acknowledge_within_days": "3",
        "dispute_window_days": "7",
        "dispute_max_items": "5",
        "dispute_resolver": "reviewer",
        "dispute_due_working_days": "2",
    }
    policy.update_team_rules(db, lead, team_id=org.team.id, values=values, settings=settings)
    db.commit()
    review = submit_review(db, org, settings)
    dispute = _open(db, org, review, settings)
    assert dispute.resolver_id == org.reviewer.id
    reviewer = principal_for(db, org.reviewer)
    disputes.resolve_dispute(
        db, reviewer, dispute.id, decisions=_decide(Decision.CHANGED, "yes"), settings=settings
    )
    db.commit()


def test_two_resolvers_at_once_one_wins_the_other_gets_a_conflict(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    dispute = _open(db, org, review, settings)
    lead, admin = principal_for(db, org.qc_lead), principal_for(db, org.admin)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def resolve(who: Any, decision: Decision, answer: str | None) -> None:
        barrier.wait()
        try:
            with session_scope() as session:
                disputes.resolve_dispute(
                    session, who, dispute.id, decisions=_decide(decision, answer), settings=settings
                )
            outcomes.append(decision.value)
        except Conflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=resolve, args=(lead, Decision.CHANGED, "yes")),
        threading.Thread(target=resolve, args=(admin, Decision.KEPT, None)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["changed", "conflict"], ["conflict", "kept"])
    db.expire_all()
    stored = db.get(Dispute, dispute.id)
    assert stored is not None and stored.status is DisputeStatus.RESOLVED
    edits = db.scalar(
        select(func.count()).select_from(EvaluationEdit).where(EvaluationEdit.action == "dispute")
    )
    assert edits == (1 if "changed" in outcomes else 0)
    assert _types(db).count("dispute.resolved") == 1


def test_a_resolver_acting_on_a_stale_page_gets_a_conflict(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    dispute = _open(db, org, review, settings)
    disputes.resolve_dispute(
        db, principal_for(db, org.admin), dispute.id, decisions=_decide(Decision.KEPT), settings=settings
    )
    db.commit()
    with pytest.raises(Conflict, match="already resolved"):
        disputes.resolve_dispute(
            db,
            principal_for(db, org.qc_lead),
            dispute.id,
            decisions=_decide(Decision.CHANGED, "yes"),
            settings=settings,
        )


# Overdue and figures ---------------------------------------------------------------------------------------


def test_overdue_disputes_are_flagged_once(db: Session, org: Org, review: Evaluation, settings: Any) -> None:
    dispute = _open(db, org, review, settings)
    with session_scope() as session:
        assert disputes.flag_overdue(session, now=dispute.due_at - timedelta(minutes=1)) == 0
    with session_scope() as session:
        assert disputes.flag_overdue(session, now=dispute.due_at + timedelta(minutes=1)) == 1
    with session_scope() as session:
        assert disputes.flag_overdue(session, now=dispute.due_at + timedelta(days=1)) == 0
    assert _types(db).count("dispute.overdue") == 1
    rows = disputes.list_disputes(
        db, principal_for(db, org.qc_lead), settings=settings, now=dispute.due_at + timedelta(hours=1)
    )
    assert rows[0].overdue


def test_an_item_edited_while_disputed_is_decided_on_its_new_answer(
    db: Session, org: Org, review: Evaluation, settings: Any, app: Any
) -> None:
    dispute = _open(db, org, review, settings)
    assert dispute.items[0].answer_before == "no"
    lead = principal_for(db, org.qc_lead)
    evaluations.correct_answers(
        db,
        lead,
        review.id,
        answers={"price": "yes"},
        reasons={"price": "Listened again"},
        summary="Listened again",
        settings=settings,
    )
    db.commit()
    with Browser(app) as browser:
        browser.login_as(org.qc_lead)
        page = browser.page(f"/disputes/{dispute.id}")
        assert "Edited since the dispute was opened" in page.text
        keep = page.select_one("input[name='decision-price'][value='kept']").parent.text
        assert "Keep Yes" in " ".join(keep.split())
        assert "yes" not in [o["value"] for o in page.select("select[name='answer-price'] option")]
    with pytest.raises(DisputeInvalid) as same:
        disputes.resolve_dispute(
            db, lead, dispute.id, decisions=_decide(Decision.CHANGED, "yes"), settings=settings
        )
    assert "choose Keep instead" in same.value.errors["answer-price"]
    db.rollback()
    kept = disputes.resolve_dispute(db, lead, dispute.id, decisions=_decide(Decision.KEPT), settings=settings)
    db.commit()
    assert (kept.items[0].answer_before, kept.items[0].answer_after) == ("no", "yes")


def test_dispute_figures_per_item_and_reviewer(db: Session, org: Org, settings: Any) -> None:
    lead = principal_for(db, org.qc_lead)
    for hours, (decision, answer) in zip(
        (3, 8), ((Decision.CHANGED, "yes"), (Decision.KEPT, None)), strict=True
    ):
        review = submit_review(db, org, settings)
        dispute = _open(db, org, review, settings)
        disputes.resolve_dispute(db, lead, dispute.id, decisions=_decide(decision, answer), settings=settings)
        db.commit()
        assert dispute.closed_at is not None
        dispute.opened_at = dispute.closed_at - timedelta(hours=hours)
        db.commit()
    withdrawn = _open(db, org, submit_review(db, org, settings), settings)
    disputes.withdraw_dispute(db, principal_for(db, org.rep), withdrawn.id)
    db.commit()
    stats = disputes.dispute_stats(db, lead)
    price = next(f for f in stats.by_item if f.key == "outbound-sales:price")
    assert price.label == "States the price clearly"
    assert (price.disputed, price.overturned, price.overturn_rate) == (2, 1, 0.5)
    assert price.median_hours == 5.5  # the median of 3 and 8 hours; the withdrawn one does not count
    reviewer = next(f for f in stats.by_reviewer if f.label == org.reviewer.name)
    assert (reviewer.disputed, reviewer.overturned, reviewer.median_hours) == (2, 1, 5.5)
    assert stats.by_cause == {"reviewer_error": 1}
    with pytest.raises(Forbidden):
        disputes.dispute_stats(db, principal_for(db, org.rep))
    assert disputes.dispute_stats(db, principal_for(db, org.outsider_manager)).by_item == []


def test_automatic_check_overturns_reach_the_items_agreement_page(
    db: Session, org: Org, review: Evaluation, settings: Any, app: Any
) -> None:
    dispute = _open(db, org, review, settings)
    decisions = [
        ItemDecision(
            "price",
            Decision.CHANGED,
            "yes",
            "The check missed the budget question",
            DisputeCause.AUTO_CHECK_WRONG,
        )
    ]
    disputes.resolve_dispute(
        db, principal_for(db, org.qc_lead), dispute.id, decisions=decisions, settings=settings
    )
    db.commit()
    with Browser(app) as lead:
        lead.login_as(org.qc_lead)
        page = lead.page("/scorecards/outbound-sales/agreement/price")
        fragment_url = page.select_one("#dispute-overturns")["hx-get"]
        fragment = lead.page(fragment_url)
        assert f"Dispute #{dispute.id}" in fragment.text and "missed the budget" in fragment.text
        scorecard = lead.page("/scorecards/outbound-sales")
        assert scorecard.select_one("a[href$='/scorecards/outbound-sales/agreement']") is not None


# Through the pages and the API ------------------------------------------------------------------------------


def test_the_dispute_flow_through_the_pages(db: Session, org: Org, review: Evaluation, app: Any) -> None:
    with Browser(app) as rep, Browser(app) as lead:
        rep.login_as(org.rep)
        form_page = rep.page(f"/feedback/{review.id}/dispute")
        assert form_page.select_one("input[name='item-price']") is not None
        refused = rep.post(f"/feedback/{review.id}/dispute", data={"item-price": "on", "comment-price": ""})
        assert refused.status_code == 422 and "Say what the reviewer missed" in refused.text
        sent = rep.post(
            f"/feedback/{review.id}/dispute",
            data={"item-price": "on", "comment-price": "I asked about the budget", "proposed-price": "yes"},
        )
        assert sent.status_code == 303
        dispute_url = sent.headers["location"]

        lead.login_as(org.qc_lead)
        listing = lead.page("/disputes")
        assert listing.select_one(f"a[href$='{dispute_url}']") is not None
        page = lead.page(dispute_url)
        assert "I asked about the budget" in page.text and page.select_one("select[name='cause-price']")
        resolved = lead.post(
            dispute_url,
            data={
                "decision-price": "changed",
                "answer-price": "yes",
                "reason-price": "You did ask it",
                "cause-price": "reviewer_error",
            },
        )
        assert resolved.status_code == 303

        outcome = rep.page(dispute_url)
        assert "Changed to Yes" in outcome.text and "You did ask it" in outcome.text
        mine = rep.page("/feedback")
        assert mine.select_one(f"#evaluation-{review.id} .score").text.strip().startswith("100")


def test_the_dispute_api(db: Session, org: Org, review: Evaluation, app: Any) -> None:
    from fastapi.testclient import TestClient

    rep_token, lead_token = api_token(db, org.rep), api_token(db, org.qc_lead)
    db.commit()
    with TestClient(app) as client:
        opened = client.post(
            f"/api/evaluations/{review.id}/disputes",
            json={"items": [{"item_id": "price", "comment": "I asked it", "proposed_answer": "yes"}]},
            headers=bearer(rep_token),
        )
        assert opened.status_code == 201, opened.text
        dispute_id = opened.json()["id"]
        assert [
            d["id"] for d in client.get("/api/disputes?status=open", headers=bearer(lead_token)).json()
        ] == [dispute_id]
        body = {
            "items": [
                {
                    "item_id": "price",
                    "decision": "changed",
                    "answer": "yes",
                    "reason": "Yes",
                    "cause": "reviewer_error",
                }
            ]
        }
        resolved = client.post(f"/api/disputes/{dispute_id}/resolve", json=body, headers=bearer(lead_token))
        assert resolved.status_code == 200 and resolved.json()["score_after"] == 100
        again = client.post(f"/api/disputes/{dispute_id}/resolve", json=body, headers=bearer(lead_token))
        assert again.status_code == 409
        listed = client.get(f"/api/evaluations?rep={org.rep.email}", headers=bearer(lead_token)).json()
        assert (
            listed["items"][0]["final_score"] == 100
            and listed["items"][0]["disputes"][0]["status"] == "resolved"
        )


def _cap(db: Session, org: Org, settings: Any, **changes: str) -> None:
    values = {
        "release_delay_hours": "0",
        "acknowledge_within_days": "3",
        "dispute_window_days": "7",
        "dispute_max_items": "5",
        "dispute_resolver": "qc_lead",
        "dispute_due_working_days": "2",
        **changes,
    }
    policy.update_team_rules(
        db, principal_for(db, org.qc_lead), team_id=org.team.id, values=values, settings=settings
    )
    db.commit()


def test_the_cap_counts_every_dispute_of_a_review(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    _cap(db, org, settings, dispute_max_items="1")
    dispute = _open(db, org, review, settings)
    disputes.resolve_dispute(
        db, principal_for(db, org.qc_lead), dispute.id, decisions=_decide(Decision.KEPT), settings=settings
    )
    db.commit()
    with pytest.raises(DisputeInvalid) as capped:
        _open(db, org, review, settings, DisputedItem("greeting", "And the greeting was there too"))
    assert "0 more items" in capped.value.errors["items"]


def test_a_withdrawn_dispute_gives_its_items_back(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    _cap(db, org, settings, dispute_max_items="1")
    dispute = _open(db, org, review, settings)
    disputes.withdraw_dispute(db, principal_for(db, org.rep), dispute.id)
    db.commit()
    _open(db, org, review, settings, DisputedItem("greeting", "The greeting was there"))


def test_two_overdue_sweeps_at_once_flag_a_dispute_once(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    from qc.feedback import repository

    dispute = _open(db, org, review, settings)
    later = dispute.due_at + timedelta(minutes=1)
    with session_scope() as first:  # one sweep reads the overdue disputes...
        stale = [d.id for d in repository.overdue_unflagged(first, later)]
    with session_scope() as second:  # ...another flags them meanwhile...
        assert disputes.flag_overdue(second, now=later) == 1
    assert stale == [dispute.id]
    with session_scope() as first:  # ...and the first one's flag finds it taken
        assert repository.flag_overdue_once(first, dispute.id, later) is False
    assert _types(db).count("dispute.overdue") == 1


def test_reviewers_see_blind_aliases_in_disputes(
    db: Session, org: Org, review: Evaluation, settings: Any
) -> None:
    from qc.reviews import service as reviews
    from qc.reviews.service import PolicyForm

    _open(db, org, review, settings)
    form = PolicyForm(
        target=2,
        working_days="1,2,3,4,5",
        timezone="UTC",
        day_start="09:00",
        day_end="18:00",
        min_duration_s=30,
        risk_share_percent=50,
        low_score=70,
        exclude_own_team=False,
        blind=True,
    )
    reviews.update_policy(db, principal_for(db, org.qc_lead), team_id=org.team.id, form=form)
    db.commit()
    reviewer_rows = disputes.list_disputes(db, principal_for(db, org.reviewer), settings=settings)
    assert (
        reviewer_rows
        and reviewer_rows[0].rep_name.startswith("Rep ")
        and reviewer_rows[0].rep_name != org.rep.name
    )
    lead_rows = disputes.list_disputes(db, principal_for(db, org.qc_lead), settings=settings)
    assert lead_rows[0].rep_name == org.rep.name
