"""Last week in the demo: reviewed calls, so every role has feedback to look at on first sign-in.

The scripted sample calls are copied into new recordings (re-encoded, so each is a call of
its own), given the script they speak as their transcript, scored by the real automatic
checks, reviewed by a demo reviewer and released to their reps. One review is acknowledged,
one is disputed and waits for a QC lead, one dispute was resolved in the rep's favour.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import av
from sqlalchemy import select, update

from qc.calls import pipeline
from qc.calls import service as calls
from qc.calls.models import Call, CallStatus
from qc.calls.schemas import CallMeta
from qc.config import get_settings
from qc.db import session_scope
from qc.evaluations import comments
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation, EvaluationEdit
from qc.evaluations.service import ReviewForm
from qc.feedback import disputes
from qc.feedback import service as feedback
from qc.feedback.disputes import DisputedItem, ItemDecision
from qc.feedback.models import Decision, Dispute, DisputeCause, Feedback
from qc.jobs import events
from qc.kit.storage import get_storage
from qc.privacy import redaction
from qc.reviews.models import Assignment
from qc.transcription import service as transcription
from qc.transcription.engine import SegmentData, TranscriptionResult, WordData
from qc.transcription.models import Speaker
from qc.users import service as users


@dataclass(frozen=True)
class PastReview:
    script: str  # a scripted sample (scripted.json's `labelled`)
    rep: str  # email local part
    days_ago: int
    answers: dict[str, str]  # the reviewer's answers where they differ from what is given below
    comment: tuple[float, str]
    then: str  # "released", "acknowledged", "disputed", "resolved"
    follows_checks: bool = False  # the reviewer confirmed the automatic answers (a weak call)
    dispute: str = ""  # what the rep says when disputing the first item of `answers`


PAST = [
    PastReview(
        "en-outbound-model",
        "daniel",
        6,
        {},
        (4.0, "Textbook opening: name, company, permission."),
        "acknowledged",
    ),
    PastReview(
        "en-outbound-pushy",
        "emma",
        5,
        {"permission": "no"},
        (3.0, "You went straight to the offer here: ask whether it is a good time first."),
        "disputed",
        follows_checks=True,
        dispute="The customer said at the start that he had a minute, so I did not need to ask.",
    ),
    PastReview(
        "en-inbound-model",
        "laura",
        4,
        {"farewell": "no"},
        (55.0, "Listen to the end of the call: how did you close?"),
        "resolved",
        dispute="I did say goodbye and thanked him at the very end of the call.",
    ),
    PastReview(
        "ru-outbound-model",
        "olga",
        5,
        {"needs_summary": "no"},
        (30.0, "Перескажите потребности клиента своими словами, прежде чем предлагать тариф."),
        "released",
    ),
]


def copy_recording(path: Path, copy: int) -> bytes:
    """The recording re-encoded as FLAC and tagged with its copy number: the same speech,
    a file (and sha256) of its own each time."""
    out = io.BytesIO()
    with av.open(str(path)) as source, av.open(out, "w", format="flac") as target:
        target.metadata["comment"] = f"qc demo copy {copy}"
        stream_in = source.streams.audio[0]
        layout = stream_in.layout.name
        stream_out = target.add_stream("flac", rate=stream_in.rate, layout=layout)
        resampler = av.AudioResampler(format="s16", layout=layout, rate=stream_in.rate)
        for frame in source.decode(stream_in):
            for converted in resampler.resample(frame):
                converted.pts = None
                target.mux(stream_out.encode(converted))
        target.mux(stream_out.encode(None))
    return out.getvalue()


def scripted_transcript(sample: dict[str, Any]) -> TranscriptionResult:
    """The script as spoken: its turns, with word times spread over each turn."""
    segments = []
    for turn in sample["turns"]:
        words = turn["text"].split()
        span = (turn["end"] - turn["start"]) / max(1, len(words))
        timed = [
            WordData(turn["start"] + i * span, turn["start"] + (i + 1) * span, w, 0.95)
            for i, w in enumerate(words)
        ]
        segments.append(
            SegmentData(Speaker(turn["speaker"]), turn["start"], turn["end"], turn["text"], timed)
        )
    return TranscriptionResult(
        language=sample["language"],
        language_probability=1.0,
        model="demo: the script the call speaks",
        speakers_separated=True,
        audio_duration_s=sample["duration_s"],
        speech_duration_s=sum(t["end"] - t["start"] for t in sample["turns"]),
        processing_s=0.0,
        segments=segments,
    )


def seed_history(samples_dir: Path, scripted: list[dict[str, Any]], domain: str) -> int:
    """Reviewed calls of the past days; the number of reviews made."""
    return len(seed_reviews(PAST, samples_dir, scripted, domain, first_index=0))


def seed_reviews(
    pasts: list[PastReview],
    samples_dir: Path,
    scripted: list[dict[str, Any]],
    domain: str,
    *,
    first_index: int,
) -> list[int]:
    """Each past review as it happened: the call, its checks, the review, the rep's answer;
    the evaluation ids."""
    by_script = {s["labelled"]: s for s in scripted}
    reviewed = [
        _review(
            historic_call(samples_dir, by_script[past.script], past, first_index + i, domain), past, domain
        )
        for i, past in enumerate(pasts)
    ]
    events.dispatch_pending()  # release them to the reps now, as the worker would
    for past, evaluation_id in zip(pasts, reviewed, strict=True):
        _follow_up(past, evaluation_id, domain)
    events.dispatch_pending()
    backdate(reviewed)
    return reviewed


def backdate(evaluation_ids: list[int]) -> None:
    """Move each review, its release, acknowledgement, dispute and queue pick to the days
    after its call, as they would have happened (demo data only: written directly)."""

    with session_scope() as session:
        for evaluation_id in evaluation_ids:
            evaluation = session.get_one(Evaluation, evaluation_id)
            call = session.get_one(Call, evaluation.call_id)
            reviewed = call.started_at + timedelta(hours=3)
            evaluation.started_at = reviewed - timedelta(minutes=9)
            evaluation.submitted_at = evaluation.released_at = reviewed
            session.execute(
                update(EvaluationEdit)
                .where(EvaluationEdit.evaluation_id == evaluation_id, EvaluationEdit.action == "submitted")
                .values(created_at=reviewed)
            )
            row = session.get_one(Feedback, evaluation_id)
            row.submitted_at = row.release_due_at = row.released_at = reviewed
            if row.acknowledged_at is not None:
                row.acknowledged_at = reviewed + timedelta(hours=5)
            for dispute in session.scalars(select(Dispute).where(Dispute.evaluation_id == evaluation_id)):
                dispute.opened_at = reviewed + timedelta(days=1)
                dispute.due_at = reviewed + timedelta(days=3)
                if dispute.closed_at is not None:
                    dispute.closed_at = reviewed + timedelta(days=2)
            assignment = session.get_one(Assignment, evaluation.assignment_id)
            assignment.day = assignment.queue_date = call.started_at.date()
            assignment.due_at = assignment.picked_at = assignment.claimed_at = reviewed - timedelta(
                minutes=10
            )
            assignment.completed_at = reviewed


def ingest_scripted(
    domain: str, source: BinaryIO, filename: str, meta: CallMeta, sample: dict[str, Any]
) -> int:
    """A demo call as every demo call is made: uploaded by the administrator with the
    sample's scripted transcript (no ASR), masked as the worker masks a stored transcript
    (so the checks read it masked too) and scored by the real checks; its id."""
    settings, storage = get_settings(), get_storage()
    with session_scope() as session:
        admin = users.principal_for(session, users.get_by_email(session, f"admin@{domain}"))
        call = calls.ingest_recording(
            session,
            principal=admin,
            source=source,
            filename=filename,
            meta=meta,
            settings=settings,
            storage=storage,
        ).call
        transcription.store_transcript(session, call, scripted_transcript(sample))
        call.status = CallStatus.TRANSCRIBED
        call_id = call.id
    redaction.redact_stored(call_id, storage=storage, settings=settings)
    pipeline.process_call(call_id, settings=settings)
    return call_id


def historic_call(
    samples_dir: Path, sample: dict[str, Any], past: PastReview, index: int, domain: str
) -> int:
    started = (datetime.now(UTC) - timedelta(days=past.days_ago)).replace(
        hour=9 + index % 8, minute=15, second=0, microsecond=0
    )
    meta = CallMeta(
        rep=f"{past.rep}@{domain}",
        started_at=started,
        direction=sample["direction"],
        channels=sample["channels"],
        language=sample["language"],
        external_id=f"demo-history-{index + 1}",
        metadata={"source": "qc demo", "campaign": "autumn"},
    )
    call_id = ingest_scripted(
        domain,
        io.BytesIO(copy_recording(samples_dir / sample["file"], index)),
        f"history-{index + 1}.flac",
        meta,
        sample,
    )
    return call_id


def _review(call_id: int, past: PastReview, domain: str) -> int:
    settings = get_settings()
    with session_scope() as session:
        reviewer = users.principal_for(session, users.get_by_email(session, f"reviewer2@{domain}"))
        draft = evaluations.review_call(session, reviewer, call_id, settings=settings)
        given = {}
        for answer in draft.answers:
            # A good call: what no note says otherwise passed. A weak one: the checks stand.
            default = "na" if answer.auto_answer == "na" else "yes"
            if past.follows_checks and answer.auto_answer is not None:
                default = answer.auto_answer
            value = past.answers.get(answer.item_id, default)
            reason = "Heard on the call" if answer.auto_answer not in (None, value) else ""
            given[answer.item_id] = AnswerInput(value, reason)
        at, text = past.comment
        comments.add_comment(session, reviewer, draft.id, text=text, at_s=at)
        assert draft.assignment_id is not None
        evaluations.submit_review(
            session, reviewer, draft.assignment_id, data=ReviewForm(given), settings=settings
        )
        return draft.id


def _follow_up(past: PastReview, evaluation_id: int, domain: str) -> None:
    settings = get_settings()
    with session_scope() as session:
        rep = users.principal_for(session, users.get_by_email(session, f"{past.rep}@{domain}"))
        if past.then == "acknowledged":
            feedback.acknowledge(session, rep, evaluation_id)
        if past.then in ("disputed", "resolved"):
            item = next(iter(past.answers))
            dispute = disputes.open_dispute(
                session,
                rep,
                evaluation_id,
                items=[DisputedItem(item, past.dispute, "yes")],
                settings=settings,
            )
            dispute_id = dispute.id
        else:
            return
    if past.then == "resolved":
        with session_scope() as session:
            lead = users.principal_for(session, users.get_by_email(session, f"lead@{domain}"))
            decision = ItemDecision(
                item,
                Decision.CHANGED,
                "yes",
                "You are right: you thank him and say goodbye in the last seconds.",
                DisputeCause.REVIEWER_ERROR,
            )
            disputes.resolve_dispute(session, lead, dispute_id, decisions=[decision], settings=settings)
