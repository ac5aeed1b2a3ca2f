"""My feedback, the disputes page and event dispatch at a year's scale, on SQLite and PostgreSQL.

    python bench/feedback.py [--reps 200] [--per-rep 750] [--events 20000]
                             [--backend sqlite|postgresql|both] [--runs 15] [--event-runs 3]
                             [--per-tx 10] [--history 900000] [--checks all|rep] [--profile]
                             [--pg URL]

Pages: a throw-away database holds a year of released reviews in an organisation of --reps
reps (teams of 20): --per-rep submitted review evaluations per rep, each with its call, the
call's automatic checks (one CheckResult per item, for every call unless `--checks rep`), the
reviewer's 14 answers of the outbound-sales scorecard, a Feedback row and a few comments; about
2% of the evaluations are disputed, half of those disputes resolved (the other half open, on
each rep's recent reviews). It is written with Core bulk inserts, not the services. Each page
is requested through the real app (TestClient, signed in with a session cookie) and timed,
interleaved with the baseline: a plain `SELECT count(*)` of the benched rep's feedback rows.

Events: --events events emitted with `qc.jobs.events.emit` in transactions of --per-tx (as
requests would), then `dispatch_pending()` timed with one subscribed handler that inserts one
row per event into a scratch table (`bench_event_seen`), against the baseline of inserting the
same number of event rows with one Core executemany. Three runs: that handler alone on an
empty outbox; the same with --history dispatched events kept in the outbox (what 90 days of
QC_EVENT_RETENTION_DAYS hold when 200 reps have 50 calls a day scored: `call.scored` alone);
and, with that history, after `wire()`, when the app's own subscribers are there too (the
webhooks handler takes every event type; no endpoint is registered).

Each backend runs in a child process of its own (settings are read from the environment once
per process); the baselines are measured in that same process. Medians of --runs and
--event-runs. Targets: each page under 200 ms; dispatch at least 1,000 events/s. --profile
prints cProfile output of each measurement (for pages, of the app's side of the requests).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# bench/ holds queue.py, named like the standard library's `queue` (psycopg and huey import
# it): keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE_TARGET_MS = 200.0
EVENTS_TARGET = 1000.0
TEAM_SIZE = 20
CHUNK_REPS = 10  # reps written per transaction while seeding
PG_DATABASE = "qc_bench_feedback"
SCORECARD = "outbound-sales"


def configure(url: str, data_dir: Path) -> None:
    """Settings are read from the environment once per process: set it before importing qc."""
    os.environ.update(
        {
            "QC_DATABASE_URL": url,
            "QC_DATA_DIR": str(data_dir),
            "QC_QUEUE_URL": f"sqlite:///{data_dir / 'queue.sqlite3'}",
            "QC_STORAGE_URL": f"file://{data_dir / 'audio'}",
            "QC_ENV": "development",
            "QC_LOG_LEVEL": "WARNING",
            "QC_EMBEDDED_WORKER": "false",
        }
    )


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


# Seeding ------------------------------------------------------------------------------------------


@dataclass
class Org:
    rep_id: int  # the benched rep
    lead_id: int
    reps: list[tuple[int, int]]  # (user id, team id)
    reviewers: list[int]
    version_id: int
    evaluations: int = 0
    answers: int = 0
    checks: int = 0
    comments: int = 0
    disputes: int = 0
    open_disputes: int = 0
    rep_disputes: int = 0


def seed_people(reps: int) -> Org:
    from sqlalchemy import insert, select

    from qc.config import get_settings
    from qc.db import get_engine, session_scope
    from qc.migrations import upgrade
    from qc.scoring.models import ScorecardVersion
    from qc.scoring.service import sync_from_settings
    from qc.users.models import Role, Team, User

    upgrade(get_engine())
    sync_from_settings(get_settings().scorecards_dir)
    with session_scope() as session:
        version_id = session.scalar(
            select(ScorecardVersion.id).where(
                ScorecardVersion.scorecard_id == SCORECARD, ScorecardVersion.is_current
            )
        )
        teams = max(1, -(-reps // TEAM_SIZE))
        session.execute(insert(Team), [{"name": f"Team {t}", "language": "en"} for t in range(teams)])
        team_ids = list(session.scalars(select(Team.id).order_by(Team.id)))
        people = [
            {
                "email": f"rep{r}@bench.test",
                "name": f"Rep {r}",
                "role": Role.REP,
                "team_id": team_ids[r % teams],
            }
            for r in range(reps)
        ]
        people += [
            {"email": f"rev{r}@bench.test", "name": f"Reviewer {r}", "role": Role.REVIEWER}
            for r in range(max(4, reps // 5))
        ]
        people.append({"email": "lead@bench.test", "name": "Quinn Lead", "role": Role.QC_LEAD})
        session.execute(insert(User), [{**p, "team_id": p.get("team_id"), "is_active": True} for p in people])
        rows = session.execute(select(User.id, User.team_id, User.role).order_by(User.id)).all()
    rep_rows = [(u, t) for u, t, role in rows if role is Role.REP]
    return Org(
        rep_id=rep_rows[len(rep_rows) // 2][0],
        lead_id=next(u for u, _, role in rows if role is Role.QC_LEAD),
        reps=rep_rows,
        reviewers=[u for u, _, role in rows if role is Role.REVIEWER],
        version_id=int(version_id or 0),
    )


STATUS_WEIGHTS = (("pass", 75), ("fail", 12), ("needs_review", 8), ("na", 5))
CAUSES = ("reviewer_error", "auto_check_wrong", "scorecard_unclear", "rep_misunderstood")
TABLES = (
    "call",
    "call_score",
    "check_result",
    "evaluation",
    "evaluation_answer",
    "evaluation_comment",
    "feedback",
    "dispute",
    "dispute_item",
)


class YearBuilder:
    """Rows for a year of reviews, a few reps at a time; ids of calls, scores and evaluations
    are given here (one number per review) so that rows can point at each other."""

    def __init__(self, org: Org, *, per_rep: int, all_checks: bool, now: datetime) -> None:
        from sqlalchemy import select

        from qc.db import session_scope
        from qc.scoring import service as scoring
        from qc.scoring.definitions import Status
        from qc.scoring.models import ScorecardVersion

        with session_scope() as session:
            version = session.scalar(select(ScorecardVersion).where(ScorecardVersion.id == org.version_id))
            assert version is not None
            self.card = scoring.definition(version)
        self.org, self.per_rep, self.all_checks, self.now = org, per_rep, all_checks, now
        self.rng = random.Random(8)
        self.statuses = [Status(s) for s, _ in STATUS_WEIGHTS]
        self.weights = [w for _, w in STATUS_WEIGHTS]
        self.next_id = 1
        self.next_dispute = 1
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def add_rep(self, rep_id: int, team_id: int) -> None:
        n = self.per_rep
        recent = list(range(max(0, n - 30), n))
        older = list(range(0, max(0, n - 30))) or recent
        opened = set(self.rng.sample(recent, min(len(recent), round(n * 0.01))))
        resolved = set(self.rng.sample([i for i in older if i not in opened], round(n * 0.01)))
        for j in range(n):
            age = timedelta(days=365) * (n - j - 0.5) / n
            dispute = "open" if j in opened else "resolved" if j in resolved else None
            self.add_review(rep_id, team_id, self.now - age, fresh=j >= n - 5, dispute=dispute)

    def add_review(
        self, rep_id: int, team_id: int, submitted: datetime, *, fresh: bool, dispute: str | None
    ) -> None:
        i, rng = self.next_id, self.rng
        self.next_id += 1
        reviewer = rng.choice(self.org.reviewers)
        statuses = rng.choices(self.statuses, self.weights, k=len(self.card.items))
        self._call(i, rep_id, team_id, submitted)
        self._checks(i, rep_id, statuses)
        answers = self._answers(i, statuses)
        result = self._evaluation(i, reviewer, submitted, answers)
        self._comments(i, reviewer)
        self.rows["feedback"].append(
            {
                "evaluation_id": i,
                "call_id": i,
                "rep_id": rep_id,
                "team_id": team_id,
                "reviewer_id": reviewer,
                "submitted_at": submitted,
                "release_due_at": submitted,
                "released_at": submitted,
                "acknowledged_at": None if fresh else submitted + timedelta(hours=2),
            }
        )
        if dispute is not None:
            self._dispute(i, rep_id, team_id, reviewer, submitted, answers, result, dispute)

    def _call(self, i: int, rep_id: int, team_id: int, submitted: datetime) -> None:
        started = submitted - timedelta(hours=20)
        self.rows["call"].append(
            {
                "id": i,
                "rep_id": rep_id,
                "team_id": team_id,
                "started_at": started,
                "direction": "outbound",
                "channel_layout": "agent-left",
                "language": "en",
                "metadata": {},
                "sha256": f"{i:064x}",
                "storage_key": f"calls/bench/{i}.ogg",  # nothing there: the page only links the audio
                "original_filename": f"{i}.ogg",
                "container_format": "ogg",
                "codec": "opus",
                "size_bytes": 900_000,
                "duration_s": self.rng.uniform(60, 600),
                "sample_rate": 8000,
                "channels": 2,
                "status": "scored",
                "attempts": 1,
                "transcribed_at": started + timedelta(minutes=5),
                "created_at": started,
                "updated_at": started,
            }
        )

    def _checks(self, i: int, rep_id: int, statuses: list[Any]) -> None:
        decided = sum(s.value in ("pass", "fail") for s in statuses)
        needs_review = sum(s.value == "needs_review" for s in statuses)
        score = self.rng.uniform(40, 100)
        self.rows["call_score"].append(
            {
                "id": i,
                "call_id": i,
                "scorecard_version_id": self.org.version_id,
                "language": "en",
                "score": score,
                "final_score": score,
                "critical_failed": False,
                "checks_total": len(statuses),
                "checks_decided": decided,
                "checks_needs_review": needs_review,
            }
        )
        if not self.all_checks and rep_id != self.org.rep_id:
            return
        for position, (item, status) in enumerate(zip(self.card.items, statuses, strict=True)):
            self.rows["check_result"].append(
                {
                    "call_score_id": i,
                    "position": position,
                    "item_id": item.id,
                    "status": status,
                    "confidence": 0.85,
                    "summary": f"{item.label}: {status.label.lower()}",
                    "evidence": [
                        {
                            "kind": "match",
                            "speaker": "agent",
                            "start": 1.5 + 7 * position,
                            "end": 3.0 + 7 * position,
                            "text": "good morning, this is Daniel from Acme Telecom",
                            "rule": '"good morning"',
                            "segment": position,
                            "probability": 0.9,
                        }
                    ],
                    "value": None,
                }
            )

    def _answers(self, i: int, statuses: list[Any]) -> dict[str, str | None]:
        from qc.evaluations import form

        answers: dict[str, str | None] = {}
        for position, (item, status) in enumerate(zip(self.card.items, statuses, strict=True)):
            auto = form.suggested(item, status)
            answer = auto
            reason = None
            if auto is None or self.rng.random() < 0.08:  # a person decides, or overrides
                answer = self.rng.choice([c for c in form.choices(item) if c != auto])
                reason = "Heard it differently on the recording" if auto is not None else None
            answers[item.id] = answer
            self.rows["evaluation_answer"].append(
                {
                    "evaluation_id": i,
                    "position": position,
                    "item_id": item.id,
                    "answer": answer,
                    "auto_status": status,
                    "auto_answer": auto,
                    "override_reason": reason,
                }
            )
        return answers

    def _evaluation(self, i: int, reviewer: int, submitted: datetime, answers: dict[str, str | None]) -> Any:
        from qc.evaluations import form

        result = form.score(self.card, answers)
        self.rows["evaluation"].append(
            {
                "id": i,
                "kind": "review",
                "call_id": i,
                "reviewer_id": reviewer,
                "scorecard_version_id": self.org.version_id,
                "status": "submitted",
                "score": result.score,
                "final_score": result.final_score,
                "critical_failed": bool(result.critical_failed),
                "overall_comment": "Good energy; slow down before the price." if i % 2 else "",
                "active_seconds": 420.0,
                "started_at": submitted - timedelta(minutes=9),
                "submitted_at": submitted,
                "released_at": submitted,
                "updated_at": submitted,
                "edits": 0,
            }
        )
        return result

    def _comments(self, i: int, reviewer: int) -> None:
        for _ in range(self.rng.choice((0, 1, 1, 2, 3))):
            item = self.rng.choice([*self.card.items, None])
            self.rows["evaluation_comment"].append(
                {
                    "evaluation_id": i,
                    "author_id": reviewer,
                    "at_s": round(self.rng.uniform(0, 300), 1),
                    "item_id": item.id if item else None,
                    "text": "Here the customer asked about roaming; answer before moving on.",
                }
            )

    def _dispute(
        self,
        i: int,
        rep_id: int,
        team_id: int,
        reviewer: int,
        submitted: datetime,
        answers: dict[str, str | None],
        result: Any,
        status: str,
    ) -> None:
        d, rng = self.next_dispute, self.rng
        self.next_dispute += 1
        opened = submitted + min(timedelta(days=1), (self.now - submitted) / 2)
        resolved = status == "resolved"
        self.rows["dispute"].append(
            {
                "id": d,
                "evaluation_id": i,
                "call_id": i,
                "rep_id": rep_id,
                "team_id": team_id,
                "reviewer_id": reviewer,
                "scorecard_id": self.card.id,
                "resolver_id": None,
                "status": status,
                "opened_at": opened,
                "due_at": opened + timedelta(days=2),
                "closed_at": opened + timedelta(hours=30) if resolved else None,
                "resolved_by_id": self.org.lead_id if resolved else None,
                "score_before": result.final_score,
                "score_after": result.final_score if resolved else None,
            }
        )
        for position, item in enumerate(rng.sample(self.card.items, rng.choice((1, 1, 2, 3)))):
            changed = resolved and rng.random() < 0.3
            before = answers[item.id]
            self.rows["dispute_item"].append(
                {
                    "dispute_id": d,
                    "position": position,
                    "item_id": item.id,
                    "comment": "I did ask; it is at 0:40 in the recording.",
                    "proposed_answer": "yes",
                    "answer_before": before,
                    "decision": ("changed" if changed else "kept") if resolved else None,
                    "answer_after": ("yes" if changed else before) if resolved else None,
                    "reason": "Checked the recording." if resolved else None,
                    "cause": rng.choice(CAUSES) if resolved else None,
                }
            )

    def write(self, connection: Any) -> None:
        """Insert what was built, parents first, with one executemany per table."""
        from qc.models import Base

        tables = Base.metadata.tables
        for name in TABLES:
            if self.rows[name]:
                connection.execute(tables[name].insert(), self.rows[name])
        self.org.evaluations += len(self.rows["evaluation"])
        self.org.answers += len(self.rows["evaluation_answer"])
        self.org.checks += len(self.rows["check_result"])
        self.org.comments += len(self.rows["evaluation_comment"])
        self.org.disputes += len(self.rows["dispute"])
        self.org.open_disputes += sum(r["status"] == "open" for r in self.rows["dispute"])
        self.org.rep_disputes += sum(r["rep_id"] == self.org.rep_id for r in self.rows["dispute"])
        self.rows = {t: [] for t in TABLES}


def seed_year(org: Org, *, per_rep: int, all_checks: bool) -> None:
    from sqlalchemy import text

    from qc.db import get_engine, utcnow

    engine = get_engine()
    builder = YearBuilder(org, per_rep=per_rep, all_checks=all_checks, now=utcnow())
    for start in range(0, len(org.reps), CHUNK_REPS):
        for rep_id, team_id in org.reps[start : start + CHUNK_REPS]:
            builder.add_rep(rep_id, team_id)
        with engine.begin() as connection:
            builder.write(connection)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("call", "call_score", "evaluation", "dispute"):  # ids given above
                sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
                connection.execute(text(f'SELECT setval({sequence}, (SELECT max(id) FROM "{table}"))'))
        # What autovacuum does after a bulk load; SQLite is left as deployed (qc runs no ANALYZE).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


# Pages --------------------------------------------------------------------------------------------


def signed_in(app: Any, user_id: int) -> Any:
    """A TestClient with a session cookie for `user_id` (as tests/factories.Browser.login_as)."""
    from fastapi.testclient import TestClient

    from qc.db import session_scope
    from qc.kit.web import SESSION_COOKIE
    from qc.users import service as users
    from qc.users.models import User

    with session_scope() as session:
        user = session.get(User, user_id)
        assert user is not None
        token = users.start_session(session, user=user, lifetime=timedelta(hours=4))
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, token)
    return client


def count_feedback(rep_id: int) -> int:
    """The baseline: a plain count of the rep's feedback rows."""
    from sqlalchemy import func, select

    from qc.db import get_engine
    from qc.feedback.models import Feedback

    with get_engine().connect() as connection:
        query = select(func.count()).select_from(Feedback).where(Feedback.rep_id == rep_id)
        return int(connection.execute(query).scalar_one())


def fetch(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return str(response.text)


def check_pages(pages: list[tuple[str, Any, str, int]]) -> dict[str, str]:
    """What each page shows, so that a fast page is not a broken one."""
    shown = {}
    for name, client, url, expected in pages:
        html = fetch(client, url)
        if url == "/feedback":
            cards, evidence = html.count("data-feedback>"), html.count('class="evidence"')
            assert cards == expected and evidence, (cards, evidence)
            shown[name] = f"{cards} reviews, {evidence} evidence lists"
        else:
            rows = html.count("<tr") - 1 - ("No disputes here" in html)  # header, empty-list row
            assert rows == expected, (name, rows, expected)
            shown[name] = f"{rows} disputes listed"
    return shown


def bench_pages(org: Org, *, runs: int, profile: bool) -> list[dict[str, Any]]:
    from qc.app import create_app
    from qc.config import get_settings

    app = create_app(get_settings(), run_worker=False)
    rep, lead = signed_in(app, org.rep_id), signed_in(app, org.lead_id)
    pages = [  # name, client, url, rows it must show (the list pages stop at 200)
        ("GET /feedback, the rep", rep, "/feedback", 10),
        ("GET /disputes?status= (all), the rep", rep, "/disputes?status=", org.rep_disputes),
        ("GET /disputes?status=open, a QC lead", lead, "/disputes?status=open", min(200, org.open_disputes)),
        ("GET /disputes?status= (all), a QC lead", lead, "/disputes?status=", min(200, org.disputes)),
    ]
    shown = check_pages(pages)
    for _, client, url, _ in pages:  # warm: templates compiled, statements cached
        fetch(client, url)
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name, *_ in pages}
    for _ in range(runs):
        baseline.append(timed(lambda: count_feedback(org.rep_id))[0])
        for name, client, url, _ in pages:
            times[name].append(timed(lambda c=client, u=url: fetch(c, u))[0])
    if profile:
        for name, client, url, _ in pages:
            with in_server_threads() as profiler:
                for _ in range(5):
                    fetch(client, url)
            report(profiler, f"{name} x5, the app's side")
    base = statistics.median(baseline)
    return [
        {
            "what": name,
            "shown": shown[name],
            "median_s": statistics.median(t),
            "baseline_s": base,
            "ratio": statistics.median(t) / base,
            "met": statistics.median(t) * 1000 < PAGE_TARGET_MS,
        }
        for name, t in times.items()
    ]


def profiled(title: str, action: Callable[[], Any]) -> None:
    import cProfile

    profiler = cProfile.Profile()
    profiler.runcall(action)
    report(profiler, title)


def report(profiler: Any, title: str) -> None:
    import pstats

    print(f"\n--- profile: {title} (cumulative, top 40) ---", flush=True)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


@contextmanager
def in_server_threads() -> Iterator[Any]:
    """Profile what FastAPI runs in its thread pool (plain `def` routes and dependencies), which
    a profiler in the test client's thread does not see."""
    import cProfile

    import fastapi.dependencies.utils as dependencies
    import fastapi.routing as routing

    profiler = cProfile.Profile()
    original = routing.run_in_threadpool

    async def run(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await original(profiler.runcall, func, *args, **kwargs)

    routing.run_in_threadpool = dependencies.run_in_threadpool = run  # type: ignore[assignment]
    try:
        yield profiler
    finally:
        routing.run_in_threadpool = dependencies.run_in_threadpool = original  # type: ignore[assignment]


# Events -------------------------------------------------------------------------------------------


def seen_table() -> Any:
    """The scratch table the benchmark's handler writes one row to per event."""
    from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table

    return Table(
        "bench_event_seen",
        MetaData(),
        Column("event_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("seen_at", DateTime(timezone=True), nullable=False),
    )


SEEN = seen_table()


def record_seen(session: Any, event: Any) -> None:
    """The trivial handler: one row per event."""
    from qc.db import utcnow

    session.execute(SEEN.insert().values(event_id=event.id, seen_at=utcnow()))


def payload(n: int) -> dict[str, Any]:
    return {"evaluation_id": n, "call_id": n, "rep_id": 7, "team_id": 1, "reviewer_id": 3, "score": 82.5}


def clear_events(kept: int) -> None:
    """Remove the benchmark's events, keeping the dispatched history (ids up to `kept`)."""
    from sqlalchemy import delete

    from qc.db import get_engine
    from qc.jobs.models import Event, EventHandled

    with get_engine().begin() as connection:
        connection.execute(SEEN.delete())
        connection.execute(delete(EventHandled).where(EventHandled.event_id > kept))
        connection.execute(delete(Event).where(Event.id > kept))


def keep_history(n: int) -> int:
    """`n` dispatched events, as the outbox keeps them for QC_EVENT_RETENTION_DAYS (90 by
    default); the highest id among them. Their receipts are left out (read by primary key)."""
    from sqlalchemy import func, select

    from qc.db import get_engine, utcnow
    from qc.jobs.models import Event

    now = utcnow()
    engine = get_engine()
    for start in range(0, n, 50_000):
        rows = [
            {
                "key": uuid.uuid4().hex,
                "type": "call.scored",
                "payload": payload(i),
                "created_at": now - timedelta(days=90) * (n - i) / n,
                "dispatched_at": now - timedelta(days=90) * (n - i) / n,
                "attempts": 0,
            }
            for i in range(start, min(n, start + 50_000))
        ]
        with engine.begin() as connection:
            connection.execute(Event.__table__.insert(), rows)
    with engine.connect() as connection:
        return int(connection.execute(select(func.max(Event.id))).scalar_one() or 0)


def insert_events(n: int) -> None:
    """The baseline: the same number of event rows in one Core executemany."""
    from qc.db import get_engine, utcnow
    from qc.jobs.models import Event

    now = utcnow()
    rows = [
        {
            "key": uuid.uuid4().hex,
            "type": "bench.ping",
            "payload": payload(i),
            "created_at": now,
            "attempts": 0,
        }
        for i in range(n)
    ]
    with get_engine().begin() as connection:
        connection.execute(Event.__table__.insert(), rows)


def emit_events(n: int, per_tx: int) -> None:
    from qc.db import session_scope
    from qc.jobs.events import emit

    for start in range(0, n, per_tx):
        with session_scope() as session:
            for i in range(start, min(n, start + per_tx)):
                emit(session, "bench.ping", payload(i))


def dispatched(n: int) -> Any:
    from sqlalchemy import func, select

    from qc.db import get_engine
    from qc.jobs.events import dispatch_pending

    report = dispatch_pending()
    with get_engine().connect() as connection:
        seen = connection.execute(select(func.count()).select_from(SEEN)).scalar_one()
    assert report.dispatched == n and seen == n and not report.failed, (report, seen)
    return report


def bench_events(
    label: str, *, n: int, per_tx: int, runs: int, profile: bool, kept: int = 0
) -> dict[str, Any]:
    from qc.jobs.events import subscriptions

    base, emitted, dispatch = [], [], []
    for _ in range(runs):
        clear_events(kept)
        base.append(timed(lambda: insert_events(n))[0])
        clear_events(kept)
        emitted.append(timed(lambda: emit_events(n, per_tx))[0])
        dispatch.append(timed(lambda: dispatched(n))[0])
    if profile:
        clear_events(kept)
        emit_events(n, per_tx)
        profiled(f"dispatch_pending, {label}", lambda: dispatched(n))
    clear_events(kept)
    median = statistics.median(dispatch)
    return {
        "what": label,
        "subscribers": sorted(s.name for s in subscriptions() if s.wants("bench.ping")),
        "events": n,
        "dispatch_s": median,
        "events_per_s": n / median,
        "baseline_s": statistics.median(base),
        "baseline_per_s": n / statistics.median(base),
        "ratio": median / statistics.median(base),
        "emit_per_s": n / statistics.median(emitted),
        "met": n / median >= EVENTS_TARGET,
    }


# One backend, in this process ---------------------------------------------------------------------


def run_backend(args: argparse.Namespace) -> dict[str, Any]:
    configure(args.url, Path(args.data_dir))
    from qc.db import get_engine
    from qc.jobs.events import subscribe

    started = time.perf_counter()
    org = seed_people(args.reps)
    seed_year(org, per_rep=args.per_rep, all_checks=args.checks == "all")
    seeded_s = time.perf_counter() - started
    print(f"[{args.backend}] seeded {org.evaluations:,} reviews in {seeded_s:.0f} s", flush=True)
    SEEN.create(get_engine())
    subscribe("bench.record", ["bench.ping"], record_seen)
    events = [bench_events("handler alone", **event_args(args))]
    kept = keep_history(args.history)
    suffix = f", {args.history:,} kept" if args.history else ""
    if args.history:
        events.append(bench_events(f"handler alone{suffix}", kept=kept, **event_args(args)))
    from qc.wiring import wire

    wire()
    events.append(bench_events(f"after wire(){suffix}", kept=kept, **event_args(args)))
    pages = bench_pages(org, runs=args.runs, profile=args.profile) if args.runs else []
    get_engine().dispose()
    return {
        "backend": args.backend,
        "org": asdict(org),
        "seeded_s": seeded_s,
        "pages": pages,
        "events": events,
    }


def event_args(args: argparse.Namespace) -> dict[str, Any]:
    return {"n": args.events, "per_tx": args.per_tx, "runs": args.event_runs, "profile": args.profile}


# The parent: a database per backend, a child process each, one table ---------------------------------


@contextmanager
def scratch_database(backend: str, pg: str, folder: Path) -> Iterator[str]:
    """A throw-away SQLite file or PostgreSQL database, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from urllib.parse import urlparse, urlunparse

    import psycopg

    parsed = urlparse(pg)
    admin = urlunparse(parsed._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    try:
        yield urlunparse(parsed._replace(path=f"/{PG_DATABASE}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def run_child(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"qc-bench-feedback-{backend}-"))
    out = folder / "result.json"
    try:
        with scratch_database(backend, args.pg, folder) as url:
            command = [sys.executable, str(Path(__file__).resolve()), *child_args(args, backend)]
            command += ["--url", url, "--data-dir", str(folder / "data"), "--json-out", str(out)]
            subprocess.run(command, check=True)
        return dict(json.loads(out.read_text()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def child_args(args: argparse.Namespace, backend: str) -> list[str]:
    options = ["--backend", backend, "--reps", str(args.reps), "--per-rep", str(args.per_rep)]
    options += ["--events", str(args.events), "--runs", str(args.runs), "--event-runs", str(args.event_runs)]
    options += ["--per-tx", str(args.per_tx), "--checks", args.checks, "--history", str(args.history)]
    return options + (["--profile"] if args.profile else [])


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def print_results(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    org = results[0]["org"]
    print(
        f"\n{args.reps} reps x {args.per_rep} = {org['evaluations']:,} released reviews, "
        f"{org['answers']:,} answers, {org['checks']:,} check rows, {org['comments']:,} comments, "
        f"{org['disputes']:,} disputes ({org['open_disputes']:,} open); median of {args.runs} runs"
    )
    print(f"{'backend':<11}{'page':<42}{'median':>10}{'count(*)':>10}{'ratio':>8}  target <200 ms")
    for r in results:
        for p in r["pages"]:
            print(
                f"{NAMES[r['backend']]:<11}{p['what']:<42}{p['median_s'] * 1000:>7.1f} ms"
                f"{p['baseline_s'] * 1000:>7.2f} ms{p['ratio']:>7.0f}x  {'met' if p['met'] else 'MISSED'}"
            )
    print(
        f"\nEvent dispatch: {args.events:,} events emitted in transactions of {args.per_tx}; baseline: "
        f"the same number of event rows in one Core executemany; median of {args.event_runs} runs"
    )
    print(
        f"{'backend':<11}{'run':<30}{'dispatch':>10}{'events/s':>10}{'baseline':>10}"
        f"{'rows/s':>9}{'ratio':>7}{'emit/s':>8}  target >=1000/s"
    )
    for r in results:
        for e in r["events"]:
            print(
                f"{NAMES[r['backend']]:<11}{e['what']:<30}{e['dispatch_s']:>9.2f}s{e['events_per_s']:>10,.0f}"
                f"{e['baseline_s']:>9.2f}s{e['baseline_per_s']:>9,.0f}{e['ratio']:>6.1f}x{e['emit_per_s']:>8,.0f}"
                f"  {'met' if e['met'] else 'MISSED'}"
            )
    handlers = {e["what"]: ", ".join(e["subscribers"]) for r in results for e in r["events"]}
    for what, names in handlers.items():
        print(f"{what}: handlers run per event: {names}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--per-rep", type=int, default=750)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=15, help="page runs (median; 0: no pages)")
    parser.add_argument("--event-runs", type=int, default=3, help="dispatch runs (median)")
    parser.add_argument("--per-tx", type=int, default=10, help="events emitted per transaction")
    parser.add_argument(
        "--history",
        type=int,
        default=900_000,
        help="dispatched events kept in the outbox for the later dispatch runs (0: none)",
    )
    parser.add_argument(
        "--checks",
        choices=["all", "rep"],
        default="all",
        help="check rows for every call, or the benched rep's",
    )
    parser.add_argument("--profile", action="store_true", help="print cProfile output of each measurement")
    parser.add_argument(
        "--pg", default=os.environ.get("QC_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    # Set by the parent for each child process.
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse()
    if args.url:
        result = run_backend(args)
        Path(args.json_out).write_text(json.dumps(result, default=str))
        print_results([result], args)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run_child(backend, args) for backend in backends]
    if len(results) > 1:
        print_results(results, args)


if __name__ == "__main__":
    main()
