"""Who may reach which route: one permission matrix over every page and API route of the app.

Each row of `TABLE` names a route (its name and method) and the status every persona must
get. `test_every_route_has_a_row_and_every_row_a_route` keeps the table and the app in step, so a new route
fails the suite until it joins the matrix. `test_permission_matrix` sends one request per
cell against one arrangement (a rep's scored and reviewed call, a pick in review,
calibration sessions...) and reports every wrong cell in one assertion.

Mutating routes get a body that an allowed persona has refused as invalid (422), or one
that is harmless to act on: a no-op, or an object made for that cell alone. Within a row
the cells that must be refused run first, and each must leave the database as it was.

A cell the server gets wrong today is written `Bug(status, reason)` with the status it
must answer; the matrix skips it and `test_known_bugs_are_still_bugs` turns red once it is
fixed, until the mark is removed.
"""

from __future__ import annotations

import io
import itertools
import re
import wave
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, cast

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from httpx import Response
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from starlette.routing import Mount

from qc.board import links as board_links
from qc.calls.models import Call
from qc.coaching.models import CoachingAction, CoachingEvaluation, CoachingFocus, CoachingSession
from qc.config import Settings
from qc.db import utcnow
from qc.digest import service as digest_service
from qc.evaluations import calibration, comments
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation
from qc.evaluations.service import ReviewForm
from qc.feedback import disputes
from qc.feedback.disputes import DisputedItem, ItemDecision
from qc.feedback.models import Decision, DisputeCause
from qc.jobs import events
from qc.kit.csrf import session_csrf_token
from qc.kit.web import CSRF_COOKIE, SESSION_COOKIE
from qc.models import Base
from qc.notifications import webhooks
from qc.notifications.models import Notification
from qc.training import catalogue as training_catalogue
from qc.training import rulebook as training_rules
from qc.training import service as training
from qc.users import service as users
from qc.users.models import Role
from qc.users.service import principal_for
from tests.factories import (
    Browser,
    Org,
    api_token,
    bearer,
    make_checked_call,
    make_user,
    set_review_policy,
)

Persona = Literal[
    "rep", "other_rep", "outsider_manager", "reviewer", "qc_lead", "admin", "manager", "anonymous"
]
# `manager` manages the rep's team; `outsider_manager` and `other_rep` belong to the other team;
# `anonymous` is not signed in at all.
PERSONAS: tuple[Persona, ...] = (
    "rep",
    "other_rep",
    "outsider_manager",
    "reviewer",
    "qc_lead",
    "admin",
    "manager",
    "anonymous",
)
MISSING_ID = 2**31 - 1  # a valid id that no row has
SUNDAY = "2020-01-05"  # not a working day: building its queue is a no-op


@dataclass(frozen=True)
class Bug:
    """A cell the server gets wrong today: `status` is what it must answer."""

    status: int
    reason: str


Expected = int | Bug


def expect(default: int, **cells: Expected) -> dict[Persona, Expected]:
    """`default` for every persona but those named."""
    unknown = set(cells) - set(PERSONAS)
    if unknown:
        raise ValueError(f"not personas: {sorted(unknown)}")
    return {persona: cells.get(persona, default) for persona in PERSONAS}


def sees_call(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Routes showing the rep's call: the other team's rep and manager are told it does not exist."""
    return expect(status, other_rep=404, outsider_manager=404, anonymous=anonymous)


def sees_review(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """The submitted review of the rep's call: the rep and their manager may read it, the
    other team may not know it exists."""
    return expect(status, other_rep=404, outsider_manager=404, anonymous=anonymous)


def corrects_review(status: int) -> dict[Persona, Expected]:
    """Changing the submitted review: its author (the reviewer) and QC staff only; the rep and
    their manager read it but may not change it."""
    return expect(status, rep=403, manager=403, other_rep=404, outsider_manager=404, anonymous=303)


def queue_staff(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Running the queue and calibration: QC leads and administrators."""
    return expect(403, qc_lead=status, admin=status, anonymous=anonymous)


def reviewers(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Working the queue: reviewers, QC leads and administrators."""
    return expect(403, reviewer=status, qc_lead=status, admin=status, anonymous=anonymous)


def holder(status: int, *, others: int, anonymous: int) -> dict[Persona, Expected]:
    """A pick in review: only the reviewer holding it may work on it or give it back."""
    return expect(others, reviewer=status, anonymous=anonymous)


def participants(status: int) -> dict[Persona, Expected]:
    """Scoring in the open calibration session: its lead (the QC lead) and the reviewer in it;
    an administrator who is not in it is refused like everyone else."""
    return expect(403, qc_lead=status, reviewer=status, anonymous=303)


def resolves(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Resolving the rep's dispute: QC staff; the rep, their manager and the reviewer see it
    (403: not theirs to decide); the other team may not know it exists."""
    return expect(403, qc_lead=status, admin=status, other_rep=404, outsider_manager=404, anonymous=anonymous)


def withdraws(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Withdrawing a dispute: only the rep who opened it."""
    return expect(403, rep=status, other_rep=404, outsider_manager=404, anonymous=anonymous)


def admins(status: int, *, anonymous: int = 303) -> dict[Persona, Expected]:
    return expect(403, admin=status, anonymous=anonymous)


def coaches(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Planning coaching for the rep: their manager, QC leads and administrators; reps and the
    reviewer are refused, and the other team's manager is told the rep does not exist."""
    return expect(
        403, manager=status, qc_lead=status, admin=status, outsider_manager=404, anonymous=anonymous
    )


def sees_team(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """The rep's team page: its manager, QC leads and administrators; the other team's manager
    is told it does not exist; reps and the reviewer are refused."""
    return expect(
        403, manager=status, qc_lead=status, admin=status, outsider_manager=404, anonymous=anonymous
    )


def sees_coaching(status: int, *, rep: int, anonymous: int) -> dict[Persona, Expected]:
    """The rep's coaching session: `status` for those who coach the rep, `rep` for the rep; the
    other team and the reviewer may not know it exists."""
    return expect(404, manager=status, qc_lead=status, admin=status, rep=rep, anonymous=anonymous)


# The arrangement -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """The objects the path parameters point at (ids, so they outlive any session)."""

    org: Org
    settings: Settings
    call_id: int  # the rep's call: scored, with a transcript, reviewed
    evaluation_id: int  # its review, submitted by the reviewer
    pick_id: int  # a pick of another call of the rep, in review by the reviewer
    draft_id: int  # the reviewer's draft of that pick
    dispute_id: int  # the rep's open dispute of that review
    calibration_id: int  # open, run by the QC lead with the reviewer, holding the call
    closed_calibration_id: int
    spare_user_id: int  # an active rep nothing depends on
    tokens: dict[Persona, str]  # API tokens of the signed-in personas
    notification_id: int  # a notice in the rep's inbox
    webhook_id: int  # the organisation's webhook endpoint
    coaching_id: int  # the rep's scheduled coaching session, planned by the manager
    coaching_action_id: int  # its action item

    def path(self) -> dict[str, Any]:
        """The default value of each path parameter."""
        return {
            "call_id": self.call_id,
            "evaluation_id": self.evaluation_id,
            "assignment_id": self.pick_id,
            "session_id": self.calibration_id,
            "dispute_id": self.dispute_id,
            "team_id": self.org.team.id,
            "user_id": self.org.rep.id,
            "scorecard_id": "outbound-sales",
            "item_id": "price",
            "fmt": "txt",
            "path": "css/app.css",  # the static files mount
            "notification_id": self.notification_id,
            "endpoint_id": self.webhook_id,
            "rep_id": self.org.rep.id,
            "action_id": self.coaching_action_id,
        }


def arrange(db: Session, org: Org, settings: Settings) -> World:
    reviewer, lead = principal_for(db, org.reviewer), principal_for(db, org.qc_lead)
    call = make_checked_call(db, rep=org.rep)
    review = evaluations.review_call(db, reviewer, call.id, settings=settings)
    answers = {a.item_id: AnswerInput(a.answer or "yes") for a in review.answers}
    evaluations.submit_review(db, reviewer, review.assignment_id, data=ReviewForm(answers), settings=settings)
    db.commit()
    dispute = _disputed(db, org, review.id, settings)
    held = make_checked_call(db, rep=org.rep)
    draft = evaluations.review_call(db, reviewer, held.id, settings=settings)
    sessions = [
        calibration.create_session(db, lead, title=title, call_ids=[call.id], reviewer_ids=[org.reviewer.id])
        for title in ("Week 48", "Week 47")
    ]
    calibration.close_session(db, lead, sessions[1].id)
    spare = make_user(db, role=Role.REP, team=org.team, name="Sam Spare")
    tokens = {p: api_token(db, getattr(org, p)) for p in PERSONAS if p != "anonymous"}
    notice = Notification(user_id=org.rep.id, kind="matrix", subject="matrix:1", text="A notice for the rep")
    db.add(notice)
    webhook, _secret = fresh_webhook_endpoint(db, org)
    planned = coaching_session(db, org, review.id)
    db.commit()
    assert draft.assignment_id is not None
    return World(
        org=org,
        settings=settings,
        call_id=call.id,
        evaluation_id=review.id,
        dispute_id=dispute,
        pick_id=draft.assignment_id,
        draft_id=draft.id,
        calibration_id=sessions[0].id,
        closed_calibration_id=sessions[1].id,
        spare_user_id=spare.id,
        tokens=cast(dict[Persona, str], tokens),
        notification_id=notice.id,
        webhook_id=webhook.id,
        coaching_id=planned.id,
        coaching_action_id=planned.actions[0].id,
    )


_names = itertools.count(1)


def _disputed(db: Session, org: Org, evaluation_id: int, settings: Settings) -> int:
    """Release the submitted review to the rep (the outbox's handlers) and open a dispute on it."""
    db.commit()
    events.dispatch_pending()
    item = next(a.item_id for a in evaluations.evaluations_by_id(db, [evaluation_id])[evaluation_id].answers)
    rep = principal_for(db, org.rep)
    items = [DisputedItem(item, "The reviewer missed my greeting")]
    dispute = disputes.open_dispute(db, rep, evaluation_id, items=items, settings=settings)
    db.commit()
    return dispute.id


def fresh_dispute(db: Session, world: World) -> dict[str, Any]:
    """Another reviewed, released and disputed call of the rep, for the cell that withdraws it."""
    call = make_checked_call(db, rep=world.org.rep)
    reviewer = principal_for(db, world.org.reviewer)
    review = evaluations.review_call(db, reviewer, call.id, settings=world.settings)
    answers = {a.item_id: AnswerInput(a.answer or "yes") for a in review.answers}
    assert review.assignment_id is not None
    evaluations.submit_review(
        db, reviewer, review.assignment_id, data=ReviewForm(answers), settings=world.settings
    )
    return {"dispute_id": _disputed(db, world.org, review.id, world.settings)}


def fresh_pick(db: Session, world: World) -> dict[str, Any]:
    """A new pick in review by the reviewer, for the cell that gives it back."""
    call = make_checked_call(db, rep=world.org.rep)
    reviewer = principal_for(db, world.org.reviewer)
    draft = evaluations.review_call(db, reviewer, call.id, settings=world.settings)
    db.commit()
    return {"assignment_id": draft.assignment_id}


def fresh_call(db: Session, world: World) -> dict[str, Any]:
    """Another scored stereo call of the rep, for the cell that swaps its sides (and re-scores it)."""
    call = make_checked_call(db, rep=world.org.rep)
    db.commit()
    return {"call_id": call.id}


def fresh_comment(db: Session, world: World) -> dict[str, Any]:
    """A new comment of the reviewer on the submitted review, for the cell that deletes it."""
    reviewer = principal_for(db, world.org.reviewer)
    listed = comments.add_comment(db, reviewer, world.evaluation_id, text="Listen from here", at_s=1.0)
    db.commit()
    return {"comment_id": max(c.id for c in listed)}


def fresh_token(db: Session, world: World) -> dict[str, Any]:
    """A new API token of the spare user, for the cell that revokes it."""
    spare = users.get_person(db, world.spare_user_id)
    users.create_api_token(db, user=spare, name=f"cell {next(_names)}")
    token_id = max(t.id for t in users.list_api_tokens(db, user=spare))
    db.commit()
    return {"user_id": spare.id, "token_id": token_id}


def fresh_webhook_endpoint(db: Session, org: Org) -> tuple[Any, str]:
    """A webhook endpoint of the organisation (it is never sent to: nothing drains the queue)."""
    form = webhooks.EndpointForm(url="https://hooks.example.test/qc")
    return webhooks.create_endpoint(db, principal_for(db, org.admin), form)


def fresh_webhook(db: Session, world: World) -> dict[str, Any]:
    """A new webhook endpoint, for the cell that deletes it."""
    endpoint, _secret = fresh_webhook_endpoint(db, world.org)
    db.commit()
    return {"endpoint_id": endpoint.id}


def coaching_session(db: Session, org: Org, evaluation_id: int) -> CoachingSession:
    """A scheduled session of the rep on the price, planned by the manager from the review."""
    planned = CoachingSession(
        rep_id=org.rep.id,
        team_id=org.team.id,
        coach_id=org.manager.id,
        scheduled_at=utcnow() + timedelta(days=2),
        private_notes="Private to the coaches",
        focus=[
            CoachingFocus(scorecard_id="outbound-sales", item_id="price", label="States the price", failed=1)
        ],
        actions=[CoachingAction(text="Role-play the price talk")],
        evaluations=[CoachingEvaluation(evaluation_id=evaluation_id)],
    )
    db.add(planned)
    db.flush()
    return planned


def fresh_coaching(db: Session, world: World) -> dict[str, Any]:
    """Another scheduled session, for the cell that marks it as held."""
    planned = coaching_session(db, world.org, world.evaluation_id)
    db.commit()
    return {"session_id": planned.id}


def coaching(world: World) -> dict[str, Any]:
    return {"session_id": world.coaching_id}


def plan_for_rep(world: World) -> dict[str, Any]:
    return {"params": {"rep": world.org.rep.id}}


def _training_module(db: Session, world: World, *, assessment: bool = False) -> Any:
    data = training_catalogue.ModuleInput(
        title=f"Module {next(_names)}",
        material_text="Read the price guide",
        items=["outbound-sales:price"],
        expected_minutes=10,
        has_assessment=assessment,
    )
    return training_catalogue.create_module(db, principal_for(db, world.org.qc_lead), data=data)


def training_module(db: Session, world: World) -> dict[str, Any]:
    """A reading module of the catalogue."""
    module = _training_module(db, world)
    db.commit()
    return {"module_id": module.id}


def training_assignment(db: Session, world: World) -> dict[str, Any]:
    """Reading material the manager assigned to the rep, not started."""
    rep = users.get_person(db, world.org.rep.id)
    module = _training_module(db, world)
    assignment = training.new_assignment(
        db, module, rep, due_date=None, by_id=world.org.manager.id, now=utcnow()
    )
    db.commit()
    return {"assignment_id": assignment.id}


def training_rule(db: Session, world: World) -> dict[str, Any]:
    """An active rule on the price assigning a reading module."""
    data = training_rules.RuleInput(
        name=f"Rule {next(_names)}", module_id=_training_module(db, world).id, item="outbound-sales:price"
    )
    rule = training_rules.create_rule(db, principal_for(db, world.org.qc_lead), data=data)
    db.commit()
    return {"rule_id": rule.id}


def display_link(db: Session, world: World) -> dict[str, Any]:
    """A display link of the rep's team, for the cells that open or revoke it."""
    made = board_links.make_link(
        db, world.org.team, label=f"Screen {next(_names)}", show_ranking=True, created_by_id=None
    )
    db.commit()
    return {"token": made.token, "link_id": made.link.id}


def digest_target(db: Session, world: World) -> dict[str, Any]:
    """A digest target of the rep's team (never posted to: nothing runs the sender), for the cells
    that turn it off or delete it."""
    made = digest_service.add_target(
        db, None, world.org.team.id, kind="json", url="https://hooks.example.test/d"
    )
    db.commit()
    return {"target_id": made.id}


def keepers(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """The training catalogue and rules: QC leads and administrators."""
    return expect(403, qc_lead=status, admin=status, anonymous=anonymous)


def trainers(status: int, *, anonymous: int) -> dict[Persona, Expected]:
    """Assigning training and following teams' training: managers (their own teams), QC leads
    and administrators."""
    return expect(
        403, manager=status, outsider_manager=status, qc_lead=status, admin=status, anonymous=anonymous
    )


def silent_wav() -> bytes:
    """One second of stereo silence: an uploader gets past the access checks and is refused (422)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(4 * 16000))
    return buffer.getvalue()


def upload(world: World) -> dict[str, Any]:
    fields = {
        "rep": world.org.rep.email,
        "started_at": "2026-11-20T09:30:00+00:00",
        "direction": "outbound",
        "channels": "agent-left",
    }
    return {"data": fields, "files": {"file": ("silence.wav", silent_wav(), "audio/wav")}}


# Scoring is open to everyone signed in and changes nothing, but its first run loads the language
# models (seconds): a request without a transcript is refused (422) once the caller is known.
SCORE_REQUEST = {"scorecard": "outbound-sales"}


# The table -------------------------------------------------------------------------------------------

Body = Mapping[str, Any] | Callable[[World], Mapping[str, Any]]


@dataclass(frozen=True)
class Row:
    route: str
    method: str
    expected: dict[Persona, Expected]
    body: Body | None = None  # keyword arguments of the request: data, json, files, params
    path: Callable[[World], dict[str, Any]] | None = None  # path parameters other than the defaults
    fresh: Callable[[Session, World], dict[str, Any]] | None = None  # made anew for each cell

    @property
    def key(self) -> tuple[str, str]:
        return (self.route, self.method)


TABLE: list[Row] = [
    # Sign-in and administration. 303 for `anonymous` on a page is the redirect to the login page.
    Row("users:login", "GET", expect(303, anonymous=200)),
    Row("users:login_submit", "POST", expect(401), body={"data": {"email": "", "password": ""}}),
    Row("users:logout", "POST", expect(303)),
    Row("admin:teams", "GET", admins(200)),
    Row("admin:teams_create", "POST", admins(422), body={"data": {"name": ""}}),
    Row("admin:users", "GET", admins(200)),
    Row("admin:users_create", "POST", admins(422), body={"data": {"email": "not an email"}}),
    Row("admin:user", "GET", admins(200)),
    Row(
        "admin:user_active",
        "POST",
        admins(303),
        body={"data": {"active": "false"}},
        path=lambda w: {"user_id": w.spare_user_id},
    ),
    Row("admin:token_create", "POST", admins(422), body={"data": {"name": "x" * 101}}),
    Row("admin:token_revoke", "POST", admins(303), fresh=fresh_token),
    Row("api:me", "GET", expect(200, anonymous=401)),
    Row("api:users", "GET", expect(200, rep=403, other_rep=403, reviewer=403, anonymous=401)),
    Row("api:teams", "GET", expect(200, anonymous=401)),
    # Calls. Uploading and retrying is for administrators, QC leads and the team's managers.
    Row("home", "GET", expect(303)),
    Row("calls:list", "GET", expect(200, anonymous=303)),
    Row("calls:upload", "GET", expect(200, rep=403, other_rep=403, reviewer=403, anonymous=303)),
    Row("calls:detail", "GET", sees_call(200, anonymous=303)),
    # Only failed calls are retried: 409 shows the persona got past the access checks.
    Row(
        "calls:retry",
        "POST",
        expect(409, rep=403, other_rep=404, outsider_manager=404, reviewer=403, anonymous=303),
    ),
    # Swapping which channel is the agent's re-scores the call: QC leads and administrators, as for
    # re-scoring chosen calls; those who see the call are refused, the other team told it does not exist.
    Row(
        "calls:swap_sides",
        "POST",
        expect(403, qc_lead=303, admin=303, other_rep=404, outsider_manager=404, anonymous=303),
        body={"data": {"layout": "agent-left"}},
        fresh=fresh_call,
    ),
    Row("calls:audio", "GET", sees_call(200, anonymous=303)),
    Row("calls:peaks", "GET", sees_call(200, anonymous=303)),
    Row("calls:transcript", "GET", sees_call(200, anonymous=303)),
    Row(
        "api:calls_create",
        "POST",
        expect(422, rep=403, other_rep=403, outsider_manager=403, reviewer=403, anonymous=401),
        body=upload,
    ),
    Row("api:calls", "GET", expect(200, anonymous=401)),
    Row("api:call", "GET", sees_call(200, anonymous=401)),
    Row(
        "api:call_retry",
        "POST",
        expect(409, rep=403, other_rep=404, outsider_manager=404, reviewer=403, anonymous=401),
    ),
    Row("api:transcript", "GET", sees_call(200, anonymous=401)),
    Row(
        "api:call_swap_sides",
        "POST",
        expect(403, qc_lead=202, admin=202, other_rep=404, outsider_manager=404, anonymous=401),
        body={"json": {"layout": "agent-left"}},
        fresh=fresh_call,
    ),
    # Scorecards: everyone signed in reads the script they are scored on; only admins re-score.
    Row("scorecards:list", "GET", expect(200, anonymous=303)),
    Row("scorecards:detail", "GET", expect(200, anonymous=303)),
    # No call was scored with inbound-support: re-scoring it queues nothing.
    Row("scorecards:rescore", "POST", admins(303), path=lambda w: {"scorecard_id": "inbound-support"}),
    Row("api:scorecards", "GET", expect(200, anonymous=401)),
    Row("api:scorecard", "GET", expect(200, anonymous=401)),
    Row("api:score", "POST", expect(422, anonymous=401), body={"json": SCORE_REQUEST}),
    # The scorecard editor: QC leads and administrators. Everyone signed in may export.
    Row("api:scorecard_create", "POST", keepers(422, anonymous=401), body={"json": {}}),
    Row(
        "api:scorecard_copy",
        "POST",
        keepers(409, anonymous=401),  # the new id is taken
        body={"json": {"id": "inbound-support", "title": "Copy"}},
    ),
    Row("api:scorecard_draft", "GET", keepers(404, anonymous=401)),  # no draft yet
    Row("api:scorecard_draft_save", "PUT", keepers(422, anonymous=401), body={"json": {}}),
    Row("api:scorecard_draft_discard", "DELETE", keepers(404, anonymous=401)),
    Row("api:scorecard_publish", "POST", keepers(404, anonymous=401), body={"json": {}}),
    Row(
        "api:scorecard_restore",
        "POST",
        keepers(409, anonymous=401),  # r1 is the revision in use
        body={"json": {}},
        path=lambda w: {"revision": 1},
    ),
    Row("api:scorecard_export", "GET", expect(200, anonymous=401)),
    Row("api:scorecard_changes", "GET", keepers(200, anonymous=401)),
    Row("api:scorecard_backtest", "POST", keepers(404, anonymous=401)),  # no draft yet
    Row(
        "api:scorecard_rescore",
        "POST",
        keepers(200, anonymous=401),  # a call that does not exist: nothing queued
        body={"json": {"call_ids": [987654]}},
    ),
    Row("api:scorecard_variables", "GET", expect(200, anonymous=401)),
    Row("api:scorecard_variables_save", "PUT", keepers(200, anonymous=401), body={"json": {"variables": {}}}),
    # The scorecard editor's pages: QC leads and administrators; everyone reads revisions and names.
    Row("scorecards:new", "GET", keepers(200, anonymous=303)),
    Row(
        "scorecards:create", "POST", keepers(422, anonymous=303), body={"data": {"id": "", "start": "blank"}}
    ),
    Row("scorecards:edit", "GET", keepers(200, anonymous=303)),
    Row("scorecards:save", "POST", keepers(422, anonymous=303), body={"data": {"title": ""}}),
    Row("scorecards:discard", "POST", keepers(404, anonymous=303)),  # no draft yet
    Row("scorecards:publish", "POST", keepers(404, anonymous=303), body={"data": {"note": ""}}),
    Row("scorecards:compare", "GET", expect(200, anonymous=303), body={"params": {"left": 1, "right": 1}}),
    Row("scorecards:restore", "POST", keepers(409, anonymous=303), path=lambda w: {"revision": 1}),
    Row("scorecards:changes", "GET", keepers(200, anonymous=303)),
    Row("scorecards:test", "GET", keepers(200, anonymous=303)),
    Row("scorecards:test_run", "POST", keepers(422, anonymous=303), body={"data": {"transcript": ""}}),
    Row("scorecards:variables", "GET", expect(200, anonymous=303)),
    Row("scorecards:variables_save", "POST", keepers(303, anonymous=303), body={"data": {}}),  # no change
    Row("evaluations:backtest", "GET", keepers(404, anonymous=303)),  # no draft yet
    Row("evaluations:suggestions", "GET", keepers(200, anonymous=303)),
    Row(
        "evaluations:suggestion_accept",
        "POST",
        keepers(422, anonymous=303),
        body={"data": {"kind": "rule", "language": "en", "text": "x"}},
    ),
    # The review queue.
    Row("reviews:mine", "GET", reviewers(200, anonymous=303)),
    # Taking the pick: its holder goes (back) to it, other reviewers find it taken.
    Row("reviews:start", "POST", expect(403, reviewer=303, qc_lead=409, admin=409, anonymous=303)),
    # Giving a pick back: whoever does not hold it is told they are not reviewing it (409).
    Row("reviews:release", "POST", holder(303, others=409, anonymous=303), fresh=fresh_pick),
    # The call was reviewed already: a reviewer may not pick it again.
    Row("reviews:pick", "POST", reviewers(409, anonymous=303)),
    Row(
        "reviews:day",
        "GET",
        expect(403, qc_lead=200, admin=200, manager=200, outsider_manager=200, anonymous=303),
    ),
    Row("reviews:build", "POST", queue_staff(303, anonymous=303), body={"data": {"date": SUNDAY}}),
    Row(
        "reviews:reassign",
        "POST",
        queue_staff(422, anonymous=303),
        body=lambda w: {"data": {"reviewer": str(w.org.rep.id)}},  # a rep is no reviewer
    ),
    Row("reviews:policy", "GET", queue_staff(200, anonymous=303)),
    Row("reviews:policy_save", "POST", queue_staff(422, anonymous=303), body={"data": {"target": "lots"}}),
    Row("reviews:reviewers", "GET", queue_staff(200, anonymous=303)),
    # A reviewer may set their own capacity (until a QC lead locks it); QC staff anyone's.
    Row(
        "reviews:reviewer_save",
        "POST",
        expect(
            403,
            reviewer=422,
            qc_lead=422,
            admin=422,
            anonymous=303,
        ),
        body={"data": {"capacity": "-1"}},
        path=lambda w: {"user_id": w.org.reviewer.id},
    ),
    Row(
        "api:queue",
        "GET",
        expect(403, qc_lead=200, admin=200, manager=200, outsider_manager=200, anonymous=401),
    ),
    Row("api:queue_build", "POST", queue_staff(200, anonymous=401), body={"params": {"date": SUNDAY}}),
    Row("api:queue_mine", "GET", reviewers(200, anonymous=401)),
    Row("api:queue_claim", "POST", expect(403, reviewer=200, qc_lead=409, admin=409, anonymous=401)),
    Row("api:queue_release", "POST", holder(200, others=409, anonymous=401), fresh=fresh_pick),
    Row(
        "api:queue_reassign",
        "POST",
        queue_staff(422, anonymous=401),
        body=lambda w: {"json": {"reviewer_id": w.org.rep.id}},
    ),
    # Reviewing and evaluations.
    Row("evaluations:review", "GET", holder(200, others=403, anonymous=303)),
    Row(
        "evaluations:submit",
        "POST",
        holder(422, others=403, anonymous=303),
        body={"data": {"overall_comment": ""}},
    ),
    Row(
        "evaluations:draft",
        "POST",
        holder(200, others=403, anonymous=303),
        body={"data": {"overall_comment": ""}},
    ),
    Row("evaluations:detail", "GET", sees_review(200, anonymous=303)),
    Row("evaluations:edit_form", "GET", corrects_review(200)),
    Row("evaluations:edit", "POST", corrects_review(422), body={"data": {"edit_reason": ""}}),
    Row("evaluations:comments", "POST", corrects_review(422), body={"data": {"text": ""}}),
    Row("evaluations:comment_delete", "POST", corrects_review(200), fresh=fresh_comment),
    Row("evaluations:agreement", "GET", queue_staff(200, anonymous=303)),
    Row("evaluations:agreement_item", "GET", queue_staff(200, anonymous=303)),
    Row("api:evaluation", "GET", sees_review(200, anonymous=401)),
    # Calibration. Everyone signed in may list the sessions they take part in.
    Row("evaluations:calibrations", "GET", expect(200, anonymous=303)),
    Row("evaluations:calibration_new", "GET", queue_staff(200, anonymous=303)),
    Row(
        "evaluations:calibration_create",
        "POST",
        queue_staff(422, anonymous=303),
        body={"data": {"title": ""}},
    ),
    Row(
        "evaluations:calibration",
        "GET",
        expect(404, qc_lead=200, admin=200, reviewer=200, anonymous=303),
    ),
    # Closing a closed session changes nothing.
    Row(
        "evaluations:calibration_close",
        "POST",
        queue_staff(303, anonymous=303),
        path=lambda w: {"session_id": w.closed_calibration_id},
    ),
    # The call is in the session already.
    Row(
        "evaluations:calibration_add_call",
        "POST",
        queue_staff(409, anonymous=303),
        body=lambda w: {"data": {"call": str(w.call_id)}},
    ),
    Row("evaluations:calibration_score_form", "GET", participants(200)),
    # Starting one's scoring of a call (reading its page never does).
    Row("evaluations:calibration_start", "POST", participants(303)),
    Row("evaluations:calibration_score", "POST", participants(422), body={"data": {"overall_comment": ""}}),
    Row("evaluations:calibration_draft", "POST", participants(200), body={"data": {"overall_comment": ""}}),
    # Feedback: the rep reads, acknowledges and disputes their released reviews; the rest of the
    # organisation sees what it may see of the review. The world's review has an open dispute.
    Row("feedback:mine", "GET", expect(403, rep=200, other_rep=200, anonymous=303)),  # each their own
    Row("feedback:acknowledge", "POST", expect(404, rep=303, anonymous=303)),
    Row("feedback:dispute_form", "GET", expect(404, rep=200, anonymous=303)),
    # One open dispute per review: the rep gets past every check to the conflict.
    Row(
        "feedback:dispute_open",
        "POST",
        expect(404, rep=409, anonymous=303),
        body={"data": {"item-greeting": "on"}},
    ),
    Row("feedback:unacknowledged", "GET", expect(200, rep=403, other_rep=403, reviewer=403, anonymous=303)),
    Row("feedback:disputes", "GET", expect(200, anonymous=303)),
    Row("feedback:dispute_stats", "GET", expect(200, rep=403, other_rep=403, reviewer=403, anonymous=303)),
    Row("feedback:dispute", "GET", sees_review(200, anonymous=303)),
    # Resolving: QC staff (the team routes disputes to QC leads); an empty decision is refused.
    Row("feedback:resolve", "POST", resolves(422, anonymous=303), body={"data": {}}),
    Row("feedback:withdraw", "POST", withdraws(303, anonymous=303), fresh=fresh_dispute),
    Row("feedback:evaluation_disputes", "GET", sees_review(200, anonymous=303)),
    Row("feedback:agreement_disputes", "GET", reviewers(200, anonymous=303)),
    Row("feedback:policy", "GET", queue_staff(200, anonymous=303)),
    Row(
        "feedback:policy_save",
        "POST",
        queue_staff(422, anonymous=303),
        body={"data": {"dispute_max_items": "lots"}},
    ),
    Row("api:evaluations", "GET", expect(200, reviewer=403, anonymous=401)),
    Row("api:acknowledge", "POST", expect(404, rep=200, anonymous=401)),
    Row(
        "api:dispute_open",
        "POST",
        expect(404, rep=409, anonymous=401),
        body={"json": {"items": [{"item_id": "greeting", "comment": "I did greet them"}]}},
    ),
    Row("api:disputes", "GET", expect(200, anonymous=401)),
    Row("api:dispute_stats", "GET", expect(200, rep=403, other_rep=403, reviewer=403, anonymous=401)),
    Row("api:dispute", "GET", sees_review(200, anonymous=401)),
    Row("api:dispute_withdraw", "POST", withdraws(200, anonymous=401), fresh=fresh_dispute),
    Row(
        "api:dispute_resolve",
        "POST",
        resolves(422, anonymous=401),
        body={
            "json": {
                "items": [{"item_id": "nope", "decision": "kept", "reason": "r", "cause": "reviewer_error"}]
            }
        },
    ),
    # Coaching: the rep reads their own sessions, acknowledges them and ticks their action items;
    # the rep's managers, QC leads and administrators plan and run them. Another team's rep or
    # manager and the reviewer are told a session does not exist; planning for a rep one does not
    # coach is refused (403), as is the list for a reviewer.
    Row("coaching:list", "GET", expect(200, reviewer=403, anonymous=303)),
    Row("coaching:new", "GET", coaches(200, anonymous=303), body=plan_for_rep),
    Row(
        "coaching:create",
        "POST",
        coaches(422, anonymous=303),
        body=lambda w: {"data": {"rep": str(w.org.rep.id)}},
    ),
    Row("coaching:detail", "GET", sees_coaching(200, rep=200, anonymous=303), path=coaching),
    Row("coaching:edit_form", "GET", sees_coaching(200, rep=403, anonymous=303), path=coaching),
    Row(
        "coaching:edit",
        "POST",
        sees_coaching(422, rep=403, anonymous=303),
        body={"data": {"duration_minutes": "0"}},
        path=coaching,
    ),
    # Acknowledging twice changes nothing.
    Row("coaching:acknowledge", "POST", sees_coaching(403, rep=303, anonymous=303), path=coaching),
    Row("coaching:held", "POST", sees_coaching(303, rep=403, anonymous=303), fresh=fresh_coaching),
    Row(
        "coaching:complete",
        "POST",
        sees_coaching(422, rep=403, anonymous=303),
        body={"data": {"outcome": ""}},
        path=coaching,
    ),
    Row(
        "coaching:cancel",
        "POST",
        sees_coaching(422, rep=403, anonymous=303),
        body={"data": {"reason": ""}},
        path=coaching,
    ),
    # Ticking a ticked item changes nothing.
    Row("coaching:action", "POST", sees_coaching(303, rep=303, anonymous=303), body={"data": {"done": "1"}}),
    Row(
        "coaching:rep",
        "GET",
        expect(200, other_rep=404, outsider_manager=404, reviewer=403, anonymous=303),
    ),
    Row("api:coaching_sessions", "GET", expect(200, reviewer=403, anonymous=401)),
    Row(
        "api:coaching_create",
        "POST",
        coaches(422, anonymous=401),
        body=lambda w: {
            "json": {"rep_id": w.org.rep.id, "scheduled_at": "2026-12-01T10:00:00Z", "focus": []}
        },
    ),
    Row("api:coaching_session", "GET", sees_coaching(200, rep=200, anonymous=401), path=coaching),
    Row("api:coaching_acknowledge", "POST", sees_coaching(403, rep=200, anonymous=401), path=coaching),
    Row("api:coaching_held", "POST", sees_coaching(200, rep=403, anonymous=401), fresh=fresh_coaching),
    Row(
        "api:coaching_complete",
        "POST",
        sees_coaching(422, rep=403, anonymous=401),
        body={"json": {"outcome": ""}},
        path=coaching,
    ),
    Row(
        "api:coaching_cancel",
        "POST",
        sees_coaching(422, rep=403, anonymous=401),
        body={"json": {"reason": ""}},
        path=coaching,
    ),
    Row(
        "api:coaching_action",
        "POST",
        sees_coaching(200, rep=200, anonymous=401),
        body={"json": {"done": True}},
    ),
    Row("api:coaching_suggestions", "GET", coaches(200, anonymous=401), body=plan_for_rep),
    # Team pages: a manager with one team goes straight to it; QC staff choose among all teams.
    Row(
        "performance:teams",
        "GET",
        expect(403, manager=303, outsider_manager=303, qc_lead=200, admin=200, anonymous=303),
    ),
    Row("performance:team", "GET", sees_team(200, anonymous=303)),
    # The coverage report of the rep's team: QC leads and administrators read every team, managers
    # their own (another team reads like a missing one); reviewers and reps are refused, as on the
    # Coverage page.
    Row(
        "reports:coverage",
        "GET",
        sees_team(200, anonymous=303),
        body=lambda w: {"params": {"team": w.org.team.id}},
    ),
    Row(
        "api:reports_coverage",
        "GET",
        sees_team(200, anonymous=401),
        body=lambda w: {"params": {"team": w.org.team.id, "format": "csv"}},
    ),
    # Trends of the rep's team: like the coverage report (the reviewers' chart, for QC leads and
    # administrators only, is checked in tests/reports/test_trends_pages.py).
    Row(
        "reports:trends",
        "GET",
        sees_team(200, anonymous=303),
        body=lambda w: {"params": {"team": w.org.team.id}},
    ),
    Row(
        "api:reports_trends",
        "GET",
        sees_team(200, anonymous=401),
        body=lambda w: {"params": {"team": w.org.team.id}},
    ),
    Row(
        "api:reports_trends_csv",
        "GET",
        sees_team(200, anonymous=401),
        body=lambda w: {"params": {"team": w.org.team.id, "chart": "score"}},
    ),
    # The wall board of the rep's team: seen like the team page; its display links are made and
    # revoked by administrators and the team's managers only. The display itself needs no sign-in:
    # its token is the key, and everybody holding it (anonymous too) sees the board.
    Row("board:team", "GET", sees_team(200, anonymous=303)),
    Row(
        "board:link_create",
        "POST",
        expect(403, manager=422, admin=422, outsider_manager=404, anonymous=303),
        body={"data": {"label": ""}},
    ),
    Row(
        "board:link_revoke",
        "POST",
        expect(403, manager=303, admin=303, outsider_manager=404, anonymous=303),
        fresh=display_link,
    ),
    Row("board:display", "GET", expect(200), fresh=display_link),
    Row("board:display_fragment", "GET", expect(200), fresh=display_link),
    # The rep's page: the rep reads their own; another team's rep or manager may not know it exists.
    Row(
        "performance:rep",
        "GET",
        expect(200, other_rep=404, outsider_manager=404, reviewer=403, anonymous=303),
    ),
    # Training: QC leads and administrators keep the catalogue and the rules; managers assign their
    # teams' reps and record their assessments; a rep reads the catalogue and their own record and
    # marks reading done; reviewers have no part in it. Another team's assignment reads as missing.
    Row("training:catalogue", "GET", expect(200, reviewer=403, anonymous=303)),
    Row("training:module_new", "GET", keepers(200, anonymous=303)),
    Row("training:module_create", "POST", keepers(422, anonymous=303), body={"data": {"title": ""}}),
    Row("training:module", "GET", expect(200, reviewer=403, anonymous=303), fresh=training_module),
    Row("training:module_edit_form", "GET", keepers(200, anonymous=303), fresh=training_module),
    Row(
        "training:module_edit",
        "POST",
        keepers(422, anonymous=303),
        body={"data": {"title": ""}},
        fresh=training_module,
    ),
    Row("training:assign_form", "GET", trainers(200, anonymous=303)),
    # The rep is not the other team's manager's to assign.
    Row(
        "training:assign",
        "POST",
        expect(403, manager=422, qc_lead=422, admin=422, anonymous=303),
        body=lambda w: {"data": {"target": "rep", "module": "", "rep": str(w.org.rep.id)}},
    ),
    Row("training:rules", "GET", trainers(200, anonymous=303)),
    Row("training:rule_new", "GET", keepers(200, anonymous=303)),
    Row("training:rule_create", "POST", keepers(422, anonymous=303), body={"data": {"name": ""}}),
    Row("training:rule_edit_form", "GET", keepers(200, anonymous=303), fresh=training_rule),
    Row(
        "training:rule_edit",
        "POST",
        keepers(422, anonymous=303),
        body={"data": {"name": ""}},
        fresh=training_rule,
    ),
    # Enabling an active rule changes nothing.
    Row(
        "training:rule_active",
        "POST",
        keepers(303, anonymous=303),
        body={"data": {"active": "1"}},
        fresh=training_rule,
    ),
    Row("training:team", "GET", trainers(200, anonymous=303)),
    Row(
        "training:rep",
        "GET",
        expect(200, other_rep=404, outsider_manager=403, reviewer=403, anonymous=303),
    ),
    Row(
        "training:start",
        "POST",
        expect(404, rep=303, manager=303, qc_lead=303, admin=303, anonymous=303),
        fresh=training_assignment,
    ),
    # Reading material is the rep's to mark done (a day in the future is refused).
    Row(
        "training:complete",
        "POST",
        expect(404, rep=422, manager=403, qc_lead=403, admin=403, anonymous=303),
        body={"data": {"completed_on": "2999-01-01"}},
        fresh=training_assignment,
    ),
    Row(
        "training:withdraw",
        "POST",
        expect(404, rep=403, manager=422, qc_lead=422, admin=422, anonymous=303),
        body={"data": {"reason": ""}},
        fresh=training_assignment,
    ),
    Row("api:training_modules", "GET", expect(200, reviewer=403, anonymous=401)),
    Row("api:training_module_create", "POST", keepers(422, anonymous=401), body={"json": {"title": "x"}}),
    Row("api:training_module", "GET", expect(200, reviewer=403, anonymous=401), fresh=training_module),
    Row(
        "api:training_module_version",
        "POST",
        keepers(422, anonymous=401),
        body={"json": {"title": "x"}},
        fresh=training_module,
    ),
    Row("api:training_assignments", "GET", expect(200, reviewer=403, anonymous=401)),
    Row(
        "api:training_assign",
        "POST",
        expect(403, manager=422, qc_lead=422, admin=422, anonymous=401),
        body=lambda w: {"json": {"module_id": MISSING_ID, "rep_id": w.org.rep.id}},
    ),
    Row(
        "api:training_start",
        "POST",
        expect(404, rep=200, manager=200, qc_lead=200, admin=200, anonymous=401),
        fresh=training_assignment,
    ),
    Row(
        "api:training_complete",
        "POST",
        expect(404, rep=422, manager=403, qc_lead=403, admin=403, anonymous=401),
        body={"json": {"completed_on": "2199-12-31"}},
        fresh=training_assignment,
    ),
    Row("api:training_rules", "GET", trainers(200, anonymous=401)),
    Row(
        "api:training_rule_create",
        "POST",
        keepers(422, anonymous=401),
        body={"json": {"name": "", "module_id": MISSING_ID, "item": "x"}},
    ),
    Row(
        "api:training_rule_update",
        "PUT",
        keepers(422, anonymous=401),
        body={"json": {"name": "", "module_id": MISSING_ID, "item": "x"}},
        fresh=training_rule,
    ),
    Row("api:training_records", "GET", expect(200, reviewer=403, anonymous=401)),
    # Framework routes: the API's documentation and the health check are public, as are static files.
    Row("openapi", "GET", expect(200)),
    Row("swagger_ui_html", "GET", expect(200)),
    Row("healthz", "GET", expect(200)),
    Row("static", "GET", expect(200)),
    # Notifications
    # Everyone signed in has an inbox; a notice is its recipient's alone (here the rep's):
    # anybody else's reads like a missing one.
    Row("notifications:inbox", "GET", expect(200, anonymous=303)),
    Row("notifications:badge", "GET", expect(200, anonymous=303)),
    Row("notifications:read", "POST", expect(404, rep=303, anonymous=303)),
    Row("notifications:read_all", "POST", expect(303)),
    Row("api:notifications", "GET", expect(200, anonymous=401)),
    Row("api:notification_read", "POST", expect(404, rep=200, anonymous=401)),
    # The organisation's webhooks: administrators only (a non-http URL is refused).
    Row("notifications:webhooks", "GET", admins(200)),
    Row("notifications:webhooks_create", "POST", admins(422), body={"data": {"url": "ftp://example.test/x"}}),
    Row("notifications:webhook", "GET", admins(200)),
    Row("notifications:webhook_save", "POST", admins(422), body={"data": {"url": "ftp://example.test/x"}}),
    Row("notifications:webhook_delete", "POST", admins(303), fresh=fresh_webhook),
    Row("notifications:webhook_test", "POST", admins(303)),
    # The evening digest: seen like the team page (schedule, delivery status, preview); its schedule
    # and targets (webhook URLs and bot tokens) are administrators' only, as is posting a day now
    # (a day still to come is refused, 422, once past the access checks).
    Row(
        "digest:teams",
        "GET",
        expect(403, manager=303, outsider_manager=303, qc_lead=200, admin=200, anonymous=303),
    ),
    Row("digest:team", "GET", sees_team(200, anonymous=303)),
    Row("digest:preview", "GET", sees_team(200, anonymous=303)),
    Row("digest:schedule_save", "POST", admins(422), body={"data": {"send_time": "late"}}),
    Row(
        "digest:target_create", "POST", admins(422), body={"data": {"kind": "slack", "url": "ftp://x.test/"}}
    ),
    Row("digest:target_enabled", "POST", admins(303), fresh=digest_target),
    Row("digest:target_delete", "POST", admins(303), fresh=digest_target),
    Row(
        "digest:send",
        "POST",
        expect(403, admin=422, outsider_manager=404, anonymous=303),
        body={"data": {"date": "2999-01-01"}},
    ),
    Row("api:digest_preview", "GET", sees_team(200, anonymous=401), body={"params": {"date": "2026-11-20"}}),
    Row("api:digest_deliveries", "GET", sees_team(200, anonymous=401)),
    Row(
        "api:digest_send",
        "POST",
        expect(403, admin=422, outsider_manager=404, anonymous=401),
        body={"json": {"date": "2199-12-31"}},
    ),
    # Privacy: grants, the audit log and retention are administrators'. Nobody holds a grant
    # here, so opening an original is refused to all before the call is even looked up; a
    # link to an opening that does not exist reads like a missing page.
    Row("privacy:settings", "GET", admins(200)),
    Row("privacy:grant", "POST", admins(422), body={"data": {"grantee": "", "reason": ""}}),
    Row("privacy:revoke", "POST", admins(404), path=lambda w: {"grant_id": MISSING_ID}),
    Row(
        "privacy:retention_save",
        "POST",
        admins(422),
        body={"data": {"original_audio_days": "x", "redacted_days": "1"}},
    ),
    Row("privacy:audit", "GET", admins(200)),
    Row("privacy:audit_csv", "GET", admins(200)),
    Row("privacy:original_form", "GET", expect(403, anonymous=303)),
    Row(
        "privacy:open_original",
        "POST",
        expect(403, anonymous=303),
        body={"data": {"what": "transcript", "reason": "A reason long enough"}},
    ),
    Row("privacy:original", "GET", expect(404, anonymous=303), path=lambda w: {"token": "x" * 43}),
    Row("privacy:original_audio", "GET", expect(404, anonymous=303), path=lambda w: {"token": "x" * 43}),
]


# Routes of the app ---------------------------------------------------------------------------------


def served_routes(app: FastAPI) -> dict[tuple[str, str], str]:
    """(name, method) -> URL template of every route the app serves."""
    try:  # FastAPI >= 0.137.2 nests included routers in app.routes; this flattens them
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI lists every route in app.routes
        routes: list[Any] = list(app.routes)
    else:
        routes = list(iter_route_contexts(app.routes))
    served: dict[tuple[str, str], str] = {}
    for route in routes:
        mount = isinstance(getattr(route, "original_route", route), Mount)
        template = f"{route.path}/{{path}}" if mount else route.path
        methods = set(getattr(route, "methods", None) or {"GET"})  # a mount serves GET
        if "GET" in methods:
            methods.discard("HEAD")  # answered along with GET
        for method in methods:
            served[(route.name, method)] = template
    return served


def fill(template: str, values: Mapping[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), template)


# Running cells -------------------------------------------------------------------------------------

_VOLATILE_TABLES = {"user_session", "login_failure"}  # signing in and out is not a change
_VOLATILE_COLUMNS = {("api_token", "last_used_at")}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (as stored: no type conversion, for speed), except the traces
    a request leaves by being made."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in _VOLATILE_TABLES:
                continue
            columns = ", ".join(
                f'"{c.name}"' for c in table.columns if (table.name, c.name) not in _VOLATILE_COLUMNS
            )
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            query = f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'
            rows[table.name] = [tuple(r) for r in conn.exec_driver_sql(query)]
    return rows


def refused(persona: Persona, status: int) -> bool:
    """A cell that must change nothing (422 is left out: the review form keeps a draft's answers)."""
    return status in (401, 403, 404, 409) or (persona == "anonymous" and status == 303)


def message(response: Response) -> str:
    """What an error response tells the user."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("detail", ""))
    shown = BeautifulSoup(response.text, "html.parser").select_one(".error-page p, .error")
    return shown.get_text(" ", strip=True) if shown else response.text[:120]


class Matrix:
    """Sends the table's requests as each persona: pages with a session cookie, the API with
    a bearer token, `anonymous` with neither."""

    def __init__(self, app: FastAPI, client: Browser, db: Session, world: World) -> None:
        self.templates = served_routes(app)
        self.client, self.db, self.world = client, db, world
        self.engine = cast(Engine, db.get_bind())
        self.sessions: dict[Persona, str] = {}
        self.known: dict[str, list[tuple[Any, ...]]] | None = None  # the database as last seen, if unchanged
        client.cookies.clear()
        self.csrf = client.ensure_csrf()
        self.secret = world.settings.session_secret()

    def check_row(self, row: Row) -> list[str]:
        cells = [(p, e) for p, e in row.expected.items() if isinstance(e, int)]
        cells.sort(key=lambda cell: not refused(*cell))  # refused first: nothing is done yet
        return [problem for persona, status in cells for problem in self.check(row, persona, status)]

    def check(self, row: Row, persona: Persona, status: int) -> list[str]:
        """What is wrong with one cell: its status, where it sends `anonymous`, and for a cell
        that must be refused, any change to the database."""
        values = {**self.world.path(), **(row.path(self.world) if row.path else {})}
        if row.fresh:
            values.update(row.fresh(self.db, self.world))
            self.known = None
        url = fill(self.templates[row.key], values)
        guarded = refused(persona, status)
        before = (self.known or snapshot(self.engine)) if guarded else None
        body = row.body(self.world) if callable(row.body) else row.body or {}
        response = self.send(persona, row.method, url, **body)
        label = f"{row.route} {row.method} {persona}"
        problems = []
        if response.status_code != status:
            said = message(response) if response.is_error else response.headers.get("location", "")
            problems.append(f"{label}: expected {status}, got {response.status_code} ({said})")
        elif status == 303 and persona == "anonymous":
            location = response.headers["location"]
            if not location.startswith("/login"):
                problems.append(f"{label}: redirected to {location}, not to the login page")
        self.known = snapshot(self.engine) if before is not None else None
        if before is not None and self.known is not None:
            changed = [name for name in before if before[name] != self.known[name]]
            if changed:
                problems.append(f"{label}: refused, yet changed {', '.join(changed)}")
        return problems

    def send(self, persona: Persona, method: str, url: str, **body: Any) -> Response:
        self.client.cookies.clear()
        headers: dict[str, str] = {}
        if url.startswith("/api/"):
            if persona != "anonymous":
                headers = bearer(self.world.tokens[persona])
        else:
            self.client.cookies.set(CSRF_COOKIE, self.csrf)
            if persona != "anonymous":
                session = self.sign_in(persona)
                self.client.cookies.set(SESSION_COOKIE, session)
                self.client.cookies.set(CSRF_COOKIE, session_csrf_token(self.secret, session))
        response = self.client.request(method, url, headers=headers, **body)
        if SESSION_COOKIE in response.headers.get("set-cookie", ""):  # signed out (or in)
            self.sessions.pop(persona, None)
        return response

    def sign_in(self, persona: Persona) -> str:
        if persona not in self.sessions:
            user = getattr(self.world.org, persona)
            self.sessions[persona] = users.start_session(self.db, user=user, lifetime=timedelta(hours=1))
            self.db.commit()
        return self.sessions[persona]


@pytest.fixture
def matrix(app: FastAPI, db: Session, org: Org, settings: Settings) -> Iterator[Matrix]:
    world = arrange(db, org, settings)
    with Browser(app) as client:
        yield Matrix(app, client, db, world)


# Tests ---------------------------------------------------------------------------------------------


def test_every_route_has_a_row_and_every_row_a_route(app: FastAPI) -> None:
    served = set(served_routes(app))
    listed = [row.key for row in TABLE]
    assert len(served) > 50, "the app's routes were not all found: the check would prove nothing"
    duplicated = sorted({key for key in listed if listed.count(key) > 1})
    missing = sorted(served - set(listed))
    stale = sorted(set(listed) - served)
    assert not (duplicated or missing or stale), (
        f"routes without a row (add one to TABLE): {missing}\n"
        f"rows naming no route (remove them): {stale}\n"
        f"rows listed twice: {duplicated}"
    )


def test_permission_matrix(matrix: Matrix) -> None:
    problems = [problem for row in TABLE for problem in matrix.check_row(row)]
    assert not problems, f"{len(problems)} wrong cells:\n" + "\n".join(problems)


def test_known_bugs_are_still_bugs(matrix: Matrix) -> None:
    """A cell written `Bug(...)` must still be wrong: once fixed, write its status instead."""
    fixed = [
        f"{row.route} {row.method} {persona}: now answers {cell.status}; replace Bug(...) with it"
        for row in TABLE
        for persona, cell in row.expected.items()
        if isinstance(cell, Bug) and not matrix.check(row, persona, cell.status)
    ]
    assert not fixed, "\n".join(fixed)


# What a refusal says -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url", "hidden"),
    [
        ("other_rep", "/calls/{id}", "call_id"),
        ("outsider_manager", "/calls/{id}/transcript.txt", "call_id"),
        ("other_rep", "/api/calls/{id}", "call_id"),
        ("rep", "/evaluations/{id}", "draft_id"),  # the draft of a review of the rep's own call
        ("manager", "/calibration/{id}", "calibration_id"),  # a manager takes no part in calibration
        ("outsider_manager", "/api/evaluations/{id}", "evaluation_id"),
        ("other_rep", "/evaluations/{id}", "evaluation_id"),
        ("other_rep", "/coaching/{id}", "coaching_id"),
        ("outsider_manager", "/api/coaching/sessions/{id}", "coaching_id"),
    ],
)
def test_a_hidden_object_reads_like_a_missing_one(
    matrix: Matrix, persona: Persona, url: str, hidden: str
) -> None:
    real = getattr(matrix.world, hidden)
    seen = matrix.send(persona, "GET", url.format(id=real))
    missing = matrix.send(persona, "GET", url.format(id=MISSING_ID))
    assert seen.status_code == missing.status_code == 404
    assert message(seen) == message(missing).replace(str(MISSING_ID), str(real))
    org = matrix.world.org
    own = getattr(org, persona)
    secrets = {org.rep.name, org.rep.email, org.reviewer.name, "Acme Telecom", "Week 48"}
    assert not [s for s in secrets - {own.name, own.email} if s in seen.text]


# Blind review ----------------------------------------------------------------------------------------
# The rep's team reviews blind: no page, list, filter or API field a reviewer reaches may tie the
# alias they see to a person. The rep's call carries their name where uploaders often put it too.

BLIND_FILE, BLIND_CALL_ID = "rex-rep-2026-11-20.ogg", "dialler-rex-rep-1"
# A display link is a screen on the team's wall, opened by its token rather than by a person: it
# names the team's reps by design and is left out.
NOT_A_VIEW_OF_A_PERSON = {"board:display", "board:display_fragment"}


def _review_blind(matrix: Matrix) -> Matrix:
    world, db = matrix.world, matrix.db
    set_review_policy(db, world.org.qc_lead, world.org.team, blind=True)
    call = db.get(Call, world.call_id)
    assert call is not None
    call.original_filename, call.external_id = BLIND_FILE, BLIND_CALL_ID
    call.call_metadata = {"agent": world.org.rep.name}
    db.commit()
    # Decided, the dispute leaves the reviewer a notice about it.
    dispute = disputes.dispute_view(
        db, principal_for(db, world.org.qc_lead), world.dispute_id, settings=world.settings
    )
    kept = [
        ItemDecision(
            i.item_id, Decision.KEPT, None, "The greeting was missed", DisputeCause.REP_MISUNDERSTOOD
        )
        for i in dispute.dispute.items
    ]
    disputes.resolve_dispute(
        db, principal_for(db, world.org.qc_lead), world.dispute_id, decisions=kept, settings=world.settings
    )
    db.commit()
    events.dispatch_pending()
    matrix.known = None
    return matrix


def _rep_secrets(world: World) -> set[str]:
    rep = world.org.rep
    return {rep.name, rep.email, str(rep.external_id), BLIND_FILE, BLIND_CALL_ID}


def _json_ids(data: Any, rep_id: int, where: str = "") -> list[str]:
    """Fields of a JSON body that hold the rep's user id: `rep_id`, `user_id`, or a rep's `id`."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{where}.{key}"
            person_key = key in {"rep_id", "user_id"} or (key == "id" and where.endswith("rep"))
            if person_key and value == rep_id:
                found.append(path)
            found += _json_ids(value, rep_id, path)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _json_ids(value, rep_id, f"{where}[{i}]")
    return found


def _html_ids(text: str, rep_id: int) -> list[str]:
    """Attributes of a page that carry the rep's user id (links, form values, data attributes)."""
    pattern = re.compile(rf"(\brep(_id)?|\buser(_id)?|/reps|/users)[=/:-]{rep_id}\b|^{rep_id}$")
    soup = BeautifulSoup(text, "html.parser")
    return [
        f"<{tag.name} {name}={value!r}>"
        for tag in soup.find_all(True)
        for name, value in tag.attrs.items()
        if (name.startswith("data-rep") or name in {"href", "action", "hx-get", "hx-post", "src"})
        and isinstance(value, str)
        and (pattern.search(value) or (name.startswith("data-rep") and value == str(rep_id)))
    ]


def leaks(response: Response, world: World) -> list[str]:
    """What in a response ties the rep to who they are: a name, email, external id, the call's
    file name or dialler id, or the rep's user id in a field, link or attribute."""
    found = sorted(s for s in _rep_secrets(world) if s in response.text)
    if response.headers.get("content-type", "").startswith("application/json"):
        found += _json_ids(response.json(), world.org.rep.id)
    elif response.headers.get("content-type", "").startswith("text/html"):
        found += _html_ids(response.text, world.org.rep.id)
    return found


def test_blind_review_ties_no_alias_to_a_person_on_any_route_a_reviewer_reads(matrix: Matrix) -> None:
    world = _review_blind(matrix).world
    problems = []
    for row in TABLE:
        if row.method != "GET" or row.expected["reviewer"] != 200 or row.route in NOT_A_VIEW_OF_A_PERSON:
            continue
        if row.key not in matrix.templates:
            continue  # a stale row: test_every_route_has_a_row_and_every_row_a_route reports it
        values = {
            **world.path(),
            **(row.path(world) if row.path else {}),
            **(row.fresh(matrix.db, world) if row.fresh else {}),
        }
        body = row.body(world) if callable(row.body) else row.body or {}
        response = matrix.send("reviewer", "GET", fill(matrix.templates[row.key], values), **body)
        assert response.status_code == 200, f"{row.route}: {response.status_code}"
        problems += [f"{row.route}: {leak}" for leak in leaks(response, world)]
    assert not problems, "the reviewer can tell who the blind team's rep is:\n" + "\n".join(problems)


def _listed_calls(response: Response) -> list[str]:
    if response.headers["content-type"].startswith("application/json"):
        return [str(item["id"]) for item in response.json()["items"]]
    links = BeautifulSoup(response.text, "html.parser").select("#calls-table a[href]")
    return [m.group(1) for a in links if (m := re.search(r"/calls/(\d+)$", str(a["href"])))]


@pytest.mark.parametrize("url", ["/api/calls", "/calls"])
def test_blind_review_a_reviewer_filtering_by_who_a_rep_is_learns_nothing(matrix: Matrix, url: str) -> None:
    world = _review_blind(matrix).world
    rep = world.org.rep

    def listed(value: str) -> list[str]:
        response = matrix.send("reviewer", "GET", url, params={"rep": value})
        assert response.status_code == 200, value
        assert not leaks(response, world), value
        return _listed_calls(response)

    nobody = listed("nobody@example.test")
    assert nobody == []
    for who in (rep.email, rep.email.upper(), str(rep.external_id), str(rep.id), rep.name):
        assert listed(who) == nobody, f"filtering by {who!r} tells the reviewer which calls are the rep's"
    # The alias the reviewer sees still narrows the list to that rep's calls.
    shown = matrix.send("reviewer", "GET", "/api/calls").json()["items"]
    alias = next(item["rep"]["name"] for item in shown if item["id"] == world.call_id)
    assert alias.startswith("Rep ") and str(world.call_id) in listed(alias)
    # Those who may know the rep still filter by email.
    response = matrix.send("qc_lead", "GET", url, params={"rep": rep.email})
    assert str(world.call_id) in _listed_calls(response)


# Calibration after close ---------------------------------------------------------------------------


def _scoring_ids(db: Session, session_id: int) -> dict[int, int]:
    """The session's scorings: author -> evaluation id."""
    rows = db.execute(
        select(Evaluation.reviewer_id, Evaluation.id).where(Evaluation.calibration_session_id == session_id)
    )
    return {author: evaluation for author, evaluation in rows}


def test_calibration_after_close_shows_nobody_a_scoring_never_submitted(matrix: Matrix) -> None:
    world, db = matrix.world, matrix.db
    lead = principal_for(db, world.org.qc_lead)
    call = make_checked_call(db, rep=world.org.rep)
    run = calibration.create_session(
        db, lead, title="Week 46", call_ids=[call.id], reviewer_ids=[world.org.reviewer.id]
    )
    db.commit()
    for persona in ("qc_lead", "reviewer"):  # each saves a draft and never submits it
        saved = matrix.send(
            persona,
            "POST",
            f"/calibration/{run.id}/calls/{call.id}/draft",
            data={"overall_comment": "unfinished"},
        )
        assert saved.status_code == 200, persona
    assert matrix.send("qc_lead", "POST", f"/calibration/{run.id}/close").status_code == 303
    drafts = _scoring_ids(db, run.id)
    assert set(drafts) == {world.org.qc_lead.id, world.org.reviewer.id}
    problems = []
    for author, draft in drafts.items():
        for persona in PERSONAS:
            own = persona != "anonymous" and getattr(world.org, persona).id == author
            for url, anonymous in ((f"/api/evaluations/{draft}", 401), (f"/evaluations/{draft}", 303)):
                wanted = 200 if own else anonymous if persona == "anonymous" else 404
                got = matrix.send(persona, "GET", url).status_code
                if got != wanted:
                    problems.append(f"{persona} GET {url} (the draft of user {author}): {got}, not {wanted}")
    assert not problems, "\n".join(problems)
    before = snapshot(matrix.engine)
    for persona in ("qc_lead", "reviewer"):
        draft = drafts[getattr(world.org, persona).id]
        added = matrix.send(
            persona, "POST", f"/evaluations/{draft}/comments", data={"text": "Later", "at_s": "1"}
        )
        assert added.status_code == 409, f"{persona} commented on their draft of a closed session"
    assert snapshot(matrix.engine) == before


def test_opening_a_calibration_call_to_score_writes_nothing(matrix: Matrix) -> None:
    world = matrix.world
    url = f"/calibration/{world.calibration_id}/calls/{world.call_id}"
    before = snapshot(matrix.engine)
    for persona in ("qc_lead", "reviewer"):
        assert matrix.send(persona, "GET", url).status_code == 200, persona
    changed = [name for name, rows in snapshot(matrix.engine).items() if rows != before[name]]
    assert not changed, f"a GET of the scoring page wrote to {changed}"
