"""Transcripts: produce one from a stored recording, store it, read it back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, selectinload

from qc.calls.models import Call, ChannelLayout
from qc.config import Settings
from qc.db import utcnow
from qc.errors import NotFound
from qc.kit.storage import Storage
from qc.transcription import engine, numbers, weights
from qc.transcription.models import Transcript, TranscriptSegment
from qc.users.models import Team

GPU_BATCH_SIZE = 8


@dataclass(frozen=True)
class CallAudio:
    """What the ASR stage needs to know about a call, read in a short transaction."""

    call_id: int
    storage_key: str
    layout: ChannelLayout
    language: str | None


def call_audio(session: Session, call_id: int, *, default_language: str | None) -> CallAudio:
    row = session.execute(
        select(Call.storage_key, Call.channel_layout, Call.language, Team.language)
        .join(Team, Team.id == Call.team_id)
        .where(Call.id == call_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"Call {call_id} does not exist")
    storage_key, layout, call_language, team_language = row
    return CallAudio(call_id, storage_key, layout, call_language or team_language or default_language)


def asr_options(settings: Settings, *, hotwords: str | None = None, device: str = "cpu") -> engine.AsrOptions:
    batch_size = settings.asr_batch_size
    if batch_size is None:  # batched clips pay off on a GPU; a CPU is faster one channel at a time
        batch_size = GPU_BATCH_SIZE if device == "cuda" else 0
    return engine.AsrOptions(
        beam_size=settings.asr_beam_size,
        batch_size=batch_size,
        hotwords=hotwords,
        hotwords_rule=engine.HotwordsRule(settings.asr_hotwords),
        hotwords_window_s=settings.asr_hotwords_window_s,
    )


def warm_up(settings: Settings, languages: Iterable[str | None]) -> list[str]:
    """Load the models calls in `languages` will be transcribed with (None: a call whose
    language is not declared, which the default model identifies), so that no call waits
    for a load. Returns their labels."""
    device = weights.pick_device(settings.asr_device)
    compute_type = weights.pick_compute_type(settings.asr_compute_type, device)
    labels: list[str] = []
    for name in dict.fromkeys(
        weights.choose_model_name(settings.asr_model, language, per_language=settings.asr_models)
        for language in languages
    ):
        spec = weights.resolve_model(name, settings.model_cache_dir)
        weights.load_model(
            spec, device=device, compute_type=compute_type, cpu_threads=settings.asr_cpu_threads
        )
        labels.append(spec.label)
    return labels


def transcribe_recording(
    audio: CallAudio, *, settings: Settings, storage: Storage, hotwords: str | None = None
) -> engine.TranscriptionResult:
    """Run ASR on a call's recording with the configured model (no transaction held); spoken
    numbers come back in digits (`qc.transcription.numbers`)."""
    device = weights.pick_device(settings.asr_device)

    def model_for(language: str | None) -> tuple[Any, weights.ModelSpec]:
        name = weights.choose_model_name(settings.asr_model, language, per_language=settings.asr_models)
        spec = weights.resolve_model(name, settings.model_cache_dir)
        model = weights.load_model(
            spec,
            device=device,
            compute_type=weights.pick_compute_type(settings.asr_compute_type, device),
            cpu_threads=settings.asr_cpu_threads,
        )
        return model, spec

    model, spec = model_for(audio.language)
    with storage.local_copy(audio.storage_key) as path:
        result = engine.transcribe(
            model,
            spec,
            path,
            layout=audio.layout,
            language=audio.language,
            options=asr_options(settings, hotwords=hotwords, device=device),
            # An undeclared language is identified first, then transcribed by its own model.
            model_for=model_for if audio.language is None else None,
        )
    return numbers.normalise_result(result)


def store_transcript(session: Session, call: Call, result: engine.TranscriptionResult) -> Transcript:
    """Replace the call's transcript with `result` (so a re-run leaves exactly one). The
    record of the call's side swaps stays: the call keeps the layout they left."""
    previous = session.scalar(select(Transcript.side_check).where(Transcript.call_id == call.id))
    swaps = (previous or {}).get("swaps")
    session.execute(delete(Transcript).where(Transcript.call_id == call.id))
    transcript = Transcript(
        call_id=call.id,
        language=result.language,
        language_probability=result.language_probability,
        model=result.model,
        speakers_separated=result.speakers_separated,
        audio_duration_s=result.audio_duration_s,
        speech_duration_s=result.speech_duration_s,
        processing_s=result.processing_s,
        mean_word_probability=result.mean_word_probability,
        channel_report=result.channel_report,
        side_check={"swaps": swaps} if swaps else None,
    )
    session.add(transcript)
    session.flush()
    session.add_all(
        TranscriptSegment(
            transcript_id=transcript.id,
            position=position,
            speaker=segment.speaker,
            start=round(segment.start, 3),
            end=round(segment.end, 3),
            text=segment.text,
            avg_logprob=segment.avg_logprob,
            no_speech_prob=segment.no_speech_prob,
            words=[w.as_dict() for w in segment.words],
        )
        for position, segment in enumerate(result.segments)
    )
    call.detected_language = result.language
    call.transcribed_at = utcnow()
    return transcript


def get_transcript(session: Session, call_id: int, *, unredacted: bool = False) -> Transcript | None:
    """The call's transcript once personal data in it has been masked, else None: every
    reader sees the masked text. `unredacted` also returns one stored before masking (for
    the masking itself, in qc.privacy)."""
    query = select(Transcript).where(Transcript.call_id == call_id).options(selectinload(Transcript.segments))
    if not unredacted:
        query = query.where(Transcript.redacted_at.is_not(None))
    return session.scalar(query)


@dataclass(frozen=True)
class TranscriptRows:
    """A stored transcript as plain values, for reading thousands at once (no ORM objects):
    `segments` are dicts of the transcript JSON shape (speaker, start, end, text, words)."""

    call_id: int
    language: str
    audio_duration_s: float
    segments: list[dict[str, Any]]


def transcript_rows(session: Session, call_ids: list[int]) -> dict[int, TranscriptRows]:
    """The masked transcripts of several calls (those that have one), by call id."""
    if not call_ids:
        return {}
    heads = {
        transcript_id: TranscriptRows(call_id, language, duration, [])
        for transcript_id, call_id, language, duration in session.execute(
            select(Transcript.id, Transcript.call_id, Transcript.language, Transcript.audio_duration_s).where(
                Transcript.call_id.in_(call_ids), Transcript.redacted_at.is_not(None)
            )
        )
    }
    segment = TranscriptSegment
    rows = session.execute(
        select(
            segment.transcript_id, segment.speaker, segment.start, segment.end, segment.text, segment.words
        )
        .where(segment.transcript_id.in_(list(heads)))
        .order_by(segment.transcript_id, segment.position)
    )
    for transcript_id, speaker, start, end, text, words in rows:
        heads[transcript_id].segments.append(
            {"speaker": speaker.value, "start": start, "end": end, "text": text, "words": words}
        )
    return {head.call_id: head for head in heads.values()}


def calls_with_transcripts(session: Session, call_ids: list[int]) -> set[int]:
    """Which of the calls still have a (masked) transcript."""
    found: set[int] = set()
    for start in range(0, len(call_ids), 1000):
        chunk = call_ids[start : start + 1000]
        found |= set(
            session.scalars(
                select(Transcript.call_id).where(
                    Transcript.call_id.in_(chunk), Transcript.redacted_at.is_not(None)
                )
            )
        )
    return found


def delete_transcript(session: Session, call_id: int) -> bool:
    """Delete the call's transcript (the retention policy); True if there was one."""
    return bool(session.execute(delete(Transcript).where(Transcript.call_id == call_id)).rowcount)  # type: ignore[attr-defined]


def swap_speakers(session: Session, call: Call) -> None:
    """Exchange the agent and the customer: every segment of the call's transcript, and the
    call's channel layout (so transcribing it again keeps the sides the right way round)."""
    from qc.transcription.models import Speaker

    other = {Speaker.AGENT: Speaker.CUSTOMER, Speaker.CUSTOMER: Speaker.AGENT}
    transcript = session.scalar(select(Transcript).where(Transcript.call_id == call.id))
    if transcript is None:
        raise NotFound(f"Call {call.id} has no transcript")
    for segment in session.scalars(
        select(TranscriptSegment).where(TranscriptSegment.transcript_id == transcript.id)
    ):
        segment.speaker = other.get(segment.speaker, segment.speaker)
    report = transcript.channel_report or {}
    if report.get("echo_by_speaker"):  # what was found on each channel is now the other speaker's
        names = {speaker.value: other[speaker].value for speaker in other}
        echo = {names.get(name, name): found for name, found in report["echo_by_speaker"].items()}
        transcript.channel_report = {**report, "echo_by_speaker": echo}
    layouts = {
        ChannelLayout.AGENT_LEFT: ChannelLayout.AGENT_RIGHT,
        ChannelLayout.AGENT_RIGHT: ChannelLayout.AGENT_LEFT,
    }
    call.channel_layout = layouts.get(call.channel_layout, call.channel_layout)


def set_side_check(session: Session, call_id: int, check: dict[str, Any] | None) -> None:
    """Store which channel the scoring found to be the agent's (qc.scoring.sides), with the
    call's swaps; nothing if the call has no transcript."""
    transcript = session.scalar(select(Transcript).where(Transcript.call_id == call_id))
    if transcript is not None:
        transcript.side_check = check


def calls_with_swapped_sides(session: Session, call_ids: list[int]) -> set[int]:
    """Which of the calls the scoring found with the agent on the other channel than declared."""
    if not call_ids:
        return set()
    return set(session.scalars(swapped_sides_query().where(Transcript.call_id.in_(call_ids))))


def swapped_sides_query() -> Select[int]:
    """The ids of the calls whose sides look swapped, as a query the calls list filters on; a
    call whose sides a person decided (qc.scoring.swapping) is not among them."""
    return select(Transcript.call_id).where(
        Transcript.side_check["verdict"].as_string() == "swapped",
        Transcript.side_check["decided"].as_string().is_(None),
    )
