"""Spoken numbers in a transcript's words written in digits, one word per number.

Whisper writes a number as words ("four one one one", "сорок два", "quarter to nine"), as
fragments ("4" "1" "1" "1", "4,111") or as digits; checks, search and reviewers find it
only in one shape. Every new transcript goes through `normalise_result`: each number
becomes one word in digits, timed from its first source word's start to its last one's
end, with the lowest of their confidences, and `spoken` holding the source words joined
by spaces ("8:45", spoken "quarter to nine"). Punctuation before the first and after the
last source word stays on the new word ("nine." -> "9.").

Handled in en, ru, ro, sr (Latin and Cyrillic) and it; words are compared folded (lower
case, no diacritics, Serbian Cyrillic as Latin). Other languages get only the digit rules.

- Cardinals: "twenty five" -> 25, "сто двадцать три" -> 123, "două sute cincizeci" -> 250,
  "dvesta pedeset" -> 250, "duecentocinquanta" -> 250 (Italian glues compounds), "mille e
  cento" -> 1100, "a hundred" -> 100. The parsing is `qc.transcription.spoken_numbers`.
- Ids: numbers said one or two digits at a time join into one id: "four one one one" ->
  4111, "oh seven nine one one" -> 07911, "nineteen ninety five" -> 1995, and Whisper's
  separate digits "4" "1" "1" "1" too. A comma or dash between single digits is a pause in
  the dictation, and Whisper writes dictated groups as "4" "-11" "-11": both join when the
  id has three parts or more ("4, 1, 1, 1" -> 4111; "two, three" and "10 -15" stay two
  numbers); a full stop, question mark, colon or other mark never joins.
  A larger number ("two hundred") is a number of its own and joins nothing.
- Whisper's digits: "4,111,111" -> 4111111 (a comma before every three digits), ",221"
  right after a number continues it. Other digit words ("9:30", "$200", "3.5", "1st",
  "4111") stay as written.
- Times (`qc.transcription.numbers_times`): "quarter to nine" -> 8:45, "at nine thirty" ->
  9:30, "в девять тридцать", "без четверти девять", "la ora nouă și jumătate", "u pola
  devet" -> 8:30, "alle nove meno un quarto" -> 8:45. Bare "nine thirty" without a word
  like "at" before it is two numbers joined as an id (930): nothing says it is a time.
- Amounts: the number becomes digits, the currency word stays: "two hundred dollars" ->
  "200" "dollars", "пятьсот рублей", "cinci sute de lei" -> "500" "de" "lei", "cento euro".
- Decimals: "three point five" -> 3.5, "trei virgulă cinci" -> 3,5 (the language's mark),
  "три запятая пять" -> 3,5; "три целых пять десятых" keeps its words with each number in
  digits ("3 целых 5 десятых").
- Stays words: ordinals ("first", "twenty-first", "двадцать первое", "dvadeset prvi":
  the number before an ordinal stays too), "two and a half", number words in other words.
- A lone small number stays a word: "one" ("one of them", "no one"), "один", "un", "una",
  "jedan", "zero", a multiplier said without a number ("thousand", "mie", "тысяча", "cento", "mille")
  and the number words that are also common words ("sei" you are, "nouă" new / us, "sto"
  what / table). Each becomes digits when it is part of a longer number, an id, a time or
  an amount, or before a percent or an hour word ("one o'clock" -> "1 o'clock", "ora unu").
  Any other single number, two and above, becomes digits ("two of us" -> "2 of us").
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from qc.transcription.engine import SegmentData, TranscriptionResult, WordData
from qc.transcription.numbers_times import Unit, find_times
from qc.transcription.spoken_numbers import Morpheme, Part, fold, morphemes, parse_numbers

LANGUAGES = ("en", "ru", "ro", "sr", "it")
_ALIASES = {"hr": "sr", "bs": "sr", "me": "sr", "cnr": "sr"}

# Words that stay words when they are a number alone (see the module's description).
_AMBIGUOUS = {"it": {"sei"}, "ro": {"noua"}, "sr": {"sto"}}
# Words after a number that make even a lone one a number: currencies, percent, hours.
_UNITS = {
    "en": "dollar dollars pound pounds euro euros cent cents pence quid bucks percent o'clock",
    "ru": "рубль рубля рублей копейка копейки копеек доллар доллара долларов евро процент процента "
    "процентов час часа часов",
    "ro": "leu lei ban bani euro dolar dolari procent procente",
    "sr": "dinar dinara dinari evro evra eura euro dolar dolara posto procenat procenta procenata "
    "sat sata sati casova",
    "it": "euro centesimi centesimo dollari dollaro percento",
}
_UNIT_WORDS = {language: set(words.split()) for language, words in _UNITS.items()}
_UNIT_LINK = {"ro": "de"}  # "două sute de lei"
_HOUR_BEFORE = {"ro": {"ora", "orele"}, "it": {"ore"}}  # "ora unu", "alle ore nove"
_DECIMAL = {"en": ("point", "."), "ru": ("запятая", ","), "ro": ("virgula", ","), "sr": ("zarez", ",")}
_DECIMAL |= {"it": ("virgola", ",")}
_ORDINAL = {
    "en": re.compile(r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"),
    "ru": re.compile(
        r"(перв|втор|трет|четверт|пят|шест|седьм|восьм|девят)"
        r"(ый|ой|ий|ая|ое|ые|ого|ому|ым|ом|ую|ых|ыми|ье|ья|ьи|ьего|ьему|ьим|ьем|ьей|ью|ьих|ьими)"
    ),
    "ro": re.compile(r"\w+lea"),
    "sr": re.compile(r"(prv|drug|trec|cetvrt|pet|sest|sedm|osm|devet)(i|a|o|e|u|og|oga|om|ome|oj|im|ih|ima)"),
}

_EDGES = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_PAUSE = set(",-–")


@dataclass(frozen=True)
class _Tok:
    lead: str  # punctuation before the word
    core: str
    trail: str  # punctuation after it
    folded: str
    parts: tuple[Morpheme, ...] = ()  # a number word's parts, or a single digit's
    digits: str | None = None  # a number written in digits, commas dropped


class _Kind(enum.Enum):
    WORD = "word"
    DICTATED = "dictated"  # one or two digits said at once: may join its neighbours into an id
    VALUE = "value"  # a larger number said in words ("two hundred")
    WRITTEN = "written"  # digits as Whisper wrote them
    JOINED = "joined"  # an id, a time or a decimal: settled


@dataclass(frozen=True)
class _Piece:
    first: int  # source word indexes, inclusive
    last: int
    kind: _Kind = _Kind.WORD
    text: str = ""  # the digits (or the time) of a number
    keep: bool = False  # digits even if alone: an amount, a percentage, an hour
    lone: bool = False  # one word that stays a word unless kept

    @property
    def is_number(self) -> bool:
        return self.kind is not _Kind.WORD


def detector_language(language: str | None) -> str | None:
    """The language whose number words apply ("sr-Latn" -> "sr", "hr" -> "sr"); None if none."""
    code = (language or "").lower().split("-")[0].split("_")[0]
    code = _ALIASES.get(code, code)
    return code if code in LANGUAGES else None


def normalise_result(result: TranscriptionResult) -> TranscriptionResult:
    """The transcription with every segment's spoken numbers in digits (text rebuilt)."""
    segments = [normalise_segment(s, result.language) for s in result.segments]
    return replace(result, segments=segments)


def normalise_segment(segment: SegmentData, language: str | None) -> SegmentData:
    """The segment with its numbers in digits; the same object when it has none to rewrite."""
    words = normalise_words(segment.words, language)
    if len(words) == len(segment.words) and all(a is b for a, b in zip(words, segment.words, strict=True)):
        return segment
    return replace(segment, words=words, text=" ".join(w.word for w in words))


def normalise_words(words: Sequence[WordData], language: str | None) -> list[WordData]:
    """The words with each spoken number as one word in digits (see the module's description);
    words that are no number are the same objects."""
    lang = detector_language(language)
    toks = [_token(w.word, lang) for w in words]
    pieces = _pieces(toks, lang)
    if lang is not None:
        pieces = _ordinals(pieces, toks, lang)
        pieces = _times(pieces, toks, lang)
    pieces = _ids(pieces, toks)
    if lang is not None:
        pieces = _decimals(pieces, toks, lang)
        pieces = _kept(pieces, toks, lang)
    return [_emit(p, words, toks) for p in _lone_as_words(pieces)]


# ---------------------------------------------------------------- words to tokens and pieces


def _token(word: str, language: str | None) -> _Tok:
    match = _EDGES.match(word)
    assert match is not None  # every string matches
    lead, core, trail = match.groups()
    folded = fold(core, language or "en").replace("’", "'")
    if core.isascii() and core.isdigit():
        if len(core) == 1:
            return _Tok(lead, core, trail, folded, parts=(Morpheme(Part.DIGIT, int(core)),))
        return _Tok(lead, core, trail, folded, digits=core)
    if _THOUSANDS.fullmatch(core):
        return _Tok(lead, core, trail, folded, digits=core.replace(",", ""))
    return _Tok(lead, core, trail, folded, parts=_word_parts(folded, language))


def _word_parts(folded: str, language: str | None) -> tuple[Morpheme, ...]:
    """A number word's parts; a hyphenated word is a number only if all of it is
    ("twenty-five", "0-2-0-8"; not "one-time"), and two digits are a range ("5-6" days)."""
    pieces = folded.split("-")
    parts: list[Morpheme] = []
    for piece in pieces:
        if len(piece) == 1 and piece.isascii() and piece.isdigit():
            parts.append(Morpheme(Part.DIGIT, int(piece)))
            continue
        found = morphemes(piece, language) if language and piece.isalpha() else ()
        if not found:
            return ()
        parts.extend(found)
    if len(pieces) == 2 and all(m.part is Part.DIGIT for m in parts):
        return ()
    return tuple(parts)


def _marks(a: _Tok, b: _Tok) -> str:
    """The punctuation between two neighbouring words."""
    return "".join((a.trail + b.lead).split())


def _gap(a: _Tok, b: _Tok) -> str:
    """What is between two neighbouring words: "" nothing, "pause" a comma or dash, "break"."""
    marks = _marks(a, b)
    if not marks:
        return ""
    return "pause" if set(marks) <= _PAUSE else "break"


def _pieces(toks: Sequence[_Tok], language: str | None) -> list[_Piece]:
    out: list[_Piece] = []
    i = 0
    while i < len(toks):
        j = i
        if toks[i].parts:
            while j + 1 < len(toks) and toks[j + 1].parts and not _gap(toks[j], toks[j + 1]):
                j += 1
            out.extend(_run(toks, i, j, language))
        elif toks[i].digits is not None:
            while j + 1 < len(toks) and _continues(toks[j], toks[j + 1]):
                j += 1
            text = "".join(t.digits or "" for t in toks[i : j + 1])
            if out and out[-1].is_number and out[-1].last == i - 1 and _continues(toks[i - 1], toks[i]):
                previous = out.pop()
                out.append(_Piece(previous.first, j, _Kind.WRITTEN, previous.text + text))
            else:
                out.append(_Piece(i, j, _Kind.WRITTEN, text))
        else:
            out.append(_Piece(i, i))
        i = j + 1
    return out


def _continues(a: _Tok, b: _Tok) -> bool:
    """Whisper's ",221" right after a number ("2" ",221" ",778") continues it."""
    digits = a.digits is not None or (a.core.isascii() and a.core.isdigit())
    return digits and not a.trail.strip() and b.digits is not None and b.lead.strip() == ","


def _run(toks: Sequence[_Tok], i: int, j: int, language: str | None) -> list[_Piece]:
    """Consecutive number words as numbers; words among them that make none stay words."""
    numbers: list[_Piece] = []
    for group in parse_numbers([(k, m) for k in range(i, j + 1) for m in toks[k].parts]):
        if numbers and group.first <= numbers[-1].last:  # two numbers in one word: one
            last = numbers[-1]
            numbers[-1] = replace(last, last=group.last, text=last.text + group.digits, lone=False)
            continue
        first = toks[group.first]
        dictated = len(group.digits) <= 2 or first.parts[0].part is Part.REPEAT
        lone = group.first == group.last and len(first.parts) == 1 and _lone(first, group.digits, language)
        kind = _Kind.DICTATED if dictated else _Kind.VALUE
        numbers.append(_Piece(group.first, group.last, kind, group.digits, lone=lone))
    out: list[_Piece] = []
    k = i
    for number in numbers:
        out.extend(_Piece(w, w) for w in range(k, number.first))
        out.append(number)
        k = number.last + 1
    out.extend(_Piece(w, w) for w in range(k, j + 1))
    return out


def _lone(tok: _Tok, digits: str, language: str | None) -> bool:
    if tok.digits is not None or tok.core.isdigit():
        return False
    multiplier = tok.parts[0].part in (Part.HUNDRED, Part.THOUSAND)
    return multiplier or digits in ("0", "1") or tok.folded in _AMBIGUOUS.get(language or "", set())


# ---------------------------------------------------------------- pieces to numbers


def _words_of(piece: _Piece) -> list[_Piece]:
    return [_Piece(w, w) for w in range(piece.first, piece.last + 1)]


def _words_after(pieces: Sequence[_Piece], n: int, toks: Sequence[_Tok]) -> list[_Tok]:
    """The (up to two) words that follow piece `n` within its sentence, with no number between."""
    out: list[_Tok] = []
    for previous, following in zip(pieces[n : n + 2], pieces[n + 1 : n + 3], strict=False):
        if following.kind is not _Kind.WORD or _gap(toks[previous.last], toks[following.first]) == "break":
            break
        out.append(toks[following.first])
    return out


def _ordinals(pieces: list[_Piece], toks: Sequence[_Tok], language: str) -> list[_Piece]:
    """A number said right before an ordinal is part of it ("twenty first"): words."""
    pattern = _ORDINAL.get(language)
    if pattern is None:
        return pieces
    out: list[_Piece] = []
    for n, piece in enumerate(pieces):
        after = _words_after(pieces, n, toks)
        if after and after[0].parts and after[0].parts[0].part is Part.CONNECTOR:
            after = after[1:]  # "douăzeci și unulea"
        if piece.kind in (_Kind.DICTATED, _Kind.VALUE) and after and pattern.fullmatch(after[0].folded):
            out.extend(_words_of(piece))
        else:
            out.append(piece)
    return out


def _times(pieces: list[_Piece], toks: Sequence[_Tok], language: str) -> list[_Piece]:
    units = [
        Unit(
            toks[p.first].folded if p.first == p.last else None,
            int(p.text) if p.kind in (_Kind.DICTATED, _Kind.VALUE, _Kind.WRITTEN) else None,
            n + 1 < len(pieces) and _time_tight(toks[p.last], toks[pieces[n + 1].first]),
        )
        for n, p in enumerate(pieces)
    ]
    out = list(pieces)
    for first, last, clock in reversed(find_times(units, language)):
        out[first : last + 1] = [_Piece(pieces[first].first, pieces[last].last, _Kind.JOINED, clock)]
    return out


def _time_tight(a: _Tok, b: _Tok) -> bool:
    """Nothing between two words of a time, or Whisper's "9" "-30", "9" ".30", "9" ":30"."""
    return not a.trail.strip() and b.lead.strip() in ("", "-", ".", ":")


def _ids(pieces: list[_Piece], toks: Sequence[_Tok]) -> list[_Piece]:
    """Numbers said a digit or two at a time, next to each other, as one id."""
    out: list[_Piece] = []
    n = 0
    while n < len(pieces):
        chain = [pieces[n]]
        while n + len(chain) < len(pieces) and _joins(chain[-1], pieces[n + len(chain)], toks):
            chain.append(pieces[n + len(chain)])
        paused = [k for k in range(1, len(chain)) if _gap(toks[chain[k - 1].last], toks[chain[k].first])]
        if paused and len(chain) < 3:  # "two, three days", "10 -15 minutes"
            chain = chain[: paused[0]]
        if len(chain) > 1:
            out.append(_Piece(chain[0].first, chain[-1].last, _Kind.JOINED, "".join(p.text for p in chain)))
        else:
            out.append(chain[0])
        n += len(chain)
    return out


def _joins(a: _Piece, b: _Piece, toks: Sequence[_Tok]) -> bool:
    """Said on: two numbers of one or two digits with nothing between, single digits across a
    pause, or Whisper's dictation groups ("4" "-11" "-11")."""
    dictated = a.kind is _Kind.DICTATED and b.kind is _Kind.DICTATED
    gap = _gap(toks[a.last], toks[b.first])
    if not gap:
        return dictated
    digits = (_Kind.DICTATED, _Kind.WRITTEN)
    whisper_groups = a.kind in digits and b.kind in digits and toks[b.first].lead.strip() == "-"
    single = dictated and len(a.text) == 1 and len(b.text) == 1
    return gap == "pause" and (single or whisper_groups)


def _decimals(pieces: list[_Piece], toks: Sequence[_Tok], language: str) -> list[_Piece]:
    """ "three point five" -> 3.5: a number, the decimal word, digits said after it."""
    out: list[_Piece] = []
    n = 0
    while n < len(pieces):
        if n + 2 < len(pieces) and _is_decimal(pieces[n : n + 3], toks, language):
            whole, _, fraction = pieces[n : n + 3]
            mark = _DECIMAL[language][1]
            out.append(_Piece(whole.first, fraction.last, _Kind.JOINED, f"{whole.text}{mark}{fraction.text}"))
            n += 3
        else:
            out.append(pieces[n])
            n += 1
    return out


def _is_decimal(three: Sequence[_Piece], toks: Sequence[_Tok], language: str) -> bool:
    whole, point, fraction = three
    return (
        whole.kind in (_Kind.DICTATED, _Kind.VALUE, _Kind.WRITTEN)
        and point.kind is _Kind.WORD
        and toks[point.first].folded == _DECIMAL.get(language, ("",))[0]
        and (fraction.kind is _Kind.DICTATED or (fraction.kind is _Kind.JOINED and fraction.text.isdigit()))
        and not _gap(toks[whole.last], toks[point.first])
        and not _gap(toks[point.last], toks[fraction.first])
    )


def _kept(pieces: list[_Piece], toks: Sequence[_Tok], language: str) -> list[_Piece]:
    """Lone numbers before a currency, percent or hour word, or after "ora", stay digits."""
    units, link = _UNIT_WORDS.get(language, set()), _UNIT_LINK.get(language)
    out: list[_Piece] = []
    for n, piece in enumerate(pieces):
        after = [t.folded for t in _words_after(pieces, n, toks)]
        before = toks[pieces[n - 1].first].folded if n > 0 else ""
        unit = bool(after) and (
            after[0] in units or (after[0] == link and len(after) > 1 and after[1] in units)
        )
        hour = before in _HOUR_BEFORE.get(language, set())
        out.append(replace(piece, keep=True) if piece.lone and (unit or hour) else piece)
    return out


def _lone_as_words(pieces: list[_Piece]) -> list[_Piece]:
    return [
        _Piece(p.first, p.first) if p.lone and not p.keep and p.kind is not _Kind.JOINED else p
        for p in pieces
    ]


def _emit(piece: _Piece, words: Sequence[WordData], toks: Sequence[_Tok]) -> WordData:
    if not piece.is_number:
        return words[piece.first]
    text = toks[piece.first].lead + piece.text + toks[piece.last].trail
    sources = words[piece.first : piece.last + 1]
    if len(sources) == 1 and text == sources[0].word:
        return sources[0]
    return WordData(
        start=sources[0].start,
        end=sources[-1].end,
        word=text,
        probability=min(w.probability for w in sources),
        spoken=" ".join((w.spoken or w.word).strip() for w in sources),
    )
