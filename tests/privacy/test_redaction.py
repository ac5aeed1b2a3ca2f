"""Masking: the transcript is masked before anyone reads it, the recording is beeped on the
speaker's channel at the right time, and scoring quotes masked text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.calls import pipeline
from qc.calls.models import Call, CallStatus, ChannelLayout
from qc.config import Settings, get_settings
from qc.kit.storage import get_storage
from qc.privacy import jobs, redaction
from qc.privacy.audio import BEEP_AMPLITUDE, BEEP_HZ
from qc.privacy.masking import PAD_S, SegmentIn, Span, mask_segments
from qc.privacy.models import OriginalTranscript
from qc.scoring.jobs import SCORING
from qc.transcription import service as transcription
from qc.transcription.engine import SegmentData, TranscriptionResult, WordData
from qc.transcription.models import Speaker
from tests.audio_helpers import encode, tone
from tests.factories import make_call
from tests.privacy.redaction_helpers import (
    DURATION_S,
    SECRETS,
    decode,
    dominant_hz,
    masked_call,
    rms,
    segments,
    stereo_wav,
    use_recording,
)
from tests.privacy.redaction_helpers import quotes as quotes_of


def _masked_audio(call: Call, tmp_path: Path) -> tuple[np.ndarray, int]:
    assert call.redacted_storage_key is not None
    with get_storage().local_copy(call.redacted_storage_key) as path:
        copy = tmp_path / f"masked{Path(call.redacted_storage_key).suffix}"
        copy.write_bytes(path.read_bytes())
    return decode(copy)


def _between(data: np.ndarray, rate: int, channel: int, start: float, end: float) -> np.ndarray:
    return data[channel, int(start * rate) : int(end * rate)]


# The recording ------------------------------------------------------------------------------------


def test_beeps_land_on_the_customers_channel_during_what_they_said(
    db: Session, org: Any, tmp_path: Path
) -> None:
    call = masked_call(db, org.rep, tmp_path)
    masked, rate = _masked_audio(db.get_one(Call, call.id), tmp_path)
    original, _ = decode(stereo_wav(tmp_path / "original.wav"))
    assert masked.shape == original.shape
    customer, agent = 1, 0  # agent on the left
    # The e-mail address (2.3-3.1 s) and the card number (3.7-4.9 s): a 1 kHz beep on the
    # customer's channel only.
    for start, end in ((2.35, 3.05), (3.75, 4.85)):
        beeped = _between(masked, rate, customer, start, end)
        assert dominant_hz(beeped, rate) == pytest.approx(BEEP_HZ, abs=5)
        assert rms(beeped) == pytest.approx(BEEP_AMPLITUDE / np.sqrt(2), rel=0.05)
        assert np.allclose(
            _between(masked, rate, agent, start, end), _between(original, rate, agent, start, end), atol=1e-3
        )
    # Padded a little on each side, and nothing beyond the padding.
    assert dominant_hz(_between(masked, rate, customer, 2.3 - PAD_S + 0.02, 2.3), rate) == pytest.approx(
        BEEP_HZ, abs=60
    )
    for start, end in ((1.6, 2.3 - PAD_S - 0.01), (3.1 + PAD_S + 0.01, 3.7 - PAD_S - 0.01)):
        assert np.allclose(
            _between(masked, rate, customer, start, end),
            _between(original, rate, customer, start, end),
            atol=1e-3,
        )
    # The agent read the card number back (6.1-7.3 s): beeped on the agent's channel only.
    read_back = _between(masked, rate, agent, 6.15, 7.25)
    assert dominant_hz(read_back, rate) == pytest.approx(BEEP_HZ, abs=5)
    assert np.allclose(
        _between(masked, rate, customer, 6.15, 7.25),
        _between(original, rate, customer, 6.15, 7.25),
        atol=1e-3,
    )


def test_agent_on_the_right_is_beeped_on_the_right(db: Session, org: Any, tmp_path: Path) -> None:
    call = make_call(db, rep=org.rep)
    use_recording(db, call, stereo_wav(tmp_path / "call.wav"), layout=ChannelLayout.AGENT_RIGHT)
    spans = _spans(segments())
    key = redaction.mask_recording(
        redaction.recording_of(db, call.id), spans, storage=get_storage(), settings=_settings()
    )
    call.redacted_storage_key = key
    masked, rate = _masked_audio(call, tmp_path)
    original, _ = decode(stereo_wav(tmp_path / "original.wav"))
    assert dominant_hz(_between(masked, rate, 1, 6.15, 7.25), rate) == pytest.approx(BEEP_HZ, abs=5)
    assert np.allclose(
        _between(masked, rate, 0, 6.15, 7.25), _between(original, rate, 0, 6.15, 7.25), atol=1e-3
    )


def _settings() -> Settings:
    return get_settings()


def _spans(rows: list[dict[str, Any]]) -> list[Span]:
    found = mask_segments(
        [SegmentIn(i, r["speaker"], r["start"], r["end"], r["text"], r["words"]) for i, r in enumerate(rows)],
        "en",
    )
    return [span for mask in found for span in mask.spans]


def test_a_mono_call_is_beeped_whole_and_keeps_its_format(db: Session, org: Any, tmp_path: Path) -> None:
    call = make_call(db, rep=org.rep)
    path = encode(tmp_path / "mono.mp3", tone(DURATION_S, rate=16000, channels=1, amplitude=0.1), rate=16000)
    use_recording(db, call, path, layout=ChannelLayout.MONO)
    spans = _spans([{**row, "speaker": "unknown"} for row in segments()])
    key = redaction.mask_recording(
        redaction.recording_of(db, call.id), spans, storage=get_storage(), settings=_settings()
    )
    assert key.endswith(".mp3")
    call.redacted_storage_key = key
    masked, rate = _masked_audio(call, tmp_path)
    assert masked.shape[0] == 1
    assert dominant_hz(_between(masked, rate, 0, 2.4, 3.0), rate) == pytest.approx(BEEP_HZ, abs=10)
    assert dominant_hz(_between(masked, rate, 0, 0.3, 1.4), rate) == pytest.approx(220, abs=10)


# The transcript ------------------------------------------------------------------------------------


def test_a_stored_transcript_is_masked_and_its_original_kept(db: Session, org: Any, tmp_path: Path) -> None:
    call = masked_call(db, org.rep, tmp_path)
    transcript = transcription.get_transcript(db, call.id)
    assert transcript is not None and transcript.redacted_at is not None
    said = " ".join(s.text for s in transcript.segments) + " ".join(
        w["word"] for s in transcript.segments for w in s.words
    )
    assert not [secret for secret in SECRETS if secret in said]
    customer = transcript.segments[1]
    words = [w["word"] for w in customer.words]
    assert words[:3] == ["My", "email", "is"] and words[4:8] == ["and", "the", "card", "is"]
    assert len(words) == 9  # the address and the card number's four groups: one label each
    assert (customer.words[3]["start"], customer.words[3]["end"]) == (2.3, 3.1)
    assert (customer.words[8]["start"], customer.words[8]["end"]) == (3.7, 4.9)
    assert customer.text == " ".join(words)
    kept = db.scalar(select(OriginalTranscript).where(OriginalTranscript.call_id == call.id))
    assert kept is not None
    assert [s["text"] for s in kept.segments] == [segments()[1]["text"], segments()[2]["text"]]
    assert [(f["position"], f["first"], f["last"]) for f in kept.findings] == [
        (1, 3, 3),
        (1, 8, 11),
        (2, 5, 8),
    ]


def test_quotes_of_the_checks_are_taken_again_from_the_masked_text(
    db: Session, org: Any, tmp_path: Path
) -> None:
    call = masked_call(db, org.rep, tmp_path)
    quotes = quotes_of(db, call.id)
    assert quotes
    assert not [q for q in quotes if any(secret in q for secret in SECRETS)]
    assert any(q.startswith("My email is ") for q in quotes)


def test_an_unmasked_transcript_is_read_by_nobody_until_masked(db: Session, org: Any, tmp_path: Path) -> None:
    from tests.factories import make_checked_call
    from tests.privacy.redaction_helpers import unmask

    call = make_checked_call(db, rep=org.rep)
    unmask(db, call)
    db.commit()
    assert transcription.get_transcript(db, call.id) is None
    assert redaction.pending(db) == [call.id]
    assert jobs.redact_backlog() == 1
    db.expire_all()
    assert transcription.get_transcript(db, call.id) is not None
    assert redaction.pending(db) == []


# The pipeline ---------------------------------------------------------------------------------------


def _result() -> TranscriptionResult:
    return TranscriptionResult(
        language="en",
        language_probability=1.0,
        model="test",
        speakers_separated=True,
        audio_duration_s=DURATION_S,
        speech_duration_s=6.0,
        processing_s=0.1,
        segments=[
            SegmentData(
                Speaker(row["speaker"]),
                row["start"],
                row["end"],
                " " + row["text"],
                [WordData(w["start"], w["end"], " " + w["word"], 0.9) for w in row["words"]],
            )
            for row in segments()
        ],
    )


@pytest.fixture
def heard() -> Iterator[None]:
    """The pipeline with a recogniser that hears the helper's script (the masking and the
    scoring after it are the real ones)."""
    saved = pipeline.stages()
    asr = pipeline.Stage(
        name="transcription",
        ready=CallStatus.RECEIVED,
        running=CallStatus.TRANSCRIBING,
        done=CallStatus.TRANSCRIBED,
        run=lambda call_id: _result(),
        store=lambda session, call, output: transcription.store_transcript(session, call, output),
    )
    pipeline.set_stages([jobs.redacting(asr), SCORING])
    yield
    pipeline.set_stages(saved)


def test_the_pipeline_stores_the_transcript_masked_and_scores_the_masked_text(
    db: Session, org: Any, tmp_path: Path, heard: None
) -> None:
    call = make_call(db, rep=org.rep)
    use_recording(db, call, stereo_wav(tmp_path / "call.wav"))
    db.commit()
    assert pipeline.process_call(call.id) is CallStatus.SCORED
    db.expire_all()
    transcript = transcription.get_transcript(db, call.id)
    assert transcript is not None
    assert not [s for s in SECRETS if s in " ".join(seg.text for seg in transcript.segments)]
    quotes = quotes_of(db, call.id)
    monologue = [q for q in quotes if q.startswith("Thank you")]
    assert monologue and not [s for s in SECRETS if s in monologue[0]]
    stored = db.get_one(Call, call.id)
    masked, rate = _masked_audio(stored, tmp_path)
    assert dominant_hz(_between(masked, rate, 1, 3.75, 4.85), rate) == pytest.approx(BEEP_HZ, abs=5)


def test_serbian_named_croatian_by_the_recogniser_is_masked_as_serbian() -> None:
    words = [
        {"start": 0.1 * i, "end": 0.1 * (i + 1), "word": w, "probability": 0.9}
        for i, w in enumerate(["Broj", "kartice", "je", "4111", "1111", "1111", "1111."])
    ]
    [mask] = mask_segments(
        [SegmentIn(0, "customer", 0.0, 0.7, " ".join(w["word"] for w in words), words)], "hr"
    )
    assert [w["word"] for w in mask.words] == ["Broj", "kartice", "je", "[broj kartice]"]


def test_the_redact_command_masks_every_stored_transcript(db: Session, org: Any) -> None:
    from typer.testing import CliRunner

    from qc.cli import app
    from tests.factories import make_checked_call
    from tests.privacy.redaction_helpers import unmask

    calls = [make_checked_call(db, rep=org.rep) for _ in range(2)]
    for call in calls:
        unmask(db, call)
    db.commit()
    assert CliRunner().invoke(app, ["privacy", "redact"]).exit_code == 2  # neither --all nor --call
    result = CliRunner().invoke(app, ["privacy", "redact", "--all"])
    assert result.exit_code == 0, result.output
    assert "2 transcript(s) masked, 0 already masked, 0 failed." in result.output
    db.expire_all()
    assert redaction.pending(db) == []
    assert all(transcription.get_transcript(db, c.id) is not None for c in calls)
    assert not [q for c in calls for q in quotes_of(db, c.id) if any(s in q for s in SECRETS)]
