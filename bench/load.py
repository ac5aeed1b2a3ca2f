"""An office using the app at once: 50 people on the calls list, call pages, the review queue
and the review page, on embedded SQLite and on PostgreSQL + Redis, without and with a writer.

    python bench/load.py [--seconds 120] [--clients 50] [--backend sqlite|postgresql|both]
                         [--upload-every 5] [--stress-seconds 30] [--warmup 10]
                         [--separate-worker] [--one-process] [--pg URL] [--redis URL] [--port 8765] [--keep]

For each backend a throw-away data dir gets the demo organisation (`qc demo --no-transcribe`:
14 people, 263 calls, a month of reviews), then a real `qc serve` (uvicorn, loopback only) is
started for each scenario:
- `baseline`: no writer; the server runs without its worker.
- `writer`: an office at work. `qc serve` as shipped: two web processes, the worker's quick
  lane in the process that started them, its pipeline in a child process at a lower CPU
  priority; and an uploader posts a new
  24-second stereo recording through `POST /api/calls` every --upload-every seconds (a
  50-seat call centre finishes a call every few seconds); the worker transcribes (tiny.en,
  one thread: the other core stays with the web), scores and queues each one, and works
  off the demo's 15 unprocessed calls first. Its writes (leases, transcripts, scores,
  events, queue refreshes) and the uploads' are what the readers run beside.
- `stress` (with --stress-seconds): the baseline server with no think time, for throughput.
- `writer, all in one process` (with --one-process): the same writer with one web process
  running the whole worker in its threads (`QC_WEB_PROCESSES=1`, `QC_PIPELINE_IN=thread`),
  the layout before `qc serve` started several web processes and a pipeline child.
- `writer, qc worker apart` (with --separate-worker): the same writer, with the worker in a
  process of its own (`qc serve --no-worker` and `qc worker`), as when scaled out.

Client model: a closed loop per person, as someone clicking through pages: request a page,
read the whole answer, think 1 s +- 0.5 s (uniform), next page. Each client signs in once
as a persona of the demo (its own session) and picks pages by role: reps the calls list and
their calls; reviewers their queue, their review in progress and calls; the QC lead the
queue, calls and reviews; managers the calls list and their team's calls. Reviews in
progress are started once per backend (`POST /calls/{id}/review`) before measuring.
Clients are asyncio tasks over httpx in this one process (its CPU use is printed).

Reported per scenario and endpoint: requests, errors (any status >= 400, or no answer),
p50/p95/p99 and max of the time to the last byte, after --warmup seconds; and the writer's
figures against the baseline of the same run. Goal: zero errors and p95 under 300 ms on
SQLite with the writer active.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

# bench/ holds queue.py, named like the standard library's `queue`: keep it off the path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

P95_TARGET_MS = 300.0
PG_DATABASE = "qc_bench_load"
DEMO_PASSWORD = "demo-password"  # the demo's printed password
DOMAIN = "demo.qc"
UPLOAD_SAMPLE = ROOT / "qc" / "demo" / "samples" / "outbound_en_pushy.mp3"
THINK_S = (0.5, 1.5)

ENDPOINTS = ("calls list", "call page", "review queue", "review page")
# Who the 50 clients are (persona, clients per person) and what each role opens, by weight.
CAST = [
    *[(name, 3) for name in ("daniel", "emma", "laura", "olga", "andrei", "marco", "milan", "sofia")],
    ("reviewer1", 8),
    ("reviewer2", 8),
    ("lead", 4),
    ("manager.north", 3),
    ("manager.intl", 3),
]
MIX = {
    "rep": {"calls list": 1, "call page": 1},
    "reviewer": {"review queue": 3, "review page": 4, "call page": 3},
    "lead": {"review queue": 3, "review page": 2, "calls list": 2, "call page": 3},
    "manager": {"calls list": 1, "call page": 1},
}


def role_of(name: str) -> str:
    if name.startswith("reviewer"):
        return "reviewer"
    if name.startswith("manager"):
        return "manager"
    return "lead" if name == "lead" else "rep"


# The server ------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    env: dict[str, str]
    data_dir: Path


def backend_env(name: str, data_dir: Path, pg: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_") and k != "PYTEST_XDIST_WORKER"}
    env.update(
        {
            "QC_DATA_DIR": str(data_dir),
            "QC_SECRET_KEY": secrets.token_urlsafe(48),
            "QC_LOG_LEVEL": "WARNING",
            "QC_ASR_CPU_THREADS": "1",
            "QC_WORKERS": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    if name == "postgresql":
        env["QC_DATABASE_URL"] = fresh_postgres(pg)
        env["QC_QUEUE_URL"] = fresh_redis(redis_url)
    return env


def fresh_postgres(url: str, *, create: bool = True) -> str:
    """The bench's database, dropped and (unless `create` is false) made again."""
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return urlunparse(parsed._replace(path=f"/{PG_DATABASE}"))


def fresh_redis(url: str) -> str:
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


def qc(backend: Backend, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "qc.cli", *args],
        cwd=ROOT,
        env=backend.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"qc {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a `qc` process to stop as Ctrl-C would; kill it if it has not within a minute."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def server(
    backend: Backend, port: int, *, worker: bool, label: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """A `qc serve` process on loopback until the block ends; yields its base URL."""
    log = (backend.data_dir / f"serve-{label}.log").open("w")
    args = [sys.executable, "-m", "qc.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*args, "--worker" if worker else "--no-worker"],
        cwd=ROOT,
        env={**backend.env, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"qc serve exited; see {log.name}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"qc serve did not answer in 120 s; see {log.name}")
            time.sleep(0.25)
        yield base
    finally:
        _stop(process)
        log.close()


@contextmanager
def worker_process(backend: Backend) -> Iterator[None]:
    """`qc worker` in a process of its own (the scaled-out layout), until the block ends."""
    log = (backend.data_dir / "worker-apart.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "qc.cli", "worker"], cwd=ROOT, env=backend.env, stdout=log, stderr=log
    )
    try:
        yield
    finally:
        _stop(process)
        log.close()


# People ----------------------------------------------------------------------------------------


@dataclass
class Person:
    name: str
    role: str
    cookies: httpx.Cookies
    calls: list[int] = field(default_factory=list)
    reviews: list[int] = field(default_factory=list)


async def sign_in(http: httpx.AsyncClient, name: str) -> httpx.Cookies:
    http.cookies.clear()
    await http.get("/login")
    answer = await http.post(
        "/login",
        data={"email": f"{name}@{DOMAIN}", "password": DEMO_PASSWORD, "next": "/"},
        headers={"x-csrftoken": http.cookies.get("csrftoken") or ""},
    )
    if answer.status_code != 303:
        raise SystemExit(f"signing in as {name} gave {answer.status_code}: {answer.text[:300]}")
    return httpx.Cookies(http.cookies)


async def visible_calls(http: httpx.AsyncClient, cookies: httpx.Cookies) -> list[int]:
    http.cookies = cookies
    answer = await http.get("/api/calls", params={"size": 200, "status": "scored"})
    answer.raise_for_status()
    return [item["id"] for item in answer.json()["items"]]


async def start_reviews(http: httpx.AsyncClient, person: Person, wanted: int) -> list[int]:
    """Review pages in progress for a reviewer: picks of calls nobody reviewed yet."""
    http.cookies = person.cookies
    reviews: list[int] = []
    for call_id in person.calls:
        if len(reviews) >= wanted:
            break
        answer = await http.post(
            f"/calls/{call_id}/review", headers={"x-csrftoken": http.cookies.get("csrftoken") or ""}
        )
        found = re.match(r"^/reviews/(\d+)$", answer.headers.get("location", ""))
        if answer.status_code == 303 and found:
            reviews.append(int(found.group(1)))
    return reviews


async def cast_people(base: str, clients: int) -> list[Person]:
    """Sign each client in as its persona (a session each); find what each may open."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        people: list[Person] = []
        per_person: dict[str, Person] = {}
        for name, count in CAST:
            for _ in range(count):
                person = Person(name, role_of(name), await sign_in(http, name))
                if name not in per_person:
                    person.calls = await visible_calls(http, person.cookies)
                    if person.role in ("reviewer", "lead"):
                        person.reviews = await start_reviews(http, person, wanted=5)
                    per_person[name] = person
                person.calls = per_person[name].calls
                person.reviews = per_person[name].reviews
                people.append(person)
    while len(people) < clients:
        people.extend(people[: clients - len(people)])
    return people[:clients]


def pages_for(person: Person) -> tuple[list[str], list[int]]:
    mix = {k: v for k, v in MIX[person.role].items() if k != "review page" or person.reviews}
    mix = {k: v for k, v in mix.items() if k != "call page" or person.calls}
    return list(mix), list(mix.values())


def url_for(endpoint: str, person: Person, rng: random.Random) -> str:
    if endpoint == "calls list":
        return "/calls"
    if endpoint == "call page":
        return f"/calls/{rng.choice(person.calls)}"
    if endpoint == "review queue":
        return "/queue"
    return f"/reviews/{rng.choice(person.reviews)}"


# Measuring -------------------------------------------------------------------------------------


@dataclass
class Sample:
    endpoint: str
    ms: float
    status: int  # 0: no answer
    failure: str = ""  # the exception when there was no answer


async def client_loop(
    base: str, person: Person, seed: int, *, start: float, measure_from: float, stop: float, think: bool
) -> list[Sample]:
    rng = random.Random(seed)
    endpoints, weights = pages_for(person)
    samples: list[Sample] = []
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(
        base_url=base, cookies=person.cookies, timeout=60, limits=limits, follow_redirects=False
    ) as http:
        if think:  # people do not all click in the same millisecond
            await asyncio.sleep(rng.uniform(0, THINK_S[1]))
        while time.monotonic() < stop:
            endpoint = rng.choices(endpoints, weights)[0]
            url = url_for(endpoint, person, rng)
            began = time.monotonic()
            failure = ""
            try:
                answer = await http.get(url)
                status = answer.status_code
            except httpx.HTTPError as exc:
                status, failure = 0, type(exc).__name__
            ended = time.monotonic()
            if began >= measure_from:
                samples.append(Sample(endpoint, (ended - began) * 1000, status, failure))
            if think:
                await asyncio.sleep(rng.uniform(*THINK_S))
    return samples


def upload_wav() -> bytes:
    """The sample call as 16 kHz stereo WAV, made unique by one changed sample (a new call)."""
    import numpy as np
    from faster_whisper import decode_audio

    left, right = decode_audio(str(UPLOAD_SAMPLE), sampling_rate=16000, split_stereo=True)
    frames = (np.stack([left, right], axis=1) * 32767).clip(-32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(frames.tobytes())
    return buffer.getvalue()


@dataclass
class Uploads:
    sent: int = 0
    statuses: Counter[int | str] = field(default_factory=Counter)
    ms: list[float] = field(default_factory=list)
    call_ids: list[int] = field(default_factory=list)


async def uploader(base: str, token: str, every_s: float, stop: float, uploads: Uploads) -> None:
    """POST a new recording every `every_s` seconds until `stop` (the office's uploads)."""
    template = bytearray(await asyncio.to_thread(upload_wav))
    data_at = template.index(b"data") + 8
    headers = {"authorization": f"Bearer {token}"}
    # A connection per upload: one kept idle for the 5 s between uploads meets the server's
    # keep-alive timeout (5 s) half-way and fails with no answer, which a browser would retry.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers, limits=fresh) as http:
        while time.monotonic() < stop:
            began = time.monotonic()
            template[data_at : data_at + 8] = os.urandom(8)  # a different recording each time
            files = {"file": ("call.wav", bytes(template), "audio/wav")}
            fields = {
                "rep": f"daniel@{DOMAIN}",
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "direction": "outbound",
                "channels": "agent-left",
                "language": "en",
            }
            try:
                answer = await http.post("/api/calls", files=files, data=fields)
                uploads.statuses[answer.status_code] += 1
                if answer.status_code == 201:
                    uploads.call_ids.append(answer.json()["id"])
            except httpx.HTTPError as exc:
                uploads.statuses[type(exc).__name__] += 1
            uploads.sent += 1
            uploads.ms.append((time.monotonic() - began) * 1000)
            await asyncio.sleep(max(0.0, every_s - (time.monotonic() - began)))


async def processed(base: str, token: str, call_ids: list[int]) -> Counter[str]:
    statuses: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for call_id in call_ids:
            answer = await http.get(f"/api/calls/{call_id}", headers={"authorization": f"Bearer {token}"})
            statuses[answer.json().get("status", str(answer.status_code))] += 1
    return statuses


@dataclass
class Result:
    backend: str
    scenario: str
    seconds: float
    samples: list[Sample]
    uploads: Uploads | None = None
    worker: Counter[str] | None = None
    load: str = ""


async def run_scenario(
    base: str,
    people: list[Person],
    *,
    seconds: float,
    warmup: float,
    think: bool,
    writer: tuple[str, float] | None,
) -> tuple[list[Sample], Uploads | None]:
    start = time.monotonic()
    measure_from = start + warmup
    stop = measure_from + seconds
    tasks = [
        client_loop(base, p, i, start=start, measure_from=measure_from, stop=stop, think=think)
        for i, p in enumerate(people)
    ]
    uploads = Uploads() if writer else None
    if writer is not None and uploads is not None:
        token, every = writer
        tasks.append(uploader(base, token, every, stop, uploads))  # type: ignore[arg-type]
    done = await asyncio.gather(*tasks)
    samples = [s for part in done if isinstance(part, list) for s in part]
    return samples, uploads


# Report ----------------------------------------------------------------------------------------


def percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    rank = max(0, min(len(sorted_ms) - 1, round(q / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[rank]


def figures(samples: list[Sample]) -> dict[str, Any]:
    ok = sorted(s.ms for s in samples if 0 < s.status < 400)
    errors = Counter(s.failure or f"HTTP {s.status}" for s in samples if not 0 < s.status < 400)
    return {
        "requests": len(samples),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "p50": percentile(ok, 50),
        "p95": percentile(ok, 95),
        "p99": percentile(ok, 99),
        "max": ok[-1] if ok else float("nan"),
    }


def print_report(results: list[Result]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    baselines: dict[tuple[str, str], dict[str, Any]] = {}
    print()
    columns = "requests | req/s | errors | p50 ms | p95 ms | p99 ms | max ms | p95 vs baseline"
    print(f"| backend | scenario | endpoint | {columns} |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        groups = [("all", result.samples)] + [
            (e, [s for s in result.samples if s.endpoint == e]) for e in ENDPOINTS
        ]
        for endpoint, samples in groups:
            if not samples:
                continue
            f = figures(samples)
            if result.scenario == "baseline":
                baselines[(result.backend, endpoint)] = f
            base = baselines.get((result.backend, endpoint))
            ratio = f"{f['p95'] / base['p95']:.2f}x" if base and result.scenario != "baseline" else ""
            kinds = f" {f['error_kinds']}" if f["errors"] else ""
            print(
                f"| {result.backend} | {result.scenario} | {endpoint} | {f['requests']} | "
                f"{f['requests'] / result.seconds:.1f} | {f['errors']}{kinds} | {f['p50']:.0f} | "
                f"{f['p95']:.0f} | {f['p99']:.0f} | {f['max']:.0f} | {ratio} |"
            )
            rows.append({"backend": result.backend, "scenario": result.scenario, "endpoint": endpoint, **f})
    print()
    for result in results:
        if result.uploads is not None:
            u = result.uploads
            ms = sorted(u.ms)
            print(
                f"{result.backend} writer: {u.sent} uploads ({dict(u.statuses)}), upload p50 "
                f"{percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
                f"max {ms[-1] if ms else 0:.0f} ms; uploaded calls at the end: {dict(result.worker or {})}"
            )
        print(f"{result.backend} {result.scenario}: load average {result.load}")
    return rows


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# Main ------------------------------------------------------------------------------------------


def bench_backend(name: str, args: argparse.Namespace) -> list[Result]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"qc-load-{name}-"))
    backend = Backend(name, backend_env(name, data_dir, args.pg, args.redis), data_dir)
    try:
        seeded = time.monotonic()
        qc(backend, "demo", "--no-transcribe")
        token = qc(backend, "token", "create", "--user", f"admin@{DOMAIN}", "--name", "bench").split()[-1]
        print(f"{name}: demo seeded in {time.monotonic() - seeded:.0f} s ({data_dir})", flush=True)
        results: list[Result] = []
        with server(backend, args.port, worker=False, label="baseline") as base:
            people = asyncio.run(cast_people(base, args.clients))
            reviews = sum(len(p.reviews) for p in {p.name: p for p in people}.values())
            print(f"{name}: {len(people)} clients signed in; {reviews} reviews in progress", flush=True)
            results.append(measure(name, "baseline", base, people, args, think=True, writer=None))
            if args.stress_seconds > 0:
                stress = argparse.Namespace(**{**vars(args), "seconds": args.stress_seconds})
                results.append(measure(name, "stress", base, people, stress, think=False, writer=None))
        with server(backend, args.port, worker=True, label="writer") as base:
            results.append(run_writer(name, "writer", base, people, args, token))
        if args.one_process:
            one = {"QC_PIPELINE_IN": "thread", "QC_WEB_PROCESSES": "1"}
            with server(backend, args.port, worker=True, label="writer-one-process", env=one) as base:
                results.append(run_writer(name, "writer, all in one process", base, people, args, token))
        if args.separate_worker:
            with (
                server(backend, args.port, worker=False, label="writer-apart") as base,
                worker_process(backend),
            ):
                results.append(run_writer(name, "writer, qc worker apart", base, people, args, token))
        return results
    finally:
        if args.keep:
            print(
                f"{name}: kept {data_dir}" + (f" and database {PG_DATABASE}" if name == "postgresql" else "")
            )
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if name == "postgresql":
                fresh_postgres(args.pg, create=False)
                fresh_redis(args.redis)


def run_writer(
    name: str, scenario: str, base: str, people: list[Person], args: argparse.Namespace, token: str
) -> Result:
    result = measure(name, scenario, base, people, args, think=True, writer=(token, args.upload_every))
    if result.uploads is not None:
        result.worker = asyncio.run(processed(base, token, result.uploads.call_ids))
    return result


def measure(
    backend: str,
    scenario: str,
    base: str,
    people: list[Person],
    args: argparse.Namespace,
    *,
    think: bool,
    writer: tuple[str, float] | None,
) -> Result:
    print(f"{backend}: {scenario} for {args.seconds:.0f} s (+{args.warmup:.0f} s warm-up)...", flush=True)
    samples, uploads = asyncio.run(
        run_scenario(base, people, seconds=args.seconds, warmup=args.warmup, think=think, writer=writer)
    )
    return Result(backend, scenario, args.seconds, samples, uploads, load=load_average())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring starts")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--upload-every", type=float, default=5.0, help="seconds between uploads")
    parser.add_argument("--stress-seconds", type=float, default=30, help="no-think-time run; 0 skips it")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="also the writer with the worker in a process of its own (`qc worker`, no embedded worker)",
    )
    parser.add_argument(
        "--one-process",
        action="store_true",
        help="also the writer with everything in one process (QC_WEB_PROCESSES=1, QC_PIPELINE_IN=thread)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dirs (server logs)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    started = time.monotonic()
    print(f"load average at start: {load_average()}", flush=True)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [r for name in backends for r in bench_backend(name, args)]
    rows = print_report(results)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic() - started
    print(
        f"bench process CPU: {usage.ru_utime + usage.ru_stime:.0f} s over {wall:.0f} s "
        f"(clients and uploader; the servers and the seeding run in other processes)"
    )
    for result in results:
        if result.scenario.startswith("writer") and result.backend == "sqlite":
            f = figures(result.samples)
            verdict = "met" if f["errors"] == 0 and f["p95"] < P95_TARGET_MS else "MISSED"
            goal = f"no errors, p95 < {P95_TARGET_MS:.0f} ms"
            print(f"goal (SQLite, {result.scenario}: {goal}): {verdict}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
