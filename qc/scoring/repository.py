"""Queries for scorecard revisions, drafts and their audit log."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from qc.scoring.models import (
    CallScore,
    ChangeAction,
    Origin,
    ScorecardChange,
    ScorecardDraft,
    ScorecardVariable,
    ScorecardVersion,
)


def current(session: Session, scorecard_id: str) -> ScorecardVersion | None:
    return session.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == scorecard_id, ScorecardVersion.is_current
        )
    )


def revision(session: Session, scorecard_id: str, number: int) -> ScorecardVersion | None:
    return session.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == scorecard_id, ScorecardVersion.revision == number
        )
    )


def revisions(session: Session, scorecard_id: str) -> list[ScorecardVersion]:
    return list(
        session.scalars(
            select(ScorecardVersion)
            .where(ScorecardVersion.scorecard_id == scorecard_id)
            .order_by(ScorecardVersion.revision.desc())
        )
    )


def next_revision(session: Session, scorecard_id: str) -> int:
    numbers = session.scalars(
        select(ScorecardVersion.revision).where(ScorecardVersion.scorecard_id == scorecard_id)
    )
    return 1 + max(numbers, default=0)


def make_current(session: Session, version: ScorecardVersion) -> None:
    """`version` becomes the one revision of its scorecard in use."""
    session.execute(
        update(ScorecardVersion)
        .where(ScorecardVersion.scorecard_id == version.scorecard_id, ScorecardVersion.id != version.id)
        .values(is_current=False)
    )
    version.is_current = True


def last_from_file(session: Session, scorecard_id: str) -> ScorecardVersion | None:
    """The newest revision loaded from the scorecard's file."""
    return session.scalar(
        select(ScorecardVersion)
        .where(ScorecardVersion.scorecard_id == scorecard_id, ScorecardVersion.origin == Origin.FILE)
        .order_by(ScorecardVersion.revision.desc())
        .limit(1)
    )


def draft(session: Session, scorecard_id: str) -> ScorecardDraft | None:
    return session.scalar(select(ScorecardDraft).where(ScorecardDraft.scorecard_id == scorecard_id))


def drafts(session: Session) -> list[ScorecardDraft]:
    return list(session.scalars(select(ScorecardDraft).order_by(ScorecardDraft.scorecard_id)))


def changes(session: Session, scorecard_id: str, *, limit: int = 200) -> list[ScorecardChange]:
    return list(
        session.scalars(
            select(ScorecardChange)
            .where(ScorecardChange.scorecard_id == scorecard_id)
            .order_by(ScorecardChange.at.desc(), ScorecardChange.id.desc())
            .limit(limit)
        )
    )


def file_held_back(session: Session, scorecard_id: str, content_hash: str) -> bool:
    """Whether this content of the file was already reported as not applied."""
    found = session.scalar(
        select(ScorecardChange.id).where(
            ScorecardChange.scorecard_id == scorecard_id,
            ScorecardChange.action == ChangeAction.FILE_HELD_BACK,
            ScorecardChange.content_hash == content_hash,
        )
    )
    return found is not None


def variable_values(session: Session) -> dict[str, dict[str, list[str]]]:
    """The organisation's values of the scorecard variables: name -> language -> names."""
    values: dict[str, dict[str, list[str]]] = {}
    for row in session.scalars(
        select(ScorecardVariable).order_by(ScorecardVariable.name, ScorecardVariable.language)
    ):
        values.setdefault(row.name, {})[row.language] = list(row.names)
    return values


def replace_variables(session: Session, values: dict[str, dict[str, list[str]]]) -> None:
    session.execute(delete(ScorecardVariable))
    session.add_all(
        ScorecardVariable(name=name, language=language, names=names)
        for name, per_language in values.items()
        for language, names in per_language.items()
    )
    session.flush()


def current_versions(session: Session) -> list[ScorecardVersion]:
    return list(
        session.scalars(
            select(ScorecardVersion)
            .where(ScorecardVersion.is_current)
            .order_by(ScorecardVersion.scorecard_id)
        )
    )


def word_forms(session: Session, call_ids: list[int]) -> dict[int, tuple[str | None, list[str]]]:
    """(scoring language, word forms) of the calls whose forms are known."""
    rows = session.execute(
        select(CallScore.call_id, CallScore.language, CallScore.word_forms).where(
            CallScore.call_id.in_(call_ids), CallScore.word_forms.is_not(None)
        )
    )
    return {call_id: (language, forms) for call_id, language, forms in rows if forms is not None}
