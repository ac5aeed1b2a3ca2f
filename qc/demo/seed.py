"""`qc demo`: a small organisation and the bundled sample calls, through the real pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from qc.calls import service as calls
from qc.calls.schemas import CallMeta
from qc.config import get_settings
from qc.db import session_scope
from qc.demo.board import review_todays_picks
from qc.demo.coaching import seed_coaching
from qc.demo.history import seed_history
from qc.demo.privacy import seed_privacy
from qc.demo.queue_days import seed_queue_days
from qc.demo.sides import seed_swapped_sides
from qc.demo.training import seed_training
from qc.errors import InvalidInput
from qc.jobs.queue import drain
from qc.kit.storage import get_storage
from qc.users import service as users
from qc.users.models import Role

SAMPLES = Path(__file__).resolve().parent / "samples"
PASSWORD = "demo-password"  # noqa: S105 - printed for the demo on purpose
DOMAIN = "demo.qc"

TEAMS = [("Sales North", "en"), ("Sales International", None)]
TIMEZONES = {"Sales North": "Europe/London", "Sales International": "Europe/Bucharest"}
# Reviewer, languages, calls a day (the QC lead reviews a few too).
REVIEWERS = [("reviewer1", ["en"], 20), ("reviewer2", ["en", "ru", "ro", "it", "sr"], 20), ("lead", [], 4)]
# name, email local part, role, team, supervised teams
PEOPLE = [
    ("Ada Admin", "admin", Role.ADMIN, None, []),
    ("Quinn Lead", "lead", Role.QC_LEAD, None, []),
    ("Riley Reviewer", "reviewer1", Role.REVIEWER, None, []),
    ("Rosa Reviewer", "reviewer2", Role.REVIEWER, None, []),
    ("Nora North", "manager.north", Role.MANAGER, None, ["Sales North"]),
    ("Ivan East", "manager.intl", Role.MANAGER, None, ["Sales International"]),
    ("Daniel Brooks", "daniel", Role.REP, "Sales North", []),
    ("Emma Clarke", "emma", Role.REP, "Sales North", []),
    ("Laura Bennett", "laura", Role.REP, "Sales North", []),
    ("Olga Ivanova", "olga", Role.REP, "Sales International", []),
    ("Andrei Popescu", "andrei", Role.REP, "Sales International", []),
    ("Marco Rossi", "marco", Role.REP, "Sales International", []),
    ("Milan Jovanović", "milan", Role.REP, "Sales International", []),
    ("Sofia Turner", "sofia", Role.REP, "Sales North", []),
]
# samples.json refers to reps by index into this list
REP_EMAILS = [f"{p[1]}@{DOMAIN}" for p in PEOPLE if p[2] is Role.REP]


@dataclass
class DemoSummary:
    password: str = PASSWORD
    logins: list[tuple[str, str]] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)


# The scripted calls (the labelled transcripts, spoken) go to the rep of their language.
SCRIPTED_REPS = {
    "en-outbound-model": 0,
    "en-outbound-pushy": 1,
    "en-inbound-model": 2,
    "ru-outbound-model": 3,
    "ro-outbound-model": 4,
    "it-outbound-model": 5,
    "sr-outbound-model": 6,
}


def sample_manifest() -> list[dict[str, Any]]:
    """The short sample calls, then the scripted ones; each with the rep it belongs to."""
    data: list[dict[str, Any]] = json.loads((SAMPLES / "samples.json").read_text(encoding="utf-8"))
    scripted = json.loads((SAMPLES / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    for item in scripted:
        item["rep"] = SCRIPTED_REPS[item["labelled"]]
    return data + scripted


def _seed_people() -> bool:
    """The demo people, once; True when they were created now."""
    with session_scope() as session:
        if users.find_person(session, f"admin@{DOMAIN}"):
            return False
        if users.list_all(session):
            # Never plant a known password in a real organisation's database.
            raise InvalidInput(
                "This database already has people in it; `qc demo` only seeds an empty one "
                "(use a separate QC_DATA_DIR or QC_DATABASE_URL for the demo)"
            )
        for name, language in TEAMS:
            users.create_team(session, name=name, language=language)
        for name, local, role, team, manages in PEOPLE:
            users.create_user(
                session,
                email=f"{local}@{DOMAIN}",
                name=name,
                role=role,
                password=PASSWORD,
                team=team,
                managed_teams=manages,
                external_id=f"ext-{local}" if role is Role.REP else None,
            )
    return True


def _seed_review_setup() -> None:
    """Team review policies and reviewers' capacities, so the daily queue has work to hand out."""
    from qc.reviews import service as reviews
    from qc.reviews.service import PolicyForm

    with session_scope() as session:
        admin = users.principal_for(session, users.get_by_email(session, f"admin@{DOMAIN}"))
        for team in users.list_visible_teams(session, admin):
            # The demo teams work every day, so the demo has a queue whenever it is run.
            form = PolicyForm(
                target=2,
                working_days="1,2,3,4,5,6,7",
                timezone=TIMEZONES.get(team.name, "UTC"),
                day_start="08:00",
                day_end="20:00",  # _call_times places the calls within these hours
                min_duration_s=15,
                risk_share_percent=50,
                low_score=70,
                exclude_own_team=False,
                blind=False,
            )
            reviews.update_policy(session, admin, team_id=team.id, form=form)
        for local, languages, capacity in REVIEWERS:
            person = users.get_by_email(session, f"{local}@{DOMAIN}")
            reviews.update_reviewer(
                session, admin, user_id=person.id, capacity=capacity, languages=languages, available=True
            )


def _call_times(count: int) -> list[datetime]:
    """Today's calls, oldest first, within today's review day of both demo teams and before now."""
    from qc.reviews.policy import Policy, day_times, local_today

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    windows = []
    for tz in TIMEZONES.values():
        policy = Policy(
            timezone=tz, working_days=frozenset(range(1, 8)), day_start_minute=8 * 60, day_end_minute=20 * 60
        )
        times = day_times(policy, local_today(policy, now))
        windows.append((times.start, times.end))
    end = min(min(e for _, e in windows), now) - timedelta(minutes=1)
    start = max(max(s for s, _ in windows), end - timedelta(minutes=31 * count))
    step = (end - start) / count
    return [start + step * (index + 1) for index in range(count)]


def _fill_queue(*, draw_now: bool) -> None:
    """Today's queue for the demo teams, drawn from the calls as soon as they are scored."""
    from qc.reviews import builder
    from qc.reviews import service as reviews
    from qc.reviews.policy import local_today

    settings = get_settings()
    now = datetime.now(UTC)
    with session_scope() as session:
        days = {local_today(policy, now) for _, policy in reviews.team_policies(session, settings)}
    for day in sorted(days):
        with session_scope() as session:
            builder.build_queue(session, day=day, settings=settings, draw_now=draw_now, now=now)


def _upload_samples(echo: Callable[[str], None]) -> list[int]:
    settings, storage = get_settings(), get_storage()
    samples = sample_manifest()
    times = _call_times(len(samples))
    ids = []
    with session_scope() as session:
        admin = users.principal_for(session, users.get_by_email(session, f"admin@{DOMAIN}"))
    for index, sample in enumerate(samples):
        started = times[index]
        meta = CallMeta(
            rep=REP_EMAILS[sample["rep"]],
            started_at=started,
            direction=sample["direction"],
            channels=sample["channels"],
            language=None if sample["language"] == "en" else sample["language"],
            external_id=f"demo-{Path(sample['file']).stem}",  # stems are unique across both folders
            metadata={
                "source": "qc demo",
                "campaign": "autumn" if sample["direction"] == "outbound" else "support",
            },
        )
        with session_scope() as session, (SAMPLES / sample["file"]).open("rb") as source:
            result = calls.ingest_recording(
                session,
                principal=admin,
                source=source,
                filename=Path(sample["file"]).name,
                meta=meta,
                settings=settings,
                storage=storage,
            )
            ids.append(result.call.id)
        echo(f"{'Uploaded' if result.created else 'Already there'}: {sample['file']} -> call {ids[-1]}")
    return ids


def seed_demo(*, process: bool = True, echo: Callable[[str], None] = print) -> DemoSummary:
    """Create the demo organisation (once) and load the sample calls; optionally transcribe now."""
    created = _seed_people()
    if created:
        _seed_review_setup()
        scripted = json.loads((SAMPLES / "scripted" / "scripted.json").read_text(encoding="utf-8"))
        echo(f"Reviewed calls of the past week: {seed_history(SAMPLES, scripted, DOMAIN)}")
        echo(f"Coaching sessions: {seed_coaching(SAMPLES, scripted, DOMAIN)}")
        echo(f"Reviews in the queue of last week and this week: {seed_queue_days(SAMPLES, scripted, DOMAIN)}")
        echo(f"Training assignments: {seed_training(DOMAIN)}")
        echo(f"A call with personal data, masked and beeped: call {seed_privacy(SAMPLES, DOMAIN)}")
        swapped = seed_swapped_sides(SAMPLES, scripted, DOMAIN)
        echo(f"A call uploaded with the agent on the wrong channel, flagged: call {swapped}")
    summary = DemoSummary(logins=[(p[2].label, f"{p[1]}@{DOMAIN}") for p in PEOPLE if p[2] is not Role.REP])
    summary.logins.extend(("Rep", email) for email in REP_EMAILS)
    summary.calls = _upload_samples(echo)
    # The demo draws its queue as calls are scored rather than as parts of the day end.
    _fill_queue(draw_now=True)
    if process:
        echo("Transcribing the sample calls (the first run prepares the speech models)...")
        done = drain()
        echo(f"Pipeline ran {done} job(s).")
        _fill_queue(draw_now=True)
        if created:  # a day in progress on the wall board, once
            echo(f"Today's picks reviewed already: {review_todays_picks(DOMAIN)}")
    return summary
