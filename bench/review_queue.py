"""Daily queue build: 1,000 reps x 50 calls, 40 reviewers, on SQLite and PostgreSQL.

    python bench/review_queue.py [--reps 1000] [--calls 50] [--reviewers 40] [--runs 3] [--pg URL | --no-pg]

For each backend, a fresh database with one day of scored calls is built, then, in the
same run and interleaved (medians of --runs):
- baseline: reading the day's calls (one SELECT of the call rows, the columns the queue uses);
- build: drawing the day's queue from scratch (every part of the day over: all picks
  drawn, shared out to reviewers, rep quotas stored);
- refresh: building again with nothing new (what the periodic job costs most of the time);
- close: the end-of-day build that also rolls unfinished reviews over.

Target: a full build under 2 s.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# This file is named like the standard library's `queue` (which psycopg and huey import):
# keep its own folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QC_DATA_DIR", tempfile.mkdtemp(prefix="qc-bench-queue-"))
os.environ.setdefault("QC_LOG_LEVEL", "WARNING")
os.environ.setdefault("QC_ENV", "development")

DAY = date(2026, 11, 23)  # a Monday
LANGUAGES = ["en"] * 6 + ["ru", "ro", "it", "sr"]


def seed(engine: Any, *, reps: int, calls: int, reviewers: int) -> None:
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from qc.calls.models import Call, CallStatus, ChannelLayout, Direction
    from qc.config import get_settings
    from qc.migrations import upgrade
    from qc.reviews.models import ReviewerProfile
    from qc.scoring.models import CallScore, ScorecardVersion
    from qc.scoring.service import sync_scorecards
    from qc.transcription.models import Transcript
    from qc.users.models import Role, Team, User

    upgrade(engine)
    rng = random.Random(1)
    with Session(engine) as session:
        sync_scorecards(session, get_settings().scorecards_dir)
        session.commit()
        version_id = session.scalar(select(ScorecardVersion.id).where(ScorecardVersion.is_current))
        teams = max(1, reps // 50)
        session.execute(insert(Team), [{"name": f"Team {t}", "language": None} for t in range(teams)])
        team_ids = list(session.scalars(select(Team.id).order_by(Team.id)))
        people = [
            {
                "email": f"rep{r}@bench.test",
                "name": f"Rep {r}",
                "role": Role.REP,
                "team_id": team_ids[r % teams],
            }
            for r in range(reps)
        ] + [
            {"email": f"rev{r}@bench.test", "name": f"Reviewer {r}", "role": Role.REVIEWER}
            for r in range(reviewers)
        ]
        session.execute(insert(User), [{**p, "is_active": True} for p in people])
        reviewer_ids = session.scalars(select(User.id).where(User.role == Role.REVIEWER))
        # Enough room for every pick (2 per rep), a few reviewers per language.
        capacity = 2 * reps // reviewers + 10
        session.execute(
            insert(ReviewerProfile),
            [
                {
                    "user_id": user_id,
                    "daily_capacity": capacity,
                    "languages": [] if i % 4 else [LANGUAGES[i % 10]],
                    "is_available": True,
                }
                for i, user_id in enumerate(reviewer_ids)
            ],
        )
        rep_rows = session.execute(select(User.id, User.team_id).where(User.role == Role.REP)).all()
        start = datetime(DAY.year, DAY.month, DAY.day, 7, tzinfo=UTC)
        call_rows, n = [], 0
        for rep_id, team_id in rep_rows:
            language = LANGUAGES[rep_id % len(LANGUAGES)]
            for _ in range(calls):
                n += 1
                call_rows.append(
                    {
                        "rep_id": rep_id,
                        "team_id": team_id,
                        "started_at": start
                        + timedelta(seconds=rng.randrange(11 * 3600)),  # within the review day
                        "direction": Direction.OUTBOUND,
                        "channel_layout": ChannelLayout.AGENT_LEFT,
                        "language": language,
                        "call_metadata": {},
                        "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
                        "storage_key": f"calls/bench/{n}.ogg",
                        "original_filename": f"{n}.ogg",
                        "container_format": "ogg",
                        "codec": "opus",
                        "size_bytes": 500_000,
                        "duration_s": rng.choice([12.0, 95.0, 180.0, 240.0, 420.0]),
                        "sample_rate": 8000,
                        "channels": 2,
                        "status": CallStatus.SCORED if rng.random() > 0.03 else CallStatus.FAILED,
                        "attempts": 0,
                    }
                )
        session.execute(insert(Call), call_rows)
        ids = list(session.scalars(select(Call.id).where(Call.status == CallStatus.SCORED)))
        session.execute(
            insert(CallScore),
            [
                {
                    "call_id": call_id,
                    "scorecard_version_id": version_id,
                    "language": "en",
                    "score": (score := rng.uniform(30, 100)),
                    "final_score": 0.0 if (critical := rng.random() < 0.03) else score,
                    "critical_failed": critical,
                    "checks_total": 14,
                    "checks_decided": 12,
                    "checks_needs_review": rng.choice([0, 0, 1, 2]),
                }
                for call_id in ids
            ],
        )
        session.execute(
            insert(Transcript),
            [
                {
                    "call_id": call_id,
                    "language": "en",
                    "model": "bench",
                    "speakers_separated": True,
                    "audio_duration_s": 180.0,
                    "speech_duration_s": 150.0,
                    "processing_s": 10.0,
                    "mean_word_probability": rng.uniform(0.45, 0.95),
                }
                for call_id in ids
            ],
        )
        session.commit()


def reset(engine: Any) -> None:
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from qc.reviews.models import Assignment, QueueDay, RepDay

    with Session(engine) as session:
        for table in (Assignment, RepDay, QueueDay):
            session.execute(delete(table))
        session.commit()


def read_calls(engine: Any) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from qc.calls.models import Call

    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    with Session(engine) as session:
        rows = session.execute(
            select(
                Call.id,
                Call.rep_id,
                Call.team_id,
                Call.started_at,
                Call.duration_s,
                Call.status,
                Call.language,
            ).where(Call.started_at >= start, Call.started_at < start + timedelta(days=1))
        ).all()
    return len(rows)


def build(engine: Any, *, hour: float, draw_now: bool = False) -> Any:
    from sqlalchemy.orm import Session

    from qc.config import get_settings
    from qc.reviews.builder import build_queue

    now = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC) + timedelta(hours=hour)
    with Session(engine) as session:
        report = build_queue(session, day=DAY, settings=get_settings(), now=now, draw_now=draw_now, seed=7)
        session.commit()
    return report


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def bench_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    from qc.db import build_engine

    engine = build_engine(url)
    started = time.perf_counter()
    seed(engine, reps=args.reps, calls=args.calls, reviewers=args.reviewers)
    print(
        f"[{name}] seeded {args.reps * args.calls} calls in {time.perf_counter() - started:.1f} s", flush=True
    )
    read_times, build_times, refresh_times, close_times = [], [], [], []
    report = None
    for _ in range(args.runs):
        reset(engine)
        read_s, count = timed(lambda: read_calls(engine))
        build_s, report = timed(lambda: build(engine, hour=20))
        refresh_s, again = timed(lambda: build(engine, hour=20.5))
        close_s, closed = timed(lambda: build(engine, hour=24.5))
        assert again.picked == 0 and closed.closed, (again, closed)
        read_times.append(read_s)
        build_times.append(build_s)
        refresh_times.append(refresh_s)
        close_times.append(close_s)
    engine.dispose()
    result = {
        "backend": name,
        "calls": count,
        "read_s": statistics.median(read_times),
        "build_s": statistics.median(build_times),
        "refresh_s": statistics.median(refresh_times),
        "close_s": statistics.median(close_times),
        "picked": report.picked if report else 0,
        "assigned": report.assigned if report else 0,
    }
    result["ratio"] = result["build_s"] / result["read_s"]
    return result


def postgres_url(base: str) -> str:
    from urllib.parse import urlparse, urlunparse

    import psycopg

    parsed = urlparse(base)
    admin = urlunparse(parsed._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "qc_bench_queue" WITH (FORCE)')
        conn.execute('CREATE DATABASE "qc_bench_queue"')
    return urlunparse(parsed._replace(path="/qc_bench_queue"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--reviewers", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--pg", default=os.environ.get("QC_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    backends = [("SQLite", f"sqlite:///{Path(os.environ['QC_DATA_DIR']) / 'bench.sqlite3'}")]
    if not args.no_pg:
        backends.append(("PostgreSQL", postgres_url(args.pg)))
    results = [bench_backend(name, url, args) for name, url in backends]
    print()
    print(f"{args.reps} reps x {args.calls} calls, {args.reviewers} reviewers; median of {args.runs} runs")
    header = ("backend", "calls", "read", "build", "x read", "refresh", "close", "picked", "assigned")
    widths = (12, 8, 9, 9, 8, 9, 8, 8, 9)
    print(
        "".join(
            f"{h:<{w}}" if i == 0 else f"{h:>{w}}"
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    for r in results:
        print(
            f"{r['backend']:<12}{r['calls']:>8}{r['read_s']:>8.3f}s{r['build_s']:>8.3f}s{r['ratio']:>7.1f}x"
            f"{r['refresh_s']:>8.3f}s{r['close_s']:>7.3f}s{r['picked']:>8}{r['assigned']:>9}"
        )
    print("target: build under 2 s" + ("" if all(r["build_s"] < 2 for r in results) else "  -- MISSED"))


if __name__ == "__main__":
    main()
