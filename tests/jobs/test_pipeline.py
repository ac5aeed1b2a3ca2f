"""The pipeline: leases, the reaper, failures and retries, exactly one transcript."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from qc.calls import pipeline
from qc.calls.models import Call, CallStatus
from qc.db import session_scope, utcnow
from qc.jobs.queue import Lane, drain, flush, pending
from qc.kit.storage import get_storage
from qc.transcription.jobs import transcription_stage
from qc.transcription.models import Transcript, TranscriptSegment
from qc.wiring import run_reaper
from tests.factories import make_call


def transcript_count(db: Any, call_id: int) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(Transcript).where(Transcript.call_id == call_id)))


def reload(db: Any, call_id: int) -> Call:
    db.rollback()
    call = db.get(Call, call_id)
    db.refresh(call)
    return call


@pytest.fixture
def call_id(db: Any, org: Any) -> int:
    call = make_call(db, rep=org.rep, sample="outbound_en_pushy.mp3", channel_layout="agent-right")
    db.commit()
    return call.id


def test_scheduled_call_is_transcribed_by_the_queue(db: Any, call_id: int) -> None:
    with session_scope() as session:
        pipeline.schedule(session, session.get(Call, call_id))
    assert pending(Lane.PIPELINE) == 1

    assert drain(lanes=[Lane.PIPELINE]) == 1

    call = reload(db, call_id)
    assert call.status is CallStatus.SCORED
    assert call.lease_token is None
    assert call.attempts == 0
    assert call.detected_language == "en"
    assert transcript_count(db, call_id) == 1


def test_claim_is_exclusive_while_the_lease_is_alive(settings: Any, call_id: int) -> None:
    with session_scope() as session:
        first = pipeline.claim(session, call_id, settings=settings)
    with session_scope() as session:
        second = pipeline.claim(session, call_id, settings=settings)
    assert first is not None
    assert second is None


def test_worker_that_died_mid_call_is_replaced_and_result_stored_once(
    db: Any, settings: Any, call_id: int
) -> None:
    # Worker A claims the call and dies: no heartbeat, no result.
    with session_scope() as session:
        dead = pipeline.claim(session, call_id, settings=settings)
    assert dead is not None
    assert reload(db, call_id).status is CallStatus.TRANSCRIBING

    # Before the lease runs out the reaper leaves it alone...
    with session_scope() as session:
        assert pipeline.reap(session, settings=settings).expired == []
    # ...afterwards it hands the call back and re-dispatches it.
    later = utcnow() + timedelta(seconds=settings.lease_seconds + 1)
    with session_scope() as session:
        report = pipeline.reap(session, settings=settings, now=later)
    assert report.expired == [call_id]
    assert reload(db, call_id).status is CallStatus.RECEIVED

    drain()
    call = reload(db, call_id)
    assert call.status is CallStatus.SCORED
    assert transcript_count(db, call_id) == 1

    # Worker A comes back to life and tries to store its (stale) result: refused.
    with session_scope() as session:
        assert pipeline.complete(session, dead, output=None) is False
    assert transcript_count(db, call_id) == 1


def test_running_the_stage_twice_leaves_exactly_one_transcript(db: Any, call_id: int) -> None:
    with session_scope() as session:
        pipeline.schedule(session, session.get(Call, call_id))
    drain()
    first = db.scalar(select(Transcript.created_at).where(Transcript.call_id == call_id))
    first_segments = db.scalar(select(func.count()).select_from(TranscriptSegment))

    with session_scope() as session:  # e.g. an operator re-runs transcription
        session.get(Call, call_id).status = CallStatus.RECEIVED
        pipeline.schedule(session, session.get(Call, call_id))
    drain()

    call = reload(db, call_id)
    assert call.status is CallStatus.SCORED
    assert call.failure_reason is None
    assert transcript_count(db, call_id) == 1
    assert db.scalar(select(Transcript.created_at).where(Transcript.call_id == call_id)) > first, "replaced"
    assert db.scalar(select(func.count()).select_from(TranscriptSegment)) == first_segments


def test_duplicate_dispatch_of_the_same_call_is_harmless(db: Any, call_id: int) -> None:
    with session_scope() as session:
        call = session.get(Call, call_id)
        pipeline.schedule(session, call)
        pipeline.schedule(session, call)
    assert drain(lanes=[Lane.PIPELINE]) == 2
    assert transcript_count(db, call_id) == 1


def test_reaper_redispatches_calls_the_queue_lost(db: Any, settings: Any, call_id: int) -> None:
    with session_scope() as session:
        session.get(Call, call_id).enqueued_at = utcnow() - timedelta(
            seconds=settings.requeue_after_seconds + 5
        )
    report = run_reaper()
    assert report.requeued == [call_id]
    assert pending(Lane.PIPELINE) == 1


def test_transient_failure_is_retried_then_gives_up(
    db: Any, settings: Any, call_id: int, monkeypatch: Any
) -> None:
    def broken(call_id: int) -> None:
        raise RuntimeError("GPU fell off the bus")

    monkeypatch.setattr(pipeline, "stages", lambda: [_replace_run(transcription_stage(), broken)])

    for attempt in range(1, settings.max_attempts + 1):
        pipeline.process_call(call_id)
        call = reload(db, call_id)
        reason = "Transcription failed unexpectedly (RuntimeError); see the worker log"
        if attempt < settings.max_attempts:
            assert call.status is CallStatus.RECEIVED
            assert call.failure_reason == f"Attempt {attempt} failed, retrying: {reason}"
        else:
            assert call.status is CallStatus.FAILED
            assert call.failure_reason == reason
            assert "GPU" not in call.failure_reason, "exception details stay in the log"
            assert call.failed_stage == "transcription"
    assert get_storage().exists(call.storage_key), "a failure must never delete the recording"


def test_recording_that_cannot_be_decoded_fails_permanently_and_is_kept(db: Any, call_id: int) -> None:
    call = reload(db, call_id)
    path = get_storage().path(call.storage_key)  # type: ignore[attr-defined]
    path.write_bytes(b"\x00garbage" * 1000)  # the disk corrupted it after upload

    assert pipeline.process_call(call_id) is CallStatus.FAILED

    call = reload(db, call_id)
    assert call.failure_reason.startswith("The recording could not be decoded")
    assert call.attempts == 1
    assert path.exists()


def test_failed_call_can_be_retried_and_then_succeeds(db: Any, call_id: int, monkeypatch: Any) -> None:
    with session_scope() as session:
        call = session.get(Call, call_id)
        call.status = CallStatus.FAILED
        call.failed_stage = "transcription"
        call.failure_reason = "The model was missing"
        call.attempts = 3
    with session_scope() as session:
        pipeline.retry(session, session.get(Call, call_id))
    drain()
    call = reload(db, call_id)
    assert call.status is CallStatus.SCORED
    assert call.failure_reason is None


def test_only_failed_calls_can_be_retried(db: Any, call_id: int) -> None:
    from qc.errors import InvalidTransition

    with session_scope() as session, pytest.raises(InvalidTransition):
        pipeline.retry(session, session.get(Call, call_id))


def test_call_out_of_attempts_after_crashes_is_failed_by_the_reaper(
    db: Any, settings: Any, call_id: int
) -> None:
    later = utcnow()
    for _ in range(settings.max_attempts):
        with session_scope() as session:
            assert pipeline.claim(session, call_id, settings=settings, now=later) is not None
        later += timedelta(seconds=settings.lease_seconds + 1)
    with session_scope() as session:
        report = pipeline.reap(session, settings=settings, now=later)
    assert report.failed == [call_id]
    call = reload(db, call_id)
    assert call.status is CallStatus.FAILED
    assert "did not finish after 3 attempts" in call.failure_reason


def test_heartbeat_extends_the_lease(db: Any, configure: Any, call_id: int) -> None:
    import time

    settings = configure(lease_seconds=5)
    with session_scope() as session:
        lease = pipeline.claim(session, call_id, settings=settings)
    first_expiry = reload(db, call_id).lease_expires_at
    with pipeline.heartbeat(lease, settings):
        time.sleep(2.3)
    assert reload(db, call_id).lease_expires_at > first_expiry


def _replace_run(stage: pipeline.Stage, run: Any) -> pipeline.Stage:
    from dataclasses import replace

    return replace(stage, run=run)


def test_concurrent_claims_have_exactly_one_winner(settings: Any, call_id: int) -> None:
    import threading

    barrier = threading.Barrier(6)
    leases: list[Any] = []

    def contender() -> None:
        barrier.wait()
        with session_scope() as session:
            leases.append(pipeline.claim(session, call_id, settings=settings))

    threads = [threading.Thread(target=contender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([lease for lease in leases if lease is not None]) == 1


def test_reaper_leaves_waiting_calls_alone_while_the_queue_is_busy(
    db: Any, settings: Any, call_id: int
) -> None:
    with session_scope() as session:
        session.get(Call, call_id).enqueued_at = utcnow() - timedelta(
            seconds=settings.requeue_after_seconds + 5
        )
    with session_scope() as session:
        assert pipeline.reap(session, settings=settings, queue_idle=False).requeued == []
    with session_scope() as session:
        assert pipeline.reap(session, settings=settings, queue_idle=True).requeued == [call_id]


def test_heartbeat_gives_up_on_a_hung_stage(db: Any, configure: Any, call_id: int) -> None:
    import time

    settings = configure(lease_seconds=3, stage_timeout_base_s=1, stage_timeout_per_audio_second=0)
    with session_scope() as session:
        lease = pipeline.claim(session, call_id, settings=settings)
    assert lease is not None and lease.max_seconds == 1
    claimed_until = reload(db, call_id).lease_expires_at
    with pipeline.heartbeat(lease, settings):
        time.sleep(2.5)  # "hung": the first beat (at 1 s) is already past the 1 s limit
    assert reload(db, call_id).lease_expires_at == claimed_until, "the lease was not extended"


def test_a_task_resumes_a_call_whose_worker_died_before_its_own_and_queues_its_own_again(
    db: Any, settings: Any, org: Any, call_id: int
) -> None:
    abandoned = make_call(db, rep=org.rep, sample="outbound_en_pushy.mp3", channel_layout="agent-right").id
    db.commit()
    with session_scope() as session:
        assert pipeline.claim(session, abandoned, settings=settings) is not None  # then the worker dies
    later = utcnow() + timedelta(seconds=settings.lease_seconds + 1)
    with session_scope() as session:
        assert pipeline.reap(session, settings=settings, now=later).expired == [abandoned]
    flush()  # its dispatch sits behind everything queued meanwhile

    assert pipeline.process_call(call_id) is CallStatus.RECEIVED

    assert reload(db, abandoned).status is CallStatus.SCORED, "resumed first"
    assert pending(Lane.PIPELINE) == 1, "the task's own call is queued again"
    drain()
    assert reload(db, call_id).status is CallStatus.SCORED
    assert transcript_count(db, abandoned) == transcript_count(db, call_id) == 1


def test_a_worker_hands_on_a_dead_workers_call_within_seconds(db: Any, configure: Any, call_id: int) -> None:
    import time

    from qc.wiring import worker

    settings = configure(lease_seconds=2, reaper_every_seconds=1)
    assert settings.lease_seconds + settings.reaper_every_seconds < 60
    with session_scope() as session:
        assert pipeline.claim(session, call_id, settings=settings) is not None  # then the worker dies
    handle = worker([Lane.QUICK])  # its pass at start finds the lease still alive
    handle.start()
    try:
        deadline = time.monotonic() + 15
        while reload(db, call_id).status is not CallStatus.RECEIVED:
            assert time.monotonic() < deadline, "no reaper pass handed the call on"
            time.sleep(0.1)
    finally:
        handle.stop()
    call = reload(db, call_id)
    assert call.lease_token is None and call.attempts == 1
    assert pending(Lane.PIPELINE) == 1


def test_the_default_lease_and_reaper_pass_on_a_dead_workers_call_within_a_minute() -> None:
    from qc.config import Settings

    defaults = Settings()
    assert defaults.lease_seconds + defaults.reaper_every_seconds < 60
    assert defaults.requeue_after_seconds <= 60
