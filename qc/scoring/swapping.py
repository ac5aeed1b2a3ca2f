"""Which channel is the agent's, in the scoring stage and by hand.

The scoring stage checks the sides of every stereo call with separated speakers
(`qc.scoring.sides`) before its results are stored. A call whose declared agent sounds like
the customer is flagged; if its team swaps sides automatically (`Team.swap_sides`), the
platform exchanges the speakers of every segment and the call's channel layout, and stores
the results of the swapped transcript, which the check scored already. The platform swaps a
call once: after any swap, by the platform or by a person, only a person swaps it again.

QC leads and administrators swap a call's sides by hand (or undo the platform's swap) from
the call page; the call is then scored again. Each swap is recorded in the transcript's
`side_check` as `swaps`: who (the platform or a person), when. A person who puts the sides
back as declared has decided them: the call is no longer flagged (`decided`), whatever the
check keeps reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qc.calls import pipeline
from qc.calls import service as calls
from qc.calls.models import Call, CallStatus
from qc.db import utcnow
from qc.errors import Conflict, Forbidden
from qc.scoring import access, sides
from qc.scoring.definitions import Scorecard
from qc.scoring.results import ScoreResult
from qc.scoring.schemas import SidesSwapped
from qc.scoring.transcript import CallText
from qc.transcription import service as transcription
from qc.transcription.models import Transcript
from qc.users.models import Team
from qc.users.schemas import Principal


class SidesChanged(Conflict):
    """The call changed since the asker saw it (swapped, or being scored): nothing was swapped."""


PLATFORM = "platform"
PERSON = "person"


@dataclass(frozen=True)
class SidesPlan:
    """What the scoring stage does about a call's sides, read with its transcript."""

    check: bool  # a stereo call with separated speakers
    auto_swap: bool  # its team swaps automatically, and nobody has swapped this call yet
    swaps: list[dict[str, Any]] = field(default_factory=list)  # kept across re-scoring


@dataclass(frozen=True)
class SidesOutcome:
    result: ScoreResult  # the results to store
    side_check: dict[str, Any] | None  # for transcript.side_check; None: nothing to store
    swap: bool  # exchange the transcript's speakers and the call's layout first


def plan_for(session: Session, call_id: int, transcript: Transcript) -> SidesPlan:
    """How the scoring stage treats the call's sides (read in the stage's reading transaction)."""
    layout, team_swaps = session.execute(
        select(Call.channel_layout, Team.swap_sides)
        .join(Team, Team.id == Call.team_id)
        .where(Call.id == call_id)
    ).one()
    swaps = list((transcript.side_check or {}).get("swaps", []))
    stereo = layout.is_stereo and transcript.speakers_separated
    return SidesPlan(check=stereo, auto_swap=stereo and team_swaps and not swaps, swaps=swaps)


def settle(
    plan: SidesPlan, card: Scorecard, call: CallText, declared: ScoreResult, *, now: datetime
) -> SidesOutcome:
    """Check the sides of a call scored as declared; swap them if the plan says so."""
    if not plan.check:
        return SidesOutcome(declared, None, False)
    judged = sides.judge(card, call, declared)
    checked = {"checked_at": now.isoformat()}
    if judged.check.verdict is sides.Verdict.SWAPPED and plan.auto_swap:
        # The check as the swapped transcript reads, from what was scored already.
        after = sides.compare(card, judged.exchanged, judged.exchanged_result, declared)
        record = {"by": PLATFORM, "at": now.isoformat(), "reason": judged.check.reason}
        return SidesOutcome(judged.exchanged_result, {**after.as_dict(), **checked, "swaps": [record]}, True)
    if decided_as_declared(plan.swaps):
        checked["decided"] = DECIDED_AS_DECLARED
    return SidesOutcome(declared, {**judged.check.as_dict(), **checked, "swaps": plan.swaps}, False)


DECIDED_AS_DECLARED = "as_declared"


def decided_as_declared(swaps: list[dict[str, Any]]) -> bool:
    """A person put the sides back as the upload declared them (the last of an even number of
    swaps): their decision stands over the check's."""
    return bool(swaps) and len(swaps) % 2 == 0 and swaps[-1].get("by") == PERSON


def swap_call_sides(session: Session, principal: Principal, call_id: int, *, layout: str = "") -> Call:
    """Exchange the call's agent and customer (QC leads and administrators) and score it again;
    `layout` is the layout the person saw, so a second click does not swap the sides back."""
    call = calls.get_call(session, principal, call_id)
    if not access.can_swap_sides(principal):
        raise Forbidden("Only QC leads and administrators can swap a call's sides")
    if not call.channel_layout.is_stereo:
        raise Conflict(
            "This is a mono recording: both speakers share one channel, so there are no sides to swap"
        )
    if layout and layout != call.channel_layout.value:
        raise SidesChanged(
            f"The sides were swapped meanwhile ({call.channel_layout.label.lower()} now); reload the page"
        )
    transcript = transcription.get_transcript(session, call.id)
    if transcript is None or not transcript.speakers_separated:
        raise Conflict(
            "The call has no transcript with the speakers apart yet; swap its sides once it is scored"
        )
    _send_back_to_scoring(session, call)
    swaps = [*(transcript.side_check or {}).get("swaps", []), _person(principal)]
    transcription.swap_speakers(session, call)
    transcription.set_side_check(session, call.id, {"swaps": swaps})  # checked again when scored
    return call


def swapped(session: Session, call: Call) -> SidesSwapped:
    """What a swap left: the call's layout, its status (queued for scoring), the swaps so far."""
    session.flush()
    session.refresh(call, ["status", "channel_layout"])
    transcript = transcription.get_transcript(session, call.id)
    swaps = len((transcript.side_check or {}).get("swaps", [])) if transcript is not None else 0
    return SidesSwapped(
        call_id=call.id, channel_layout=call.channel_layout.value, status=call.status.value, swaps=swaps
    )


def _person(principal: Principal) -> dict[str, Any]:
    return {"by": PERSON, "user_id": principal.id, "name": principal.name, "at": utcnow().isoformat()}


def _send_back_to_scoring(session: Session, call: Call) -> None:
    """Queue the call's scoring again; only a scored call (a worker may be scoring it now)."""
    moved = session.execute(
        update(Call)
        .where(Call.id == call.id, Call.status == CallStatus.SCORED)
        .values(status=CallStatus.TRANSCRIBED)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.refresh(call, ["status"])  # what it is now, not what this request read
        raise SidesChanged(
            f"The call is {call.status.value} now: swap its sides once it is scored (reload the page)"
        )
    session.refresh(call, ["status"])
    pipeline.schedule(session, call)
