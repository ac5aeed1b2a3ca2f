"""Coaching in the demo: a session a month ago whose effect has been measured, and one
coming up that the rep has yet to acknowledge.

Sofia skipped asking permission on her calls until Nora coached her on it 32 days ago;
her reviewed calls before and after the session, and her teammates' in the same weeks,
are real reviews of the scripted sample calls, so the effect on the session page is
computed from them like any other. Emma's disputed review of last week is the start of
the session Nora has planned for the day after tomorrow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from qc.coaching import service as coaching
from qc.coaching.service import ActionInput, SessionInput
from qc.config import get_settings
from qc.db import session_scope
from qc.demo.history import PastReview, seed_reviews
from qc.feedback.models import Feedback
from qc.jobs import events
from qc.users import service as users

SESSION_DAYS_AGO = 32

# Sofia: the pushy script (no permission asked) before the session, the model one after
# (once more pushy); Daniel and Laura around the same weeks, for the comparison group.
COACHED = [
    *(
        PastReview(
            "en-outbound-pushy",
            "sofia",
            d,
            {},
            (3.0, "Ask whether it is a good time first."),
            "released",
            follows_checks=True,
        )
        for d in (41, 38, 35)
    ),
    *(
        PastReview(
            "en-outbound-model", "sofia", d, {}, (4.0, "Good: you asked before pitching."), "acknowledged"
        )
        for d in (30, 27, 22, 18, 12)
    ),
    PastReview(
        "en-outbound-pushy",
        "sofia",
        25,
        {},
        (3.0, "You skipped the permission question again."),
        "acknowledged",
        follows_checks=True,
    ),
    PastReview("en-outbound-model", "daniel", 37, {}, (4.0, "Clear opening."), "acknowledged"),
    PastReview(
        "en-outbound-pushy",
        "daniel",
        34,
        {},
        (3.0, "Ask first, then pitch."),
        "acknowledged",
        follows_checks=True,
    ),
    PastReview("en-outbound-model", "daniel", 20, {}, (4.0, "Clear opening."), "acknowledged"),
    PastReview(
        "en-outbound-pushy",
        "daniel",
        15,
        {},
        (3.0, "Ask first, then pitch."),
        "acknowledged",
        follows_checks=True,
    ),
]


def seed_coaching(samples_dir: Path, scripted: list[dict[str, Any]], domain: str) -> int:
    """The coaching history and the session to come; the number of sessions."""
    reviews = seed_reviews(COACHED, samples_dir, scripted, domain, first_index=100)
    settings = get_settings()
    today = datetime.now(UTC)
    with session_scope() as session:
        nora = users.principal_for(session, users.get_by_email(session, f"manager.north@{domain}"))
        sofia = users.get_by_email(session, f"sofia@{domain}")
        emma = users.get_by_email(session, f"emma@{domain}")
        held = (today - timedelta(days=SESSION_DAYS_AGO)).replace(hour=14, minute=0, second=0, microsecond=0)
        past = coaching.create_session(
            session,
            nora,
            rep_id=sofia.id,
            data=SessionInput(
                scheduled_at=held,
                agenda="Listen to the first 20 seconds of three calls together.",
                shared_notes="Ask whether it is a good time before the offer, every call.",
                private_notes="Sofia is quick to pitch; she takes feedback well.",
                focus=["outbound-sales:permission"],
                evaluation_ids=reviews[:3],
                actions=[
                    ActionInput(
                        "Open the next ten calls with the permission question",
                        held.date() + timedelta(days=7),
                    )
                ],
            ),
            settings=settings,
        )
        coaching.complete_session(
            session,
            nora,
            past.id,
            outcome="Sofia practised the opening twice; she will ask first.",
            now=held + timedelta(minutes=45),
        )
        past.created_at = past.acknowledged_at = held - timedelta(days=2)
        past.focus[0].failed = past.focus[0].reviewed = 3  # her record when it was planned
        # The demo plans it today, after all her reviews: keep only those it was built from.
        past.evaluations = [e for e in past.evaluations if e.evaluation_id in reviews[:3]]
        past.actions[0].done_at = held + timedelta(days=5)
        past.actions[0].done_by_id = sofia.id
        disputed = session.scalar(
            select(Feedback.evaluation_id).where(Feedback.rep_id == emma.id).order_by(Feedback.evaluation_id)
        )
        soon = datetime.combine(date.today() + timedelta(days=2), time(10, 30), tzinfo=UTC)
        coaching.create_session(
            session,
            nora,
            rep_id=emma.id,
            data=SessionInput(
                scheduled_at=soon,
                agenda="Your call of last week: the opening and the permission question.",
                shared_notes="Bring one call you are proud of.",
                private_notes="Emma disputed the permission item; settle it first.",
                focus=[
                    s.key
                    for s in coaching.suggest_focus(
                        session,
                        nora,
                        rep_id=emma.id,
                        evaluation_ids=[disputed] if disputed else [],
                        settings=settings,
                    )
                    if s.chosen
                ][:3]
                or ["outbound-sales:permission"],
                evaluation_ids=[disputed] if disputed else [],
                actions=[
                    ActionInput(
                        "Listen to your call of last week before the session", soon.date() - timedelta(days=1)
                    ),
                    ActionInput(
                        "Open five calls with the permission question", soon.date() + timedelta(days=7)
                    ),
                ],
            ),
            settings=settings,
        )
    with session_scope() as session:  # what the periodic task does: the team page reads it
        coaching.finalize_effects(session, settings=settings)
    events.dispatch_pending()
    return 2
