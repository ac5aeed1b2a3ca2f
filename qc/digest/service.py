"""The evening digest's administration: a team's schedule and targets, previews, "send now".

`principal` None is the operator on the server (the `qc` command): every team, every right.
A target's URL is a secret: pages get a masked form ("hooks.slack.com/…abcd"; for Telegram
the bot's public id, never its token) and logs the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from qc.config import Settings
from qc.db import utcnow
from qc.digest import access, schedule
from qc.digest import repository as repo
from qc.digest.models import (
    DEFAULT_SEND_MINUTE,
    DigestDelivery,
    DigestSchedule,
    DigestTarget,
    TargetKind,
)
from qc.errors import Forbidden, InvalidInput, NotFound
from qc.kit.http import host_of
from qc.notifications.webhooks import clean_url
from qc.reports import coverage
from qc.reviews import service as reviews
from qc.reviews.policy import Policy
from qc.users import service as users
from qc.users.models import Team
from qc.users.schemas import Principal

RECENT = 30
MAX_CHAT_ID = 64
MAX_LABEL = 120
LOOKBACK_DAYS = 7


class DigestInvalid(InvalidInput):
    """A digest form with field errors, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), details={"errors": errors})
        self.errors = errors


# Access ---------------------------------------------------------------------------------------------


def get_team(session: Session, principal: Principal | None, team_id: int) -> Team:
    """The team if `principal` may see its digest (NotFound for a manager's other teams)."""
    if principal is not None and not access.can_view_team(principal, team_id):
        if principal.role in access.VIEWERS:
            raise NotFound(f"Team {team_id} does not exist or you do not supervise it")
        raise Forbidden("The evening digest is for administrators, QC leads and managers")
    return users.get_team(session, team_id)


def _require_manage(principal: Principal | None) -> None:
    if principal is not None and not access.can_manage(principal):
        raise Forbidden("Only administrators change a team's digest schedule and targets")


def find_team(session: Session, reference: str) -> Team:
    """A team by name (any case) or id (the `qc` command's --team); InvalidInput otherwise."""
    return users.get_team(session, coverage.team_id_for(session, reference))


# Views ----------------------------------------------------------------------------------------------


def mask_url(kind: TargetKind, url: str) -> str:
    """What pages show of a target's URL: the host and the last four characters; for Telegram
    the bot's public id ("api.telegram.org/bot12345:…"), never any of its token."""
    host = host_of(url)
    if kind is TargetKind.TELEGRAM:
        path = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        bot = path.split(":", 1)[0] if ":" in path else "bot"
        return f"{host}/{bot}:…"
    tail = url.rstrip("/")[-4:]
    return f"{host}/…{tail}"


@dataclass(frozen=True)
class TargetView:
    id: int
    kind: TargetKind
    host: str
    masked_url: str
    chat_id: str | None
    label: str
    enabled: bool
    created_at: datetime

    @property
    def name(self) -> str:
        return self.label or f"{self.kind.label} ({self.host})"


def target_view(target: DigestTarget) -> TargetView:
    return TargetView(
        id=target.id,
        kind=target.kind,
        host=host_of(target.url),
        masked_url=mask_url(target.kind, target.url),
        chat_id=target.chat_id,
        label=target.label,
        enabled=target.enabled,
        created_at=target.created_at,
    )


@dataclass(frozen=True)
class TeamSchedule:
    team: Team
    timezone: str
    send_minute: int
    enabled: bool
    next_day: date
    next_at: datetime  # UTC

    @property
    def send_time(self) -> str:
        return f"{self.send_minute // 60:02d}:{self.send_minute % 60:02d}"


@dataclass(frozen=True)
class TeamPage:
    schedule: TeamSchedule
    targets: list[TargetView]
    deliveries: list[tuple[DigestDelivery, TargetView | None]]
    preview_day: date
    can_manage: bool
    can_send: bool


def _schedule(session: Session, team: Team, settings: Settings, now: datetime) -> tuple[TeamSchedule, Policy]:
    row = repo.get_schedule(session, team.id)
    policy = reviews.team_policy(session, team.id, settings)
    zone = ZoneInfo(policy.timezone)
    minute = row.send_minute if row else DEFAULT_SEND_MINUTE
    next_day = schedule.due_day(now, minute, zone) + timedelta(days=1)
    found = TeamSchedule(
        team,
        policy.timezone,
        minute,
        row.enabled if row else True,
        next_day,
        schedule.send_moment(next_day, minute, zone),
    )
    return found, policy


def last_working_day(policy: Policy, day: date) -> date:
    """`day` or the latest working day before it (within a week), for previews."""
    for back in range(LOOKBACK_DAYS):
        candidate = day - timedelta(days=back)
        if policy.is_working_day(candidate):
            return candidate
    return day


def teams(session: Session, principal: Principal, *, settings: Settings) -> list[tuple[TeamSchedule, int]]:
    """The teams whose digest `principal` may see, each with its schedule and number of targets."""
    if principal.role not in access.VIEWERS:
        raise Forbidden("The evening digest is for administrators, QC leads and managers")
    now = utcnow()
    found = []
    for team in users.list_visible_teams(session, principal):
        if access.can_view_team(principal, team.id):
            found.append((_schedule(session, team, settings, now)[0], len(repo.targets_of(session, team.id))))
    return found


def team_page(session: Session, principal: Principal, team_id: int, *, settings: Settings) -> TeamPage:
    """A team's schedule, targets (URLs masked), recent deliveries and the day a preview shows."""
    team = get_team(session, principal, team_id)
    now = utcnow()
    found, policy = _schedule(session, team, settings, now)
    views = {t.id: target_view(t) for t in repo.targets_of(session, team.id)}
    recent = [(d, views.get(d.target_id)) for d in repo.recent_deliveries(session, team.id, RECENT)]
    due = schedule.due_day(now, found.send_minute, ZoneInfo(found.timezone))
    return TeamPage(
        schedule=found,
        targets=list(views.values()),
        deliveries=recent,
        preview_day=last_working_day(policy, due),
        can_manage=access.can_manage(principal),
        can_send=access.can_send(principal),
    )


# Changes ---------------------------------------------------------------------------------------------


def parse_send_time(value: str) -> int:
    """ "21:00" -> minutes after midnight."""
    try:
        moment = datetime.strptime(value.strip(), "%H:%M")
    except ValueError:
        raise InvalidInput("Enter a time such as 21:00", field="send_time") from None
    return moment.hour * 60 + moment.minute


def save_schedule(
    session: Session, principal: Principal | None, team_id: int, *, send_time: str, enabled: bool
) -> DigestSchedule:
    """Set when a team's digest goes out (local time of the team) and whether it does."""
    _require_manage(principal)
    team = get_team(session, principal, team_id)
    try:
        minute = parse_send_time(send_time)
    except InvalidInput as exc:
        raise DigestInvalid({"send_time": exc.message}) from None
    row = repo.get_schedule(session, team.id)
    if row is None:
        row = DigestSchedule(team_id=team.id)
        session.add(row)
    row.send_minute, row.enabled = minute, enabled
    session.flush()
    return row


def _is_bot_url(url: str) -> bool:
    """A Telegram bot's URL ends in "/bot<id>:<secret>" (the method is added when posting)."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return last.startswith("bot") and ":" in last


def _clean_target(kind: str, url: str, chat_id: str, label: str) -> tuple[TargetKind, str, str | None, str]:
    errors: dict[str, str] = {}
    try:
        chosen = TargetKind(kind)
    except ValueError:
        errors["kind"] = "Choose Slack, Microsoft Teams, Telegram or JSON webhook"
        chosen = TargetKind.JSON
    try:
        url = clean_url(url.strip())
    except InvalidInput as exc:
        errors["url"] = exc.message.split(":")[0]  # the webhooks' wording up to where it speaks of signatures
    else:
        if chosen is TargetKind.TELEGRAM and not _is_bot_url(url):
            errors["url"] = "Enter the bot's URL: https://api.telegram.org/bot<token>"
    chat = chat_id.strip() or None
    if chosen is TargetKind.TELEGRAM and chat is None:
        errors["chat_id"] = "Telegram needs the chat's id (such as -1001234567890 or @channel)"
    elif chat is not None and (len(chat) > MAX_CHAT_ID or any(c.isspace() for c in chat)):
        errors["chat_id"] = f"Enter a chat id without spaces, at most {MAX_CHAT_ID} characters"
    if len(label.strip()) > MAX_LABEL:
        errors["label"] = f"Keep the name under {MAX_LABEL} characters"
    if errors:
        raise DigestInvalid(errors)
    return chosen, url, chat if chosen is TargetKind.TELEGRAM else None, label.strip()


def add_target(
    session: Session,
    principal: Principal | None,
    team_id: int,
    *,
    kind: str,
    url: str,
    chat_id: str = "",
    label: str = "",
) -> TargetView:
    """Add a chat the team's digest is posted to; from the next send time on."""
    _require_manage(principal)
    team = get_team(session, principal, team_id)
    chosen, clean, chat, name = _clean_target(kind, url, chat_id, label)
    target = DigestTarget(
        team_id=team.id,
        kind=chosen,
        url=clean,
        chat_id=chat,
        label=name,
        created_by_id=principal.id if principal else None,
    )
    session.add(target)
    session.flush()
    return target_view(target)


def _target(session: Session, principal: Principal | None, team_id: int, target_id: int) -> DigestTarget:
    _require_manage(principal)
    get_team(session, principal, team_id)
    target = repo.get_target(session, target_id)
    if target is None or target.team_id != team_id:
        raise NotFound(f"Digest target {target_id} does not exist; it may have been deleted")
    return target


def set_target_enabled(
    session: Session, principal: Principal | None, team_id: int, target_id: int, *, enabled: bool
) -> DigestTarget:
    """Pause or resume posting to a target."""
    target = _target(session, principal, team_id, target_id)
    target.enabled = enabled
    session.flush()
    return target


def delete_target(session: Session, principal: Principal | None, team_id: int, target_id: int) -> None:
    """Remove a target and its delivery history."""
    session.delete(_target(session, principal, team_id, target_id))
    session.flush()
