"""The composition root of the worker: what runs, on which lane, and who reacts to what.

Every process that queues or runs jobs calls `wire()` once at start-up (the web app, the
`qc` command, the tests). Nothing below this module knows the others: the job package
runs whatever is registered here, the call pipeline runs the stages handed to it, and a
domain reacts to another's events only through the subscriptions listed here.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from qc.calls import pipeline
from qc.coaching import service as coaching
from qc.config import Settings, get_settings
from qc.db import session_scope, utcnow
from qc.digest import delivery as digest_delivery
from qc.evaluations import rescored
from qc.feedback import disputes
from qc.feedback import service as feedback
from qc.jobs import events, queue
from qc.jobs.queue import Lane
from qc.kit import leftovers, scratch
from qc.kit.storage import get_storage
from qc.notifications import coaching as coaching_inbox
from qc.notifications import delivery as webhook_delivery
from qc.notifications import handlers as inbox
from qc.notifications import training as training_inbox
from qc.notifications import webhooks
from qc.privacy import detect as privacy_detect
from qc.privacy import jobs as privacy
from qc.privacy import retention
from qc.reviews import builder
from qc.scoring import languages as scoring_languages
from qc.scoring import service as scoring
from qc.scoring.jobs import SCORING
from qc.training import rulebook as training_rules
from qc.training import service as training
from qc.transcription import service as transcription
from qc.transcription.jobs import transcription_stage

log = logging.getLogger(__name__)

_lock = threading.Lock()
_wired = False


def wire() -> None:
    """Register the pipeline stages, tasks, periodic tasks and event handlers (idempotent)."""
    global _wired
    with _lock:
        if _wired:
            return
        # Personal data is masked as part of transcription: nothing downstream sees it.
        pipeline.set_stages([privacy.redacting(transcription_stage(hotwords=scoring.hotwords_for)), SCORING])
        # The daily queue prefers calls that test what a rep is being coached on.
        builder.set_focus_source(
            lambda session, rep_ids, now: coaching.queue_focus(session, rep_ids, now, settings=get_settings())
        )

        queue.register_task(pipeline.PROCESS_TASK, pipeline.process_call, lane=Lane.PIPELINE)
        queue.register_task(events.DISPATCH_TASK, dispatch_events, lane=Lane.QUICK)

        # Every few seconds, not once a minute: a call whose worker died is passed on within a
        # lease and a tick, so it waits well under a minute (huey's periodic tasks cannot
        # run more often than once a minute).
        queue.register_ticker("reap", run_reaper, every_seconds=lambda s: s.reaper_every_seconds)
        # Temporary files of worker and web processes that were killed.
        queue.register_periodic("sweep_scratch", sweep_scratch, every_minutes=1)
        queue.register_periodic("sweep_stale_files", sweep_stale_files, every_minutes=60)
        queue.register_periodic(
            "refresh_queues", run_queue_refresh, every_minutes=lambda s: s.queue_refresh_minutes
        )
        # After-commit kicks dispatch events at once; this sweep catches what a worker
        # that died between commit and dispatch left behind.
        queue.register_periodic("sweep_events", dispatch_events, every_minutes=1)
        queue.register_periodic("purge_events", purge_events, every_minutes=60)
        # Feedback: reviews whose release delay has passed; disputes past their due time.
        queue.register_periodic("release_due_feedback", release_due_feedback, every_minutes=1)
        queue.register_periodic("flag_overdue_disputes", flag_overdue_disputes, every_minutes=5)
        # Coaching: action items that came due (once each).
        queue.register_periodic("coaching_actions_due", coaching_actions_due, every_minutes=15)
        # Training: every rule for every rep nightly; overdue assignments (once each).
        queue.register_periodic("training_rules", run_training_rules, every_minutes=24 * 60)
        queue.register_periodic("training_overdue", flag_overdue_training, every_minutes=60)
        queue.register_periodic("coaching_effects", coaching_effects, every_minutes=6 * 60)
        # Notifications: send webhook deliveries when events queue them; the sweep retries
        # the failed ones whose backoff has passed and sends what a lost kick left behind.
        queue.register_task(webhooks.DELIVER_TASK, webhook_delivery.deliver_due, lane=Lane.QUICK)
        queue.register_periodic("retry_webhooks", webhook_delivery.deliver_due, every_minutes=1)
        queue.register_periodic(
            "purge_webhook_deliveries", webhook_delivery.purge_deliveries, every_minutes=60
        )
        # The evening digest: each team's due day queued once per target, then posted; "send
        # now" kicks the sender at once.
        queue.register_task(digest_delivery.SEND_TASK, digest_delivery.deliver_due, lane=Lane.QUICK)
        queue.register_periodic("evening_digest", digest_delivery.run, every_minutes=1)
        # Privacy: transcripts stored before masking existed are masked in batches; the
        # retention policy runs daily and never touches calls under dispute or calibration.
        queue.register_periodic("redact_backlog", privacy.redact_backlog, every_minutes=5)
        queue.register_periodic("retention", run_retention, every_minutes=24 * 60)
        _subscribe()
        _wired = True


def _subscribe() -> None:
    """Event handlers, by the domain that reacts."""
    _subscribe_evaluations()
    _subscribe_feedback()
    _subscribe_training()
    _subscribe_notifications()


def _subscribe_evaluations() -> None:
    """Evaluations: open review drafts follow their call's re-scored checks."""
    events.subscribe("evaluations.follow_checks", ["call.scored"], rescored.on_call_scored)


def _subscribe_feedback() -> None:
    """Feedback: releasing submitted reviews to their reps."""
    events.subscribe(
        "feedback.release",
        ["evaluation.submitted"],
        lambda session, event: feedback.on_evaluation_submitted(session, event, settings=get_settings()),
    )


def _subscribe_training() -> None:
    """Training: the rules run for the rep of every submitted (or corrected) review."""
    events.subscribe(
        "training.rules",
        ["evaluation.submitted", "evaluation.edited"],
        lambda session, event: training_rules.on_evaluation_submitted(
            session, event, settings=get_settings()
        ),
    )


def _subscribe_notifications() -> None:
    """Notifications: the inbox and the outgoing webhook."""
    for event_type, handler in {
        **inbox.HANDLERS,
        **coaching_inbox.HANDLERS,
        **training_inbox.HANDLERS,
    }.items():
        events.subscribe(f"notifications.inbox.{event_type}", [event_type], handler)
    events.subscribe("notifications.webhooks", ["*"], webhooks.queue_deliveries)


# Task bodies -------------------------------------------------------------------------------------


def dispatch_events() -> events.DispatchReport:
    report = events.dispatch_pending()
    if report.failed:
        log.warning("events: %d handler runs failed and will be retried", report.failed)
    return report


def purge_events() -> int:
    days = get_settings().event_retention_days
    with session_scope() as session:
        return events.purge_dispatched(session, older_than=utcnow() - timedelta(days=days))


def release_due_feedback() -> int:
    with session_scope() as session:
        return feedback.release_due(session)


def flag_overdue_disputes() -> int:
    with session_scope() as session:
        return disputes.flag_overdue(session)


def coaching_actions_due() -> int:
    with session_scope() as session:
        return coaching.notify_due_actions(session)


def coaching_effects() -> int:
    """Store the measured effect of sessions whose windows closed, so pages only read it."""
    with session_scope() as session:
        return coaching.finalize_effects(session, settings=get_settings())


def run_training_rules() -> int:
    with session_scope() as session:
        return training_rules.run_all(session, settings=get_settings())


def flag_overdue_training() -> int:
    with session_scope() as session:
        return training.flag_overdue(session, settings=get_settings())


def run_retention() -> retention.RetentionReport:
    with session_scope() as session:
        return retention.run(session, storage=get_storage(), settings=get_settings(), trigger="schedule")


def run_reaper() -> Any:
    idle = queue.pending(Lane.PIPELINE) == 0
    with session_scope() as session:
        report = pipeline.reap(session, settings=get_settings(), queue_idle=idle)
    if report.expired or report.requeued or report.failed:
        log.info(
            "reaper: %d expired leases re-dispatched, %d waiting calls re-dispatched, %d gave up",
            len(report.expired),
            len(report.requeued),
            len(report.failed),
        )
    return report


def run_queue_refresh() -> Any:
    with session_scope() as session:
        reports = builder.refresh_queues(session, settings=get_settings())
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


def sweep_scratch() -> int:
    return len(scratch.sweep(get_settings().tmp_dir))


def sweep_stale_files() -> int:
    return len(leftovers.sweep_stale_files(get_settings(), get_storage()))


def on_worker_start() -> None:
    """What a starting worker does before waiting for tasks: hand back calls a dead worker
    held, remove its temporary files, and dispatch the events it left."""
    run_reaper()
    sweep_scratch()
    sweep_stale_files()
    # Dispatched by the quick lane as its first task: a long backlog after an outage must
    # not hold up the web server's start.
    queue.enqueue(events.DISPATCH_TASK)


@dataclass(frozen=True)
class Readiness:
    """What a pipeline worker loaded before taking its first call."""

    models: list[str]
    languages: list[str]
    seconds: float

    def describe(self) -> str:
        models = ", ".join(self.models) or "none"
        languages = ", ".join(self.languages) or "none"
        return f"speech models {models}; language tools {languages}; loaded in {self.seconds:.1f} s"


def warm_up() -> Readiness:
    """Load the speech models, language tools and personal-data analyser the pipeline's calls
    need, for the languages they can be in, so that no call pays for a cold start. A model
    that cannot be loaded is logged and left to fail the calls that need it, with the reason
    on the call, rather than keep the worker from serving the others."""
    started = time.perf_counter()
    settings = get_settings()
    with session_scope() as session:
        languages = scoring_languages.in_use(session, default=settings.language)
    models: list[str] = []
    try:
        models = transcription.warm_up(settings, languages)
    except Exception:
        log.exception("worker warm-up: a speech model could not be loaded; calls that need it will fail")
    tools = scoring_languages.load_tools(languages)
    privacy_detect.analyzer()
    return Readiness(models, tools, time.perf_counter() - started)


class EmbeddedJobs:
    """The job worker `qc serve` runs: the quick lane in threads of the calling process, the
    pipeline lane in a supervised child process (`QC_PIPELINE_IN=process`) or in threads
    beside the quick lane (`thread`)."""

    def __init__(self, settings: Settings) -> None:
        from qc.jobs.child import ChildWorker, pipeline_command

        self.pipeline: ChildWorker | None = None
        if settings.pipeline_in == "process":
            command = pipeline_command(workers=settings.workers, nice=settings.pipeline_nice)
            self.pipeline = ChildWorker(command)
            self.handle = worker([Lane.QUICK])
        else:
            self.handle = worker()
        self.settings = settings

    def start(self) -> EmbeddedJobs:
        if self.pipeline is not None:
            self.pipeline.start()
        self.handle.start()
        log.info(
            "embedded worker started: %d pipeline thread(s) in %s, %d quick thread(s)",
            self.settings.workers,
            "a child process" if self.pipeline is not None else "this process",
            self.settings.quick_workers,
        )
        return self

    def stop(self) -> None:
        self.handle.stop()
        if self.pipeline is not None:
            self.pipeline.stop()


def worker(
    lanes: list[Lane] | None = None, *, periodic: bool = True, workers: int | None = None
) -> queue.WorkerHandle:
    """Consumers for `lanes` (default: all) in threads of this process, started by the caller."""
    settings = get_settings()
    return queue.WorkerHandle(
        lanes or list(Lane),
        workers=workers or settings.workers,
        quick_workers=settings.quick_workers,
        periodic=periodic,
        on_start=on_worker_start,
        warm_up=_warm_up_and_log if settings.warm_up else None,
    )


def _warm_up_and_log() -> Readiness:
    readiness = warm_up()
    log.info("pipeline worker ready: %s", readiness.describe())
    return readiness
