"""Scorecards shaped in the browser and the API: create or import, copy, save a draft,
publish it as a new revision, restore an older one, export any revision as YAML.

A scorecard has at most one draft, shared by the people who may edit it (QC leads and
administrators). Publishing turns the draft into a revision; calls keep the revision they
were scored with. Every change lands in the scorecard audit log (`scorecard_change`).

Files in `scorecards/` stay the shipped starting point: `service.sync_scorecards` loads
them at start-up, and once a scorecard has been published from the editor, a changed
file is held back and reported instead of replacing that work (and the editor never
writes the files).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy.orm import Session

from qc.db import utcnow
from qc.errors import Conflict, InvalidInput, NotFound
from qc.scoring import access, editor_form, variables
from qc.scoring import repository as repo
from qc.scoring.definitions import Scorecard, ScorecardFileError, canonical, to_yaml, validate_definition
from qc.scoring.models import ChangeAction, Origin, ScorecardChange, ScorecardDraft, ScorecardVersion
from qc.users.schemas import Principal

MAX_NOTE = 500


# Reading input -----------------------------------------------------------------------------------


def parse_upload(body: bytes, content_type: str) -> Scorecard:
    """A scorecard sent as JSON or as a YAML file; every problem in one 422."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"):
        raise InvalidInput("Send the scorecard as application/json or as YAML (application/yaml)", 415)
    try:
        data = yaml.safe_load(body.decode("utf-8"))  # JSON is YAML too
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(
            f"The scorecard is not valid {'JSON' if 'json' in kind else 'YAML'}: {exc}"
        ) from exc
    return validated(data)


def validated(data: Any) -> Scorecard:
    """The scorecard `data` describes, or InvalidInput listing every problem by field."""
    try:
        return validate_definition(data, source="scorecard")
    except ScorecardFileError as exc:
        raise _invalid([{"field": p.location, "message": p.message} for p in exc.problems]) from exc


def _invalid(problems: list[dict[str, str]]) -> InvalidInput:
    message = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems)
    return InvalidInput(
        f"The scorecard has {len(problems)} problem(s): {message}", details={"problems": problems}
    )


def _require_variables(session: Session, card: Scorecard) -> None:
    """Every {variable} the card uses has a value, from the organisation or the card."""
    missing = variables.undefined(card, repo.variable_values(session))
    if missing:
        raise _invalid(
            [
                {
                    "field": "variables",
                    "message": f"{{{name}}} has no value: set it under Scorecards > Variables, "
                    "or give the scorecard a default in its variables",
                }
                for name in missing
            ]
        )


# Drafts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftView:
    draft: ScorecardDraft
    card: Scorecard
    published: ScorecardVersion | None  # the revision in use, None for a card never published


def create_scorecard(session: Session, principal: Principal, card: Scorecard) -> DraftView:
    """A new scorecard, as a draft to publish; its id must be free."""
    access.require_editor(principal)
    if card.id in RESERVED_IDS:
        raise InvalidInput(f"{card.id!r} cannot be a scorecard id: choose another", field="id")
    if repo.revisions(session, card.id) or repo.draft(session, card.id) is not None:
        raise Conflict(
            f"Scorecard {card.id!r} already exists: save your version as its draft "
            f"(PUT /api/scorecards/{card.id}/draft), or choose another id",
            field="id",
        )
    _require_variables(session, card)
    draft = _store_draft(session, principal, card, None, base_revision=None)
    _log(session, principal, card.id, ChangeAction.CREATED, note=card.title)
    return DraftView(draft, card, None)


def copy_scorecard(
    session: Session, principal: Principal, scorecard_id: str, *, new_id: str, title: str
) -> DraftView:
    """A new scorecard starting from the one in use (or its draft, if it has one)."""
    access.require_editor(principal)
    draft, published = repo.draft(session, scorecard_id), repo.current(session, scorecard_id)
    source = draft.definition if draft is not None else published.definition if published else None
    if source is None:
        raise NotFound(f"No scorecard {scorecard_id!r}")
    return create_scorecard(
        session, principal, validated(source | {"id": new_id, "title": title, "version": 1})
    )


RESERVED_IDS = frozenset({"new"})  # /scorecards/new is the page that creates one


def start_scorecard(
    session: Session,
    principal: Principal,
    *,
    new_id: str,
    title: str,
    languages: list[str],
    copy_of: str | None = None,
    file: bytes | None = None,
) -> DraftView:
    """The "new scorecard" page: from a file, as a copy of another, or from one section
    with one item to build on."""
    access.require_editor(principal)
    if file:
        data = _file_data(file)
        data |= {k: v for k, v in {"id": new_id, "title": title}.items() if v}
        return create_scorecard(session, principal, validated(data))
    if not new_id:
        raise InvalidInput("Give the scorecard an id: lower-case letters, digits, - and _", field="id")
    if copy_of:
        return copy_scorecard(session, principal, copy_of, new_id=new_id, title=title or new_id)
    blank = {
        "id": new_id,
        "title": title or new_id,
        "languages": languages,
        "sections": [
            {
                "id": "opening",
                "title": "Opening",
                "items": [{"id": "greeting", "label": "Greets the customer"}],
            }
        ],
    }
    return create_scorecard(session, principal, validated(blank))


def _file_data(file: bytes) -> dict[str, Any]:
    try:
        data = yaml.safe_load(file.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"The file is not a scorecard file (YAML): {exc}", field="file") from exc
    if not isinstance(data, dict):
        raise InvalidInput("A scorecard file is one mapping (id, title, sections...)", field="file")
    return data


def get_draft(session: Session, principal: Principal, scorecard_id: str) -> DraftView:
    """The scorecard's draft (NotFound when it has none)."""
    access.require_editor(principal)
    published = repo.current(session, scorecard_id)
    draft = repo.draft(session, scorecard_id)
    if draft is not None:
        return DraftView(draft, Scorecard.model_validate(draft.definition), published)
    if published is None:
        raise NotFound(f"No scorecard {scorecard_id!r}")
    raise NotFound(f"Scorecard {scorecard_id!r} has no draft: the revision in use is r{published.revision}")


def save_draft(
    session: Session, principal: Principal, scorecard_id: str, card: Scorecard, *, lock: int | None = None
) -> DraftView:
    """Replace the draft with `card`. `lock`: the draft's lock the editor started from; a
    save since then by someone else is a conflict, not a silent overwrite."""
    access.require_editor(principal)
    if card.id != scorecard_id:
        raise InvalidInput(
            f"The id of a scorecard cannot change ({scorecard_id!r}, not {card.id!r}): "
            "copy it to make a new one",
            field="id",
        )
    published = repo.current(session, scorecard_id)
    draft = repo.draft(session, scorecard_id)
    if draft is None and published is None and not repo.revisions(session, scorecard_id):
        raise NotFound(f"No scorecard {scorecard_id!r}: create it first (POST /api/scorecards)")
    if draft is not None and lock is not None and lock != draft.lock:
        raise Conflict(
            f"The draft was saved again at {draft.saved_at:%Y-%m-%d %H:%M} UTC since you opened it: "
            "reload it and make your change again"
        )
    _require_variables(session, card)
    base = draft.base_revision if draft else (published.revision if published else None)
    draft = _store_draft(session, principal, card, draft, base_revision=base)
    _log(session, principal, scorecard_id, ChangeAction.DRAFT_SAVED)
    return DraftView(draft, card, published)


@dataclass(frozen=True)
class Editing:
    """What the editor opens: the draft if there is one, else the revision in use."""

    scorecard_id: str
    definition: dict[str, Any]
    draft: ScorecardDraft | None
    published: ScorecardVersion | None


def editing(session: Session, principal: Principal, scorecard_id: str) -> Editing:
    access.require_editor(principal)
    draft, published = repo.draft(session, scorecard_id), repo.current(session, scorecard_id)
    if draft is None and published is None:
        raise NotFound(f"No scorecard {scorecard_id!r}")
    source = draft.definition if draft is not None else published.definition  # type: ignore[union-attr]
    return Editing(scorecard_id, source, draft, published)


def save_form(
    session: Session,
    principal: Principal,
    scorecard_id: str,
    pairs: list[tuple[str, str]],
    *,
    lock: int | None,
) -> tuple[DraftView | None, editor_form.EditorForm]:
    """Save the editor page's form as the draft; when it has problems nothing is saved and
    the form comes back with each problem next to its field."""
    access.require_editor(principal)
    data = editor_form.definition_from_form(pairs, scorecard_id=scorecard_id)
    card, form = editor_form.check_form(data)
    if card is None:
        return None, form
    try:
        return save_draft(session, principal, scorecard_id, card, lock=lock), form
    except (InvalidInput, Conflict) as exc:  # a name without a value; someone saved meanwhile
        for problem in exc.details.get("problems", []) if exc.details else []:
            form.errors.setdefault("var" if problem["field"].startswith("variables") else "", []).append(
                problem["message"]
            )
        if not form.errors:
            form.errors[""] = [exc.message]
        return None, form


def drafts(session: Session, principal: Principal) -> list[ScorecardDraft]:
    """Every scorecard's draft, for the people who may edit them (nobody else sees drafts)."""
    return repo.drafts(session) if access.can_edit(principal) else []


def discard_draft(session: Session, principal: Principal, scorecard_id: str) -> None:
    access.require_editor(principal)
    draft = repo.draft(session, scorecard_id)
    if draft is None:
        raise NotFound(f"Scorecard {scorecard_id!r} has no draft")
    session.delete(draft)
    _log(session, principal, scorecard_id, ChangeAction.DRAFT_DISCARDED)


def _store_draft(
    session: Session,
    principal: Principal,
    card: Scorecard,
    draft: ScorecardDraft | None,
    *,
    base_revision: int | None,
) -> ScorecardDraft:
    if draft is None:
        draft = ScorecardDraft(scorecard_id=card.id, lock=0, base_revision=base_revision)
        session.add(draft)
    draft.definition = canonical(card)
    draft.lock += 1
    draft.saved_by_id = principal.id
    draft.saved_at = utcnow()
    session.flush()
    return draft


# Publishing --------------------------------------------------------------------------------------


def publish(
    session: Session, principal: Principal, scorecard_id: str, *, note: str | None = None
) -> ScorecardVersion:
    """The draft becomes the revision in use; an unchanged draft is refused, one equal to
    an earlier revision brings that revision back."""
    access.require_editor(principal)
    draft = repo.draft(session, scorecard_id)
    if draft is None:
        raise NotFound(f"Scorecard {scorecard_id!r} has no draft to publish")
    card = validated(draft.definition)
    _require_variables(session, card)
    published = repo.current(session, scorecard_id)
    if published is not None and same_content(published, card):
        raise Conflict(
            f"The draft is the same as r{published.revision}, the revision in use: nothing to publish"
        )
    earlier = next((v for v in repo.revisions(session, scorecard_id) if same_content(v, card)), None)
    if earlier is not None:
        version = earlier
    else:
        version = ScorecardVersion(
            scorecard_id=scorecard_id,
            revision=repo.next_revision(session, scorecard_id),
            label=str(card.version),
            title=card.title,
            content_hash=card.content_hash(),
            definition=canonical(card),
            source_file=published.source_file if published else "",
            origin=Origin.EDITOR,
            published_by_id=principal.id,
            published_by=_actor(principal),
            change_note=_note(note),
        )
        session.add(version)
        session.flush()
    repo.make_current(session, version)
    session.delete(draft)
    action = ChangeAction.RESTORED if earlier is not None else ChangeAction.PUBLISHED
    _log(session, principal, scorecard_id, action, revision=version.revision, note=_note(note))
    return version


def restore(
    session: Session, principal: Principal, scorecard_id: str, revision: int, *, note: str | None = None
) -> ScorecardVersion:
    """An earlier revision becomes the one in use again (a draft, if any, is kept)."""
    access.require_editor(principal)
    version = repo.revision(session, scorecard_id, revision)
    if version is None:
        raise NotFound(f"No revision {revision} of scorecard {scorecard_id!r}")
    if version.is_current:
        raise Conflict(f"r{revision} is already the revision in use")
    repo.make_current(session, version)
    _log(session, principal, scorecard_id, ChangeAction.RESTORED, revision=revision, note=_note(note))
    return version


def same_content(version: ScorecardVersion, card: Scorecard) -> bool:
    """Whether a revision means the same as `card` (however each was written)."""
    return canonical(Scorecard.model_validate(version.definition)) == canonical(card)


def _note(note: str | None) -> str | None:
    return (note or "").strip()[:MAX_NOTE] or None


# Export and history ------------------------------------------------------------------------------


def export_yaml(session: Session, principal: Principal, scorecard_id: str, revision: int | None) -> str:
    """A revision (default: the one in use) as a scorecard file."""
    version = (
        repo.revision(session, scorecard_id, revision) if revision else repo.current(session, scorecard_id)
    )
    if version is None:
        raise NotFound(
            f"No revision {revision} of scorecard {scorecard_id!r}"
            if revision
            else f"No scorecard {scorecard_id!r}"
        )
    return to_yaml(Scorecard.model_validate(version.definition))


@dataclass(frozen=True)
class DiffRow:
    """One line of a side-by-side comparison: kind is equal, replace, delete or insert."""

    kind: str  # equal, replace, delete, insert; "skip": `left` says how many equal lines are folded
    left_number: int | None
    left: str
    right_number: int | None
    right: str


@dataclass(frozen=True)
class Comparison:
    left_label: str
    right_label: str
    rows: list[DiffRow]

    @property
    def changed(self) -> int:
        return sum(row.kind not in ("equal", "skip") for row in self.rows)


DRAFT = 0  # compare(..., right=DRAFT): the draft


def compare(session: Session, principal: Principal, scorecard_id: str, left: int, right: int) -> Comparison:
    """Two revisions (or a revision and the draft) as scorecard files, line by line."""

    def side(number: int) -> tuple[str, list[str]]:
        if number == DRAFT:
            access.require_editor(principal)
            draft = repo.draft(session, scorecard_id)
            if draft is None:
                raise NotFound(f"Scorecard {scorecard_id!r} has no draft")
            return "draft", to_yaml(Scorecard.model_validate(draft.definition)).splitlines()
        version = repo.revision(session, scorecard_id, number)
        if version is None:
            raise NotFound(f"No revision {number} of scorecard {scorecard_id!r}")
        card = Scorecard.model_validate(version.definition)
        return f"r{number}" + (" (in use)" if version.is_current else ""), to_yaml(card).splitlines()

    (left_label, a), (right_label, b) = side(left), side(right)
    rows: list[DiffRow] = []
    if a != b:  # the changes with a few lines around; "skip" rows stand for the lines between
        shown_to = 0
        for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES):
            if group[0][1] > shown_to:
                rows.append(DiffRow("skip", None, "", None, ""))
            for kind, i1, i2, j1, j2 in group:
                rows += _side_by_side(a, b, kind, i1, i2, j1, j2)
            shown_to = group[-1][2]
        if shown_to < len(a):
            rows.append(DiffRow("skip", None, "", None, ""))
    return Comparison(left_label, right_label, rows)


CONTEXT_LINES = 3


def _side_by_side(a: list[str], b: list[str], kind: str, i1: int, i2: int, j1: int, j2: int) -> list[DiffRow]:
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        li, rj = i1 + k, j1 + k
        rows.append(
            DiffRow(
                kind,
                li + 1 if li < i2 else None,
                a[li] if li < i2 else "",
                rj + 1 if rj < j2 else None,
                b[rj] if rj < j2 else "",
            )
        )
    return rows


def history(session: Session, principal: Principal, scorecard_id: str) -> list[ScorecardChange]:
    """The scorecard's audit log, newest first."""
    access.require_editor(principal)
    if not repo.revisions(session, scorecard_id) and repo.draft(session, scorecard_id) is None:
        raise NotFound(f"No scorecard {scorecard_id!r}")
    return repo.changes(session, scorecard_id)


def _log(
    session: Session,
    principal: Principal | None,
    scorecard_id: str,
    action: ChangeAction,
    *,
    revision: int | None = None,
    content_hash: str | None = None,
    note: str | None = None,
) -> None:
    session.add(
        ScorecardChange(
            at=utcnow(),
            scorecard_id=scorecard_id,
            actor_id=principal.id if principal else None,
            actor=_actor(principal) if principal else "system",
            action=action,
            revision=revision,
            content_hash=content_hash,
            note=note,
        )
    )


def _actor(principal: Principal) -> str:
    return f"{principal.name} <{principal.email}>"[:320]


def log_file_change(
    session: Session,
    scorecard_id: str,
    action: ChangeAction,
    *,
    revision: int | None,
    content_hash: str,
    note: str,
) -> None:
    """What loading the scorecard files did (by the system, at start-up)."""
    _log(session, None, scorecard_id, action, revision=revision, content_hash=content_hash, note=note)


# Variables ---------------------------------------------------------------------------------------


def get_variables(session: Session, principal: Principal) -> dict[str, dict[str, list[str]]]:
    """The organisation's values of the scorecard variables (everyone signed in may read them)."""
    return repo.variable_values(session)


def set_variables(
    session: Session, principal: Principal, values: dict[str, dict[str, list[str]]]
) -> dict[str, dict[str, list[str]]]:
    """Replace the organisation's variables; a variable a published scorecard uses without a
    default of its own cannot be removed."""
    access.require_editor(principal)
    cleaned = {
        name: {language: [n.strip() for n in names if n.strip()] for language, names in per_language.items()}
        for name, per_language in values.items()
    }
    cleaned = {name: {lang: names for lang, names in v.items() if names} for name, v in cleaned.items()}
    cleaned = {name: v for name, v in cleaned.items() if v}
    in_use = [
        (version.scorecard_id, name)
        for version in repo.current_versions(session)
        for name in variables.undefined(Scorecard.model_validate(version.definition), cleaned)
    ]
    if in_use:
        raise _invalid(
            [
                {"field": f"variables.{name}", "message": f"{card} uses {{{name}}}: give it a value"}
                for card, name in in_use
            ]
        )
    before = repo.variable_values(session)
    if before != cleaned:
        repo.replace_variables(session, cleaned)
        _log(session, principal, "*", ChangeAction.VARIABLES_CHANGED, note=_describe_change(before, cleaned))
    return cleaned


def _describe_change(before: dict[str, dict[str, list[str]]], after: dict[str, dict[str, list[str]]]) -> str:
    def show(values: dict[str, list[str]] | None) -> str:
        if not values:
            return "(not set)"
        return "; ".join(f"{lang}: {' | '.join(names)}" for lang, names in sorted(values.items()))

    changed = sorted(name for name in {*before, *after} if before.get(name) != after.get(name))
    return "\n".join(f"{{{name}}}: {show(before.get(name))} -> {show(after.get(name))}" for name in changed)[
        :4000
    ]
