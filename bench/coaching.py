"""The team page and a rep's page at a year's scale, on SQLite and PostgreSQL.

    python bench/coaching.py [--reps 200] [--per-rep 750] [--calls-per-rep 18000]
                             [--sessions-per-rep 25] [--backend sqlite|postgresql|both]
                             [--runs 15] [--profile] [--pg URL]

A throw-away database holds a year of an organisation of --reps reps (teams of 20): the
reviewed calls of bench/feedback.py (--per-rep reviews each, with their checks, answers,
comments, feedback rows and disputes), every other call of the year (--calls-per-rep calls
per rep in all: 3.6 million by default, each scored), and --sessions-per-rep coaching
sessions per rep spread over the year (5,000 by default; 1 to 3 focus items, 2 action items
and a review each; all but the last completed). The periodic task that stores the effects
of sessions whose windows have closed is timed on --finalize-sample sessions; the other
closed sessions get a stored effect written directly, as that task leaves them.

Each page is requested through the real app (TestClient, signed in as the team's manager)
and timed, interleaved with the baseline: a plain `SELECT count(*)` of the team's calls in
the twelve weeks the team page draws. Target: each page under 300 ms. The first request of
the rep page after the seed, before the stored effects, is reported too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

# bench/ holds queue.py, named like the standard library's `queue` (psycopg and huey import
# it): keep this folder off the import path, and load bench/feedback.py by its file name.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("bench_feedback", HERE / "feedback.py")
assert _spec is not None and _spec.loader is not None
feedback_bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_feedback"] = feedback_bench  # its dataclasses look their module up
_spec.loader.exec_module(feedback_bench)

PAGE_TARGET_MS = 300.0
PG_DATABASE = "qc_bench_coaching"
CALL_CHUNK = 50_000


def seed_manager(org: Any) -> int:
    """A manager supervising the benched rep's team."""
    from qc.db import session_scope
    from qc.users import service as users
    from qc.users.models import Role, Team, User

    team_id = next(t for r, t in org.reps if r == org.rep_id)
    with session_scope() as session:
        team = session.get(Team, team_id)
        assert team is not None
        manager = users.create_user(
            session,
            email="manager@bench.test",
            name="Mia Manager",
            role=Role.MANAGER,
            managed_teams=[team.name],
        )
        assert isinstance(manager, User)
        return manager.id


def seed_other_calls(org: Any, *, calls_per_rep: int, reviewed: int) -> int:
    """The calls nobody reviewed: scored, spread over the year; how many were written."""
    from qc.db import get_engine, utcnow
    from qc.models import Base

    tables = Base.metadata.tables
    rng = random.Random(9)
    now = utcnow()
    per_rep = max(0, calls_per_rep - reviewed // max(1, len(org.reps)))
    next_id = reviewed + 1
    written = 0
    calls: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    engine = get_engine()

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(tables["call"].insert(), calls)
            connection.execute(tables["call_score"].insert(), scores)
        calls.clear()
        scores.clear()

    for rep_id, team_id in org.reps:
        for j in range(per_rep):
            started = now - timedelta(days=365) * (per_rep - j - 0.5) / per_rep
            calls.append(
                {
                    "id": next_id,
                    "rep_id": rep_id,
                    "team_id": team_id,
                    "started_at": started,
                    "direction": "outbound",
                    "channel_layout": "agent-left",
                    "language": "en",
                    "metadata": {},
                    "sha256": f"{next_id:064x}",
                    "storage_key": f"calls/bench/{next_id}.ogg",
                    "original_filename": f"{next_id}.ogg",
                    "container_format": "ogg",
                    "codec": "opus",
                    "size_bytes": 900_000,
                    "duration_s": 180.0,
                    "sample_rate": 8000,
                    "channels": 2,
                    "status": "scored",
                    "attempts": 1,
                    "transcribed_at": started,
                    "created_at": started,
                    "updated_at": started,
                }
            )
            score = rng.uniform(40, 100)
            scores.append(
                {
                    "id": next_id,
                    "call_id": next_id,
                    "scorecard_version_id": org.version_id,
                    "language": "en",
                    "score": score,
                    "final_score": score,
                    "critical_failed": False,
                    "checks_total": 14,
                    "checks_decided": 12,
                    "checks_needs_review": 2,
                }
            )
            next_id += 1
            written += 1
            if len(calls) >= CALL_CHUNK:
                flush()
    if calls:
        flush()
    return written


def seed_sessions(org: Any, manager_id: int, *, per_rep: int) -> int:
    """Coaching sessions over the year, each with focus items, action items and a review."""
    from sqlalchemy import select

    from qc.coaching.models import CoachingAction, CoachingEvaluation, CoachingFocus, CoachingSession
    from qc.db import get_engine, utcnow
    from qc.feedback.models import Feedback
    from qc.models import Base

    tables = Base.metadata.tables
    rng = random.Random(10)
    now = utcnow()
    items = ["permission", "needs_summary", "price", "next_step", "open_questions", "benefits"]
    engine = get_engine()
    with engine.connect() as connection:
        reviews: dict[int, list[int]] = {}
        for rep_id, evaluation_id in connection.execute(select(Feedback.rep_id, Feedback.evaluation_id)):
            reviews.setdefault(rep_id, []).append(evaluation_id)
    rows: dict[str, list[dict[str, Any]]] = {"s": [], "f": [], "a": [], "e": []}
    session_id = 0
    for rep_id, team_id in org.reps:
        for j in range(per_rep):
            session_id += 1
            last = j == per_rep - 1
            at = now + timedelta(days=3) if last else now - timedelta(days=360) * (per_rep - j) / per_rep
            rows["s"].append(
                {
                    "id": session_id,
                    "rep_id": rep_id,
                    "team_id": team_id,
                    "coach_id": manager_id,
                    "status": "scheduled" if last else "completed",
                    "scheduled_at": at,
                    "duration_minutes": 30,
                    "agenda": "Go through two calls together.",
                    "shared_notes": "Ask before you pitch.",
                    "private_notes": "",
                    "outcome": "" if last else "Practised the opening.",
                    "cancel_reason": "",
                    "created_at": at - timedelta(days=2),
                    "updated_at": at,
                    "acknowledged_at": at - timedelta(days=1),
                    "held_at": None if last else at,
                    "completed_at": None if last else at + timedelta(hours=1),
                }
            )
            for position, item in enumerate(rng.sample(items, rng.choice((1, 2, 3)))):
                rows["f"].append(
                    {
                        "session_id": session_id,
                        "position": position,
                        "scorecard_id": "outbound-sales",
                        "item_id": item,
                        "label": item,
                        "failed": 3,
                        "reviewed": 10,
                        "effect": None,
                    }
                )
            for position in range(2):
                rows["a"].append(
                    {
                        "session_id": session_id,
                        "position": position,
                        "text": "Open the next ten calls with the permission question",
                        "due_date": (at + timedelta(days=7)).date(),
                        "done_at": None if last or position else at + timedelta(days=3),
                    }
                )
            rows["e"].append({"session_id": session_id, "evaluation_id": rng.choice(reviews[rep_id])})
    with engine.begin() as connection:
        connection.execute(tables[CoachingSession.__tablename__].insert(), rows["s"])
        connection.execute(tables[CoachingFocus.__tablename__].insert(), rows["f"])
        connection.execute(tables[CoachingAction.__tablename__].insert(), rows["a"])
        connection.execute(tables[CoachingEvaluation.__tablename__].insert(), rows["e"])
    return session_id


def finalize_effects(sample: int) -> int:
    """What the periodic task does, on the first `sample` sessions whose windows closed (it
    is timed to report its rate); the rest of the year's sessions get a stored effect
    written directly, as the task would have left them over the year."""
    from sqlalchemy import func, select, update

    from qc.coaching import service as coaching
    from qc.coaching.effect import FocusEffect, Tally
    from qc.coaching.models import CoachingFocus, CoachingSession
    from qc.config import get_settings
    from qc.db import get_engine, session_scope, utcnow

    settings = get_settings()
    with session_scope() as session:
        done = coaching.finalize_effects(session, settings=settings, limit=sample)
    effect = FocusEffect(
        "outbound-sales", "permission", Tally(3, 8), Tally(6, 9), Tally(40, 80), Tally(44, 82), 12, 5, True
    )
    closed = utcnow() - timedelta(days=settings.coaching_effect_days)
    moment = func.coalesce(CoachingSession.held_at, CoachingSession.scheduled_at)
    sessions = select(CoachingSession.id).where(moment < closed)
    with get_engine().begin() as connection:
        connection.execute(
            update(CoachingFocus)
            .where(CoachingFocus.effect.is_(None), CoachingFocus.session_id.in_(sessions))
            .values(effect=effect.to_json(), effect_verdict=effect.verdict.value, effect_change=effect.effect)
        )
    return done


def analyze() -> None:
    from sqlalchemy import text

    from qc.db import get_engine

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def count_team_calls(team_id: int) -> int:
    """The baseline: a plain count of the team's calls in the team page's twelve weeks."""
    from sqlalchemy import func, select

    from qc.calls.models import Call
    from qc.db import get_engine, utcnow

    since = utcnow() - timedelta(weeks=12)
    with get_engine().connect() as connection:
        query = (
            select(func.count()).select_from(Call).where(Call.team_id == team_id, Call.started_at >= since)
        )
        return int(connection.execute(query).scalar_one())


def run_backend(args: argparse.Namespace) -> dict[str, Any]:
    feedback_bench.configure(args.url, Path(args.data_dir))
    from qc.app import create_app
    from qc.config import get_settings

    org = feedback_bench.seed_people(args.reps)
    seeded, _ = feedback_bench.timed(
        lambda: feedback_bench.seed_year(org, per_rep=args.per_rep, all_checks=False)
    )
    manager_id = seed_manager(org)
    other_s, other = feedback_bench.timed(
        lambda: seed_other_calls(org, calls_per_rep=args.calls_per_rep, reviewed=org.evaluations)
    )
    sessions = seed_sessions(org, manager_id, per_rep=args.sessions_per_rep)
    analyze()
    team_id = next(t for r, t in org.reps if r == org.rep_id)
    print(
        f"[{args.backend}] seeded {org.evaluations:,} reviews in {seeded:.0f} s, {other:,} more calls in "
        f"{other_s:.0f} s, {sessions:,} coaching sessions",
        flush=True,
    )
    app = create_app(get_settings(), run_worker=False)
    client = feedback_bench.signed_in(app, manager_id)
    pages = [
        ("GET /team/{id}, the team's manager", f"/team/{team_id}"),
        ("GET /reps/{id}, the team's manager", f"/reps/{org.rep_id}"),
    ]
    cold, _ = feedback_bench.timed(lambda: feedback_bench.fetch(client, pages[1][1]))
    measured_s, measured = feedback_bench.timed(lambda: finalize_effects(args.finalize_sample))
    for _, url in pages:  # warm: templates compiled, statements cached
        feedback_bench.fetch(client, url)
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name, _ in pages}
    for _ in range(args.runs):
        baseline.append(feedback_bench.timed(lambda: count_team_calls(team_id))[0])
        for name, url in pages:
            times[name].append(feedback_bench.timed(lambda u=url: feedback_bench.fetch(client, u))[0])
    if args.profile:
        for name, url in pages:
            with feedback_bench.in_server_threads() as profiler:
                for _ in range(5):
                    feedback_bench.fetch(client, url)
            feedback_bench.report(profiler, f"{name} x5, the app's side")
    base = statistics.median(baseline)
    from qc.db import get_engine

    get_engine().dispose()
    return {
        "backend": args.backend,
        "reviews": org.evaluations,
        "calls": org.evaluations + other,
        "sessions": sessions,
        "cold_rep_page_s": cold,
        "finalize_s": measured_s,
        "finalized": measured,
        "baseline_s": base,
        "pages": [
            {
                "what": name,
                "median_s": statistics.median(t),
                "ratio": statistics.median(t) / base,
                "met": statistics.median(t) * 1000 < PAGE_TARGET_MS,
            }
            for name, t in times.items()
        ],
    }


NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def print_results(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    first = results[0]
    print(
        f"\n{args.reps} reps: {first['calls']:,} calls, {first['reviews']:,} reviews, {first['sessions']:,} "
        f"coaching sessions; median of {args.runs} runs; baseline: count(*) of the team's calls in 12 weeks"
    )
    print(f"{'backend':<11}{'page':<38}{'median':>10}{'count(*)':>11}{'ratio':>8}  target <300 ms")
    for r in results:
        for p in r["pages"]:
            print(
                f"{NAMES[r['backend']]:<11}{p['what']:<38}{p['median_s'] * 1000:>7.1f} ms"
                f"{r['baseline_s'] * 1000:>8.2f} ms{p['ratio']:>7.1f}x  {'met' if p['met'] else 'MISSED'}"
            )
    for r in results:
        cold = r["cold_rep_page_s"] * 1000
        print(
            f"{NAMES[r['backend']]}: the rep page before the stored effects took {cold:.0f} ms; "
            f"storing the effects of {r['finalized']:,} sessions took {r['finalize_s']:.1f} s"
        )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--per-rep", type=int, default=750, help="reviewed calls per rep")
    parser.add_argument("--calls-per-rep", type=int, default=18_000, help="calls per rep in all")
    parser.add_argument("--sessions-per-rep", type=int, default=25)
    parser.add_argument(
        "--finalize-sample", type=int, default=300, help="sessions the periodic effect task is timed on"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--pg", default=os.environ.get("QC_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    return parser.parse_args()


def run_child(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"qc-bench-coaching-{backend}-"))
    out = folder / "result.json"
    feedback_bench.PG_DATABASE = PG_DATABASE
    try:
        with feedback_bench.scratch_database(backend, args.pg, folder) as url:
            options = ["--backend", backend, "--reps", str(args.reps), "--per-rep", str(args.per_rep)]
            options += [
                "--calls-per-rep",
                str(args.calls_per_rep),
                "--sessions-per-rep",
                str(args.sessions_per_rep),
            ]
            options += ["--runs", str(args.runs), "--finalize-sample", str(args.finalize_sample)]
            options += ["--profile"] if args.profile else []
            command = [sys.executable, str(Path(__file__).resolve()), *options]
            command += ["--url", url, "--data-dir", str(folder / "data"), "--json-out", str(out)]
            subprocess.run(command, check=True)
        return dict(json.loads(out.read_text()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
