"""The scorecard editor's API: create or import, copy, draft, publish, restore, export, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import PlainTextResponse, Response

from qc.errors import InvalidInput
from qc.kit.openapi import body_in
from qc.kit.web import DB
from qc.scoring import access, editor, service, views
from qc.scoring.definitions import Scorecard
from qc.scoring.routes import RevisionQuery, ScorecardId
from qc.scoring.schemas import (
    CopyRequest,
    PublishRequest,
    RescoreRead,
    RescoreRequest,
    ScorecardChangeRead,
    ScorecardDetail,
    ScorecardDraftRead,
    ScorecardVariables,
)
from qc.users.web import CurrentUser

# A scorecard is a few hundred kilobytes at most; a larger body is refused before parsing.
api = APIRouter(prefix="/api", tags=["scorecard editor"], max_body_size=2 * 1024 * 1024)

Revision = Annotated[int, Path(ge=1, le=100_000)]
_DEFINITION = body_in(
    Scorecard,
    description="A scorecard: JSON in the shape GET /api/scorecards/{id} returns as `definition`, "
    "or a scorecard file (YAML) as in scorecards/",
    yaml=True,
)


async def _card(request: Request, principal: CurrentUser) -> Scorecard:
    """The scorecard in the body (read here, so the routes stay plain functions), once the
    asker is known to be allowed to change scorecards."""
    access.require_editor(principal)
    return editor.parse_upload(await request.body(), request.headers.get("content-type", ""))


Card = Annotated[Scorecard, Depends(_card)]


def _lock(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("If-Match must be the draft's lock, as GET .../draft returns it", field="If-Match")
    return int(value)


def _draft_read(view: editor.DraftView) -> ScorecardDraftRead:
    return ScorecardDraftRead(
        scorecard_id=view.draft.scorecard_id,
        definition=view.draft.definition,
        base_revision=view.draft.base_revision,
        published_revision=view.published.revision if view.published else None,
        lock=view.draft.lock,
        saved_by_id=view.draft.saved_by_id,
        saved_at=view.draft.saved_at,
    )


@api.post(
    "/scorecards",
    status_code=201,
    response_model=ScorecardDraftRead,
    name="api:scorecard_create",
    openapi_extra=_DEFINITION,
)
def create_scorecard(session: DB, principal: CurrentUser, card: Card) -> ScorecardDraftRead:
    """Create a scorecard, or import one from a file: it starts as a draft to publish."""
    return _draft_read(editor.create_scorecard(session, principal, card))


@api.post(
    "/scorecards/{scorecard_id}/copy",
    status_code=201,
    response_model=ScorecardDraftRead,
    name="api:scorecard_copy",
)
def copy_scorecard(
    session: DB, principal: CurrentUser, scorecard_id: ScorecardId, body: CopyRequest
) -> ScorecardDraftRead:
    """A new scorecard starting from this one (its draft, if it has one), as a draft."""
    return _draft_read(
        editor.copy_scorecard(session, principal, scorecard_id, new_id=body.id, title=body.title)
    )


@api.get("/scorecards/{scorecard_id}/draft", response_model=ScorecardDraftRead, name="api:scorecard_draft")
def get_draft(session: DB, principal: CurrentUser, scorecard_id: ScorecardId) -> ScorecardDraftRead:
    """The scorecard's unpublished edits (404 when there are none)."""
    return _draft_read(editor.get_draft(session, principal, scorecard_id))


@api.put(
    "/scorecards/{scorecard_id}/draft",
    response_model=ScorecardDraftRead,
    name="api:scorecard_draft_save",
    openapi_extra=_DEFINITION,
)
def save_draft(
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    card: Card,
    if_match: Annotated[str | None, Header(description="The draft's `lock` you started from")] = None,
) -> ScorecardDraftRead:
    """Save the draft (JSON, or a scorecard file to import into it). Nothing is applied to
    calls until it is published."""
    return _draft_read(editor.save_draft(session, principal, scorecard_id, card, lock=_lock(if_match)))


@api.delete("/scorecards/{scorecard_id}/draft", status_code=204, name="api:scorecard_draft_discard")
def discard_draft(session: DB, principal: CurrentUser, scorecard_id: ScorecardId) -> Response:
    """Throw the draft away; the revision in use stays."""
    editor.discard_draft(session, principal, scorecard_id)
    return Response(status_code=204)


@api.post("/scorecards/{scorecard_id}/publish", response_model=ScorecardDetail, name="api:scorecard_publish")
def publish(
    session: DB, principal: CurrentUser, scorecard_id: ScorecardId, body: PublishRequest
) -> ScorecardDetail:
    """The draft becomes a new revision, used for every call scored from now on; calls
    already scored keep their revision."""
    version = editor.publish(session, principal, scorecard_id, note=body.note)
    return views.detail_of(version)


@api.post(
    "/scorecards/{scorecard_id}/revisions/{revision}/restore",
    response_model=ScorecardDetail,
    name="api:scorecard_restore",
)
def restore(
    session: DB, principal: CurrentUser, scorecard_id: ScorecardId, revision: Revision, body: PublishRequest
) -> ScorecardDetail:
    """An earlier revision becomes the one in use again."""
    version = editor.restore(session, principal, scorecard_id, revision, note=body.note)
    return views.detail_of(version)


@api.get(
    "/scorecards/{scorecard_id}/export",
    response_class=PlainTextResponse,
    name="api:scorecard_export",
    responses={
        200: {
            "description": "The scorecard file, defaults left out",
            "content": {"application/yaml": {"schema": {"$ref": "#/components/schemas/Scorecard"}}},
        }
    },
)
def export(
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    revision: RevisionQuery = None,
) -> PlainTextResponse:
    """A revision as a scorecard file (YAML), to keep, share or put in scorecards/."""
    text = editor.export_yaml(session, principal, scorecard_id, revision)
    name = f"{scorecard_id}{f'-r{revision}' if revision else ''}.yaml"
    return PlainTextResponse(
        text, media_type="application/yaml", headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@api.get(
    "/scorecards/{scorecard_id}/changes",
    response_model=list[ScorecardChangeRead],
    name="api:scorecard_changes",
)
def changes(session: DB, principal: CurrentUser, scorecard_id: ScorecardId) -> list[ScorecardChangeRead]:
    """The scorecard's audit log, newest first: who created, saved, published or restored
    what, and what loading its file did."""
    return [
        ScorecardChangeRead(
            at=c.at,
            actor=c.actor,
            action=c.action.value,
            action_label=c.action.label,
            revision=c.revision,
            note=c.note,
        )
        for c in editor.history(session, principal, scorecard_id)
    ]


@api.get("/scorecard-variables", response_model=ScorecardVariables, name="api:scorecard_variables")
def get_variables(session: DB, principal: CurrentUser) -> ScorecardVariables:
    """The organisation's {company}, {brand}, {product}... as phrases and hotwords use them."""
    return ScorecardVariables(variables=editor.get_variables(session, principal))


@api.put("/scorecard-variables", response_model=ScorecardVariables, name="api:scorecard_variables_save")
def save_variables(session: DB, principal: CurrentUser, body: ScorecardVariables) -> ScorecardVariables:
    """Replace the organisation's variables (QC leads and administrators). Calls scored from
    now on use the new values; a variable a scorecard in use needs cannot be removed."""
    return ScorecardVariables(variables=editor.set_variables(session, principal, body.variables))


@api.post("/scorecards/{scorecard_id}/rescore", response_model=RescoreRead, name="api:scorecard_rescore")
def rescore_calls(
    session: DB, principal: CurrentUser, scorecard_id: ScorecardId, body: RescoreRequest
) -> RescoreRead:
    """Score chosen calls again with the revision in use (they are not transcribed again);
    calls not scored with this scorecard, or not scored yet, are left alone."""
    return RescoreRead(
        queued=service.rescore(session, principal, scorecard_id=scorecard_id, call_ids=body.call_ids)
    )
