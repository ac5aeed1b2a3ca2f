"""Calls whose customers say personal data, for the privacy tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qc.calls.models import Call, ChannelLayout
from qc.config import get_settings
from qc.kit.storage import get_storage
from qc.privacy import redaction
from qc.scoring.models import CallScore, CheckResult
from qc.transcription.models import Speaker, Transcript, TranscriptSegment
from qc.users.models import User
from tests.audio_helpers import encode, tone
from tests.factories import make_checked_call

CARD = "4111 1111 1111 1111"
EMAIL = "john.smith@example.com"
SECRETS = ("4111", "john.smith", "example.com")

# (speaker, start, [(word, start, end)]): the customer gives an e-mail address and a card
# number, the agent reads the card number back in the call's longest turn.
TURNS: list[tuple[str, float, list[tuple[str, float, float]]]] = [
    ("agent", 0.2, [("Good", 0.2, 0.4), ("morning,", 0.4, 0.8), ("Acme", 0.8, 1.1), ("Telecom.", 1.1, 1.5)]),
    (
        "customer",
        1.6,
        [
            ("My", 1.6, 1.8),
            ("email", 1.8, 2.1),
            ("is", 2.1, 2.3),
            (EMAIL, 2.3, 3.1),
            ("and", 3.1, 3.3),
            ("the", 3.3, 3.4),
            ("card", 3.4, 3.6),
            ("is", 3.6, 3.7),
            ("4111", 3.7, 4.0),
            ("1111", 4.0, 4.3),
            ("1111", 4.3, 4.6),
            ("1111.", 4.6, 4.9),
        ],
    ),
    (
        "agent",
        5.2,
        [
            ("Thank", 5.2, 5.4),
            ("you,", 5.4, 5.6),
            ("so", 5.6, 5.8),
            ("that", 5.8, 6.0),
            ("is", 6.0, 6.1),
            ("4111", 6.1, 6.4),
            ("1111", 6.4, 6.7),
            ("1111", 6.7, 7.0),
            ("1111,", 7.0, 7.3),
            ("correct?", 7.3, 7.8),
        ],
    ),
]
DURATION_S = 8.5


def segments() -> list[dict[str, Any]]:
    return [
        {
            "speaker": speaker,
            "start": start,
            "end": words[-1][2],
            "text": " ".join(w for w, _, _ in words),
            "words": [{"start": s, "end": e, "word": w, "probability": 0.9} for w, s, e in words],
        }
        for speaker, start, words in TURNS
    ]


def stereo_wav(path: Path, *, rate: int = 16000, seconds: float = DURATION_S) -> Path:
    """220 Hz on the left channel, 330 Hz on the right (easy to tell from a 1 kHz beep)."""
    return encode(path, tone(seconds, rate=rate, channels=2, amplitude=0.1), rate=rate)


def use_recording(
    db: Session, call: Call, path: Path, *, layout: ChannelLayout = ChannelLayout.AGENT_LEFT
) -> None:
    """Give `call` the recording at `path` (in place of the factory's sample)."""
    get_storage().put_file(call.storage_key, path)
    with av.open(str(path)) as container:
        context = container.streams.audio[0].codec_context
        call.codec, call.channels, call.sample_rate = context.name, context.channels, context.sample_rate
    call.channel_layout = layout
    call.duration_s = DURATION_S
    db.flush()


def unmask(db: Session, call: Call, *, upgraded: bool = False) -> None:
    """Turn the call into one transcribed and scored before masking existed: an unmasked
    transcript with personal data, and a check quoting it (`upgraded`: with the quotes
    blanked, as the upgrade to masking leaves them)."""
    transcript = db.scalar(select(Transcript).where(Transcript.call_id == call.id))
    assert transcript is not None
    for segment in db.scalars(
        select(TranscriptSegment).where(TranscriptSegment.transcript_id == transcript.id)
    ):
        db.delete(segment)
    db.flush()
    for position, row in enumerate(segments()):
        db.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                position=position,
                speaker=Speaker(row["speaker"]),
                start=row["start"],
                end=row["end"],
                text=row["text"],
                avg_logprob=-0.2,
                no_speech_prob=0.01,
                words=row["words"],
            )
        )
    transcript.redacted_at = None
    transcript.audio_duration_s = DURATION_S
    call.redacted_storage_key = None
    score = db.scalar(select(CallScore).where(CallScore.call_id == call.id))
    assert score is not None
    check = db.scalar(
        select(CheckResult).where(CheckResult.call_score_id == score.id).order_by(CheckResult.position)
    )
    assert check is not None
    check.evidence = [
        {
            "kind": "metric",
            "speaker": "agent",
            "start": 5.2,
            "end": 7.8,
            "text": "" if upgraded else segments()[2]["text"],
            "rule": "longest agent monologue",
            "segment": 2,
            "probability": None,
        },
        {
            "kind": "match",
            "speaker": "customer",
            "start": 1.6,
            "end": 3.1,
            "text": "" if upgraded else f"My email is {EMAIL}",
            "rule": '"my email"',
            "segment": 1,
            "probability": 0.9,
        },
    ]
    db.flush()


def masked_call(db: Session, rep: User, tmp_path: Path) -> Call:
    """A scored call whose customer said an e-mail address and a card number, masked as
    the worker's backlog task masks a transcript stored before masking existed."""
    call = make_checked_call(db, rep=rep)
    use_recording(db, call, stereo_wav(tmp_path / f"call-{call.id}.wav"))
    unmask(db, call)
    db.commit()
    assert redaction.redact_stored(call.id, storage=get_storage(), settings=get_settings())
    db.expire_all()
    return call


def decode(path: Path) -> tuple[np.ndarray, int]:
    """(channels x samples float array, sample rate) of a recording."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        layout = "mono" if stream.codec_context.channels == 1 else "stereo"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        blocks = [r.to_ndarray() for f in container.decode(stream) for r in resampler.resample(f)]
    return np.concatenate(blocks, axis=1), rate


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(spectrum.argmax())])


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


def quotes(db: Session, call_id: int) -> list[str]:
    """The text of every piece of evidence of the call's automatic checks."""
    score = db.scalar(select(CallScore).where(CallScore.call_id == call_id))
    assert score is not None
    checks = db.scalars(select(CheckResult).where(CheckResult.call_score_id == score.id))
    return [e["text"] for c in checks for e in c.evidence]


def submit_review(db: Session, reviewer: User, call_id: int, settings: Any) -> int:
    """The reviewer reviews the call and submits it (every answer as proposed, else yes)."""
    from qc.evaluations import service as evaluations
    from qc.evaluations.form import AnswerInput
    from qc.evaluations.service import ReviewForm
    from qc.users.service import principal_for

    principal = principal_for(db, reviewer)
    review = evaluations.review_call(db, principal, call_id, settings=settings)
    answers = {a.item_id: AnswerInput(a.answer or "yes") for a in review.answers}
    assert review.assignment_id is not None
    evaluations.submit_review(
        db, principal, review.assignment_id, data=ReviewForm(answers), settings=settings
    )
    db.commit()
    return review.id
