"""Times of day said in words, for the transcript's number rewriting (`qc.transcription.numbers`).

The rewriting reads a segment as a row of pieces (a word, or a number already parsed) and
asks here which runs of them are a time: "quarter to nine" -> "8:45", "в девять тридцать"
-> "9:30", "la ora nouă și jumătate" -> "9:30", "u pola devet" -> "8:30", "alle nove meno
un quarto" -> "8:45". A phrase made only of time words ("quarter to", "без четверти",
"полдевятого") is a time wherever it is said; two bare numbers ("nine thirty") or a number
with "and" and minutes ("nouă și zece") only right after a word that introduces a time
("at", "в", "la", "u", "alle"), where nothing else reads the same. A minute count before
an hour ("five to ten", "deset do devet") needs the strongest cue, "at" / "u", because
without it the same words are a range ("from five to ten").

English hours run 1-12 ("at twenty thirty" is no time); the other languages' 0-24.
An hour counted back from one ("quarter to one") is 12.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Clock = Callable[[int, int], tuple[int, int]]


@dataclass(frozen=True)
class Unit:
    """One piece of a segment as the time patterns see it."""

    word: str | None  # the folded word, when the piece is one word
    number: int | None  # its value, when the piece is a number said or written as such
    tight: bool  # nothing but a space between it and the next piece


def _at(h: int, m: int) -> tuple[int, int]:
    return h, m


def _past(minutes: int) -> Clock:
    return lambda h, _m: (h, minutes)


def _into(minutes: int) -> Clock:
    """`minutes` into the hour before the one named ("половина девятого": half of the ninth)."""
    return lambda h, _m: (h - 1, minutes)


def _to(minutes: int | None = None) -> Clock:
    """`minutes` (or the minutes said) before the hour."""
    return lambda h, m: (h - 1, 60 - (m if minutes is None else minutes))


@dataclass(frozen=True)
class _Pattern:
    slots: tuple[str, ...]  # H hour, M minutes, MM minutes 10-59, Z zero, D digit 1-9,
    # ORD a Russian ordinal hour, POLORD "пол" + one, GEN Russian minutes in the genitive;
    # otherwise words ("a|b" either, "?a" optional)
    clock: Clock
    cue: str = ""  # "": none needed; "any": a cue word before; "strong": the strongest cue


def _p(slots: str, clock: Clock, cue: str = "any") -> _Pattern:
    return _Pattern(tuple(slots.split()), clock, cue)


_PATTERNS: dict[str, list[_Pattern]] = {
    "en": [
        _p("?a quarter past H", _past(15), cue=""),
        _p("?a quarter to H", _to(15), cue=""),
        _p("half past H", _past(30), cue=""),
        _p("M ?minutes past H", lambda h, m: (h, m), cue="strong"),
        _p("M ?minutes to H", _to(), cue="strong"),
        _p("H Z D", _at),
        _p("H MM", _at),
    ],
    "ru": [
        _p("без четверти H", _to(15), cue=""),
        _p("без GEN H", _to(), cue=""),
        _p("POLORD", _into(30), cue=""),
        _p("половина|половине|половины|пол ORD", _into(30)),
        _p("четверть ORD", _into(15)),
        _p("H Z D", _at),
        _p("H MM", _at),
    ],
    "ro": [
        _p("H si jumatate", _past(30)),
        _p("H si un sfert", _past(15)),
        _p("H fara un sfert", _to(15)),
        _p("H fara M", _to()),
        _p("H si M", _at),
        _p("H Z D", _at),
        _p("H MM", _at),
    ],
    "sr": [
        _p("pola H", _into(30)),
        _p("H i po", _past(30)),
        _p("H i cetvrt", _past(15)),
        _p("cetvrt do H", _to(15)),
        _p("M do H", _to(), cue="strong"),
        _p("H i M", _at),
        _p("H Z D", _at),
        _p("H MM", _at),
    ],
    "it": [
        _p("H e mezza|mezzo", _past(30)),
        _p("H e un quarto", _past(15)),
        _p("H e tre quarti", _past(45)),
        _p("H meno un quarto", _to(15)),
        _p("H meno M", _to()),
        _p("H e M", _at),
        _p("H Z D", _at),
        _p("H MM", _at),
    ],
}
# Words right before a time that say it is one (two words: "verso le").
_CUES = {
    "en": {"at", "by", "until", "till", "around", "from", "after", "before"},
    "ru": {"в", "во", "к"},
    "ro": {"la", "ora", "orele"},
    "sr": {"u", "oko", "od", "do", "posle", "pre"},
    "it": {"alle", "dalle", "ore", "verso le", "entro le", "per le", "dopo le", "prima delle"},
}
_STRONG_CUES = {"en": {"at"}, "sr": {"u"}}
# Words right after bare numbers that make them a time without a cue.
_AFTER = {"en": {"am", "pm"}}
# The Russian hour said as an ordinal in the genitive ("половина девятого": half of the ninth).
_ORDINALS = {
    word: n
    for n, word in enumerate(
        (
            "первого",
            "второго",
            "третьего",
            "четвертого",
            "пятого",
            "шестого",
            "седьмого",
            "восьмого",
            "девятого",
            "десятого",
            "одиннадцатого",
            "двенадцатого",
        ),
        start=1,
    )
}
_GENITIVE_MINUTES = {"пяти": 5, "десяти": 10, "пятнадцати": 15, "двадцати": 20, "четверти": 15}


def find_times(units: Sequence[Unit], language: str) -> list[tuple[int, int, str]]:
    """(first, last, "8:45") for each time said in `units`, left to right, not overlapping."""
    patterns = _PATTERNS.get(language, [])
    found: list[tuple[int, int, str]] = []
    n = 0
    while n < len(units):
        for pattern in patterns:
            match = _match(units, n, pattern, language)
            if match is not None:
                found.append((n, match[0], match[1]))
                n = match[0]
                break
        n += 1
    return found


def _match(units: Sequence[Unit], start: int, pattern: _Pattern, language: str) -> tuple[int, str] | None:
    hour, minutes, n = None, 0, start
    for slot in pattern.slots:
        if n > start and not units[n - 1].tight:
            return None
        optional = slot.startswith("?")
        value = _slot(units[n], slot.lstrip("?"), language) if n < len(units) else None
        if value is None:
            if optional:
                continue
            return None
        if slot in ("H", "ORD", "POLORD"):
            hour = value
        elif slot in ("M", "MM", "D", "GEN"):
            minutes = value
        n += 1
    if hour is None or not _cued(units, start, n - 1, pattern.cue, language):
        return None
    h, m = pattern.clock(hour, minutes)
    if h == 0 and hour == 1:
        h = 12
    if not (0 <= h <= 24 and 0 <= m <= 59):
        return None
    return n - 1, f"{h}:{m:02d}"


def _slot(unit: Unit, slot: str, language: str) -> int | None:
    """The value a unit gives a slot (0 for a matching word), None when it does not fit."""
    number, word = unit.number, unit.word or ""
    if slot == "H":
        top = 12 if language == "en" else 24
        return number if number is not None and (1 if language == "en" else 0) <= number <= top else None
    if slot in ("M", "MM", "D", "Z"):
        low, high = {"M": (1, 59), "MM": (10, 59), "D": (1, 9), "Z": (0, 0)}[slot]
        return number if number is not None and low <= number <= high else None
    if slot == "ORD":
        return _ORDINALS.get(word)
    if slot == "POLORD":
        return _ORDINALS.get(word[3:]) if word.startswith("пол") else None
    if slot == "GEN":
        return _GENITIVE_MINUTES.get(word)
    return 0 if word in slot.split("|") else None


def _cued(units: Sequence[Unit], first: int, last: int, cue: str, language: str) -> bool:
    if not cue:
        return True
    cues = _STRONG_CUES.get(language, set()) if cue == "strong" else _CUES.get(language, set())
    before = list(units[max(0, first - 2) : first])
    if before and before[-1].tight and before[-1].word in cues:
        return True
    if len(before) == 2 and all(u.tight for u in before) and f"{before[0].word} {before[1].word}" in cues:
        return True
    after = units[last + 1] if last + 1 < len(units) else None
    return (
        after is not None
        and units[last].tight
        and (after.word or "").replace(".", "") in _AFTER.get(language, set())
    )
