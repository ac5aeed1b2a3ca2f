"""The coverage report, the trends page, the wall board and the evening digest at a year's
scale, on SQLite and PostgreSQL.

    python bench/reports.py [--reps 200] [--teams 50] [--per-rep 750] [--calls-per-rep 18000]
                            [--backend sqlite|postgresql|both] [--runs 15] [--profile] [--pg URL]
                            [--keep DIR [--seed-only]]

A throw-away database holds a year of an organisation of --reps reps in --teams teams: one
big team of a quarter of the reps (the one whose board and trends are timed) and the rest
in small teams. It has the reviewed calls of bench/feedback.py (--per-rep reviews each,
with their answers, feedback rows and disputes), every other call of the year (3.6 million
calls in all by default), the coaching sessions of bench/coaching.py, training assignments,
and the daily queue's rows of every working day of the year: a queue day per team, a
rep-day per rep (calls, eligible, target 2, and why a short day was short) and a done pick
for every review.

Each page is requested through the real app (TestClient) and timed, interleaved with the
baseline, a plain `SELECT count(*)` of the calls the report's month covers:
- the coverage report of the last 30 days for every team (the QC lead), and its CSV;
- the trends page of the big team over twelve weeks (its manager);
- the big team's wall board, signed in and through a display link.
Target: each under 300 ms. The digest is built for the previous working day of every team
(50 by default) as the evening task would, payload and all, without posting; target under
5 s for all of them.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# bench/ holds queue.py, named like the standard library's `queue`: keep it off the path,
# and load the other benchmarks by file name.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def _load(name: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # their dataclasses look their module up
    spec.loader.exec_module(module)
    return module


coaching_bench = _load("bench_coaching", "coaching.py")
feedback_bench = coaching_bench.feedback_bench

PAGE_TARGET_MS = 300.0
DIGEST_TARGET_S = 5.0
PG_DATABASE = "qc_bench_reports"
CHUNK = 20_000


# Seeding ---------------------------------------------------------------------------------------


def organise_teams(org: Any, teams: int) -> int:
    """Regroup the reps into `teams` teams: a quarter of them in the first (the benched one,
    which holds the benched rep), the others spread over the rest; the big team's id."""
    from sqlalchemy import insert, select, update

    from qc.db import session_scope
    from qc.users.models import Team, User

    with session_scope() as session:
        existing = list(session.scalars(select(Team.id).order_by(Team.id)))
        missing = teams - len(existing)
        if missing > 0:
            session.execute(
                insert(Team),
                [{"name": f"Team {len(existing) + t}", "language": "en"} for t in range(missing)],
            )
        team_ids = list(session.scalars(select(Team.id).order_by(Team.id)))[:teams]
        reps = [r for r, _ in org.reps]
        big = max(1, len(reps) // 4)
        ordered = [org.rep_id] + [r for r in reps if r != org.rep_id]
        layout = {
            rep: team_ids[0] if i < big else team_ids[1 + (i - big) % max(1, teams - 1)]
            for i, rep in enumerate(ordered)
        }
        for rep, team in layout.items():
            session.execute(update(User).where(User.id == rep).values(team_id=team))
    org.reps = [(rep, layout[rep]) for rep in reps]
    return team_ids[0]


def seed_training(org: Any, *, per_rep: int) -> int:
    """A module and `per_rep` assignments per rep over the year: most completed, some open,
    a few overdue."""
    from qc.db import get_engine, utcnow
    from qc.models import Base

    tables = Base.metadata.tables
    rng = random.Random(11)
    now = utcnow()
    with get_engine().begin() as connection:
        connection.execute(tables["training_module"].insert(), [{"id": 1, "title": "Asking for permission"}])
        connection.execute(
            tables["training_module_version"].insert(),
            [{"id": 1, "module_id": 1, "version": 1, "title": "Asking for permission", "items": []}],
        )
        rows = []
        for rep_id, team_id in org.reps:
            for j in range(per_rep):
                assigned = now - timedelta(days=360) * (per_rep - j) / per_rep
                done = j < per_rep - 2 or rng.random() < 0.3
                rows.append(
                    {
                        "module_id": 1,
                        "version_id": 1,
                        "rep_id": rep_id,
                        "team_id": team_id,
                        "status": "completed" if done else "assigned",
                        "assigned_at": assigned,
                        "due_date": (assigned + timedelta(days=14)).date(),
                        "completed_on": (assigned + timedelta(days=rng.randint(2, 20))).date()
                        if done
                        else None,
                        "recorded_at": assigned + timedelta(days=5) if done else None,
                        "result": rng.choice(["passed", "passed", "failed"]) if done else None,
                        "withdraw_reason": "",
                    }
                )
        connection.execute(tables["training_assignment"].insert(), rows)
    return len(rows)


def _call_days(connection: Any) -> dict[tuple[int, date], int]:
    """How many calls each rep made on each day (UTC, the bench teams' zone)."""
    from sqlalchemy import Date, cast, func, select

    from qc.calls.models import Call

    if connection.dialect.name == "sqlite":
        day = func.date(Call.started_at)
    else:
        day = cast(func.timezone("UTC", Call.started_at), Date)
    query = select(Call.rep_id, day, func.count()).group_by(Call.rep_id, day)
    return {
        (int(rep), value if isinstance(value, date) else date.fromisoformat(value)): int(n)
        for rep, value, n in connection.execute(query)
    }


def seed_queue(org: Any) -> dict[str, int]:
    """The queue's rows of the year: a closed queue day per team and working day, a rep-day
    per rep and working day, and a done pick for every review (linked to its evaluation)."""
    from sqlalchemy import select, text, update

    from qc.db import get_engine, utcnow
    from qc.evaluations.models import Evaluation
    from qc.feedback.models import Feedback
    from qc.models import Base
    from qc.reviews.policy import Policy

    tables = Base.metadata.tables
    engine = get_engine()
    today = utcnow().date()
    days = [today - timedelta(days=d) for d in range(366, -1, -1)]
    working = [d for d in days if d.isoweekday() <= 5]
    policy = Policy().as_dict()
    team_ids = sorted({t for _, t in org.reps})
    with engine.connect() as connection:
        calls = _call_days(connection)
        reviews = connection.execute(
            select(
                Feedback.evaluation_id,
                Feedback.call_id,
                Feedback.rep_id,
                Feedback.team_id,
                Feedback.reviewer_id,
                Feedback.submitted_at,
            )
        ).all()
    queue_ids: dict[tuple[int, date], int] = {}
    rows: list[dict[str, Any]] = []
    next_id = 1
    for day in working:
        for team_id in team_ids:
            queue_ids[(team_id, day)] = next_id
            closed = day < today
            rows.append(
                {
                    "id": next_id,
                    "team_id": team_id,
                    "day": day,
                    "seed": next_id,
                    "policy": policy,
                    "mode": "spread",
                    "is_closed": closed,
                    "builds": 12,
                    "created_at": datetime.combine(day, datetime.min.time(), UTC),
                    "built_at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=18),
                    "closed_at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(days=1)
                    if closed
                    else None,
                }
            )
            next_id += 1
    with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            connection.execute(tables["queue_day"].insert(), rows[start : start + CHUNK])
    done: dict[tuple[int, date], int] = {}
    picks: list[dict[str, Any]] = []
    for evaluation_id, call_id, rep_id, team_id, reviewer_id, submitted in reviews:
        day = (submitted - timedelta(hours=20)).date()  # when bench/feedback.py made the call
        done[(rep_id, day)] = done.get((rep_id, day), 0) + 1
        picks.append(
            {
                "id": evaluation_id,
                "call_id": call_id,
                "rep_id": rep_id,
                "team_id": team_id,
                "day": day,
                "queue_date": day,
                "reviewer_id": reviewer_id,
                "status": "done",
                "reason": "random",
                "reason_detail": "Drawn at random from the afternoon's calls",
                "slot": "random-1",
                "risk": 0.0,
                "language": "en",
                "overdue": False,
                "due_at": submitted,
                "picked_at": submitted - timedelta(hours=2),
                "claimed_at": submitted - timedelta(minutes=10),
                "completed_at": submitted,
            }
        )
    rep_days: list[dict[str, Any]] = []
    for day in working:
        for rep_id, team_id in org.reps:
            made = calls.get((rep_id, day), 0)
            reviewed = done.get((rep_id, day), 0)
            reason = None if reviewed >= 2 else ("no_calls" if made == 0 else "no_reviewer_capacity")
            rep_days.append(
                {
                    "queue_day_id": queue_ids[(team_id, day)],
                    "rep_id": rep_id,
                    "team_id": team_id,
                    "day": day,
                    "target": 2,
                    "calls": made,
                    "eligible": made,
                    "shortfall_reason": reason,
                }
            )
    with engine.begin() as connection:
        for start in range(0, len(rep_days), CHUNK):
            connection.execute(tables["rep_day"].insert(), rep_days[start : start + CHUNK])
        for start in range(0, len(picks), CHUNK):
            connection.execute(tables["review_assignment"].insert(), picks[start : start + CHUNK])
        connection.execute(update(Evaluation).values(assignment_id=Evaluation.id))
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("queue_day", "review_assignment"):  # ids given above
                sequence = f"pg_get_serial_sequence('\"{table}\"', 'id')"
                connection.execute(text(f'SELECT setval({sequence}, (SELECT max(id) FROM "{table}"))'))
    return {"queue_days": len(rows), "rep_days": len(rep_days), "picks": len(picks)}


def seed_display_link(team_id: int) -> str:
    """A display link of the big team, written as the board's service stores one; the token."""
    from qc.board.models import DisplayLink
    from qc.db import session_scope
    from qc.kit.security import new_token, token_hash

    token = new_token()
    with session_scope() as session:
        session.add(
            DisplayLink(team_id=team_id, label="Floor TV", token_hash=token_hash(token), prefix=token[:8])
        )
    return token


# Measuring -------------------------------------------------------------------------------------------


def count_month_calls(start: date) -> int:
    """The baseline: a plain count of the calls the month's report covers."""
    from sqlalchemy import func, select

    from qc.calls.models import Call
    from qc.db import get_engine

    since = datetime.combine(start, datetime.min.time(), UTC)
    with get_engine().connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(Call).where(Call.started_at >= since)
            ).scalar_one()
        )


def build_digests(day: date) -> int:
    """Every team's digest of `day`, payloads for every kind of target, nothing posted."""
    from sqlalchemy import select

    from qc.config import get_settings
    from qc.db import session_scope
    from qc.digest import manual
    from qc.users.models import Team

    built = 0
    with session_scope() as session:
        for team in session.scalars(select(Team)):
            # One digest per team, formatted for every kind of target (as the operator: no checks).
            shown = manual.preview(session, None, team.id, day=day, settings=get_settings())
            built += len(shown.documents)
    return built


def seed_all(args: argparse.Namespace) -> dict[str, Any]:
    """Seed the year; what measuring needs to know of it."""
    org = feedback_bench.seed_people(args.reps)
    big_team = organise_teams(org, args.teams)
    seeded, _ = feedback_bench.timed(
        lambda: feedback_bench.seed_year(org, per_rep=args.per_rep, all_checks=False)
    )
    manager_id = coaching_bench.seed_manager(org)
    other = coaching_bench.seed_other_calls(org, calls_per_rep=args.calls_per_rep, reviewed=org.evaluations)
    sessions = coaching_bench.seed_sessions(org, manager_id, per_rep=args.sessions_per_rep)
    trainings = seed_training(org, per_rep=12)
    queue_s, queue = feedback_bench.timed(lambda: seed_queue(org))
    coaching_bench.finalize_effects(1)
    coaching_bench.analyze()
    print(
        f"[{args.backend}] seeded {org.evaluations:,} reviews in {seeded:.0f} s, {other:,} more calls, "
        f"{sessions:,} coaching sessions, {trainings:,} training assignments, {queue['rep_days']:,} rep-days "
        f"and {queue['picks']:,} picks in {queue_s:.0f} s",
        flush=True,
    )
    return {
        "lead_id": org.lead_id,
        "manager_id": manager_id,
        "big_team": big_team,
        "reviews": org.evaluations,
        "calls": org.evaluations + other,
        "rep_days": queue["rep_days"],
    }


def seeded(args: argparse.Namespace) -> dict[str, Any]:
    """The seeded year: made now, or (with --keep) the one a previous run left."""
    marker = Path(args.data_dir).parent / "seeded.json"
    if marker.exists():
        print(f"[{args.backend}] reusing the database seeded in {marker.parent}", flush=True)
        return dict(json.loads(marker.read_text()))
    info = seed_all(args)
    marker.write_text(json.dumps(info))
    return info


def run_backend(args: argparse.Namespace) -> dict[str, Any]:
    feedback_bench.configure(args.url, Path(args.data_dir))
    from qc.app import create_app
    from qc.config import get_settings
    from qc.db import get_engine, utcnow
    from qc.migrations import upgrade

    info = seeded(args)
    if args.seed_only:
        return {}
    upgrade(get_engine())  # a kept database gets the migrations added since it was seeded
    big_team = info["big_team"]
    token = seed_display_link(big_team)
    app = create_app(get_settings(), run_worker=False)
    gc.freeze()  # as the app's start-up does (the TestClient here runs no lifespan)
    lead = feedback_bench.signed_in(app, info["lead_id"])
    manager = feedback_bench.signed_in(app, info["manager_id"])
    from fastapi.testclient import TestClient

    display = TestClient(app)
    today = utcnow().date()
    month = today - timedelta(days=30)
    span = f"from={month}&to={today}"
    pages = [
        ("coverage report, month, all teams", lead, f"/reports/coverage?{span}"),
        ("coverage CSV, month, all teams", lead, f"/api/reports/coverage?{span}&format=csv"),
        ("trends, big team, 12 weeks", manager, f"/reports/trends?team={big_team}"),
        ("wall board, signed in", manager, f"/board/{big_team}"),
        ("wall board, display link", display, f"/wall/{token}"),
    ]
    for _, client, url in pages:  # warm: templates compiled, statements cached
        feedback_bench.fetch(client, url)
    baseline: list[float] = []
    times: dict[str, list[float]] = {name: [] for name, _, _ in pages}
    for _ in range(args.runs):
        baseline.append(feedback_bench.timed(lambda: count_month_calls(month))[0])
        for name, client, url in pages:
            times[name].append(feedback_bench.timed(lambda c=client, u=url: feedback_bench.fetch(c, u))[0])
    if args.profile:
        for name, client, url in pages:
            with feedback_bench.in_server_threads() as profiler:
                for _ in range(5):
                    feedback_bench.fetch(client, url)
            feedback_bench.report(profiler, f"{name} x5, the app's side")
    day = today - timedelta(days=1)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    digests_s, digests = feedback_bench.timed(lambda: build_digests(day))
    base = statistics.median(baseline)
    get_engine().dispose()
    return {
        "backend": args.backend,
        "reviews": info["reviews"],
        "calls": info["calls"],
        "rep_days": info["rep_days"],
        "teams": args.teams,
        "baseline_s": base,
        "digest_s": digests_s,
        "digests": digests,
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
        f"\n{args.reps} reps in {first['teams']} teams: {first['calls']:,} calls, "
        f"{first['reviews']:,} reviews, "
        f"{first['rep_days']:,} rep-days; median of {args.runs} runs; baseline: count(*) of the month's calls"
    )
    print(f"{'backend':<11}{'page':<38}{'median':>10}{'count(*)':>11}{'ratio':>8}  target <300 ms")
    for r in results:
        for p in r["pages"]:
            print(
                f"{NAMES[r['backend']]:<11}{p['what']:<38}{p['median_s'] * 1000:>7.1f} ms"
                f"{r['baseline_s'] * 1000:>8.2f} ms{p['ratio']:>7.1f}x  {'met' if p['met'] else 'MISSED'}"
            )
    for r in results:
        met = "met" if r["digest_s"] < DIGEST_TARGET_S else "MISSED"
        print(
            f"{NAMES[r['backend']]}: {r['digests']} digest payloads ({r['teams']} teams x 4 kinds) built in "
            f"{r['digest_s']:.2f} s (target < {DIGEST_TARGET_S:.0f} s: {met})"
        )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--per-rep", type=int, default=750, help="reviewed calls per rep")
    parser.add_argument("--calls-per-rep", type=int, default=18_000, help="calls per rep in all")
    parser.add_argument("--sessions-per-rep", type=int, default=25)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--pg", default=os.environ.get("QC_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the seeded databases in DIR (PostgreSQL: under a fixed name) and reuse them next time",
    )
    parser.add_argument("--seed-only", action="store_true", help="with --keep: seed the databases and stop")
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--json-out", help=argparse.SUPPRESS)
    return parser.parse_args()


@contextmanager
def kept_database(backend: str, pg: str, folder: Path) -> Iterator[str]:
    """A database kept in `folder` (SQLite) or under a fixed name (PostgreSQL) between runs;
    made afresh when the folder holds no seeded year."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from urllib.parse import urlparse, urlunparse

    import psycopg

    parsed = urlparse(pg)
    if not (folder / "seeded.json").exists():
        with psycopg.connect(urlunparse(parsed._replace(scheme="postgresql")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    yield urlunparse(parsed._replace(path=f"/{PG_DATABASE}"))


def run_child(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    keep = Path(args.keep) / backend if args.keep else None
    folder = keep or Path(tempfile.mkdtemp(prefix=f"qc-bench-reports-{backend}-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "result.json"
    feedback_bench.PG_DATABASE = PG_DATABASE
    database = kept_database if keep else feedback_bench.scratch_database
    try:
        with database(backend, args.pg, folder) as url:
            options = ["--backend", backend, "--reps", str(args.reps), "--teams", str(args.teams)]
            options += ["--per-rep", str(args.per_rep), "--calls-per-rep", str(args.calls_per_rep)]
            options += ["--sessions-per-rep", str(args.sessions_per_rep), "--runs", str(args.runs)]
            options += ["--profile"] if args.profile else []
            options += ["--seed-only"] if args.seed_only else []
            command = [sys.executable, str(Path(__file__).resolve()), *options]
            command += ["--url", url, "--data-dir", str(folder / "data"), "--json-out", str(out)]
            subprocess.run(command, check=True)
        return dict(json.loads(out.read_text()))
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    args = parse()
    if args.url:
        result = run_backend(args)
        Path(args.json_out).write_text(json.dumps(result, default=str))
        if result:
            print_results([result], args)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run_child(backend, args) for backend in backends]
    if args.seed_only:
        return
    if len(results) > 1:
        print_results(results, args)


if __name__ == "__main__":
    main()
