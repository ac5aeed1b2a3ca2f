"""The demo's queue of the past days: last week and this week up to yesterday, built by the
real queue builder from calls of every rep and reviewed by the demo reviewers, so the
coverage report, the board and the digest have history on first sign-in.

Each rep makes three calls a working day, with exceptions the report should show: Milan is
away on the second day and Andrei yesterday (rep absent), Laura has a single call one day
(fewer calls than the target), one of Marco's calls is too short to review, one of Emma's
picks is never reviewed (it rolls over and is missed), and one of Sofia's picks of yesterday
still waits in today's queue.

Demo seeding only: one real call per language is ingested and scored by the real checks
(`historic_call`); the other calls of these days are copies of those rows (the call, its
transcript and its automatic results, sharing the recording) written directly, because
ingesting and scoring two hundred recordings would make `qc demo` take minutes. The
queue's rows, the picks and the reviews are all made by the real builder and services.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from qc.calls.models import Call
from qc.config import get_settings
from qc.db import Base, session_scope
from qc.demo.history import PastReview, backdate, historic_call
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation
from qc.evaluations.service import ReviewForm
from qc.feedback import service as feedback
from qc.jobs import events
from qc.reviews import builder
from qc.reviews import service as reviews
from qc.reviews.models import Assignment, AssignmentStatus
from qc.reviews.policy import local_today, zone
from qc.scoring.models import CallScore, CheckResult
from qc.transcription.models import Transcript, TranscriptSegment
from qc.users import service as users
from qc.users.models import User

# The rep whose call in each language is scored for real; the others in it copy it.
LANGUAGES = {"en": "daniel", "ru": "olga", "ro": "andrei", "it": "marco", "sr": "milan"}
REP_LANGUAGE = {"emma": "en", "laura": "en", "sofia": "en"} | {rep: lang for lang, rep in LANGUAGES.items()}
HOURS = (9.5, 12.0, 15.5)  # local time of a rep's calls on an ordinary day
# (rep, day index; -1 is yesterday) -> how many calls, where it differs from three
CALLS = {("milan", 1): 0, ("andrei", -1): 0, ("laura", 3): 1, ("marco", 4): 2}
TOO_SHORT = {("marco", 4)}  # the day's last call lasts 10 s: one eligible call
UNREVIEWED = {("emma", 2), ("sofia", -1)}  # one pick of the day is left for later
# Good calls: reviewers mostly hear what the checks found, but every sixth review misses the
# needs summary, one in twenty-five uses a forbidden phrase, and one failed check in
# OVERRIDE_EVERY was a miss of the transcript that the reviewer heard passed.
MISSED_SUMMARY_EVERY = 6
CRITICAL_EVERY = 25
OVERRIDE_EVERY = 9
# Daniel skipped the permission question on a call of each of the last two days: the
# training rule (2 of the last 5) assigns him its module when the demo's training is seeded.
HEARD = {("daniel", -1): {"permission"}, ("daniel", -2): {"permission"}}
# Reps who ask for permission in words the shipped scorecard does not list: the check fails
# their calls of those days and the reviewers, hearing the question, pass it. The scorecard
# editor's suggestions find these words in the overrides (language -> (rep, the scripted
# question, what they say instead, the days)).
WORDING = {
    "ru": ("olga", "Вам удобно сейчас говорить?", "Я вас не отвлекаю?", (1, 2, 3)),
    "en": ("emma", "Do you have two minutes to talk?", "Is this a bad moment to talk?", (1, 3, 4)),
}
WORDING_ITEM = "permission"


def seed_queue_days(samples_dir: Path, scripted: list[dict[str, Any]], domain: str) -> int:
    """Build, review and close the demo teams' queues from last Monday to yesterday; the
    number of reviews made."""
    settings = get_settings()
    with session_scope() as session:
        today = min(local_today(p, datetime.now(UTC)) for _, p in reviews.team_policies(session, settings))
    days = _days(today)
    templates = _templates(samples_dir, scripted, domain, days[0], today)
    variants = _wording_templates(samples_dir, scripted, domain, days[0], today)
    made: list[int] = []
    own_words = set(variants.values())  # calls the reviewers hear the permission asked on
    copies = iter(range(1, 100_000))
    for index, day in enumerate(days):
        back = index - len(days)  # -1 is yesterday
        with session_scope() as session:
            own_words |= _calls_of_day(session, domain, templates, variants, day, (index, back), copies)
        _build(day, at_hour=21)  # after both teams' review hours, before their midnight
        made += _review_day(day, domain, (index, back), done_before=len(made), own_words=own_words)
        _build(day + timedelta(days=1), at_hour=0.5, close=day)
    events.dispatch_pending()
    _acknowledge(made, domain, today)
    events.dispatch_pending()
    backdate(made)
    _time_on_task(made)
    return len(made)


def _days(today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(days=7)
    return [first + timedelta(days=i) for i in range((today - first).days)]


def _templates(
    samples_dir: Path, scripted: list[dict[str, Any]], domain: str, first: date, today: date
) -> dict[str, int]:
    """One call per language on the first day, ingested and scored by the real checks."""
    by_script = {s["labelled"]: s for s in scripted}
    found = {}
    for offset, (language, rep) in enumerate(LANGUAGES.items()):
        past = PastReview(f"{language}-outbound-model", rep, (today - first).days, {}, (0.0, ""), "released")
        found[language] = historic_call(samples_dir, by_script[past.script], past, 300 + offset, domain)
    return found


def _wording_templates(
    samples_dir: Path, scripted: list[dict[str, Any]], domain: str, first: date, today: date
) -> dict[str, int]:
    """Per rep of WORDING, a call of the language's script with the permission question put
    in the rep's own words, scored by the real checks (demo seeding: it plays the scripted
    recording)."""
    by_script = {s["labelled"]: s for s in scripted}
    found = {}
    for offset, (language, (rep, scripted_words, own_words, _days)) in enumerate(WORDING.items()):
        past = PastReview(f"{language}-outbound-model", rep, (today - first).days, {}, (0.0, ""), "released")
        sample = copy.deepcopy(by_script[past.script])
        turn = next(t for t in sample["turns"] if scripted_words in t["text"])
        turn["text"] = turn["text"].replace(scripted_words, own_words)
        found[rep] = historic_call(samples_dir, sample, past, 310 + offset, domain)
    return found


def _keys(local: str, indexes: tuple[int, int]) -> set[tuple[str, int]]:
    """How the tables above may name a rep's day: from the first (0) or from today (-1)."""
    return {(local, i) for i in indexes}


def _local(session: Session, rep: User, day: date, hour: float) -> datetime:
    policy = reviews.team_policy(session, rep.team_id or 0, get_settings())
    start = datetime.combine(day, time(0), tzinfo=zone(policy.timezone)) + timedelta(hours=hour)
    return start.astimezone(UTC)


def _calls_of_day(
    session: Session,
    domain: str,
    templates: dict[str, int],
    variants: dict[str, int],
    day: date,
    indexes: tuple[int, int],
    copies: Iterator[int],
) -> set[int]:
    """Copies of the day's calls; returns the ids of those in a rep's own words (WORDING)."""
    own_words = {(rep, d) for rep, _, _, days in WORDING.values() for d in days}
    varied: set[int] = set()
    for local, language in REP_LANGUAGE.items():
        rep = users.get_by_email(session, f"{local}@{domain}")
        keys = _keys(local, indexes)
        count = next((CALLS[k] for k in keys if k in CALLS), len(HOURS))
        for n, hour in enumerate(HOURS[:count]):
            started = _local(session, rep, day, hour)
            if indexes[0] == 0 and local in LANGUAGES.values() and n == 0:
                continue  # the template call itself, made at its own hour that morning
            short = n == count - 1 and bool(keys & TOO_SHORT)
            template = variants[local] if keys & own_words else templates[language]
            call_id = _copy_call(session, template, rep, started, next(copies), short=short)
            if keys & own_words:
                varied.add(call_id)
    return varied


def _columns(row: Base, **changes: Any) -> dict[str, Any]:
    values = {a.key: getattr(row, a.key) for a in inspect(type(row)).column_attrs if a.key != "id"}
    return values | changes


def _copy_call(
    session: Session, template_id: int, rep: User, started: datetime, n: int, *, short: bool
) -> int:
    """A copy of a scored call (its row, transcript and automatic results) for another rep
    and time; it plays the same recording."""
    template = session.get_one(Call, template_id)
    call = Call(
        **_columns(
            template,
            rep_id=rep.id,
            team_id=rep.team_id,
            started_at=started,
            external_id=f"demo-queue-{n}",
            sha256=hashlib.sha256(f"qc demo queue copy {n}".encode()).hexdigest(),
            duration_s=10.0 if short else template.duration_s,
            created_at=started,
            updated_at=started,
        )
    )
    session.add(call)
    session.flush()
    transcript = session.scalars(select(Transcript).where(Transcript.call_id == template_id)).one()
    copy = Transcript(**_columns(transcript, call_id=call.id))
    session.add(copy)
    session.flush()
    segments = session.scalars(
        select(TranscriptSegment).where(TranscriptSegment.transcript_id == transcript.id)
    )
    session.add_all(TranscriptSegment(**_columns(s, transcript_id=copy.id)) for s in segments)
    score = session.scalars(select(CallScore).where(CallScore.call_id == template_id)).one()
    score_copy = CallScore(**_columns(score, call_id=call.id))
    session.add(score_copy)
    session.flush()
    checks = session.scalars(select(CheckResult).where(CheckResult.call_score_id == score.id))
    session.add_all(CheckResult(**_columns(c, call_score_id=score_copy.id)) for c in checks)
    return call.id


def _build(day: date, *, at_hour: float, close: date | None = None) -> None:
    """The periodic build as it would have run at `at_hour` UTC of `day`: drawing the whole
    day, or (`close`) closing the day before."""
    now = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=at_hour)
    with session_scope() as session:
        builder.build_queue(
            session, day=close or day, settings=get_settings(), now=now, draw_now=close is None
        )


def _review_day(
    day: date, domain: str, indexes: tuple[int, int], *, done_before: int, own_words: set[int]
) -> list[int]:
    """The assigned reviewers review the day's picks (all but those left for later)."""
    with session_scope() as session:
        names = {users.get_by_email(session, f"{local}@{domain}").id: local for local in REP_LANGUAGE}
        picks = session.scalars(
            select(Assignment)
            .where(Assignment.day == day, Assignment.status == AssignmentStatus.OPEN)
            .order_by(Assignment.rep_id, Assignment.id)
        ).all()
        work = [(p.id, p.rep_id, p.reviewer_id, p.call_id) for p in picks if p.reviewer_id is not None]
    made: list[int] = []
    seen: set[str] = set()
    for pick_id, rep_id, reviewer_id, call_id in work:
        local = names.get(rep_id, "")
        if local in seen and _keys(local, indexes) & UNREVIEWED:
            continue
        heard = (
            set().union(*(HEARD.get(k, set()) for k in _keys(local, indexes))) if local not in seen else set()
        )
        seen.add(local)
        passes = {WORDING_ITEM} if call_id in own_words else set()
        number = done_before + len(made) + 1
        made.append(_review(pick_id, reviewer_id, number=number, fails=heard - passes, passes=passes))
    return made


def _review(pick_id: int, reviewer_id: int | None, *, number: int, fails: set[str], passes: set[str]) -> int:
    settings = get_settings()
    fails = fails | ({"needs_summary"} if number % MISSED_SUMMARY_EVERY == 0 else set())
    fails |= {"forbidden_phrases"} if number % CRITICAL_EVERY == 0 else set()
    with session_scope() as session:
        reviewer = users.principal_for(session, users.get_person(session, reviewer_id or 0))
        draft = evaluations.start_review(session, reviewer, pick_id, settings=settings)
        given = {}
        for position, answer in enumerate(draft.answers):
            value = _heard(answer.item_id, answer.auto_answer, fails, number * len(draft.answers) + position)
            value = "yes" if answer.item_id in passes else value
            reason = "Heard on the call" if answer.auto_answer not in (None, value) else ""
            if answer.item_id in passes and answer.auto_answer != value:
                reason = "The rep asked whether it was a good time, in their own words"
            given[answer.item_id] = AnswerInput(value, reason)
        evaluations.submit_review(session, reviewer, pick_id, data=ReviewForm(given), settings=settings)
        return draft.id


def _heard(item_id: str, suggested: str | None, fails: set[str], n: int) -> str:
    """What the reviewer heard: the story's failures; otherwise what the check suggested,
    except one failed check in OVERRIDE_EVERY that the reviewer heard passed (the transcript
    missed it), and a pass where the check left the item to a person."""
    if item_id in fails:
        return "no"
    if suggested == "no" and n % OVERRIDE_EVERY == 0:
        return "yes"
    return suggested if suggested is not None else "yes"


def _acknowledge(evaluation_ids: list[int], domain: str, today: date) -> None:
    """Reps have read their reviews but those of the last two days."""
    with session_scope() as session:
        rows = session.execute(
            select(Evaluation.id, Call.rep_id, Call.started_at)
            .join(Call, Call.id == Evaluation.call_id)
            .where(Evaluation.id.in_(evaluation_ids))
        ).all()
    for evaluation_id, rep_id, started in rows:
        if started.date() < today - timedelta(days=2):
            with session_scope() as session:
                rep = users.principal_for(session, users.get_person(session, rep_id))
                feedback.acknowledge(session, rep, evaluation_id)


def _time_on_task(evaluation_ids: list[int]) -> None:
    """Minutes a reviewer spent on each review (the seeding itself takes none)."""
    with session_scope() as session:
        for evaluation_id in evaluation_ids:
            minutes = 4 + (evaluation_id * 7) % 9  # 4 to 12 minutes, varied
            session.execute(
                update(Evaluation).where(Evaluation.id == evaluation_id).values(active_seconds=minutes * 60.0)
            )
