"""Blind review beside the route matrix: a rep who moved teams, the filter by alias, and a team
that turns blind review on while a reviewer is signed in."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.service import ReviewForm
from qc.feedback import disputes
from qc.feedback.disputes import DisputedItem
from qc.jobs import events
from qc.kit.pagination import PageRequest
from qc.users import identity
from qc.users.models import User
from qc.users.service import principal_for
from tests.factories import Org, api_token, bearer, make_checked_call, set_review_policy


def _disputed_call(db: Session, org: Org, settings: Any) -> int:
    """A call of the rep in their team of the moment, reviewed, released and disputed; its id."""
    call = make_checked_call(db, rep=org.rep)
    reviewer = principal_for(db, org.reviewer)
    review = evaluations.review_call(db, reviewer, call.id, settings=settings)
    answers = {a.item_id: AnswerInput(a.answer or "yes") for a in review.answers}
    assert review.assignment_id is not None
    evaluations.submit_review(db, reviewer, review.assignment_id, data=ReviewForm(answers), settings=settings)
    db.commit()
    events.dispatch_pending()
    item = review.answers[0].item_id
    disputes.open_dispute(
        db, principal_for(db, org.rep), review.id, items=[DisputedItem(item, "I did")], settings=settings
    )
    db.commit()
    return call.id


def _move(db: Session, rep: User, team_id: int) -> None:
    rep.team_id = team_id
    db.commit()


def test_a_rep_who_moved_teams_is_an_alias_only_where_the_team_reviews_blind(
    db: Session, org: Org, settings: Any
) -> None:
    set_review_policy(db, org.qc_lead, org.team, blind=True)
    blind_call = _disputed_call(db, org, settings)
    _move(db, org.rep, org.other_team.id)
    open_call = _disputed_call(db, org, settings)
    reviewer = principal_for(db, org.reviewer)
    shown = {
        row.dispute.call_id: row.rep_name for row in disputes.list_disputes(db, reviewer, settings=settings)
    }
    alias = identity.rep_alias(org.rep.id, settings)
    assert shown == {blind_call: alias, open_call: org.rep.name}
    # Filtering by who the rep is finds only the calls where the reviewer sees the name anyway.
    found = calls.list_calls(db, reviewer, settings=settings, rep=org.rep.email, page=PageRequest(1, 50))
    assert [c.id for c in found.items] == [open_call]
    by_alias = calls.list_calls(db, reviewer, settings=settings, rep=alias.lower(), page=PageRequest(1, 50))
    assert [c.id for c in by_alias.items] == [blind_call]
    lead = principal_for(db, org.qc_lead)
    everything = calls.list_calls(db, lead, settings=settings, rep=org.rep.email, page=PageRequest(1, 50))
    assert {c.id for c in everything.items} == {blind_call, open_call}
    assert calls.list_calls(db, lead, settings=settings, rep=alias, page=PageRequest(1, 50)).items == [], (
        "an alias means nothing to someone who sees names"
    )


def test_turning_blind_review_on_hides_the_rep_from_a_reviewer_already_signed_in(
    client: Any, db: Session, org: Org, settings: Any
) -> None:
    call = make_checked_call(db, rep=org.rep)
    token = api_token(db, org.reviewer)
    db.commit()
    before = client.get(f"/api/calls/{call.id}", headers=bearer(token)).json()["rep"]
    assert (before["id"], before["name"]) == (org.rep.id, org.rep.name)
    set_review_policy(db, org.qc_lead, org.team, blind=True)
    db.commit()
    after = client.get(f"/api/calls/{call.id}", headers=bearer(token)).json()["rep"]
    assert after == {
        "id": None,
        "name": identity.rep_alias(org.rep.id, settings),
        "email": None,
        "external_id": None,
    }
