"""Scorecards and automatic checks: sync the files, pick a scorecard, score, re-score."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, selectinload

from qc.calls import pipeline
from qc.calls.models import Call, CallStatus
from qc.db import session_scope, utcnow
from qc.errors import Forbidden, InvalidInput, NotFound
from qc.jobs.events import emit
from qc.scoring import access, editor, engine, swapping, variables
from qc.scoring import repository as repo
from qc.scoring.definitions import Scorecard, Status, load_folder
from qc.scoring.models import CallScore, ChangeAction, CheckResult, Origin, ScorecardVersion
from qc.scoring.transcript import segments_from
from qc.transcription import service as transcription
from qc.transcription.models import Transcript
from qc.transcription.service import TranscriptRows
from qc.users.models import Role, Team
from qc.users.schemas import Principal

log = logging.getLogger(__name__)


# Files -> versions -----------------------------------------------------------------------------


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)  # "outbound-sales r2"
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def sync_scorecards(session: Session, folder: Path) -> SyncReport:
    """Make the current versions match the files: a changed file becomes a new revision."""
    loaded = load_folder(folder)
    report = SyncReport(problems=[str(p) for p in loaded.problems])
    if not loaded.cards and not loaded.problems:
        # A missing folder or an empty mount must not silently retire every scorecard.
        report.problems.append(f"{folder}: no scorecard files (*.yaml); the current scorecards are kept")
        log.warning("scorecard problem: %s", report.problems[-1])
        return report
    _lock_sync(session)
    broken_files = {p.file for p in loaded.problems}
    current = {
        v.scorecard_id: v
        for v in session.scalars(select(ScorecardVersion).where(ScorecardVersion.is_current))
    }
    for path, card in loaded.cards:
        _sync_one(session, path, card, current.get(card.id), report)
    present = {card.id for _, card in loaded.cards}
    for scorecard_id, version in current.items():
        from_file = version.origin is Origin.FILE
        if from_file and scorecard_id not in present and Path(version.source_file).name not in broken_files:
            version.is_current = False  # the file was removed: no longer applied
            report.retired.append(scorecard_id)
    for problem in report.problems:
        log.warning("scorecard problem: %s", problem)
    return report


def _lock_sync(session: Session) -> None:
    """One process at a time loads scorecard files (replicas start together)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _SYNC_LOCK_ID})
    # SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE).


_SYNC_LOCK_ID = 0x51C0_0002


def _sync_one(
    session: Session, path: Path, card: Scorecard, current: ScorecardVersion | None, report: SyncReport
) -> None:
    digest = card.content_hash()
    if current is not None and current.content_hash == digest:
        report.unchanged.append(f"{card.id} r{current.revision}")
        return
    if current is not None and current.origin is Origin.EDITOR:
        _hold_back(session, path, card, current, report)
        return
    known = session.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == card.id, ScorecardVersion.content_hash == digest
        )
    )
    session.execute(
        update(ScorecardVersion).where(ScorecardVersion.scorecard_id == card.id).values(is_current=False)
    )
    if known is not None:  # a file reverted to an earlier revision
        known.is_current = True
        report.added.append(f"{card.id} r{known.revision} (restored)")
        return
    revision = 1 + max(
        session.scalars(select(ScorecardVersion.revision).where(ScorecardVersion.scorecard_id == card.id)),
        default=0,
    )
    session.add(
        ScorecardVersion(
            scorecard_id=card.id,
            revision=revision,
            label=str(card.version),
            title=card.title,
            content_hash=digest,
            definition=card.model_dump(mode="json"),
            source_file=path.name,
            is_current=True,
        )
    )
    session.flush()
    report.added.append(f"{card.id} r{revision}")
    editor.log_file_change(
        session, card.id, ChangeAction.FILE_LOADED, revision=revision, content_hash=digest, note=path.name
    )


def _hold_back(
    session: Session, path: Path, card: Scorecard, current: ScorecardVersion, report: SyncReport
) -> None:
    """A scorecard published from the editor is not replaced by its file: a file that
    changed since it was last loaded is reported (once per content), never applied."""
    digest = card.content_hash()
    loaded = repo.last_from_file(session, card.id)
    if (loaded is not None and loaded.content_hash == digest) or editor.same_content(current, card):
        report.unchanged.append(f"{card.id} r{current.revision} (edited in the browser)")
        return
    message = (
        f"{path.name} changed, but {card.id} r{current.revision} was published in the editor: the "
        f"file was not applied. To use it, import it as the draft (PUT /api/scorecards/{card.id}/draft) "
        "and publish"
    )
    report.problems.append(message)
    if not repo.file_held_back(session, card.id, digest):
        editor.log_file_change(
            session, card.id, ChangeAction.FILE_HELD_BACK, revision=None, content_hash=digest, note=message
        )


def sync_from_settings(folder: Path) -> SyncReport:
    with session_scope() as session:
        return sync_scorecards(session, folder)


def definition(version: ScorecardVersion) -> Scorecard:
    return _definition(version.id, version.content_hash, version.definition)


def scoring_card(session: Session, version: ScorecardVersion) -> Scorecard:
    """The revision as the checks and the speech model use it: {variables} filled in."""
    values = repo.variable_values(session)
    key = (version.id, version.content_hash, json.dumps(values, sort_keys=True))
    if key not in _resolved:
        if len(_resolved) > 256:
            _resolved.clear()
        _resolved[key] = variables.resolve(definition(version), values)
    return _resolved[key]


_resolved: dict[tuple[int, str, str], Scorecard] = {}


def with_organisation_names(session: Session, card: Scorecard) -> Scorecard:
    """An unpublished card (a draft) with {variables} filled in as scoring would."""
    return variables.resolve(card, repo.variable_values(session))


def prepare_check(
    card: Scorecard, transcript: Transcript | TranscriptRows
) -> Callable[[], engine.ScoreResult]:
    """Running `card` on a stored transcript as the pipeline's scoring stage does: what it
    needs is read now (in the transaction), the checks run when the result is called for."""
    language = _scorecard_language(transcript.language, card)
    segments = segments_from(transcript.segments)
    duration = transcript.audio_duration_s
    return lambda: engine.score_transcript(card, language=language, segments=segments, duration_s=duration)


_cards: dict[tuple[int, str], Scorecard] = {}


def _definition(version_id: int, digest: str, data: dict[str, Any]) -> Scorecard:
    key = (version_id, digest)
    if key not in _cards:
        _cards[key] = Scorecard.model_validate(data)
    return _cards[key]


# Choosing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFacts:
    """What decides which scorecard applies to a call."""

    team: str
    direction: str
    metadata: dict[str, Any]
    language: str | None


def facts_of(session: Session, call_id: int) -> CallFacts:
    row = session.execute(
        select(Team.name, Call.direction, Call.call_metadata, Call.detected_language, Call.language)
        .join(Team, Team.id == Call.team_id)
        .where(Call.id == call_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"Call {call_id} does not exist")
    team, direction, metadata, detected, declared = row
    return CallFacts(team, direction.value, metadata or {}, detected or declared)


def _applies(card: Scorecard, facts: CallFacts) -> bool:
    rule = card.applies_to
    if rule.teams and facts.team.lower() not in {t.lower() for t in rule.teams}:
        return False
    if rule.direction and rule.direction != facts.direction:
        return False
    for key, values in rule.metadata.items():
        if str(facts.metadata.get(key, "")) not in {str(v) for v in values}:
            return False
    return True


def _specificity(card: Scorecard, facts: CallFacts) -> tuple[int, int, int, str]:
    rule = card.applies_to
    speaks = int(facts.language in card.languages) if facts.language else 0
    constraints = int(bool(rule.teams)) + int(rule.direction is not None) + len(rule.metadata)
    return (rule.priority, speaks, constraints, card.id)


def choose_version(session: Session, facts: CallFacts) -> ScorecardVersion | None:
    """The current scorecard that applies: highest priority, then the one in the call's
    language, then the most specific rule."""
    candidates = [(v, definition(v)) for v in current_versions(session)]
    matching = [(v, card) for v, card in candidates if _applies(card, facts)]
    if not matching:
        return None
    return max(matching, key=lambda pair: _specificity(pair[1], facts))[0]


def current_versions(session: Session) -> list[ScorecardVersion]:
    return repo.current_versions(session)


def item_labels(session: Session) -> dict[tuple[str, str], str]:
    """(scorecard id, item id) -> the item's label in the current scorecards."""
    return {
        (version.scorecard_id, item.id): item.label
        for version in current_versions(session)
        for item in definition(version).items
    }


def definitions_by_version(session: Session, version_ids: Iterable[int]) -> dict[int, Scorecard]:
    """The scorecard definition of each revision id (parsed once per process)."""
    ids = set(version_ids)
    if not ids:
        return {}
    versions = session.scalars(select(ScorecardVersion).where(ScorecardVersion.id.in_(ids)))
    return {version.id: definition(version) for version in versions}


def hotwords_for(session: Session, call_id: int, language: str | None) -> str | None:
    """Brand and product words of the call's scorecard, for the speech model."""
    version = choose_version(session, facts_of(session, call_id))
    if version is None:
        return None
    words = scoring_card(session, version).hotwords
    return words.get(language or "") or None


# Scoring stage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoringOutput:
    version_id: int | None
    result: engine.ScoreResult | None
    note: str | None
    side_check: dict[str, Any] | None = None  # which channel is the agent's (qc.scoring.sides)
    swap_sides: bool = False  # the platform swaps the call's sides before storing `result`


def score_call(call_id: int) -> ScoringOutput:
    """Score a transcribed call and check its sides (the pipeline's scoring stage; reads in
    its own transaction)."""
    with session_scope() as session:
        facts = facts_of(session, call_id)
        version = choose_version(session, facts)
        if version is None:
            note = f"No scorecard applies to {facts.direction} calls of team {facts.team}"
            if facts.metadata:
                note = f"{note} with {facts.metadata}"
            return ScoringOutput(None, None, note[:MAX_NOTE])
        transcript = transcription.get_transcript(session, call_id)
        if transcript is None:
            raise pipeline.PermanentFailure("The call has no transcript to score")
        card = scoring_card(session, version)
        language = _scorecard_language(transcript.language, card)
        segments = segments_from(transcript.segments)
        duration = transcript.audio_duration_s
        plan = swapping.plan_for(session, call_id, transcript)
        version_id = version.id
    call = engine.read_transcript(card, language=language, segments=segments, duration_s=duration)
    outcome = swapping.settle(plan, card, call, engine.score_read_call(card, call), now=utcnow())
    return ScoringOutput(version_id, outcome.result, None, outcome.side_check, outcome.swap)


MAX_NOTE = 500
# Whisper often names Serbian speech Croatian or Bosnian; their phrases are Serbian's.
_SAME_LANGUAGE = {"hr": "sr", "bs": "sr"}


def _scorecard_language(language: str, card: Scorecard) -> str:
    alias = _SAME_LANGUAGE.get(language)
    if alias is not None and language not in card.languages and alias in card.languages:
        return alias
    return language


def store_score(session: Session, call: Call, output: ScoringOutput) -> CallScore:
    """Replace the call's automatic results (swapping its sides first if the output says so)."""
    if output.swap_sides:
        transcription.swap_speakers(session, call)
    if output.side_check is not None:
        transcription.set_side_check(session, call.id, output.side_check)
    existing = session.scalar(select(CallScore).where(CallScore.call_id == call.id))
    if existing is not None:
        session.delete(existing)
        session.flush()
    result = output.result
    score = CallScore(
        call_id=call.id,
        scorecard_version_id=output.version_id,
        language=result.language if result else None,
        score=result.score if result else None,
        final_score=result.final_score if result else None,
        critical_failed=bool(result and result.critical_failed),
        checks_total=len(result.items) if result else 0,
        checks_decided=sum(i.status in (Status.PASS, Status.FAIL) for i in result.items) if result else 0,
        checks_needs_review=sum(i.status is Status.NEEDS_REVIEW for i in result.items) if result else 0,
        note=output.note,
        word_forms=sorted(result.word_forms) if result else None,
    )
    session.add(score)
    session.flush()
    for position, item in enumerate(result.items if result else []):
        session.add(
            CheckResult(
                call_score_id=score.id,
                position=position,
                item_id=item.item_id,
                status=item.status,
                confidence=round(item.confidence, 3),
                summary=item.summary,
                evidence=[e.as_dict() for e in item.evidence],
                value=item.value,
            )
        )
    emit(
        session,
        "call.scored",
        {
            "call_id": call.id,
            "rep_id": call.rep_id,
            "team_id": call.team_id,
            "score": score.final_score,
            "critical_failed": score.critical_failed,
            "checks_needs_review": score.checks_needs_review,
        },
    )
    return score


def scores_for(session: Session, call_ids: list[int], *, with_checks: bool = False) -> dict[int, CallScore]:
    """The automatic results of several calls (for lists), by call id; `with_checks` also
    loads each item's result."""
    if not call_ids:
        return {}
    query = select(CallScore).where(CallScore.call_id.in_(call_ids))
    if with_checks:
        query = query.options(selectinload(CallScore.checks))
    return {score.call_id: score for score in session.scalars(query)}


def get_call_score(session: Session, call_id: int) -> CallScore | None:
    return session.scalar(
        select(CallScore)
        .where(CallScore.call_id == call_id)
        .options(selectinload(CallScore.checks), selectinload(CallScore.scorecard_version))
    )


# Re-scoring -----------------------------------------------------------------------------------------


def rescore(
    session: Session,
    principal: Principal | None,
    *,
    scorecard_id: str | None = None,
    call_ids: list[int] | None = None,
) -> int:
    """Send scored calls back through scoring (not transcription); the number queued.

    With `scorecard_id`, only calls scored with that scorecard and calls no scorecard
    applied to (a changed rule may now cover them). With `call_ids` as well, only those
    of them (the calls a backtest showed would change): QC leads may do that; re-scoring
    everything is for administrators.
    """
    chosen = call_ids is not None and scorecard_id is not None
    allowed = principal is None or principal.role is Role.ADMIN or (chosen and access.can_edit(principal))
    if not allowed:
        raise Forbidden("Only administrators can re-score every call; QC leads re-score chosen calls")
    query = select(Call).join(CallScore, CallScore.call_id == Call.id).where(Call.status == CallStatus.SCORED)
    if call_ids is not None:
        query = query.where(Call.id.in_(call_ids))
    if scorecard_id is not None:
        if not session.scalar(
            select(ScorecardVersion.id).where(ScorecardVersion.scorecard_id == scorecard_id)
        ):
            raise NotFound(f"No scorecard {scorecard_id!r}")
        ids = select(ScorecardVersion.id).where(ScorecardVersion.scorecard_id == scorecard_id)
        query = query.where(
            (CallScore.scorecard_version_id.in_(ids)) | CallScore.scorecard_version_id.is_(None)
        )
    queued = 0
    for call in session.scalars(query.with_for_update()):
        # Only calls still scored: one a worker claimed meanwhile is left to it.
        moved = session.execute(
            update(Call)
            .where(Call.id == call.id, Call.status == CallStatus.SCORED)
            .values(status=CallStatus.TRANSCRIBED)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount:  # type: ignore[attr-defined]
            session.refresh(call, ["status"])
            pipeline.schedule(session, call)
            queued += 1
    return queued


# Scoring a transcript without audio (POST /api/score) -----------------------------------------------


def score_payload(
    session: Session, *, scorecard_id: str, language: str | None, segments: list[Any]
) -> tuple[ScorecardVersion, engine.ScoreResult]:
    version = get_current(session, scorecard_id)
    card = scoring_card(session, version)
    language = language or card.languages[0]
    if language not in card.languages:
        raise InvalidInput(
            f"Scorecard {scorecard_id!r} has no phrases in {language!r}; "
            f"it covers {', '.join(card.languages)}",
            field="language",
        )
    result = engine.score_transcript(card, language=language, segments=segments_from(segments))
    return version, result


def get_current(session: Session, scorecard_id: str) -> ScorecardVersion:
    version = repo.current(session, scorecard_id)
    if version is None:
        raise NotFound(f"No scorecard {scorecard_id!r}")
    return version


def list_scorecards(session: Session, principal: Principal) -> list[ScorecardVersion]:
    """The scorecards in use; everyone signed in may read the script they are scored on."""
    return current_versions(session)


def get_scorecard(
    session: Session, principal: Principal, scorecard_id: str, revision: int | None = None
) -> ScorecardVersion:
    if revision is None:
        return get_current(session, scorecard_id)
    version = repo.revision(session, scorecard_id, revision)
    if version is None:
        raise NotFound(f"No revision {revision} of scorecard {scorecard_id!r}")
    return version


def revisions(session: Session, scorecard_id: str) -> list[ScorecardVersion]:
    return repo.revisions(session, scorecard_id)


def word_forms(session: Session, call_ids: list[int]) -> dict[int, tuple[str | None, list[str]]]:
    """(scoring language, sorted word forms) of the calls whose transcript's forms are known."""
    found: dict[int, tuple[str | None, list[str]]] = {}
    for start in range(0, len(call_ids), 1000):
        found |= repo.word_forms(session, call_ids[start : start + 1000])
    return found


def rewrite_evidence(session: Session, call_id: int, text_for: Callable[[dict[str, Any]], str]) -> int:
    """Replace the quoted text of each piece of evidence of the call's automatic results
    with `text_for(evidence)` (personal data masked after scoring, or deleted under the
    retention policy); returns how many pieces changed."""
    score = session.scalar(
        select(CallScore).where(CallScore.call_id == call_id).options(selectinload(CallScore.checks))
    )
    changed = 0
    if score is not None:
        score.word_forms = None  # the transcript was rewritten: its forms are not known any more
    for check in score.checks if score else []:
        rewritten = [{**e, "text": text_for(e)} for e in check.evidence]
        changed += sum(new["text"] != e.get("text") for new, e in zip(rewritten, check.evidence, strict=True))
        if rewritten != check.evidence:
            check.evidence = rewritten
    return changed


def publish(
    session: Session,
    principal: Principal,
    scorecard_id: str,
    *,
    note: str | None = None,
    rescore_call_ids: list[int] | None = None,
) -> tuple[ScorecardVersion, int]:
    """Publish the draft and, in the same transaction, re-score the chosen calls (those the
    backtest showed would change) with it; the new revision and how many calls were queued."""
    version = editor.publish(session, principal, scorecard_id, note=note)
    queued = (
        rescore(session, principal, scorecard_id=scorecard_id, call_ids=rescore_call_ids)
        if rescore_call_ids
        else 0
    )
    return version, queued
