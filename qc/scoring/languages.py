"""The languages a worker must be ready for, and loading their tools before the first call.

A pipeline worker that loads spaCy and the lemma tables on its first call makes that call
wait about 5 s; loading them at start, for the languages its calls can be in, moves the
wait to where nobody is waiting.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.scoring import nlp
from qc.scoring import service as scoring
from qc.users.models import Team


def in_use(session: Session, *, default: str | None) -> list[str | None]:
    """The languages calls may arrive in: the teams' languages and those of the scorecards in
    use, plus None when some team declares none (its calls' language is identified by ear)."""
    teams: set[str | None] = set(session.scalars(select(Team.language)))
    if default:
        teams = {language or default for language in teams}
        teams.add(default)
    cards = {
        language
        for version in scoring.current_versions(session)
        for language in scoring.definition(version).languages
    }
    known = sorted({language for language in teams | cards if language})
    return [*known, None] if None in teams else list(known)


def load_tools(languages: list[str | None]) -> list[str]:
    """Load the tokeniser, lemmatiser and word lists of each language (once per process)."""
    loaded: list[str] = []
    for code in languages:
        if code is None:
            continue
        tools = nlp.tools(code)
        tools.canonical("warm")  # lemma tables and analysers that load on first use
        tools.is_known("warm")
        loaded.append(code)
    return loaded
