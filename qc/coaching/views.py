"""What the coaching pages and API show, one function a page: a session with its people,
its team's time zone, its focus items' effects and what the viewer may do; the list, a
rep's history and the plan page. The forms are read in `forms`.

The rules stay in `service` and `access`; this module only gathers and shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy.orm import Session

from qc.coaching import access, service
from qc.coaching.effect import FocusEffect
from qc.coaching.models import CoachingAction, CoachingFocus, CoachingSession
from qc.coaching.service import FocusSuggestion
from qc.config import Settings
from qc.db import utcnow
from qc.evaluations import service as evaluations
from qc.users import service as users
from qc.users.models import Role, User
from qc.users.schemas import Principal

# Templates ---------------------------------------------------------------------------------------


def sees_coaching(principal: Principal | None) -> bool:
    """Whether the navigation offers the coaching pages: reps and those who coach."""
    return principal is not None and (principal.role is Role.REP or principal.role in access.COACHES)


def can_coach(principal: Principal | None, team_id: int | None) -> bool:
    return principal is not None and access.can_coach_team(principal, team_id)


def install(env: Environment) -> None:
    """The capabilities other domains' templates ask (the evaluation page, the navigation)."""
    env.globals["can_coach"] = can_coach
    env.globals["sees_coaching"] = sees_coaching


# A session as shown -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionView:
    action: CoachingAction
    overdue: bool


@dataclass(frozen=True)
class FocusView:
    focus: CoachingFocus
    effect: FocusEffect | None  # None: not measured (planned for later, or cancelled)

    @property
    def key(self) -> str:
        return f"{self.focus.scorecard_id}:{self.focus.item_id}"


@dataclass(frozen=True)
class ReviewRef:
    evaluation_id: int
    submitted_at: datetime | None
    final_score: float | None


@dataclass(frozen=True)
class SessionView:
    coaching: CoachingSession
    rep_name: str
    coach_name: str
    zone: ZoneInfo
    focus: list[FocusView]
    actions: list[ActionView]
    effect_days: int
    reviews: list[ReviewRef] = field(default_factory=list)
    can_edit: bool = False
    can_acknowledge: bool = False
    can_tick: bool = False
    sees_private_notes: bool = False
    is_rep: bool = False  # the rep reads their own session

    @property
    def zone_name(self) -> str:
        return self.zone.key

    @property
    def local_at(self) -> datetime:
        return self.coaching.scheduled_at.astimezone(self.zone)

    @property
    def overdue_actions(self) -> int:
        return sum(a.overdue for a in self.actions)

    @property
    def open_actions(self) -> int:
        return sum(a.action.done_at is None for a in self.actions)

    @property
    def measured_until(self) -> datetime:
        """When the after window closes, in the team's zone."""
        return (self.coaching.measured_from + timedelta(days=self.effect_days)).astimezone(self.zone)

    def local(self, moment: datetime | None) -> datetime | None:
        return moment.astimezone(self.zone) if moment else None


class _Shaper:
    """Names, zones and reviews looked up once for the sessions of one page."""

    def __init__(
        self, session: Session, sessions: Sequence[CoachingSession], settings: Settings, *, reviews: bool
    ) -> None:
        self.session, self.settings = session, settings
        self.names = users.names_of(session, {c.rep_id for c in sessions} | {c.coach_id for c in sessions})
        self.zones: dict[int, ZoneInfo] = {}
        self.reviews = (
            evaluations.evaluations_by_id(session, [e.evaluation_id for c in sessions for e in c.evaluations])
            if reviews
            else {}
        )
        self.now = utcnow()

    def zone(self, team_id: int) -> ZoneInfo:
        if team_id not in self.zones:
            self.zones[team_id] = service.team_zone(self.session, team_id, self.settings)
        return self.zones[team_id]

    def view(self, coaching: CoachingSession, principal: Principal, *, with_effects: bool) -> SessionView:
        zone = self.zone(coaching.team_id)
        today = self.now.astimezone(zone).date()
        found = service.effects(self.session, coaching, settings=self.settings) if with_effects else {}
        return SessionView(
            coaching=coaching,
            rep_name=self.names.get(coaching.rep_id, f"Rep {coaching.rep_id}"),
            coach_name=self.names.get(coaching.coach_id, f"User {coaching.coach_id}"),
            zone=zone,
            focus=[FocusView(f, found.get(f"{f.scorecard_id}:{f.item_id}")) for f in coaching.focus],
            actions=[ActionView(a, a.overdue(today)) for a in coaching.actions],
            effect_days=self.settings.coaching_effect_days,
            reviews=self._reviews_of(coaching, principal),
            can_edit=access.can_edit(principal, coaching),
            can_acknowledge=access.can_acknowledge(principal, coaching),
            can_tick=access.can_tick(principal, coaching),
            sees_private_notes=access.sees_private_notes(principal, coaching),
            is_rep=access.is_the_rep(principal, coaching),
        )

    def _reviews_of(self, coaching: CoachingSession, principal: Principal) -> list[ReviewRef]:
        """The reviews the session was built from, as far as the viewer may read them: the
        rep only those released to them."""
        ids = [e.evaluation_id for e in coaching.evaluations]
        found = [self.reviews[i] for i in ids if i in self.reviews]
        return [
            ReviewRef(e.id, e.submitted_at, e.final_score)
            for e in sorted(found, key=lambda e: e.id, reverse=True)
            if not access.is_the_rep(principal, coaching) or e.released_at is not None
        ]


def session_view(
    session: Session, principal: Principal, session_id: int, *, settings: Settings
) -> SessionView:
    """The session page: plan, effects, evidence, action items and capabilities."""
    coaching = service.get_session(session, principal, session_id)
    return _Shaper(session, [coaching], settings, reviews=True).view(coaching, principal, with_effects=True)


def session_views(
    session: Session,
    principal: Principal,
    sessions: Sequence[CoachingSession],
    *,
    settings: Settings,
    with_effects: bool = False,
    with_reviews: bool = False,
) -> list[SessionView]:
    shaper = _Shaper(session, sessions, settings, reviews=with_reviews)
    return [shaper.view(c, principal, with_effects=with_effects) for c in sessions]


def _open_first(views: Iterable[SessionView]) -> list[SessionView]:
    """Open sessions first, the next one at the top; then the rest, the latest first."""
    listed = list(views)
    waiting = sorted((v for v in listed if v.coaching.status.is_open), key=lambda v: v.coaching.scheduled_at)
    done = [v for v in listed if not v.coaching.status.is_open]  # the service lists latest first
    return waiting + done


@dataclass(frozen=True)
class ListPage:
    rows: list[SessionView]
    reps: list[User]  # whom `principal` may plan a session with
    own: bool  # a rep's own sessions


def list_page(session: Session, principal: Principal, *, settings: Settings) -> ListPage:
    """The sessions `principal` may see, open ones first, and the reps they may coach."""
    sessions = service.list_sessions(session, principal)
    rows = _open_first(session_views(session, principal, sessions, settings=settings))
    if principal.role not in access.COACHES:
        return ListPage(rows, [], own=True)
    reps = [
        u
        for u in users.list_people(session, principal, role=Role.REP)
        if u.is_active and access.can_coach_team(principal, u.team_id)
    ]
    return ListPage(rows, sorted(reps, key=lambda u: u.name.casefold()), own=False)


def api_list(
    session: Session, principal: Principal, *, rep_id: int | None, open_only: bool, settings: Settings
) -> list[SessionView]:
    """Sessions for the API: one rep's (checked like the rep's page) or all `principal` may see."""
    if rep_id is None:
        sessions = service.list_sessions(session, principal, open_only=open_only)
    else:
        sessions = service.sessions_of_rep(session, principal, rep_id)
        sessions = [c for c in sessions if c.status.is_open or not open_only]
    return session_views(session, principal, sessions, settings=settings, with_reviews=True)


@dataclass(frozen=True)
class RepHistory:
    rep: User
    sessions: list[SessionView]
    can_plan: bool

    @property
    def open_sessions(self) -> int:
        return sum(v.coaching.status.is_open for v in self.sessions)


def rep_history(session: Session, principal: Principal, rep_id: int, *, settings: Settings) -> RepHistory:
    """One rep's coaching history, latest first, with each focus item's effect."""
    sessions = service.sessions_of_rep(session, principal, rep_id)
    rep = users.get_person(session, rep_id)
    views = session_views(session, principal, sessions, settings=settings, with_effects=True)
    return RepHistory(rep, views, access.can_coach_team(principal, rep.team_id))


# The plan and edit pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPage:
    rep: User
    zone: ZoneInfo
    suggestions: list[FocusSuggestion]
    evaluation_ids: list[int]

    @property
    def zone_name(self) -> str:
        return self.zone.key

    @property
    def max_focus(self) -> int:
        return service.MAX_FOCUS

    @property
    def preticked(self) -> list[str]:
        """The items failed in the reviews it starts from, the most often failed first, as many
        as a session may work on."""
        return [s.key for s in self.suggestions if s.chosen][: service.MAX_FOCUS]

    @property
    def more_chosen(self) -> int:
        """Items failed in those reviews that are left unticked for want of room."""
        return sum(s.chosen for s in self.suggestions) - len(self.preticked)


def plan_page(
    session: Session, principal: Principal, *, rep_id: int, evaluation_ids: Sequence[int], settings: Settings
) -> PlanPage:
    """The plan form: the rep and the items they fail most, those failed in the given reviews
    first and pre-ticked."""
    suggestions = service.suggest_focus(
        session, principal, rep_id=rep_id, evaluation_ids=evaluation_ids, settings=settings
    )
    rep = users.get_person(session, rep_id)
    assert rep.team_id is not None  # a coachable rep has a team
    return PlanPage(rep, service.team_zone(session, rep.team_id, settings), suggestions, list(evaluation_ids))


def editable(session: Session, principal: Principal, session_id: int) -> CoachingSession:
    """The session, if `principal` may change it (the service's refusal otherwise)."""
    coaching = service.get_session(session, principal, session_id)
    if not access.can_edit(principal, coaching):
        raise service._edit_refusal(principal, coaching)
    return coaching


def edit_page(session: Session, principal: Principal, session_id: int, *, settings: Settings) -> SessionView:
    coaching = editable(session, principal, session_id)
    return _Shaper(session, [coaching], settings, reviews=False).view(coaching, principal, with_effects=False)


def action_view(
    session: Session, principal: Principal, action: CoachingAction, *, settings: Settings
) -> tuple[SessionView, ActionView]:
    """An action item as its session's page shows it (after ticking it)."""
    coaching = service.get_session(session, principal, action.session_id)
    view = _Shaper(session, [coaching], settings, reviews=False).view(coaching, principal, with_effects=False)
    return view, next(a for a in view.actions if a.action.id == action.id)
