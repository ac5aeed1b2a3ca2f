"""Masking a call: its transcript, its recording and the quotes its checks keep.

Two ways in, one result. A fresh transcription is masked inside the transcription stage
(`jobs.redacting`), so the transcript is stored masked in the same transaction and the
scoring after it reads masked text. A transcript stored before masking existed (an
upgrade, the demo's scripted calls) is masked by `redact_stored`, run by the worker's
backlog task and by `qc privacy redact --all`; until then nobody reads it
(`transcription.get_transcript` returns only masked transcripts) and its recording is
not played (there is no masked copy to play).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.calls.models import Call, ChannelLayout
from qc.config import Settings
from qc.db import session_scope, utcnow
from qc.errors import NotFound
from qc.kit import scratch
from qc.kit.storage import Storage
from qc.privacy import audio
from qc.privacy.masking import SegmentIn, SegmentMask, Span, beeps_for, mask_segments
from qc.privacy.models import OriginalTranscript
from qc.scoring import service as scoring
from qc.transcription import service as transcription
from qc.transcription.engine import TranscriptionResult, WordData
from qc.transcription.models import Transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recording:
    """What masking needs to know of a call's recording, read in a short transaction."""

    call_id: int
    storage_key: str
    sha256: str
    codec: str
    layout: ChannelLayout
    channels: int
    deleted: bool


def recording_of(session: Session, call_id: int) -> Recording:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"Call {call_id} does not exist")
    return Recording(
        call.id,
        call.storage_key,
        call.sha256,
        call.codec,
        call.channel_layout,
        call.channels,
        call.original_deleted_at is not None,
    )


def mask_recording(
    recording: Recording, spans: Sequence[Span], *, storage: Storage, settings: Settings
) -> str:
    """Store the recording with `spans` beeped on their speakers' channels; its key.

    A copy is written even without spans, so what people hear never depends on whether
    anything was found, and the original can be deleted on its own schedule."""
    output = audio.output_for(recording.codec)
    key = f"redacted/{recording.sha256[:2]}/{recording.sha256}.{output.extension}"
    beeps = beeps_for(spans, layout=recording.layout, channels=recording.channels)
    # In this process's own folder, which the next sweep removes if the worker is killed.
    draft = scratch.own_dir(settings.tmp_dir) / f"redact-{uuid.uuid4().hex}.{output.extension}"
    try:
        with storage.local_copy(recording.storage_key) as source:
            audio.beep(source, draft, beeps, output=output)
        storage.put_file(key, draft)
    finally:
        draft.unlink(missing_ok=True)
    return key


def _keep_original(session: Session, call_id: int, masks: Sequence[SegmentMask]) -> None:
    """Store (replacing) what the masked segments said before masking."""
    kept = session.scalar(select(OriginalTranscript).where(OriginalTranscript.call_id == call_id))
    if kept is None:
        kept = OriginalTranscript(call_id=call_id)
        session.add(kept)
    kept.segments = [m.original() for m in masks]
    kept.findings = [s.as_dict() for m in masks for s in m.spans]
    kept.created_at = utcnow()


# A fresh transcription ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RedactedTranscription:
    result: TranscriptionResult  # masked
    masks: list[SegmentMask]
    audio_key: str


def _segments_of_result(result: TranscriptionResult) -> list[SegmentIn]:
    return [
        SegmentIn(i, s.speaker.value, s.start, s.end, s.text, [w.as_dict() for w in s.words])
        for i, s in enumerate(result.segments)
    ]


def _masked_result(result: TranscriptionResult, masks: Sequence[SegmentMask]) -> TranscriptionResult:
    segments = list(result.segments)
    for mask in masks:
        words = [
            WordData(w["start"], w["end"], w["word"], w["probability"], w.get("spoken")) for w in mask.words
        ]
        segments[mask.position] = replace(segments[mask.position], text=mask.text, words=words)
    return replace(result, segments=segments)


def redact_transcription(
    call_id: int, result: TranscriptionResult, *, storage: Storage, settings: Settings
) -> RedactedTranscription:
    """Mask a fresh transcription and its recording (no transaction held)."""
    masks = mask_segments(_segments_of_result(result), result.language)
    with session_scope() as session:
        recording = recording_of(session, call_id)
    key = mask_recording(recording, [s for m in masks for s in m.spans], storage=storage, settings=settings)
    if masks:
        log.info("call %s: %d spans of personal data masked", call_id, sum(len(m.spans) for m in masks))
    return RedactedTranscription(_masked_result(result, masks), masks, key)


def store_redaction(session: Session, call: Call, output: RedactedTranscription) -> None:
    """Mark the transcript just stored as masked and keep the original (the completing
    transaction of the transcription stage)."""
    transcript = transcription.get_transcript(session, call.id, unredacted=True)
    if transcript is None:
        raise NotFound(f"Call {call.id} has no transcript to mark as masked")
    transcript.redacted_at = utcnow()
    _keep_original(session, call.id, output.masks)
    call.redacted_storage_key = output.audio_key


# A transcript stored before masking ---------------------------------------------------------------


def pending(session: Session, *, limit: int | None = None) -> list[int]:
    """Calls whose transcript is not masked yet, oldest first."""
    query = select(Transcript.call_id).where(Transcript.redacted_at.is_(None)).order_by(Transcript.call_id)
    return list(session.scalars(query.limit(limit) if limit else query))


def _segments_of(transcript: Transcript) -> list[SegmentIn]:
    return [
        SegmentIn(s.position, s.speaker.value, s.start, s.end, s.text, list(s.words or []))
        for s in transcript.segments
    ]


def redact_stored(call_id: int, *, storage: Storage, settings: Settings) -> bool:
    """Mask a transcript stored unmasked, its recording and its checks' quotes; False if
    there was nothing to do (no transcript, already masked, or replaced meanwhile)."""
    with session_scope() as session:
        transcript = transcription.get_transcript(session, call_id, unredacted=True)
        if transcript is None or transcript.redacted_at is not None:
            return False
        transcript_id, language = transcript.id, transcript.language
        masks = mask_segments(_segments_of(transcript), language)
        recording = recording_of(session, call_id)
    spans = [s for m in masks for s in m.spans]
    key = None
    try:
        if not recording.deleted:
            key = mask_recording(recording, spans, storage=storage, settings=settings)
    except FileNotFoundError:  # the transcript is still masked; the call has nothing to play
        log.warning("call %s: recording %s missing from storage", call_id, recording.storage_key)
    with session_scope() as session:
        transcript = transcription.get_transcript(session, call_id, unredacted=True)
        if transcript is None or transcript.id != transcript_id or transcript.redacted_at is not None:
            return False  # re-transcribed meanwhile: the pipeline masked the new one
        _apply(session, transcript, masks)
        call = session.get(Call, call_id)
        assert call is not None
        call.redacted_storage_key = key
    log.info("call %s: stored transcript masked (%d spans)", call_id, len(spans))
    return True


def _apply(session: Session, transcript: Transcript, masks: Sequence[SegmentMask]) -> None:
    by_position = {m.position: m for m in masks}
    for segment in transcript.segments:
        mask = by_position.get(segment.position)
        if mask is not None:
            segment.text = mask.text
            segment.words = mask.words or segment.words
    transcript.redacted_at = utcnow()
    _keep_original(session, transcript.call_id, masks)
    # Quotes were taken from the unmasked text (and blanked by the upgrade): quote again.
    quotes = _Quotes(transcript)
    scoring.rewrite_evidence(session, transcript.call_id, quotes.text_for)


class _Quotes:
    """The text of a piece of evidence, taken again from the masked transcript."""

    def __init__(self, transcript: Transcript) -> None:
        self.segments = {s.position: s for s in transcript.segments}

    def text_for(self, evidence: dict[str, Any]) -> str:
        segment = self.segments.get(evidence.get("segment", -1))
        if segment is None:
            return ""
        if evidence.get("kind") == "metric":
            return segment.text[:200]
        start, end = float(evidence.get("start", 0)) - 0.01, float(evidence.get("end", 0)) + 0.01
        words = [str(w["word"]).strip() for w in segment.words if start <= w["start"] and w["end"] <= end]
        return " ".join(words)


def redact_backlog(*, storage: Storage, settings: Settings, limit: int | None = None) -> int:
    """Mask stored transcripts that are not masked yet (the worker's task, the command);
    returns how many were masked. A call that fails is logged and left for the next run."""
    with session_scope() as session:
        call_ids = pending(session, limit=limit)
    done = 0
    for call_id in call_ids:
        try:
            done += redact_stored(call_id, storage=storage, settings=settings)
        except Exception:
            log.exception("call %s: masking personal data failed; will retry", call_id)
    return done
