"""The test bench: one transcript, pasted or taken from a call, checked by a scorecard's
draft next to the revision in use, item by item, with the evidence of each verdict.

A pasted transcript has no timings: each line is given 0.4 s per word, one after the
other, so "in the first 30 seconds" means "in about the first 75 words". A call's stored
(masked) transcript keeps its own timings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from qc.errors import InvalidInput
from qc.scoring import access, editor, engine
from qc.scoring import service as scoring
from qc.scoring.definitions import Item, Scorecard
from qc.scoring.results import ItemResult, ScoreResult
from qc.scoring.transcript import segments_from
from qc.transcription import service as transcription
from qc.users.schemas import Principal

SECONDS_PER_WORD = 0.4
PAUSE_S = 0.6
MAX_LINES = 2000
_SPEAKERS = {
    "agent": "agent",
    "a": "agent",
    "rep": "agent",
    "operator": "agent",
    "manager": "agent",
    "оператор": "agent",
    "менеджер": "agent",
    "operatore": "agent",
    "customer": "customer",
    "c": "customer",
    "client": "customer",
    "клиент": "customer",
    "cliente": "customer",
    "klijent": "customer",
}
_LINE = re.compile(r"^\s*([^\W\d_]{1,20})\s*[:>-]\s*(.*)$")


@dataclass(frozen=True)
class BenchRow:
    item: Item
    section: str
    draft: ItemResult | None  # None: the draft has no check on this item
    published: ItemResult | None  # None: not in the revision in use, or no check there

    @property
    def differs(self) -> bool:
        return (self.draft.status if self.draft else None) != (
            self.published.status if self.published else None
        )


@dataclass(frozen=True)
class BenchResult:
    language: str
    segments: list[dict[str, Any]]
    timed: bool  # the call's own timings (False: spread by word count)
    call_id: int | None
    rows: list[BenchRow]
    draft_score: float | None
    published_score: float | None
    published_revision: int | None

    @property
    def differences(self) -> int:
        return sum(row.differs for row in self.rows)


def parse_transcript(text: str) -> list[dict[str, Any]]:
    """Segments from lines such as `Agent: Good morning` / `Customer: Hi` (a line without a
    speaker continues the one before), with made-up timings."""
    segments: list[dict[str, Any]] = []
    clock = 0.0
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"Paste at most {MAX_LINES} lines", field="transcript")
    speaker = "agent"
    for line in lines:
        match = _LINE.match(line)
        if match and match.group(1).lower() in _SPEAKERS:
            speaker, line = _SPEAKERS[match.group(1).lower()], match.group(2)
        words = line.split()
        if not words:
            continue
        timed = []
        for word in words:
            timed.append(
                {"start": clock, "end": clock + SECONDS_PER_WORD * 0.9, "word": word, "probability": 1.0}
            )
            clock += SECONDS_PER_WORD
        segments.append(
            {
                "speaker": speaker,
                "start": timed[0]["start"],
                "end": timed[-1]["end"],
                "text": " ".join(words),
                "words": timed,
            }
        )
        clock += PAUSE_S
    if not segments:
        raise InvalidInput(
            "Paste a transcript, one turn per line: 'Agent: Good morning...' / 'Customer: ...'",
            field="transcript",
        )
    return segments


def run(
    session: Session,
    principal: Principal,
    scorecard_id: str,
    *,
    text: str = "",
    call_id: int | None = None,
    language: str | None = None,
) -> BenchResult:
    """Check a pasted transcript, or call `call_id`'s, with the draft and the revision in use."""
    access.require_editor(principal)
    if call_id is not None and text.strip():
        raise InvalidInput("Paste a transcript or give a call's number, not both", field="call")
    opened = editor.editing(session, principal, scorecard_id)
    draft = scoring.with_organisation_names(session, Scorecard.model_validate(opened.definition))
    published = scoring.scoring_card(session, opened.published) if opened.published else None
    duration = 0.0
    if call_id is not None:
        rows = transcription.transcript_rows(session, [call_id]).get(call_id)
        if rows is None:
            raise InvalidInput(
                f"Call {call_id} has no transcript: it does not exist, is not transcribed yet, or its "
                "transcript was deleted",
                field="call",
            )
        segments, duration, language = rows.segments, rows.audio_duration_s, language or rows.language
    else:
        segments = parse_transcript(text)
    language = (language or draft.languages[0]).strip().lower()
    if language not in draft.languages:
        raise InvalidInput(
            f"The draft has no phrases in {language!r}; it covers {', '.join(draft.languages)}",
            field="language",
        )
    parsed = segments_from(segments)
    after = engine.score_transcript(draft, language=language, segments=parsed, duration_s=duration)
    before: ScoreResult | None = None
    if published is not None and language in published.languages:
        before = engine.score_transcript(published, language=language, segments=parsed, duration_s=duration)
    draft_results = {r.item_id: r for r in after.items}
    published_results = {r.item_id: r for r in before.items} if before else {}
    rows_out = [
        BenchRow(
            item, draft.section_of(item.id).title, draft_results.get(item.id), published_results.get(item.id)
        )
        for item in draft.items
        if item.id in draft_results or item.id in published_results
    ]
    return BenchResult(
        language=language,
        segments=segments,
        timed=call_id is not None,
        call_id=call_id,
        rows=rows_out,
        draft_score=after.score,
        published_score=before.score if before else None,
        published_revision=opened.published.revision if opened.published else None,
    )


def call_number(text: str) -> int | None:
    """The call a person typed: its number, as in its address (`/calls/56`); None if empty."""
    value = text.strip().rstrip("/").rsplit("/", 1)[-1]
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 2**31:
        raise InvalidInput("Give the call's number, as in its address (/calls/56)", field="call")
    return int(value)
