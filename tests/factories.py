"""Typed builders for test data and the fixed personas."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus, ChannelLayout, Direction
from qc.kit.storage import get_storage
from qc.kit.web import CSRF_COOKIE, SESSION_COOKIE
from qc.transcription.models import Speaker, Transcript, TranscriptSegment
from qc.users import service as users
from qc.users.models import Role, Team, User

SAMPLES = Path(__file__).resolve().parents[1] / "qc" / "demo" / "samples"
_counter = itertools.count(1)


def make_team(session: Session, **overrides: Any) -> Team:
    values = {"name": f"Team {next(_counter)}", "language": "en", **overrides}
    return users.create_team(session, **values)


def make_user(session: Session, *, role: Role = Role.REP, team: Team | None = None, **overrides: Any) -> User:
    n = next(_counter)
    values: dict[str, Any] = {
        "email": f"user{n}@example.test",
        "name": f"User {n}",
        "role": role,
        "team": team.name if team else None,
        **overrides,
    }
    if role is Role.REP and values["team"] is None:
        values["team"] = make_team(session).name
    return users.create_user(session, **values)


@dataclass
class Org:
    """Two teams and one persona per role; `outsider_*` belong to the other team."""

    team: Team
    other_team: Team
    admin: User
    qc_lead: User
    reviewer: User
    manager: User
    rep: User
    other_rep: User
    outsider_manager: User


def make_org(session: Session) -> Org:
    team = make_team(session, name="Alpha", language="en")
    other = make_team(session, name="Bravo", language="en")
    return Org(
        team=team,
        other_team=other,
        admin=make_user(session, role=Role.ADMIN, name="Ada Admin", email="admin@example.test"),
        qc_lead=make_user(session, role=Role.QC_LEAD, name="Quinn Lead", email="lead@example.test"),
        reviewer=make_user(session, role=Role.REVIEWER, name="Riley Reviewer", email="reviewer@example.test"),
        manager=make_user(
            session,
            role=Role.MANAGER,
            name="Mia Manager",
            email="manager@example.test",
            managed_teams=["Alpha"],
        ),
        rep=make_user(
            session, role=Role.REP, team=team, name="Rex Rep", email="rep@example.test", external_id="crm-rex"
        ),
        other_rep=make_user(
            session, role=Role.REP, team=other, name="Olly Other", email="other@example.test"
        ),
        outsider_manager=make_user(
            session,
            role=Role.MANAGER,
            name="Otto Outsider",
            email="outsider@example.test",
            managed_teams=["Bravo"],
        ),
    )


def make_call(
    session: Session, *, rep: User, sample: str = "outbound_en_followed.ogg", **overrides: Any
) -> Call:
    """A call row with a real recording in storage, without running the pipeline."""
    data = (SAMPLES / sample).read_bytes()
    key = f"calls/test/{uuid.uuid4().hex}{Path(sample).suffix}"
    source = SAMPLES / sample
    get_storage().put_file(key, source)
    values: dict[str, Any] = {
        "rep_id": rep.id,
        "team_id": rep.team_id,
        "started_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        "direction": Direction.OUTBOUND,
        "channel_layout": ChannelLayout.AGENT_LEFT,
        "sha256": hashlib.sha256(data + uuid.uuid4().bytes).hexdigest(),
        "storage_key": key,
        "original_filename": sample,
        "container_format": Path(sample).suffix.lstrip("."),
        "codec": "vorbis",
        "size_bytes": len(data),
        "duration_s": 41.2,
        "sample_rate": 16000,
        "channels": 2,
        "status": CallStatus.RECEIVED,
        "call_metadata": {},
        **overrides,
    }
    # A processed call as the pipeline leaves it has a masked copy of its recording to play
    # (the samples say nothing personal: the copy is the recording itself).
    values.setdefault("redacted_storage_key", key if values["status"] is CallStatus.SCORED else None)
    call = Call(**values)
    session.add(call)
    session.flush()
    return call


def make_transcript(
    session: Session, call: Call, turns: list[tuple[str, str]] | None = None, *, language: str = "en"
) -> Transcript:
    """A transcript with one segment per (speaker, text), two seconds each."""
    turns = turns or [("agent", "Good morning, this is Daniel from Acme."), ("customer", "Hello, go ahead.")]
    transcript = Transcript(
        call_id=call.id,
        language=language,
        language_probability=1.0,
        model="tiny.en",
        speakers_separated=True,
        audio_duration_s=2.0 * len(turns),
        speech_duration_s=1.8 * len(turns),
        processing_s=0.5,
        mean_word_probability=0.9,
        redacted_at=datetime.now(UTC),  # as the pipeline stores it: masked (see qc.privacy)
    )
    session.add(transcript)
    session.flush()
    for position, (speaker, text) in enumerate(turns):
        start = 2.0 * position
        words = text.split()
        step = 1.8 / len(words)
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                position=position,
                speaker=Speaker(speaker),
                start=start,
                end=start + 1.8,
                text=text,
                avg_logprob=-0.2,
                no_speech_prob=0.01,
                words=[
                    {
                        "start": round(start + i * step, 3),
                        "end": round(start + (i + 1) * step, 3),
                        "word": w,
                        "probability": 0.9,
                    }
                    for i, w in enumerate(words)
                ],
            )
        )
    call.status = CallStatus.SCORED
    call.transcribed_at = datetime.now(UTC)
    call.redacted_storage_key = call.redacted_storage_key or call.storage_key
    session.flush()
    return transcript


class Browser(TestClient):
    """A TestClient that signs in as a persona and sends the CSRF header like htmx does."""

    def __init__(self, app: Any) -> None:
        super().__init__(app, base_url="http://testserver", follow_redirects=False)

    def login_as(self, user: User) -> Browser:
        from qc.db import session_scope

        with session_scope() as session:
            token = users.start_session(session, user=user, lifetime=timedelta(hours=1))
        self.cookies.set(SESSION_COOKIE, token)
        self.ensure_csrf()
        return self

    def ensure_csrf(self) -> str:
        """The CSRF token the app gives this client (bound to its session, if it has one)."""
        if CSRF_COOKIE not in self.cookies or SESSION_COOKIE in self.cookies:
            self.get("/login")
        return str(self.cookies[CSRF_COOKIE])

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method.upper() not in {"GET", "HEAD", "OPTIONS"} and CSRF_COOKIE in self.cookies:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", str(self.cookies[CSRF_COOKIE]))
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)

    def page(self, url: str, *, status: int = 200) -> BeautifulSoup:
        response = self.get(url)
        assert response.status_code == status, (response.status_code, response.text[:500])
        return BeautifulSoup(response.text, "html.parser")


def api_token(session: Session, user: User, name: str = "tests") -> str:
    return users.create_api_token(session, user=user, name=name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_scored_call(
    session: Session,
    *,
    rep: User,
    started_at: datetime,
    final_score: float | None = 90.0,
    critical_failed: bool = False,
    needs_review: int = 0,
    scorecard: str = "outbound-sales",
    **overrides: Any,
) -> Call:
    """A scored call with its automatic results summarised (no transcript, no check rows)."""
    from sqlalchemy import select

    from qc.scoring.models import CallScore, ScorecardVersion

    call = make_call(session, rep=rep, started_at=started_at, status=CallStatus.SCORED, **overrides)
    version = session.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == scorecard, ScorecardVersion.is_current
        )
    )
    session.add(
        CallScore(
            call_id=call.id,
            scorecard_version_id=version.id if version else None,
            language="en",
            score=final_score,
            final_score=0.0 if critical_failed else final_score,
            critical_failed=critical_failed,
            checks_total=14,
            checks_decided=14 - needs_review,
            checks_needs_review=needs_review,
        )
    )
    session.flush()
    return call


def make_reviewer(
    session: Session, *, capacity: int | None = None, languages: list[str] | None = None, **overrides: Any
) -> User:
    from qc.reviews.models import ReviewerProfile

    user = make_user(session, role=Role.REVIEWER, **overrides)
    if capacity is not None or languages is not None:
        session.add(
            ReviewerProfile(
                user_id=user.id,
                daily_capacity=capacity if capacity is not None else 20,
                languages=languages or [],
                is_available=True,
            )
        )
        session.flush()
    return user


def make_checked_call(
    session: Session,
    *,
    rep: User,
    started_at: datetime | None = None,
    statuses: dict[str, Any] | None = None,
    scorecard: str = "outbound-sales",
    turns: list[tuple[str, str]] | None = None,
    language: str | None = None,
    **overrides: Any,
) -> Call:
    """A scored call with a transcript (`turns`, or Daniel's opening) and one automatic
    result per scorecard item (pass unless `statuses` says otherwise), each with a piece of
    evidence."""
    from sqlalchemy import select

    from qc.scoring import service as scoring
    from qc.scoring.definitions import Status
    from qc.scoring.models import CallScore, CheckResult, ScorecardVersion

    if language is not None:  # the call's language, and its transcript's
        overrides["language"] = language
    call = make_call(
        session, rep=rep, started_at=started_at or datetime(2026, 11, 23, 10, tzinfo=UTC), **overrides
    )
    make_transcript(
        session,
        call,
        turns
        or [
            ("agent", "Good morning, this is Daniel from Acme Telecom."),
            ("customer", "Hello, yes, go ahead."),
            ("agent", "What matters most to you in a mobile plan?"),
            ("customer", "Mostly the price, to be honest."),
        ],
        language=language or "en",
    )
    version = session.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == scorecard, ScorecardVersion.is_current
        )
    )
    assert version is not None
    card = scoring.definition(version)
    chosen = {
        item.id: Status(statuses.get(item.id, "pass")) if statuses else Status.PASS for item in card.items
    }
    score = CallScore(
        call_id=call.id,
        scorecard_version_id=version.id,
        language=language or "en",
        score=80.0,
        final_score=80.0,
        checks_total=len(chosen),
        checks_decided=sum(s in (Status.PASS, Status.FAIL) for s in chosen.values()),
        checks_needs_review=sum(s is Status.NEEDS_REVIEW for s in chosen.values()),
    )
    session.add(score)
    session.flush()
    for position, (item_id, status) in enumerate(chosen.items()):
        session.add(
            CheckResult(
                call_score_id=score.id,
                position=position,
                item_id=item_id,
                status=status,
                confidence=0.9,
                summary=f"{item_id}: {status.value}",
                evidence=[
                    {
                        "kind": "match",
                        "speaker": "agent",
                        "start": 0.5 + position,
                        "end": 1.5 + position,
                        "text": "good morning",
                        "rule": '"good morning"',
                        "segment": 0,
                        "probability": 0.9,
                    }
                ],
            )
        )
    session.flush()
    return call


def set_review_policy(session: Session, lead: User, team: Team, **changes: Any) -> None:
    """Give `team` a review policy (the defaults: 2 a rep a day, Monday to Friday, 09:00-18:00
    UTC), with `changes` to the form's fields; `lead` is the QC lead or admin setting it."""
    from qc.reviews import service as reviews
    from qc.reviews.service import PolicyForm

    hours = {"timezone": "UTC", "day_start": "09:00", "day_end": "18:00", "working_days": "1,2,3,4,5"}
    sampling = {"target": 2, "min_duration_s": 30, "risk_share_percent": 50, "low_score": 70}
    form = PolicyForm(**(hours | sampling | {"exclude_own_team": False, "blind": False} | changes))
    reviews.update_policy(session, users.principal_for(session, lead), team_id=team.id, form=form)
