from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from qc.reviews.models import AssignmentStatus, PickReason, Shortfall


class RepCoverageRead(BaseModel):
    rep_id: int
    rep: str
    email: str
    team: str
    target: int
    picked: int = Field(description="Calls picked for review (with or without a reviewer)")
    assigned: int = Field(description="Picked calls a reviewer holds")
    done: int
    missed: int
    shortfall: int = Field(description="target - assigned, never below 0")
    reason: Shortfall | None = Field(description="Why the rep is short, when they are")
    calls: int | None = Field(description="The rep's calls that day (at the last build)")
    eligible: int | None
    too_short: int | None
    processing: int | None
    failed: int | None


class TeamDayRead(BaseModel):
    team_id: int
    team: str
    timezone: str
    state: str = Field(description="open, closed, not built yet or not a working day")
    target_per_rep: int
    seed: int | None = Field(description="The recorded seed of the day's draws")
    mode: str | None
    built_at: datetime | None
    closed_at: datetime | None


class ReviewerLoadRead(BaseModel):
    reviewer_id: int
    reviewer: str
    capacity: int
    languages: list[str]
    available: bool
    assigned: int
    done: int


class QueueRead(BaseModel):
    date: date
    teams: list[TeamDayRead]
    reps: list[RepCoverageRead]
    reviewers: list[ReviewerLoadRead]
    totals: dict[str, int]


class BuildRead(BaseModel):
    date: date
    built: list[str]
    closed: list[str]
    skipped: dict[str, str]
    picked: int
    assigned: int
    rolled_over: int
    missed: int


class AssignmentRead(BaseModel):
    id: int
    call_id: int
    rep: str
    team: str
    day: date
    queue_date: date
    status: AssignmentStatus
    reason: PickReason
    reason_detail: str
    risk: float
    overdue: bool
    due_at: datetime
    reviewer_id: int | None
    evaluation_id: int | None = None
    links: dict[str, str] = Field(default_factory=dict)


class ReassignRequest(BaseModel):
    reviewer_id: int | None = Field(
        ge=1, le=2**31 - 1, description="A reviewer's id, or null to put the call back in the open pool"
    )


def queue_read(result: Any) -> QueueRead:
    """The API shape of a day's coverage (`qc.reviews.coverage.Coverage`)."""
    return QueueRead(
        date=result.day,
        teams=[
            TeamDayRead(
                team_id=t.team.id,
                team=t.team.name,
                timezone=t.policy.timezone,
                state=t.state,
                target_per_rep=t.policy.target if t.working_day else 0,
                seed=t.queue.seed if t.queue else None,
                mode=t.queue.mode.value if t.queue else None,
                built_at=t.queue.built_at if t.queue else None,
                closed_at=t.queue.closed_at if t.queue else None,
            )
            for t in result.teams
        ],
        reps=[
            RepCoverageRead(
                rep_id=r.rep.id,
                rep=r.rep.name,
                email=r.rep.email,
                team=r.team.name,
                target=r.target,
                picked=r.picked,
                assigned=r.assigned,
                done=r.done,
                missed=r.missed,
                shortfall=r.shortfall,
                reason=r.reason,
                calls=r.counts.calls if r.counts else None,
                eligible=r.counts.eligible if r.counts else None,
                too_short=r.counts.too_short if r.counts else None,
                processing=r.counts.processing if r.counts else None,
                failed=r.counts.failed if r.counts else None,
            )
            for r in result.reps
        ],
        reviewers=[
            ReviewerLoadRead(
                reviewer_id=load.setup.user.id,
                reviewer=load.setup.user.name,
                capacity=load.setup.capacity,
                languages=load.setup.languages,
                available=load.setup.available,
                assigned=load.assigned,
                done=load.done,
            )
            for load in result.reviewers
        ],
        totals=result.totals,
    )
