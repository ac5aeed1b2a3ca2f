"""The review queue: the day's coverage, team policies, reviewers, releasing and reassigning
picks; and its API. Starting a review (my queue, claiming) is in `qc.evaluations`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from qc.db import utcnow
from qc.errors import InvalidInput, QCError
from qc.kit.forms import parse_id, parse_int, parse_number
from qc.kit.timeutil import Day
from qc.kit.web import DB, Id, SettingsDep, render
from qc.reviews import access, builder, coverage, reading, service
from qc.reviews.models import Assignment
from qc.reviews.policy import WEEKDAYS, local_today
from qc.reviews.schemas import (
    AssignmentRead,
    BuildRead,
    QueueRead,
    ReassignRequest,
    queue_read,
)
from qc.users.schemas import Principal
from qc.users.web import CurrentUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["review queue"])

LANGUAGE_CHOICES = ("en", "ru", "ro", "it", "sr", "uk")


def _day(value: str | None, settings: Any) -> date:
    if not value:
        return _today(settings)
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("date must look like 2026-11-23", field="date") from exc
    builder.check_day(day)
    return day


def _today(settings: Any) -> date:
    return local_today(service.default_policy(settings), utcnow())


def _redirect(request: Request, name: str, **params: Any) -> Response:
    query = {k: v for k, v in params.pop("query", {}).items() if v is not None}
    url = request.url_for(name, **params).include_query_params(**query)
    return RedirectResponse(f"{url.path}?{url.query}" if url.query else url.path, status_code=303)


# My queue -----------------------------------------------------------------------------------------


@pages.post("/queue/{assignment_id}/release", name="reviews:release")
def release(request: Request, session: DB, principal: CurrentUser, assignment_id: Id) -> Response:
    service.release(session, principal, assignment_id)
    return _redirect(request, "reviews:mine", query={"released": "true"})


# The day ------------------------------------------------------------------------------------------


@pages.get("/queue/day", name="reviews:day")
def day_page(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    date: str | None = None,
    built: Annotated[str | None, Query(max_length=200)] = None,
    reassigned: bool = False,
) -> Response:
    day = _day(date, settings)
    overview = coverage.day_overview(session, principal, day=day, settings=settings)
    context = {
        "overview": overview,
        "coverage": overview.coverage,
        "day": day,
        "built": built,
        "reassigned": reassigned,
    }
    return render(request, "reviews/day.html", context)


@pages.post("/queue/build", name="reviews:build")
def build(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    date: Annotated[str, Form()] = "",
    now: Annotated[bool, Form()] = False,
) -> Response:
    day = _day(date, settings)
    report = builder.build_queue(session, day=day, settings=settings, draw_now=now, principal=principal)
    summary = f"{report.picked} picked, {report.assigned} assigned"
    return _redirect(request, "reviews:day", query={"date": day.isoformat(), "built": summary})


@pages.post("/queue/{assignment_id}/reassign", name="reviews:reassign")
def reassign(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: Id,
    reviewer: Annotated[str, Form()] = "",
    date: Annotated[str, Form()] = "",
) -> Response:
    reviewer_id = parse_id(reviewer, field="reviewer") if reviewer.strip() else None
    service.reassign(session, principal, assignment_id, reviewer_id=reviewer_id, settings=settings)
    return _redirect(request, "reviews:day", query={"date": date or None, "reassigned": "true"})


# Settings -----------------------------------------------------------------------------------------


def _policy_context(team: Any, form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"team": team, "form": form, "errors": errors, "weekdays": list(enumerate(WEEKDAYS, start=1))}


def _policy_form_values(policy: Any) -> dict[str, Any]:
    return {
        "target": policy.target,
        "working_days": sorted(policy.working_days),
        "timezone": policy.timezone,
        "day_start": f"{policy.day_start_minute // 60:02d}:{policy.day_start_minute % 60:02d}",
        "day_end": f"{policy.day_end_minute // 60:02d}:{policy.day_end_minute % 60:02d}",
        "min_duration_s": f"{policy.min_duration_s:g}",
        "risk_share": f"{policy.risk_share * 100:g}",
        "low_score": f"{policy.low_score:g}",
        "exclude_own_team": policy.exclude_own_team,
        "blind": policy.blind,
    }


@pages.get("/queue/teams/{team_id}", name="reviews:policy")
def policy_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, team_id: Id
) -> Response:
    team, policy = service.team_settings(session, principal, team_id, settings=settings)
    values = _policy_form_values(policy) | {"swap_sides": team.swap_sides}
    return render(request, "reviews/policy.html", _policy_context(team, values, {}))


@pages.post("/queue/teams/{team_id}", name="reviews:policy_save")
def save_policy(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    team_id: Id,
    target: Annotated[str, Form()] = "",
    working_days: Annotated[list[str] | None, Form()] = None,
    timezone: Annotated[str, Form()] = "",
    day_start: Annotated[str, Form()] = "",
    day_end: Annotated[str, Form()] = "",
    min_duration_s: Annotated[str, Form()] = "",
    risk_share: Annotated[str, Form()] = "",
    low_score: Annotated[str, Form()] = "",
    exclude_own_team: Annotated[bool, Form()] = False,
    blind: Annotated[bool, Form()] = False,
    swap_sides: Annotated[bool, Form()] = False,
) -> Response:
    team, _ = service.team_settings(session, principal, team_id, settings=settings)
    values = {
        "target": target,
        "working_days": [int(d) for d in working_days or [] if d in {"1", "2", "3", "4", "5", "6", "7"}],
        "timezone": timezone,
        "day_start": day_start,
        "day_end": day_end,
        "min_duration_s": min_duration_s,
        "risk_share": risk_share,
        "low_score": low_score,
        "exclude_own_team": exclude_own_team,
        "blind": blind,
        "swap_sides": swap_sides,
    }
    try:  # every value is checked before anything is changed
        service.update_policy(session, principal, team_id=team_id, form=_policy_form(values))
    except QCError as exc:
        context = _policy_context(team, values, {exc.field or "target": exc.message})
        return render(request, "reviews/policy.html", context, status_code=exc.status_code)
    return _redirect(request, "reviews:policy", team_id=team_id, query={"saved": 1})


def _policy_form(values: dict[str, Any]) -> service.PolicyForm:
    return service.PolicyForm(
        target=parse_int(values["target"], field="target", low=0, high=50),
        working_days=",".join(str(d) for d in values["working_days"]),
        timezone=values["timezone"],
        day_start=values["day_start"],
        day_end=values["day_end"],
        min_duration_s=parse_number(values["min_duration_s"], field="min_duration_s", low=0, high=3600),
        risk_share_percent=parse_number(values["risk_share"], field="risk_share", low=0, high=100),
        low_score=parse_number(values["low_score"], field="low_score", low=0, high=100),
        exclude_own_team=values["exclude_own_team"],
        blind=values["blind"],
        swap_sides=values["swap_sides"],
    )


@pages.get("/queue/reviewers", name="reviews:reviewers")
def reviewers_page(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, saved: bool = False
) -> Response:
    setups = service.list_reviewers(session, principal, settings=settings)
    context = {"setups": setups, "languages": LANGUAGE_CHOICES, "saved": saved, "errors": {}}
    return render(request, "reviews/reviewers.html", context)


@pages.post("/queue/reviewers/{user_id}", name="reviews:reviewer_save")
def save_reviewer(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    user_id: Id,
    capacity: Annotated[str, Form()] = "",
    languages: Annotated[list[str] | None, Form()] = None,
    available: Annotated[bool, Form()] = False,
    locked: Annotated[bool, Form()] = False,
) -> Response:
    manager = principal.role in access.QUEUE_MANAGERS
    try:
        service.update_reviewer(
            session,
            principal,
            user_id=user_id,
            capacity=capacity,
            languages=languages or [],
            available=available,
            locked=locked if manager else None,
        )
    except InvalidInput as exc:
        if principal.role not in access.QUEUE_MANAGERS:
            raise  # a reviewer saving their own settings has no reviewers page to go back to
        setups = service.list_reviewers(session, principal, settings=settings)
        context = {
            "setups": setups,
            "languages": LANGUAGE_CHOICES,
            "saved": False,
            "errors": {user_id: exc.message},
        }
        return render(request, "reviews/reviewers.html", context, status_code=exc.status_code)
    return _redirect(request, "reviews:reviewers" if manager else "reviews:mine", query={"saved": "true"})


# API ----------------------------------------------------------------------------------------------


@api.get("/queue", response_model=QueueRead, name="api:queue")
def queue_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    date: Annotated[Day | None, Query(description="The day, YYYY-MM-DD (default: today)")] = None,
    team: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> QueueRead:
    """Per rep: target, picked, assigned, done, shortfall and its reason; per reviewer: load."""
    day = date or _today(settings)
    result = coverage.coverage(session, principal, day=day, settings=settings, team_id=team)
    return queue_read(result)


@api.post("/queue/build", response_model=BuildRead, name="api:queue_build")
def build_api(
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    date: Annotated[Day | None, Query(description="The day, YYYY-MM-DD (default: today)")] = None,
    now: Annotated[
        bool, Query(description="Draw every remaining pick now from the calls already in")
    ] = False,
) -> BuildRead:
    """Build (or top up) the day's queue; idempotent. A day that is over is also closed."""
    report = builder.build_queue(
        session, day=date or _today(settings), settings=settings, draw_now=now, principal=principal
    )
    return BuildRead(
        date=report.day,
        built=report.built,
        closed=report.closed,
        skipped=report.skipped,
        picked=report.picked,
        assigned=report.assigned,
        rolled_over=report.rolled_over,
        missed=report.missed,
    )


def assignment_read(request: Request, assignment: Assignment, label: str) -> AssignmentRead:
    return AssignmentRead(
        id=assignment.id,
        call_id=assignment.call_id,
        rep=label,
        team=assignment.team.name,
        day=assignment.day,
        queue_date=assignment.queue_date,
        status=assignment.status,
        reason=assignment.reason,
        reason_detail=assignment.reason_detail,
        risk=assignment.risk,
        overdue=assignment.overdue,
        due_at=assignment.due_at,
        reviewer_id=assignment.reviewer_id,
        links={
            "call": str(request.url_for("api:call", call_id=assignment.call_id)),
            "review": str(request.url_for("evaluations:review", assignment_id=assignment.id)),
        },
    )


@api.get("/queue/mine", response_model=list[AssignmentRead], name="api:queue_mine")
def mine_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep
) -> list[AssignmentRead]:
    """Your picks: unfinished (overdue first) and those done today."""
    return [
        assignment_read(request, e.assignment, e.rep_label)
        for e in reading.my_queue(session, principal, settings=settings)
    ]


@api.post(
    "/queue/assignments/{assignment_id}/release", response_model=AssignmentRead, name="api:queue_release"
)
def release_api(
    request: Request, session: DB, principal: CurrentUser, settings: SettingsDep, assignment_id: Id
) -> AssignmentRead:
    """Give back a pick you hold; it waits for any reviewer."""
    service.release(session, principal, assignment_id)
    return assignment_body(request, session, principal, assignment_id, settings, None)


@api.post(
    "/queue/assignments/{assignment_id}/reassign", response_model=AssignmentRead, name="api:queue_reassign"
)
def reassign_api(
    request: Request,
    session: DB,
    principal: CurrentUser,
    settings: SettingsDep,
    assignment_id: Id,
    body: ReassignRequest,
) -> AssignmentRead:
    """Hand a pick to a reviewer, or back to the pool (QC leads and administrators)."""
    service.reassign(session, principal, assignment_id, reviewer_id=body.reviewer_id, settings=settings)
    return assignment_body(request, session, principal, assignment_id, settings, None)


def assignment_body(
    request: Request,
    session: DB,
    principal: Principal,
    assignment_id: int,
    settings: Any,
    evaluation_id: int | None,
) -> AssignmentRead:
    assignment = service.get_assignment(session, assignment_id)
    body = assignment_read(request, assignment, reading.rep_label(session, principal, assignment, settings))
    body.evaluation_id = evaluation_id
    return body
