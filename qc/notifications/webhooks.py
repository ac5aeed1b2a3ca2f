"""The organisation's outgoing webhooks: endpoints an administrator registers, and the event
handler that turns each event into one delivery per endpoint that wants it.

Sending is `delivery`'s job (the worker). The URL and the signing secret are secrets: the
secret is shown once, when the endpoint is created, then only masked ("whsec_…abcd"); logs
name the URL's host, never the URL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from qc.db import after_commit, after_rollback, utcnow
from qc.errors import Forbidden, InvalidInput, NotFound
from qc.jobs import events
from qc.jobs.events import EventRecord
from qc.jobs.queue import enqueue_after_commit, is_wired
from qc.kit.http import host_of
from qc.notifications import access
from qc.notifications import repository as repo
from qc.notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from qc.users.schemas import Principal

DELIVER_TASK = "deliver_webhooks"
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
MAX_URL = 2000
RECENT_DELIVERIES = 25
_KICK_KEY = "qc_webhooks_kick"
_ENDPOINTS_KEY = "qc_webhook_endpoints"

# What an endpoint may subscribe to, and what a new one gets unless told otherwise.
EVENT_TYPES: dict[str, str] = {
    "evaluation.submitted": "A reviewer submitted a review",
    "evaluation.edited": "A submitted review was changed",
    "evaluation.released": "A review was released to its rep",
    "evaluation.acknowledged": "A rep acknowledged a review",
    "dispute.opened": "A rep disputed items of a review",
    "dispute.overdue": "A dispute is still open past its due time",
    "dispute.resolved": "A dispute was decided",
    "dispute.withdrawn": "A rep withdrew a dispute",
    "coaching.scheduled": "A coaching session was planned or moved",
    "coaching.acknowledged": "A rep acknowledged a coaching session",
    "coaching.action_due": "A coaching action item came due",
    "coaching.action_done": "A rep ticked off a coaching action item",
    "coaching.completed": "A coaching session was completed",
    "coaching.cancelled": "A coaching session was cancelled",
    "training.assigned": "A training module was assigned to a rep (by a person or a rule)",
    "training.completed": "A rep's training was recorded as completed, with its result",
    "training.withdrawn": "A training assignment was withdrawn",
    "training.overdue": "A training assignment is still open past its due date",
    "call.scored": "The automatic checks scored a call",
}
DEFAULT_EVENT_TYPES = tuple(t for t in EVENT_TYPES if t != "call.scored")


# Secrets --------------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def mask(secret: str) -> str:
    """ "whsec_…abcd": enough to tell two secrets apart, not to use one."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-QC-Signature header: `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# Administration ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointForm:
    url: str
    event_types: Sequence[str] = DEFAULT_EVENT_TYPES
    enabled: bool = True


class WebhookFormInvalid(InvalidInput):
    """Every field error of the endpoint form at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


@dataclass(frozen=True)
class EndpointView:
    """What pages show of an endpoint: never its secret, only the masked form."""

    id: int
    url: str
    host: str
    masked_secret: str
    event_types: list[str]
    enabled: bool
    created_at: datetime
    counts: dict[DeliveryStatus, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EndpointPage:
    endpoint: EndpointView
    deliveries: list[WebhookDelivery]


def _view(endpoint: WebhookEndpoint, counts: dict[DeliveryStatus, int] | None = None) -> EndpointView:
    return EndpointView(
        id=endpoint.id,
        url=endpoint.url,
        host=host_of(endpoint.url),
        masked_secret=mask(endpoint.secret),
        event_types=[t for t in EVENT_TYPES if t in endpoint.event_types],
        enabled=endpoint.enabled,
        created_at=endpoint.created_at,
        counts=counts or {},
    )


def require_webhook_admin(principal: Principal) -> None:
    if not access.can_manage_webhooks(principal):
        raise Forbidden("Only administrators can manage webhooks")


def list_endpoints(session: Session, principal: Principal) -> list[EndpointView]:
    """Every endpoint with how many of its deliveries are pending, delivered or failed."""
    require_webhook_admin(principal)
    counts = repo.delivery_counts(session)
    return [
        _view(e, {status: counts.get((e.id, status), 0) for status in DeliveryStatus})
        for e in repo.list_endpoints(session)
    ]


def _endpoint(session: Session, principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    require_webhook_admin(principal)
    endpoint = repo.get_endpoint(session, endpoint_id)
    if endpoint is None:
        raise NotFound(f"Webhook {endpoint_id} does not exist; it may have been deleted")
    return endpoint


def endpoint_page(session: Session, principal: Principal, endpoint_id: int) -> EndpointPage:
    """One endpoint (secret masked) and its latest deliveries."""
    endpoint = _endpoint(session, principal, endpoint_id)
    return EndpointPage(_view(endpoint), repo.recent_deliveries(session, endpoint.id, RECENT_DELIVERIES))


def _clean(form: EndpointForm) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    url = form.url.strip()
    try:
        url = clean_url(url)
    except InvalidInput as exc:
        errors["url"] = exc.message
    chosen = [t for t in EVENT_TYPES if t in set(form.event_types)]
    if not chosen or len(chosen) != len(set(form.event_types)):
        errors["event_types"] = "Choose at least one event from the list"
    if errors:
        raise WebhookFormInvalid(errors)
    return url, chosen


def clean_url(value: str) -> str:
    """An absolute http(s) URL with a host and no credentials (InvalidInput otherwise)."""
    if not value:
        raise InvalidInput("Enter the URL that should receive the events", field="url")
    if len(value) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in value):
        raise InvalidInput(f"Enter a URL without spaces, at most {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidInput("This is not a valid URL", field="url") from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("Only http and https URLs are accepted", field="url")
    if not parts.hostname:
        raise InvalidInput("The URL needs a host name, such as hooks.example.com", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "Leave credentials out of the URL: the receiver checks the X-QC-Signature header instead",
            field="url",
        )
    return value


def create_endpoint(session: Session, principal: Principal, form: EndpointForm) -> tuple[EndpointView, str]:
    """Register an endpoint; returns it with its signing secret, which is shown this once."""
    require_webhook_admin(principal)
    url, chosen = _clean(form)
    secret = new_secret()
    endpoint = WebhookEndpoint(url=url, secret=secret, event_types=chosen, enabled=form.enabled)
    session.add(endpoint)
    session.flush()
    return _view(endpoint), secret


def update_endpoint(
    session: Session, principal: Principal, endpoint_id: int, form: EndpointForm
) -> EndpointView:
    """Change an endpoint's URL, events and whether it is enabled (the secret stays)."""
    endpoint = _endpoint(session, principal, endpoint_id)
    url, chosen = _clean(form)
    endpoint.url, endpoint.event_types, endpoint.enabled = url, chosen, form.enabled
    session.flush()
    return _view(endpoint)


def delete_endpoint(session: Session, principal: Principal, endpoint_id: int) -> None:
    """Remove an endpoint and its deliveries (pending ones are not sent)."""
    session.delete(_endpoint(session, principal, endpoint_id))
    session.flush()


def send_test(session: Session, principal: Principal, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` delivery to this endpoint only (even if it is disabled)."""
    endpoint = _endpoint(session, principal, endpoint_id)
    event = events.emit(
        session,
        TEST_EVENT,
        {"endpoint_id": endpoint.id, "message": "A test delivery from qc: the endpoint is reachable."},
    )
    session.flush()
    record = EventRecord(event.id, event.key, event.type, dict(event.payload), event.created_at)
    _queue(session, [endpoint], record)
    delivery = repo.recent_deliveries(session, endpoint.id, 1)
    return delivery[0]


# The event handler ------------------------------------------------------------------------------------


def queue_deliveries(session: Session, event: EventRecord) -> None:
    """Handler for every event ("*"): one delivery per enabled endpoint that wants its type
    (a `webhook.test` goes to its own endpoint only); queues the sender after the commit."""
    if event.type == TEST_EVENT:
        target = repo.get_endpoint(session, int(event.payload.get("endpoint_id") or 0))
        targets = [target] if target is not None else []
    else:
        targets = [e for e in _enabled_endpoints(session) if e.wants(event.type)]
    _queue(session, targets, event)


def _enabled_endpoints(session: Session) -> list[WebhookEndpoint]:
    """The enabled endpoints, read once per transaction: a dispatch batch runs this handler
    for hundreds of events, and endpoints change only on the admin's page."""
    cached = session.info.get(_ENDPOINTS_KEY)
    if cached is None:
        cached = session.info[_ENDPOINTS_KEY] = repo.enabled_endpoints(session)
        after_commit(session, lambda: session.info.pop(_ENDPOINTS_KEY, None))
        after_rollback(session, lambda: session.info.pop(_ENDPOINTS_KEY, None))
    return list(cached)


def _queue(session: Session, endpoints: Sequence[WebhookEndpoint], event: EventRecord) -> int:
    now = utcnow()
    rows = [
        {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "event_key": event.key,
            "event_type": event.type,
            "event_created_at": event.created_at,
            "payload": event.payload,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint in endpoints
    ]
    created = repo.insert_ignoring_duplicates(session, WebhookDelivery, rows)
    if created:
        _kick(session)
    return created


def _kick(session: Session) -> None:
    """Queue the sender once per transaction, after it commits (the sweep catches a lost kick)."""
    if not is_wired() or session.info.get(_KICK_KEY):
        return
    session.info[_KICK_KEY] = True
    enqueue_after_commit(session, DELIVER_TASK)
    after_commit(session, lambda: session.info.pop(_KICK_KEY, None))
    after_rollback(session, lambda: session.info.pop(_KICK_KEY, None))
