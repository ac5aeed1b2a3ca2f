"""Scorecards (pages and API) and scoring a transcript without audio."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.kit.web import DB, Id, render
from qc.scoring import access, describe, editor, service, swapping, variables, views
from qc.scoring.schemas import (
    ChecksRead,
    ScorecardDetail,
    ScorecardSummary,
    ScoreRequest,
    SidesSwapped,
    SwapSidesRequest,
)
from qc.users.models import Role
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["scorecards"])
# POST /api/score takes JSON, not recordings: a small body limit keeps it cheap.
score_api = APIRouter(prefix="/api", tags=["scorecards"], max_body_size=5 * 1024 * 1024)

ScorecardId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
RevisionQuery = Annotated[int | None, Query(ge=1, le=100_000, description="Default: the revision in use")]


@pages.get("/scorecards", name="scorecards:list")
def scorecards_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    versions = service.list_scorecards(session, principal)
    drafts = editor.drafts(session, principal)
    published = {v.scorecard_id for v in versions}
    context = {
        "scorecards": [views.summary_of(v) for v in versions],
        "can_edit": access.can_edit(principal),
        "drafts": {d.scorecard_id for d in drafts},
        "unpublished": [d for d in drafts if d.scorecard_id not in published],
        "discarded": request.query_params.get("discarded") == "1",
    }
    return render(request, "scorecards/list.html", context)


@pages.get("/scorecards/{scorecard_id}", name="scorecards:detail")
def scorecard_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    revision: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    queued: Annotated[int | None, Query(ge=0)] = None,
    published: Annotated[int | None, Query(ge=1)] = None,
    restored: Annotated[int | None, Query(ge=1)] = None,
    discarded: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> Response:
    version = service.get_scorecard(session, principal, scorecard_id, revision)
    card = service.definition(version)
    context = {
        "version": version,
        "card": card,
        "names": variables.effective(card, editor.get_variables(session, principal)),
        "hotwords": service.scoring_card(session, version).hotwords,  # names filled in
        "summary": views.summary_of(version),
        "revisions": service.revisions(session, scorecard_id),
        "describe": describe,
        "can_rescore": principal.role is Role.ADMIN,
        "queued": queued,
        "published": published,
        "restored": restored,
        "discarded": discarded,
        "can_edit": access.can_edit(principal),
        "has_draft": any(d.scorecard_id == scorecard_id for d in editor.drafts(session, principal)),
    }
    return render(request, "scorecards/detail.html", context)


@pages.post("/scorecards/{scorecard_id}/rescore", name="scorecards:rescore")
def rescore_page(
    request: Request, session: DB, principal: CurrentUser, scorecard_id: ScorecardId
) -> Response:
    count = service.rescore(session, principal, scorecard_id=scorecard_id)
    target = request.url_for("scorecards:detail", scorecard_id=scorecard_id).include_query_params(
        queued=count
    )
    return RedirectResponse(f"{target.path}?{target.query}", status_code=303)


@pages.post("/calls/{call_id}/swap-sides", name="calls:swap_sides")
def swap_sides_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    call_id: Id,
    layout: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Exchange which channel is the agent's (or undo a swap); the call is scored again. A
    click from a page older than the call (swapped or re-scoring meanwhile) changes nothing
    and comes back to the call's page, which says so."""
    target = request.url_for("calls:detail", call_id=call_id).path
    try:
        swapping.swap_call_sides(session, principal, call_id, layout=layout)
    except swapping.SidesChanged:
        return RedirectResponse(f"{target}?swap=refused#side-check", status_code=303)
    return RedirectResponse(target, status_code=303)


# API -------------------------------------------------------------------------------------------------


@api.post(
    "/calls/{call_id}/swap-sides",
    response_model=SidesSwapped,
    status_code=202,
    name="api:call_swap_sides",
    tags=["calls"],
)
def swap_sides_api(session: DB, principal: CurrentUser, call_id: Id, body: SwapSidesRequest) -> SidesSwapped:
    """Exchange which channel is the agent's (QC leads and administrators); the call is scored
    again, and a second swap puts the sides back as declared."""
    call = swapping.swap_call_sides(session, principal, call_id, layout=body.layout)
    return swapping.swapped(session, call)


@api.get("/scorecards", response_model=list[ScorecardSummary], name="api:scorecards")
def list_scorecards(session: DB, principal: CurrentUser) -> list[ScorecardSummary]:
    """The scorecards in use, one current revision each."""
    return [views.summary_of(v) for v in service.list_scorecards(session, principal)]


@api.get("/scorecards/{scorecard_id}", response_model=ScorecardDetail, name="api:scorecard")
def get_scorecard(
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    revision: RevisionQuery = None,
) -> ScorecardDetail:
    """A scorecard's full definition (sections, items, checks, phrases per language)."""
    version = service.get_scorecard(session, principal, scorecard_id, revision)
    return views.detail_of(version)


@score_api.post("/score", response_model=ChecksRead, name="api:score")
def score_transcript(session: DB, principal: CurrentUser, body: ScoreRequest) -> ChecksRead:
    """Check a transcript (the shape GET /api/calls/{id} returns) against a scorecard, without audio."""
    version, result = service.score_payload(
        session, scorecard_id=body.scorecard, language=body.language, segments=body.transcript.segments
    )
    return views.result_read(version, result)
