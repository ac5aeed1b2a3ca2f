"""The job queue: huey on SQLite (embedded) or Redis (scaled out), in two lanes.

huey deletes a task when it is dequeued (at-most-once), so it only dispatches: what
must happen is recorded in the database (a call's pipeline state, an event in the
outbox), and periodic sweeps re-dispatch what got lost.

Two lanes keep quick work from waiting behind transcription: `pipeline` runs the
call pipeline (minutes per task), `quick` runs event dispatch, queue refreshes, the
reaper and the other periodic tasks (milliseconds to seconds). Embedded, each lane has
its own consumer threads inside `qc serve`; scaled out, `qc worker --queues ...` picks
the lanes a machine serves.

This module knows no domain: the composition module (`qc.wiring`) registers the tasks
and periodic tasks before the queue is first used.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.orm import Session

from qc.config import Settings, get_settings
from qc.db import after_commit

log = logging.getLogger(__name__)


class Lane(enum.StrEnum):
    PIPELINE = "pipeline"  # long work: transcription, scoring
    QUICK = "quick"  # events, queue refreshes, the reaper, deliveries

    @property
    def queue_name(self) -> str:
        # "qc" is the name the single queue had before lanes: tasks queued by an older
        # version are still found.
        return "qc" if self is Lane.PIPELINE else "qc-quick"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., Any]
    lane: Lane


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    fn: Callable[[], Any]
    every_minutes: int | Callable[[Settings], int]  # a setting is read when the queue is built

    def minutes(self, settings: Settings) -> int:
        return self.every_minutes(settings) if callable(self.every_minutes) else self.every_minutes


@dataclass(frozen=True)
class TickerSpec:
    name: str
    fn: Callable[[], Any]
    every_seconds: Callable[[Settings], float]


@dataclass
class Registry:
    """What the composition module registered: tasks by name, periodic tasks and tickers."""

    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    periodic: dict[str, PeriodicSpec] = field(default_factory=dict)
    tickers: dict[str, TickerSpec] = field(default_factory=dict)


_registry = Registry()


class NotWired(RuntimeError):
    """The queue was used before `qc.wiring.wire()` registered its tasks."""


def register_task(name: str, fn: Callable[..., Any], *, lane: Lane) -> None:
    """Make `fn` runnable by name on `lane`; must happen before the queue is first used."""
    if get_jobs.cache_info().currsize:
        raise NotWired(f"task {name!r} registered after the queue was built")
    _registry.tasks[name] = TaskSpec(name, fn, lane)


def register_periodic(
    name: str, fn: Callable[[], Any], *, every_minutes: int | Callable[[Settings], int]
) -> None:
    """Run `fn` every `every_minutes` on the quick lane's periodic consumer."""
    if get_jobs.cache_info().currsize:
        raise NotWired(f"periodic task {name!r} registered after the queue was built")
    _registry.periodic[name] = PeriodicSpec(name, fn, every_minutes)


def register_ticker(name: str, fn: Callable[[], Any], *, every_seconds: Callable[[Settings], float]) -> None:
    """Run `fn` every `every_seconds` in a thread of each worker that runs periodic tasks.

    For the few checks that must run more often than huey's periodic tasks can (once a
    minute, on the minute): a worker that died must not hold its call for a minute more.
    """
    _registry.tickers[name] = TickerSpec(name, fn, every_seconds)


def is_wired() -> bool:
    return bool(_registry.tasks)


@dataclass(frozen=True)
class Jobs:
    lanes: dict[Lane, Huey]
    tasks: dict[str, TaskWrapper]
    periodic: dict[str, TaskWrapper]

    def huey(self, lane: Lane) -> Huey:
        return self.lanes[lane]


def build_huey(settings: Settings, lane: Lane) -> Huey:
    url = urlparse(settings.queue_dsn)
    if url.scheme in {"redis", "rediss"}:
        return RedisHuey(lane.queue_name, url=settings.queue_dsn, utc=True, results=False)
    if url.scheme == "sqlite":
        path = Path(url.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(lane.queue_name, filename=str(path), utc=True, results=False, timeout=15)
    raise ValueError(f"QC_QUEUE_URL must start with sqlite:// or redis://, got {url.scheme!r}")


@lru_cache
def get_jobs() -> Jobs:
    if not is_wired():
        raise NotWired("the job queue has no tasks: call qc.wiring.wire() at start-up")
    settings = get_settings()
    lanes = {lane: build_huey(settings, lane) for lane in Lane}
    tasks = {spec.name: lanes[spec.lane].task(name=spec.name)(spec.fn) for spec in _registry.tasks.values()}
    # No huey lock on periodic tasks: a worker killed while holding it would disable the
    # task for good, and every periodic task here is safe to run twice.
    periodic = {
        spec.name: lanes[Lane.QUICK].periodic_task(schedule_for(spec.minutes(settings)), name=spec.name)(
            spec.fn
        )
        for spec in _registry.periodic.values()
    }
    return Jobs(lanes=lanes, tasks=tasks, periodic=periodic)


def schedule_for(minutes: int) -> Any:
    """A huey schedule firing every `minutes`: within the hour up to 59 minutes, on the hour
    every few hours, at midnight (UTC) once a day or less often. A crontab minute field
    cannot say "every 1440 minutes": it would fire every hour."""
    if minutes < 60:
        return crontab(minute=f"*/{max(1, minutes)}")
    hours = minutes // 60
    if hours < 24:
        return crontab(minute="0", hour=f"*/{hours}")
    return crontab(minute="0", hour="0", day=f"*/{max(1, hours // 24)}")


def enqueue(name: str, *args: Any, delay_s: float = 0) -> None:
    """Queue the task `name` now (outside any transaction)."""
    task = get_jobs().tasks[name]
    if delay_s > 0:
        task.schedule(args=args, delay=delay_s)
    else:
        task(*args)


def enqueue_after_commit(session: Session, name: str, *args: Any, delay_s: float = 0) -> None:
    """Queue the task `name` once the session's transaction has committed.

    If queueing fails then (queue down), the database still says what is to be done and
    a periodic sweep dispatches it later.
    """
    after_commit(session, lambda: enqueue(name, *args, delay_s=delay_s))


def pending(lane: Lane) -> int:
    return int(get_jobs().huey(lane).pending_count())


def flush() -> None:
    """Empty every lane (tests)."""
    for huey in get_jobs().lanes.values():
        huey.flush()


def drain(max_tasks: int | None = None, *, lanes: Iterable[Lane] = tuple(Lane)) -> int:
    """Run queued tasks in this thread until every lane is empty; the count run.

    Used by `qc demo` and tests: the same tasks the consumers would run. Quick tasks go
    first, as their own consumer would take them at once.
    """
    chosen = sorted(lanes, key=lambda lane: lane is not Lane.QUICK)
    jobs = get_jobs()
    count = 0
    while max_tasks is None or count < max_tasks:
        for lane in chosen:
            task = jobs.huey(lane).dequeue()
            if task is not None:
                jobs.huey(lane).execute(task)
                count += 1
                break
        else:
            break
    return count


def run_periodic(name: str) -> Any:
    """Run a registered periodic task (or ticker) now, in this thread (start-up, CLI, tests)."""
    spec = _registry.periodic.get(name) or _registry.tickers[name]
    return spec.fn()


def parse_lanes(value: str) -> list[Lane]:
    """`pipeline,quick` -> lanes; raises ValueError naming the unknown ones."""
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [name for name in names if name not in {lane.value for lane in Lane}]
    if unknown or not names:
        choices = ", ".join(lane.value for lane in Lane)
        raise ValueError(f"unknown queue {', '.join(unknown) or '(none)'}; choose from: {choices}")
    return [Lane(name) for name in dict.fromkeys(names)]


class EmbeddedConsumer(Consumer):
    """A huey consumer that runs in threads of another process (the web server).

    The host process owns signal handling, so none are installed here.
    """

    def _set_signal_handlers(self) -> None:
        pass


def consumer_for(lane: Lane, *, workers: int, periodic: bool, embedded: bool = True) -> Consumer:
    """A consumer of one lane; only the quick lane runs periodic tasks."""
    kind = EmbeddedConsumer if embedded else Consumer
    return kind(
        get_jobs().huey(lane),
        workers=workers,
        periodic=periodic and lane is Lane.QUICK,
        worker_type="thread",
        check_worker_health=True,
        max_delay=2.0 if lane is Lane.PIPELINE else 0.5,
        # Stopping should not wait for a long transcription: the call's lease runs out
        # and another worker (or this one, restarted) finishes it.
        shutdown_timeout=10,
    )


class Ticker:
    """A thread running one ticker's function every so many seconds until stopped."""

    def __init__(self, spec: TickerSpec, seconds: float) -> None:
        self.spec = spec
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"ticker-{spec.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.spec.fn()
            except Exception:  # the next tick tries again; the error is in the log
                log.exception("%s failed; next run in %s s", self.spec.name, self.seconds)


class WorkerHandle:
    """Start and stop embedded consumers (one per lane) from the web app's lifespan."""

    def __init__(
        self,
        lanes: Iterable[Lane] = tuple(Lane),
        *,
        workers: int = 1,
        quick_workers: int = 1,
        periodic: bool = True,
        on_start: Callable[[], Any] | None = None,
        warm_up: Callable[[], Any] | None = None,
    ) -> None:
        lanes = list(lanes)
        self.consumers = [
            consumer_for(lane, workers=workers if lane is Lane.PIPELINE else quick_workers, periodic=periodic)
            for lane in lanes
        ]
        # Tickers run where the periodic tasks do: beside the quick lane's consumer.
        settings = get_settings()
        self.tickers = (
            [Ticker(spec, spec.every_seconds(settings)) for spec in _registry.tickers.values()]
            if periodic and Lane.QUICK in lanes
            else []
        )
        self.on_start = on_start
        # Loads what the pipeline's stages need (models, language tools) before its consumer
        # takes a call: the first call must not wait for a load.
        self.warm_up = warm_up if Lane.PIPELINE in lanes else None
        self.readiness: Any = None

    def start(self) -> None:
        if self.on_start is not None:
            self.on_start()  # pick up what a previous process left behind, without waiting a period
        if self.warm_up is not None:
            self.readiness = self.warm_up()
        for consumer in self.consumers:
            consumer.start()
        for ticker in self.tickers:
            ticker.start()

    def stop(self) -> None:
        for ticker in self.tickers:
            ticker.stop()
        for consumer in self.consumers:
            consumer.stop(graceful=True)
