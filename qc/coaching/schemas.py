"""The coaching API's shapes: sessions in and out, action items, focus suggestions and effects."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from qc.coaching.effect import FocusEffect, Tally, Verdict
from qc.coaching.models import CoachingAction, SessionStatus
from qc.coaching.service import FocusSuggestion
from qc.coaching.views import SessionView
from qc.kit.timeutil import Day, Instant
from qc.kit.web import RowId

MAX_TEXT = 4000


class PersonRef(BaseModel):
    id: int
    name: str


class ActionIn(BaseModel):
    text: str = Field(max_length=500, description="What the rep will do")
    due_date: Day | None = Field(default=None, description="By when (the team's calendar day)")


class SessionCreate(BaseModel):
    rep_id: RowId
    scheduled_at: Instant = Field(description="When it takes place, with its UTC offset")
    duration_minutes: int = Field(default=30, json_schema_extra={"minimum": 5, "maximum": 480})
    agenda: str = Field(default="", max_length=MAX_TEXT)
    shared_notes: str = Field(default="", max_length=MAX_TEXT, description="The rep reads these")
    private_notes: str = Field(default="", max_length=MAX_TEXT, description="Never shown to the rep")
    focus: list[str] = Field(
        default=[],
        max_length=20,
        description='Items to work on, "scorecard:item", from the suggestions',
        json_schema_extra={"minItems": 1, "maxItems": 5},
    )
    evaluation_ids: list[RowId] = Field(default=[], max_length=50, description="The reviews it starts from")
    actions: list[ActionIn] = Field(default=[], max_length=20, json_schema_extra={"maxItems": 10})


class OutcomeIn(BaseModel):
    outcome: str = Field(max_length=MAX_TEXT, description="What came of the session (the rep reads it)")


class CancelIn(BaseModel):
    reason: str = Field(max_length=MAX_TEXT, description="Why the session is cancelled (the rep reads it)")


class ActionDone(BaseModel):
    done: bool


class ActionRead(BaseModel):
    id: int
    text: str
    due_date: date | None
    done_at: datetime | None
    done_by_id: int | None
    overdue: bool = Field(description="Not done and its due date has passed in the team's time zone")


class TallyRead(BaseModel):
    passed: int
    total: int
    rate: float | None


class EffectRead(BaseModel):
    verdict: Verdict
    verdict_label: str
    rep_before: TallyRead = Field(description="The rep's reviewed calls in the N days before the session")
    rep_after: TallyRead = Field(description="... and in the N days after it (up to now)")
    others_before: TallyRead = Field(description="The comparison group: the team's reps not coached on it")
    others_after: TallyRead
    others: int = Field(description="Reps in the comparison group")
    min_calls: int = Field(description="Reviewed calls after the session needed before it is measured")
    rep_change: float | None
    others_change: float | None
    effect: float | None = Field(description="The rep's change beyond the group's; null until measured")
    improved: bool | None
    final: bool = Field(description="The after window has closed: the figures will not change")


class FocusRead(BaseModel):
    key: str = Field(description='"scorecard:item"')
    scorecard_id: str
    item_id: str
    label: str
    failed: int = Field(description="Failed in this many of the rep's last reviewed calls when planned")
    reviewed: int
    effect: EffectRead | None = Field(description="Only on a single session once it was held or planned")


class SessionRead(BaseModel):
    """Served with `response_model_exclude_unset`: `session_read` sets every field but the
    private notes, which it leaves unset (absent) for the rep."""

    id: int
    rep: PersonRef
    coach: PersonRef
    team_id: int
    status: SessionStatus
    scheduled_at: datetime
    timezone: str = Field(description="The team's time zone, the one the session is planned in")
    duration_minutes: int
    agenda: str
    shared_notes: str
    private_notes: str | None = Field(default=None, description="Absent for the rep: never shown to them")
    outcome: str
    cancel_reason: str
    acknowledged_at: datetime | None
    held_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    focus: list[FocusRead]
    evaluation_ids: list[int] = Field(description="The reviews it was built from that you may read")
    actions: list[ActionRead]
    overdue_actions: int
    links: dict[str, str]


class SuggestionRead(BaseModel):
    key: str
    scorecard_id: str
    item_id: str
    label: str
    failed: int = Field(description="Failed in this many of the rep's last reviewed calls")
    reviewed: int
    failing_evaluations: list[int] = Field(description="Reviews in which it failed, newest first")
    chosen: bool = Field(description="Failed in the reviews asked about: pre-ticked")


def _tally(tally: Tally) -> TallyRead:
    return TallyRead(passed=tally.passed, total=tally.total, rate=tally.rate)


def effect_read(effect: FocusEffect) -> EffectRead:
    return EffectRead(
        verdict=effect.verdict,
        verdict_label=effect.verdict.label,
        rep_before=_tally(effect.rep_before),
        rep_after=_tally(effect.rep_after),
        others_before=_tally(effect.others_before),
        others_after=_tally(effect.others_after),
        others=effect.others,
        min_calls=effect.min_calls,
        rep_change=effect.rep_change,
        others_change=effect.others_change,
        effect=effect.effect,
        improved=effect.improved,
        final=effect.final,
    )


def action_read(action: CoachingAction, *, overdue: bool) -> ActionRead:
    return ActionRead(
        id=action.id,
        text=action.text,
        due_date=action.due_date,
        done_at=action.done_at,
        done_by_id=action.done_by_id,
        overdue=overdue,
    )


def suggestion_read(suggestion: FocusSuggestion) -> SuggestionRead:
    return SuggestionRead(
        key=suggestion.key,
        scorecard_id=suggestion.scorecard_id,
        item_id=suggestion.item_id,
        label=suggestion.label,
        failed=suggestion.failed,
        reviewed=suggestion.reviewed,
        failing_evaluations=suggestion.failing_evaluations,
        chosen=suggestion.chosen,
    )


def session_read(view: SessionView, links: dict[str, str]) -> SessionRead:
    """A session as its viewer may read it: the private notes only for those who coach."""
    coaching = view.coaching
    return SessionRead(
        id=coaching.id,
        rep=PersonRef(id=coaching.rep_id, name=view.rep_name),
        coach=PersonRef(id=coaching.coach_id, name=view.coach_name),
        team_id=coaching.team_id,
        status=coaching.status,
        scheduled_at=coaching.scheduled_at,
        timezone=view.zone_name,
        duration_minutes=coaching.duration_minutes,
        agenda=coaching.agenda,
        shared_notes=coaching.shared_notes,
        outcome=coaching.outcome,
        cancel_reason=coaching.cancel_reason,
        acknowledged_at=coaching.acknowledged_at,
        held_at=coaching.held_at,
        completed_at=coaching.completed_at,
        cancelled_at=coaching.cancelled_at,
        focus=[
            FocusRead(
                key=f.key,
                scorecard_id=f.focus.scorecard_id,
                item_id=f.focus.item_id,
                label=f.focus.label,
                failed=f.focus.failed,
                reviewed=f.focus.reviewed,
                effect=effect_read(f.effect) if f.effect else None,
            )
            for f in view.focus
        ],
        evaluation_ids=[r.evaluation_id for r in view.reviews],
        actions=[action_read(a.action, overdue=a.overdue) for a in view.actions],
        overdue_actions=view.overdue_actions,
        links=links,
        **({"private_notes": coaching.private_notes} if view.sees_private_notes else {}),
    )
