"""Spoken numbers written in digits in every new transcript: one word per number, timed over
the words it was said as, which it keeps in `spoken`."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from bs4 import BeautifulSoup

from qc.calls.models import ChannelLayout
from qc.config import Settings
from qc.kit.storage import LocalStorage
from qc.transcription import engine, service, weights
from qc.transcription.engine import SegmentData, TranscriptionResult, WordData
from qc.transcription.export import Turn
from qc.transcription.models import Speaker, TranscriptSegment
from qc.transcription.numbers import normalise_result, normalise_words


def words_of(said: str, *, probabilities: list[float] | None = None) -> list[WordData]:
    """One word per space-separated piece, 0.5 s each from 10 s on."""
    pieces = said.split()
    probabilities = probabilities or [0.9] * len(pieces)
    return [
        WordData(10 + 0.5 * i, 10 + 0.5 * i + 0.4, w, p)
        for i, (w, p) in enumerate(zip(pieces, probabilities, strict=True))
    ]


def heard(said: str, language: str) -> str:
    return " ".join(w.word for w in normalise_words(words_of(said), language))


# (said, written): each `written` word is one word of the result; the same text is unchanged.
CASES: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("twenty five", "25"),
        ("one hundred and twenty three", "123"),
        ("four thousand one hundred and eleven", "4111"),
        ("a hundred pounds", "100 pounds"),
        ("four one one one", "4111"),
        ("the code is 4 1 1 1", "the code is 4111"),
        ("oh seven nine one one, one two three, four five six", "07911123456"),
        ("4,111,111 and 2", "4111111 and 2"),
        ("2 ,221 ,778", "2221778"),
        ("card 4 -11 -11 -11 -11", "card 411111111"),
        ("10 -15 minutes", "10 -15 minutes"),
        ("call me at 9 -30", "call me at 9:30"),
        ("at 9 .30. Or 9. 30", "at 9:30. Or 9. 30"),
        ("nineteen ninety five", "1995"),
        ("double five oh seven", "5507"),
        ("quarter to nine", "8:45"),
        ("at a quarter past three", "at 3:15"),
        ("half past three", "3:30"),
        ("see you at nine thirty", "see you at 9:30"),
        ("at nine oh five", "at 9:05"),
        ("nine thirty pm", "9:30 pm"),
        ("at five to ten", "at 9:55"),
        ("two hundred dollars", "200 dollars"),
        ("one dollar", "1 dollar"),
        ("fifty percent", "50 percent"),
        ("one o'clock", "1 o'clock"),
        ("three point five", "3.5"),
        ("the two of us", "the 2 of us"),
        ("ends in four one. One two", "ends in 41. 12"),
        # unchanged
        ("one of them", "one of them"),
        ("no one called", "no one called"),
        ("a one-time offer", "a one-time offer"),
        ("oh really", "oh really"),
        ("the twenty-first", "the twenty-first"),
        ("the twenty first of May", "the twenty first of May"),
        ("two and a half", "2 and a half"),
        ("from five to ten", "from 5 to 10"),
        ("two, three days", "2, 3 days"),
        ("hundreds of calls", "hundreds of calls"),
        ("20 thousand", "20 thousand"),
        ("5-6 days or two-three weeks", "5-6 days or two-three weeks"),
        ("0-2-0-8", "0208"),
        ("at 9:30 or $200", "at 9:30 or $200"),
    ],
    "ru": [
        ("сто двадцать три", "123"),
        ("сорок два", "42"),
        ("две тысячи двадцать четыре", "2024"),
        ("четыре один один один", "4111"),
        ("ноль семь девять, один один.", "07911."),
        ("в девять тридцать", "в 9:30"),
        ("в десять ноль пять", "в 10:05"),
        ("без четверти девять", "8:45"),
        ("без пяти девять", "8:55"),
        ("в половине девятого", "в 8:30"),
        ("полдевятого", "8:30"),
        ("пятьсот рублей", "500 рублей"),
        ("один рубль", "1 рубль"),
        ("тысяча рублей", "1000 рублей"),
        ("три запятая пять", "3,5"),
        ("в двадцать пять лет", "в 25 лет"),
        # unchanged
        ("один момент", "один момент"),
        ("двадцать первое марта", "двадцать первое марта"),
        ("половина второго тайма", "половина второго тайма"),
        ("тысяча", "тысяча"),
    ],
    "ro": [
        ("două sute cincizeci", "250"),
        ("patruzeci și doi", "42"),
        ("o mie de lei", "1000 de lei"),
        ("cinci sute de lei", "500 de lei"),
        ("patru unu unu unu", "4111"),
        ("la ora nouă și jumătate", "la ora 9:30"),
        ("la nouă și un sfert", "la 9:15"),
        ("la nouă fără un sfert", "la 8:45"),
        ("la nouă fără zece", "la 8:50"),
        ("ora unu", "ora 1"),
        ("nouă lei", "9 lei"),
        ("trei virgulă cinci", "3,5"),
        # unchanged
        ("un om", "un om"),
        ("o mașină nouă", "o mașină nouă"),
        ("mie îmi place", "mie îmi place"),
        ("mii de oameni", "mii de oameni"),
        ("al douăzeci și unulea", "al douăzeci și unulea"),
    ],
    "sr": [
        ("dvesta pedeset", "250"),
        ("двеста педесет", "250"),
        ("četrdeset dva", "42"),
        ("četiri jedan jedan jedan", "4111"),
        ("четири један један један", "4111"),
        ("pet hiljada dinara", "5000 dinara"),
        ("sto dinara", "100 dinara"),
        ("u pola devet", "u 8:30"),
        ("у пола девет", "у 8:30"),
        ("u devet i trideset", "u 9:30"),
        ("u devet i po", "u 9:30"),
        ("u petnaest do devet", "u 8:45"),
        ("tri zarez pet", "3,5"),
        # unchanged
        ("od devet do deset", "od 9 do 10"),
        ("što ste rekli", "što ste rekli"),
        ("sto je bio", "sto je bio"),
        ("jedan čovek", "jedan čovek"),
        ("dvadeset prvi", "dvadeset prvi"),
    ],
    "it": [
        ("duecentocinquanta", "250"),
        ("ventitré", "23"),
        ("mille e cento", "1100"),
        ("quattro uno uno uno", "4111"),
        ("alle nove e mezza", "alle 9:30"),
        ("alle nove meno un quarto", "alle 8:45"),
        ("alle nove e un quarto", "alle 9:15"),
        ("alle ventuno e trenta", "alle 21:30"),
        ("verso le nove e mezza", "verso le 9:30"),
        ("cento euro", "100 euro"),
        ("sei euro", "6 euro"),
        ("ho trentadue anni", "ho 32 anni"),
        ("tre virgola cinque", "3,5"),
        # unchanged
        ("tu sei bravo", "tu sei bravo"),
        ("un momento", "un momento"),
        ("uno di loro", "uno di loro"),
        ("mille grazie", "mille grazie"),
    ],
}


@pytest.mark.parametrize(
    ("language", "said", "written"),
    [(language, said, written) for language, cases in CASES.items() for said, written in cases],
)
def test_spoken_numbers_are_written_in_digits(language: str, said: str, written: str) -> None:
    assert heard(said, language) == written


def test_a_number_is_timed_over_its_words_with_their_lowest_confidence() -> None:
    words = words_of(
        "my card is four one one one thanks", probabilities=[0.9, 0.9, 0.9, 0.8, 0.4, 0.95, 0.7, 0.9]
    )
    result = normalise_words(words, "en")

    assert [w.word for w in result] == ["my", "card", "is", "4111", "thanks"]
    number = result[3]
    assert (number.start, number.end) == (words[3].start, words[6].end)
    assert number.probability == 0.4
    assert number.spoken == "four one one one"
    assert [w.spoken for w in result if w is not number] == [None] * 4
    assert result[0] is words[0] and result[-1] is words[-1]  # other words untouched


def test_punctuation_around_a_number_stays_and_spoken_keeps_the_words_as_heard() -> None:
    [time] = normalise_words(words_of("(quarter to nine."), "en")
    assert (time.word, time.spoken) == ("(8:45.", "(quarter to nine.")


def test_a_number_already_in_digits_is_left_alone() -> None:
    words = words_of("4111 1111 9:30 3.5 1st 42")
    assert all(a is b for a, b in zip(normalise_words(words, "en"), words, strict=True))


def test_normalising_twice_changes_nothing_more() -> None:
    once = normalise_words(words_of("my card four one one one at quarter to nine two hundred dollars"), "en")
    assert normalise_words(once, "en") == once


def test_words_stored_with_their_leading_space_read_the_same() -> None:
    words = [
        WordData(w.start, w.end, f" {w.word}", w.probability) for w in words_of("card four one one one.")
    ]
    assert [(w.word, w.spoken) for w in normalise_words(words, "en")] == [
        (" card", None),
        (" 4111.", "four one one one."),
    ]


def test_a_language_without_number_words_still_joins_whisper_digits() -> None:
    assert heard("Karte 4 1 1 1 und vier", "de") == "Karte 4111 und vier"
    assert heard("4,111,111", "de") == "4111111"


def test_serbian_named_croatian_by_the_recogniser_reads_serbian_numbers() -> None:
    assert heard("u pola devet", "hr") == "u 8:30"


def test_as_dict_carries_spoken_only_when_set() -> None:
    plain = WordData(1.0, 1.5, "hello", 0.9)
    number = WordData(1.0, 2.5, "4111", 0.8, spoken="four one one one")
    assert "spoken" not in plain.as_dict()
    assert number.as_dict()["spoken"] == "four one one one"


def _result(said: str, language: str = "en") -> TranscriptionResult:
    words = words_of(said)
    segment = SegmentData(
        Speaker.CUSTOMER, words[0].start, words[-1].end, " ".join(w.word for w in words), words
    )
    other = SegmentData(Speaker.AGENT, 0.0, 1.0, "Hello there", words_of("Hello there"))
    return TranscriptionResult(
        language=language,
        language_probability=1.0,
        model="test",
        speakers_separated=True,
        audio_duration_s=20.0,
        speech_duration_s=10.0,
        processing_s=0.1,
        segments=[other, segment],
    )


def test_each_segment_text_is_rebuilt_from_its_words() -> None:
    result = normalise_result(_result("my number is oh seven nine one one, one two three"))
    untouched, segment = result.segments
    assert segment.text == "my number is 07911123"
    assert segment.text == " ".join(w.word for w in segment.words)
    assert untouched.text == "Hello there"


def test_transcribe_recording_returns_numbers_in_digits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The recogniser is faked (the real one is tested in test_asr); what is checked is that
    # every transcript the service returns has its numbers rewritten.
    monkeypatch.setattr(weights, "resolve_model", lambda name, cache: SimpleNamespace(label=name))
    monkeypatch.setattr(weights, "load_model", lambda spec, **kwargs: object())
    monkeypatch.setattr(engine, "transcribe", lambda *args, **kwargs: _result("сорок два рубля", "ru"))
    storage = LocalStorage(tmp_path)
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    audio = service.CallAudio(1, "x.wav", ChannelLayout.AGENT_LEFT, "ru")

    result = service.transcribe_recording(audio, settings=Settings(), storage=storage)

    segment = result.segments[1]
    assert segment.text == "42 рубля"
    assert segment.words[0].spoken == "сорок два"


def _segment(words: list[dict[str, Any]]) -> TranscriptSegment:
    return TranscriptSegment(
        position=0,
        speaker=Speaker.CUSTOMER,
        start=words[0]["start"],
        end=words[-1]["end"],
        text=" ".join(w["word"] for w in words),
        words=words,
    )


def test_the_transcript_page_titles_a_number_with_what_was_said() -> None:
    words = [w.as_dict() for w in normalise_words(words_of("at quarter to nine"), "en")]
    words.append({"start": 20.0, "end": 20.5, "word": "x", "probability": 0.9, "spoken": '<b>"no"</b>'})
    page = BeautifulSoup(str(Turn(Speaker.CUSTOMER, [_segment(words)]).words_html({})), "html.parser")

    titles = {span.text: span["title"] for span in page.find_all("span")}
    assert titles["8:45"] == "said “quarter to nine” · 10.5 s · confidence 90%"
    assert titles["at"] == "10.0 s · confidence 90%"  # said as written: nothing to add
    assert str(titles["x"]).startswith('said “<b>"no"</b>” · ')  # escaped: text, not markup
    assert page.find("b") is None
