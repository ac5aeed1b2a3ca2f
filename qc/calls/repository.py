"""Queries over calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from qc.calls.models import Call, CallStatus
from qc.kit.pagination import Page, PageRequest
from qc.kit.timeutil import day_bounds


@dataclass(frozen=True)
class CallFilter:
    rep_id: int | None = None
    # With `rep_id`: only calls of these teams (an alias under blind review) or only calls of
    # other teams (an identity under blind review).
    rep_team_ids: frozenset[int] = frozenset()
    rep_in_teams: bool = False
    team_id: int | None = None
    day: date | None = None
    status: CallStatus | None = None
    visible_team_ids: frozenset[int] | None = None  # None: no team restriction
    only_rep_id: int | None = None  # a rep sees only their own calls
    # Only calls whose id this query selects: a filter on another domain's data, which the
    # calls domain does not read itself (the transcripts' flags for swapped sides).
    among: Select[Any] | None = None


def get(session: Session, call_id: int) -> Call | None:
    return session.scalar(
        select(Call)
        .where(Call.id == call_id)
        .options(selectinload(Call.rep), selectinload(Call.team), selectinload(Call.uploaded_by))
    )


def get_many(session: Session, call_ids: list[int]) -> dict[int, Call]:
    if not call_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Call).where(Call.id.in_(call_ids)))}


def get_by_sha256(session: Session, sha256: str) -> Call | None:
    return session.scalar(select(Call).where(Call.sha256 == sha256))


def get_by_external_id(session: Session, external_id: str) -> Call | None:
    return session.scalar(select(Call).where(Call.external_id == external_id))


def _filtered(query: Select[Any], f: CallFilter) -> Select[Any]:
    if f.visible_team_ids is not None:
        query = query.where(Call.team_id.in_(list(f.visible_team_ids)))
    if f.only_rep_id is not None:
        query = query.where(Call.rep_id == f.only_rep_id)
    if f.rep_id is not None:
        query = query.where(Call.rep_id == f.rep_id)
        if f.rep_in_teams:
            query = query.where(Call.team_id.in_(list(f.rep_team_ids)))
        elif f.rep_team_ids:
            query = query.where(Call.team_id.not_in(list(f.rep_team_ids)))
    if f.team_id is not None:
        query = query.where(Call.team_id == f.team_id)
    if f.status is not None:
        query = query.where(Call.status == f.status)
    if f.day is not None:
        start, end = day_bounds(f.day)
        query = query.where(Call.started_at >= start, Call.started_at < end)
    if f.among is not None:
        query = query.where(Call.id.in_(f.among))
    return query


def list_page(session: Session, f: CallFilter, page: PageRequest) -> Page[Call]:
    base = _filtered(select(Call), f)
    total = session.scalar(select(func.count()).select_from(base.order_by(None).subquery())) or 0
    items = session.scalars(
        base.options(selectinload(Call.rep), selectinload(Call.team))
        .order_by(Call.started_at.desc(), Call.id.desc())
        .offset(page.offset)
        .limit(page.size)
    )
    return Page(items=list(items), total=total, request=page)
