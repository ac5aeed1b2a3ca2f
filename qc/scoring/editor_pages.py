"""The scorecard editor in the browser: create, edit the draft, test it on a transcript,
publish, compare and restore revisions, the audit log and the organisation's names.

The backtest page (what a draft would do to the reviewed calls) is the evaluations
domain's: it needs the reviewers' answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from qc.errors import Conflict, InvalidInput
from qc.kit.forms import parse_id, parse_ids
from qc.kit.web import DB, render
from qc.scoring import access, editor, editor_form, service, testbench
from qc.scoring.definitions import AnswerType, Metric, SpeakerRole
from qc.scoring.routes import ScorecardId
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False, max_body_size=2 * 1024 * 1024)

MAX_FIELDS = 20_000  # a scorecard of 300 items, every field shown


async def _editor_fields(request: Request, principal: CurrentUser) -> list[tuple[str, str]]:
    """The editor form's fields in the order the page sent them (order is meaning here)."""
    access.require_editor(principal)
    form = await request.form(max_fields=MAX_FIELDS)
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


EditorFields = Annotated[list[tuple[str, str]], Depends(_editor_fields)]


def _redirect(
    request: Request, name: str, query: Mapping[str, object] | None = None, **params: object
) -> Response:
    url = request.url_for(name, **params)
    target = url.path + (f"?{url.include_query_params(**query).query}" if query else "")
    return RedirectResponse(target, status_code=303)


def _editor_context(
    opened: editor.Editing, form: editor_form.EditorForm, **extra: object
) -> dict[str, object]:
    return {
        "opened": opened,
        "form": form,
        "ef": editor_form,
        "answer_options": [(a.value, a.label) for a in AnswerType],
        "speaker_options": [(s.value, s.value) for s in SpeakerRole],
        "metric_options": [(m.value, f"{m.value.replace('_', ' ')} ({m.unit})") for m in Metric],
        **extra,
    }


# Creating ----------------------------------------------------------------------------------------


@pages.get("/scorecards/new", name="scorecards:new")
def new_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    access.require_editor(principal)
    context = {"scorecards": service.list_scorecards(session, principal), "values": {}, "errors": {}}
    return render(request, "scorecards/new.html", context)


@pages.post("/scorecards/new", name="scorecards:create")
def create(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: Annotated[str, Form(alias="id", max_length=60)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    languages: Annotated[str, Form(max_length=200)] = "en",
    start: Annotated[str, Form(max_length=80)] = "blank",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    content = file.file.read(2 * 1024 * 1024) if file is not None and file.filename else None
    try:
        created = editor.start_scorecard(
            session,
            principal,
            new_id=scorecard_id.strip(),
            title=title.strip(),
            languages=editor_form.codes(languages),
            copy_of=start.removeprefix("copy:") if start.startswith("copy:") else None,
            file=content,
        )
    except (InvalidInput, Conflict) as exc:
        problems = (exc.details or {}).get("problems") or [{"field": exc.field or "", "message": exc.message}]
        context = {
            "scorecards": service.list_scorecards(session, principal),
            "values": {"id": scorecard_id, "title": title, "languages": languages, "start": start},
            "errors": {
                "list": [
                    p["message"] if not p["field"] else f"{p['field']}: {p['message']}" for p in problems
                ],
                "field": exc.field,
            },
        }
        return render(request, "scorecards/new.html", context, status_code=exc.status_code)
    return _redirect(request, "scorecards:edit", scorecard_id=created.card.id)


# Editing -----------------------------------------------------------------------------------------


@pages.get("/scorecards/{scorecard_id}/edit", name="scorecards:edit")
def edit_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    saved: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    opened = editor.editing(session, principal, scorecard_id)
    form = editor_form.EditorForm(opened.definition)
    return render(request, "scorecards/edit.html", _editor_context(opened, form, saved=saved))


@pages.post("/scorecards/{scorecard_id}/edit", name="scorecards:save")
def save(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    fields: EditorFields,
) -> Response:
    values = dict(fields)
    lock = values.get("lock", "")
    saved, form = editor.save_form(
        session,
        principal,
        scorecard_id,
        fields,
        lock=parse_id(lock, field="lock") if lock else None,
    )
    if saved is None:
        opened = editor.editing(session, principal, scorecard_id)
        return render(request, "scorecards/edit.html", _editor_context(opened, form), status_code=422)
    then = values.get("then", "")
    if then == "backtest":
        return _redirect(request, "evaluations:backtest", scorecard_id=scorecard_id)
    if then == "test":
        return _redirect(request, "scorecards:test", scorecard_id=scorecard_id)
    return _redirect(request, "scorecards:edit", {"saved": saved.draft.lock}, scorecard_id=scorecard_id)


@pages.post("/scorecards/{scorecard_id}/draft/discard", name="scorecards:discard")
def discard(request: Request, session: DB, principal: CurrentUser, scorecard_id: ScorecardId) -> Response:
    editor.discard_draft(session, principal, scorecard_id)
    if not service.revisions(session, scorecard_id):  # never published: no page of its own
        return _redirect(request, "scorecards:list", {"discarded": 1})
    return _redirect(request, "scorecards:detail", {"discarded": 1}, scorecard_id=scorecard_id)


@pages.post("/scorecards/{scorecard_id}/publish", name="scorecards:publish")
def publish(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    note: Annotated[str, Form(max_length=2000)] = "",
    rescore: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    version, queued = service.publish(
        session, principal, scorecard_id, note=note, rescore_call_ids=parse_ids(rescore, field="rescore")
    )
    query = {"published": version.revision, "queued": queued}
    return _redirect(request, "scorecards:detail", query, scorecard_id=scorecard_id)


# Revisions ---------------------------------------------------------------------------------------


@pages.get("/scorecards/{scorecard_id}/compare", name="scorecards:compare")
def compare_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    left: Annotated[int, Query(ge=0, le=100_000, description="A revision; 0 is the draft")],
    right: Annotated[int, Query(ge=0, le=100_000)],
) -> Response:
    comparison = editor.compare(session, principal, scorecard_id, left, right)
    context = {
        "scorecard_id": scorecard_id,
        "comparison": comparison,
        "revisions": service.revisions(session, scorecard_id),
        "left": left,
        "right": right,
        "has_draft": any(d.scorecard_id == scorecard_id for d in editor.drafts(session, principal)),
    }
    return render(request, "scorecards/compare.html", context)


@pages.post("/scorecards/{scorecard_id}/revisions/{revision}/restore", name="scorecards:restore")
def restore(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    revision: int,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    version = editor.restore(session, principal, scorecard_id, revision, note=note)
    return _redirect(request, "scorecards:detail", {"restored": version.revision}, scorecard_id=scorecard_id)


@pages.get("/scorecards/{scorecard_id}/changes", name="scorecards:changes")
def changes_page(
    request: Request, session: DB, principal: CurrentUser, scorecard_id: ScorecardId
) -> Response:
    context = {"scorecard_id": scorecard_id, "changes": editor.history(session, principal, scorecard_id)}
    return render(request, "scorecards/changes.html", context)


# Test bench --------------------------------------------------------------------------------------


@pages.get("/scorecards/{scorecard_id}/test", name="scorecards:test")
def test_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    call: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    opened = editor.editing(session, principal, scorecard_id)
    context: dict[str, object] = {
        "opened": opened,
        "result": None,
        "values": {"call": call or ""},
        "error": None,
    }
    try:
        context["result"] = testbench.run(session, principal, scorecard_id, call_id=call) if call else None
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "scorecards/test.html", context, status_code=exc.status_code)
    return render(request, "scorecards/test.html", context)


@pages.post("/scorecards/{scorecard_id}/test", name="scorecards:test_run")
def test_run(
    request: Request,
    session: DB,
    principal: CurrentUser,
    scorecard_id: ScorecardId,
    transcript: Annotated[str, Form(max_length=200_000)] = "",
    call: Annotated[str, Form(max_length=20)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    opened = editor.editing(session, principal, scorecard_id)
    values = {"transcript": transcript, "call": call, "language": language}
    try:
        result = testbench.run(
            session,
            principal,
            scorecard_id,
            text=transcript,
            call_id=testbench.call_number(call),
            language=language or None,
        )
    except InvalidInput as exc:
        failed: dict[str, object] = {"opened": opened, "result": None, "values": values, "error": exc}
        return render(request, "scorecards/test.html", failed, status_code=exc.status_code)
    context: dict[str, object] = {"opened": opened, "result": result, "values": values, "error": None}
    return render(request, "scorecards/test.html", context)


# Variables ---------------------------------------------------------------------------------------


@pages.get("/scorecard-variables", name="scorecards:variables")
def variables_page(request: Request, session: DB, principal: CurrentUser) -> Response:
    values = editor.get_variables(session, principal)
    context = {
        "rows": editor_form.variable_rows(values),
        "errors": [],
        "can_edit": access.can_edit(principal),
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "scorecards/variables.html", context)


@pages.post("/scorecard-variables", name="scorecards:variables_save")
def variables_save(request: Request, session: DB, principal: CurrentUser, fields: EditorFields) -> Response:
    values = editor_form.variables_from_form(fields)
    try:
        editor.set_variables(session, principal, values)
    except InvalidInput as exc:
        problems = (exc.details or {}).get("problems") or [{"field": "", "message": exc.message}]
        context = {
            "rows": editor_form.variable_rows(values),
            "errors": [p["message"] for p in problems],
            "can_edit": True,
            "saved": False,
        }
        return render(request, "scorecards/variables.html", context, status_code=422)
    return _redirect(request, "scorecards:variables", {"saved": 1})
