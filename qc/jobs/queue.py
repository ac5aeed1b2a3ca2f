"""The job queue: huey on SQLite (embedded) or Redis (scaled out).

huey deletes a task when it is dequeued (at-most-once), so it only dispatches: what
must happen is recorded on the call, and the reaper re-dispatches what got lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer

from qc.config import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Jobs:
    huey: Huey
    process_call: TaskWrapper
    reap: TaskWrapper
    refresh_queues: TaskWrapper


def build_huey(settings: Settings) -> Huey:
    url = urlparse(settings.queue_dsn)
    if url.scheme in {"redis", "rediss"}:
        return RedisHuey("qc", url=settings.queue_dsn, utc=True, results=False)
    if url.scheme == "sqlite":
        path = Path(url.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("qc", filename=str(path), utc=True, results=False, timeout=15)
    raise ValueError(f"QC_QUEUE_URL must start with sqlite:// or redis://, got {url.scheme!r}")


def _register(huey: Huey, settings: Settings) -> Jobs:
    @huey.task(name="process_call")
    def process_call(call_id: int) -> None:
        from qc.jobs.pipeline import process_call as run

        run(call_id)

    # No huey lock: a worker killed while holding it would disable the reaper for good,
    # and reaping is safe to run twice (row locks and conditional updates).
    @huey.periodic_task(crontab(minute=f"*/{settings.reaper_every_minutes}"), name="reap")
    def reap() -> None:
        run_reaper()

    # The review queue fills as calls are scored and closes when each team's day ends.
    @huey.periodic_task(crontab(minute=f"*/{settings.queue_refresh_minutes}"), name="refresh_queues")
    def refresh_queues() -> None:
        run_queue_refresh()

    return Jobs(huey=huey, process_call=process_call, reap=reap, refresh_queues=refresh_queues)


@lru_cache
def get_jobs() -> Jobs:
    settings = get_settings()
    return _register(build_huey(settings), settings)


def enqueue_process_call(call_id: int, *, delay_s: float = 0) -> None:
    task = get_jobs().process_call
    if delay_s > 0:
        task.schedule(args=(call_id,), delay=delay_s)
    else:
        task(call_id)


def run_reaper() -> Any:
    from qc.db import session_scope
    from qc.jobs.pipeline import reap

    idle = get_jobs().huey.pending_count() == 0
    with session_scope() as session:
        report = reap(session, settings=get_settings(), queue_idle=idle)
    if report.expired or report.requeued or report.failed:
        log.info(
            "reaper: %d expired leases re-dispatched, %d waiting calls re-dispatched, %d gave up",
            len(report.expired),
            len(report.requeued),
            len(report.failed),
        )
    return report


def run_queue_refresh() -> Any:
    from qc.db import session_scope
    from qc.reviews.builder import refresh_queues

    with session_scope() as session:
        reports = refresh_queues(session, settings=get_settings())
    for report in reports:
        if report.picked or report.closed:
            log.info(
                "review queue %s: %d picked, %d assigned%s",
                report.day,
                report.picked,
                report.assigned,
                f"; closed {', '.join(report.closed)}" if report.closed else "",
            )
    return reports


def drain(max_tasks: int | None = None) -> int:
    """Run queued tasks in this thread until the queue is empty; the count run.

    Used by `qc demo` and tests: the same tasks a consumer would run, in order.
    """
    huey = get_jobs().huey
    count = 0
    while max_tasks is None or count < max_tasks:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        count += 1
    return count


class EmbeddedConsumer(Consumer):
    """A huey consumer that runs in threads of another process (the web server).

    The host process owns signal handling, so none are installed here.
    """

    def _set_signal_handlers(self) -> None:
        pass


class WorkerHandle:
    """Start and stop the embedded consumer from the web app's lifespan."""

    def __init__(self, workers: int, *, periodic: bool = True) -> None:
        self.consumer = EmbeddedConsumer(
            get_jobs().huey,
            workers=workers,
            periodic=periodic,
            worker_type="thread",
            check_worker_health=True,
            max_delay=2.0,
            # Stopping the web server should not wait for a long transcription: the call's
            # lease runs out and another worker (or this one, restarted) finishes it.
            shutdown_timeout=10,
        )

    def start(self) -> None:
        run_reaper()  # pick up what a previous process left behind, without waiting a period
        self.consumer.start()

    def stop(self) -> None:
        self.consumer.stop(graceful=True)
