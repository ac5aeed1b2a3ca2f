"""What the call pages and the calls read API show, gathered across domains."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from qc.calls import service as calls
from qc.calls.models import Call, CallStatus
from qc.config import Settings
from qc.evaluations import service as evaluations
from qc.evaluations.models import Evaluation
from qc.kit.pagination import Page, PageRequest
from qc.reviews import reading
from qc.scoring import service as scoring
from qc.scoring.models import CallScore
from qc.transcription import service as transcription
from qc.transcription.models import Transcript
from qc.users import identity
from qc.users.schemas import Principal


@dataclass(frozen=True)
class CallDetail:
    call: Call
    transcript: Transcript | None
    score: CallScore | None
    rep: identity.ShownRep


def get_call_detail(
    session: Session, principal: Principal, call_id: int, *, settings: Settings
) -> CallDetail:
    """The call with its transcript and automatic results, if `principal` may see it."""
    call = calls.get_call(session, principal, call_id)
    return CallDetail(
        call,
        transcription.get_transcript(session, call.id),
        scoring.get_call_score(session, call.id),
        identity.show_rep(
            principal,
            rep_id=call.rep_id,
            name=call.rep.name,
            team_id=call.team_id,
            settings=settings,
            email=call.rep.email,
            external_id=call.rep.external_id,
        ),
    )


def get_call_with_transcript(
    session: Session, principal: Principal, call_id: int
) -> tuple[Call, Transcript | None]:
    call = calls.get_call(session, principal, call_id)
    return call, transcription.get_transcript(session, call.id)


@dataclass(frozen=True)
class CallsPage:
    page: Page[Call]
    scores: dict[int, CallScore]
    rep_labels: dict[int, str]
    reviews: dict[int, Evaluation]  # submitted QC reviews `principal` may read, by call
    swapped_sides: set[int] = field(default_factory=set)  # calls whose agent channel looks swapped


def list_calls(
    session: Session,
    principal: Principal,
    *,
    settings: Settings,
    rep: str | None = None,
    team_id: int | None = None,
    day: date | None = None,
    status: CallStatus | None = None,
    sides_look_swapped: bool = False,
    page: PageRequest,
) -> CallsPage:
    """Calls `principal` may see, newest first, with their automatic scores and the names
    (or blind-review aliases) to show for their reps; `sides_look_swapped`: only the calls
    flagged for an agent on the other channel than declared."""
    result = calls.list_calls(
        session,
        principal,
        settings=settings,
        rep=rep,
        team_id=team_id,
        day=day,
        status=status,
        among=transcription.swapped_sides_query() if sides_look_swapped else None,
        page=page,
    )
    ids = [call.id for call in result.items]
    return CallsPage(
        result,
        scoring.scores_for(session, ids),
        reading.rep_labels(session, principal, result.items, settings=settings),
        evaluations.readable_reviews_by_call(session, principal, list(result.items)),
        transcription.calls_with_swapped_sides(session, ids),
    )
