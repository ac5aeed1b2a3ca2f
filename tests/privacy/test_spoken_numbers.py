"""Masking transcripts whose spoken numbers are written in digits (qc.transcription.numbers):
everything found in the words as said is still found, and a masked number takes the words
it was said as with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.config import get_settings
from qc.kit.storage import get_storage
from qc.privacy import redaction
from qc.privacy.detect import find_personal_data
from qc.privacy.masking import SegmentIn, mask_segment
from qc.transcription.engine import SegmentData, TranscriptionResult, WordData
from qc.transcription.models import Speaker
from qc.transcription.numbers import normalise_words
from tests.factories import make_call
from tests.privacy.redaction_helpers import stereo_wav, use_recording


def heard(words: str | list[str]) -> list[WordData]:
    """Word i said from i s to i + 0.5 s, so a joined word's timing names its source words."""
    pieces = words.split() if isinstance(words, str) else words
    return [WordData(float(i), i + 0.5, w, 0.9) for i, w in enumerate(pieces)]


def card(four: str, one: str) -> str:
    """Visa's test number 4111 1111 1111 1111 said digit by digit."""
    return " ".join([four] + [one] * 15)


def sources(word: dict[str, Any]) -> range:
    return range(int(word["start"]), int(word["end"]) + 1)


def masked_sources(words: list[WordData], language: str) -> tuple[set[int], list[dict[str, Any]]]:
    """The indexes of the source words that masking covers, and the masked words."""
    dicts = [w.as_dict() for w in words]
    mask = mask_segment(SegmentIn(0, "customer", 0.0, 1.0, " ".join(w.word for w in words), dicts), language)
    if mask is None:
        return set(), dicts
    masked = {i for span in mask.spans for w in dicts[span.first : span.last + 1] for i in sources(w)}
    return masked, mask.words


def test_the_labelled_set_is_masked_word_for_word_as_before_normalising() -> None:
    # The detector's labelled set (bench/pii.py), each transcript masked once as said and
    # once with its numbers in digits: the second masks the same words, widened only to the
    # whole of a number that holds one of them.
    from bench.pii import load_set

    joined = 0
    for transcript in load_set():
        said = heard(transcript.words)
        before, _ = masked_sources(said, transcript.language)
        normalised = normalise_words(said, transcript.language)
        joined += sum(w.spoken is not None for w in normalised)
        after, words = masked_sources(normalised, transcript.language)
        widened = {i for w in normalised for i in sources(w.as_dict()) if before & set(sources(w.as_dict()))}
        assert after == widened, (transcript.id, transcript.words)
        assert not [w for w in words if "spoken" in w and set(sources(w)) & after], transcript.id
    assert joined > 100  # the set does dictate numbers the normaliser joins


@pytest.mark.parametrize(
    ("language", "said", "label"),
    [
        ("en", f"my card is {card('four', 'one')}", "[card number]"),
        ("en", "call me on oh seven nine one one, one two three, four five six thanks", "[phone number]"),
        ("ru", f"номер карты {card('четыре', 'один')}", "[номер карты]"),
        ("ro", f"cardul meu este {card('patru', 'unu')}", "[număr card]"),
        ("sr", f"broj kartice je {card('četiri', 'jedan')}", "[broj kartice]"),
        ("it", f"la mia carta è {card('quattro', 'uno')}", "[numero carta]"),
    ],
)
def test_a_number_dictated_and_joined_is_masked_with_the_words_it_was_said_as(
    language: str, said: str, label: str
) -> None:
    normalised = normalise_words(heard(said.split()), language)
    assert any(w.spoken and len(w.spoken.split()) > 10 for w in normalised)  # joined into one word

    _, words = masked_sources(normalised, language)

    assert label in [w["word"] for w in words]
    assert not [w for w in words if "spoken" in w]
    remaining = " ".join(w["word"] for w in words)
    assert not any(ch.isdigit() for ch in remaining), remaining


def test_the_joined_digits_alone_are_found_too() -> None:
    # Text that has only the digits (a quote taken from the transcript) is still read right.
    text = " ".join(w.word for w in normalise_words(heard(f"my card is {card('4', '1')}"), "en"))
    assert text == "my card is 4111111111111111"
    assert [f.kind.value for f in find_personal_data(text, "en")] == ["card"]


def test_masking_a_fresh_transcription_keeps_the_spoken_words_of_numbers_it_leaves(
    db: Session, org: Any, tmp_path: Path
) -> None:
    call = make_call(db, rep=org.rep)
    use_recording(db, call, stereo_wav(tmp_path / "call.wav"))
    db.commit()
    words = normalise_words(
        heard(f"my card is {card('four', 'one')} see you at quarter to nine"),
        "en",
    )
    result = TranscriptionResult(
        language="en",
        language_probability=1.0,
        model="test",
        speakers_separated=True,
        audio_duration_s=30.0,
        speech_duration_s=20.0,
        processing_s=0.1,
        segments=[SegmentData(Speaker.CUSTOMER, 0.0, 25.0, " ".join(w.word for w in words), words)],
    )

    output = redaction.redact_transcription(call.id, result, storage=get_storage(), settings=get_settings())

    [segment] = output.result.segments
    assert [(w.word, w.spoken) for w in segment.words[3:]] == [
        ("[card number]", None),
        ("see", None),
        ("you", None),
        ("at", None),
        ("8:45", "quarter to nine"),
    ]
    assert segment.text == "my card is [card number] see you at 8:45"
    [original] = output.masks
    assert "four one one one" in original.original()["words"][3]["spoken"]  # kept apart, as the original is
