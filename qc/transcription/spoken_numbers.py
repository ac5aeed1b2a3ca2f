"""Numbers said as words, in the five languages, turned into digit groups.

"four one one one" is four groups of one digit; "сорок два" one group "42";
"four thousand one hundred and eleven" one group "4111"; "double five" one group "55".
A group never swallows the next when a person dictating digits would start a new one:
a unit after a unit, a ten after a ten. Words are compared folded (lower case, no
diacritics, Serbian Cyrillic as Latin), so "sase" finds "șase" and "четири" finds "četiri".

The parsing every reader of a transcript shares: the transcript's own number rewriting
(`qc.transcription.numbers`) and personal-data detection above it (`qc.privacy`).
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


class Part(enum.Enum):
    DIGIT = "digit"  # 0-9
    TEEN = "teen"  # 10-19
    TENS = "tens"  # 20, 30 ... 90
    HUNDREDS = "hundreds"  # a whole hundred said in one word: "двести", "dvesta"
    HUNDRED = "hundred"  # multiplies what is before it: "two hundred", "două sute"
    THOUSAND = "thousand"
    REPEAT = "repeat"  # "double", "triple"
    CONNECTOR = "connector"  # "and", "și", "i", "e", "de": only inside a number
    ARTICLE = "article"  # "a", "o", "un": one, but only before hundred or thousand
    WEAK_ZERO = "weak_zero"  # English "oh": zero, but only among other digits


@dataclass(frozen=True)
class Morpheme:
    part: Part
    value: int = 0


@dataclass(frozen=True)
class Group:
    """One number: its digits and the positions (first, last) of the pieces it spans."""

    digits: str
    first: int
    last: int


def _letters(cyrillic: str, latin: str) -> dict[str, str]:
    """Cyrillic letters to Latin spellings given as space-separated words ("-": none)."""
    return dict(zip(cyrillic, [s.strip("-") for s in latin.split()], strict=True))


SR_CYRILLIC = _letters(
    "абвгдђежзијклљмнњопрстћуфхцчџш", "a b v g d dj e z z i j k l lj m n nj o p r s t c u f h c c dz s"
)


def fold(word: str, language: str) -> str:
    """Lower case without diacritics; Serbian Cyrillic as Latin; Russian yo as ye."""
    text = word.lower().replace("ё", "е")
    if language == "sr":
        text = "".join(SR_CYRILLIC.get(ch, ch) for ch in text)
    text = text.replace("đ", "dj")
    # Latin letters lose their diacritics (ș -> s, č -> c); Cyrillic ones are kept.
    return "".join(unicodedata.normalize("NFKD", ch)[0] if ord(ch) < 0x250 else ch for ch in text)


def _table(spec: str, part: Part, step: int = 1, start: int = 0) -> dict[str, Morpheme]:
    """'zero one two' -> {zero: 0, one: 1, ...}; 'a|b' gives two spellings of one value."""
    out: dict[str, Morpheme] = {}
    for i, spellings in enumerate(spec.split()):
        for spelling in spellings.split("|"):
            out[spelling] = Morpheme(part, start + i * step)
    return out


def _lexicon(
    digits: str, teens: str, tens: str, *, extra: dict[str, Morpheme], hundreds: str = ""
) -> dict[str, Morpheme]:
    table = _table(digits, Part.DIGIT) | _table(teens, Part.TEEN, start=10)
    table |= _table(tens, Part.TENS, step=10, start=20)
    if hundreds:
        table |= _table(hundreds, Part.HUNDREDS, step=100, start=100)
    return table | extra


_EN = _lexicon(
    "zero|nought|nil one two three four five six seven eight nine",
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen",
    "twenty thirty forty|fourty fifty sixty seventy eighty ninety",
    extra={
        "hundred": Morpheme(Part.HUNDRED),
        "thousand": Morpheme(Part.THOUSAND),
        "double": Morpheme(Part.REPEAT, 2),
        "triple": Morpheme(Part.REPEAT, 3),
        "and": Morpheme(Part.CONNECTOR),
        "a": Morpheme(Part.ARTICLE, 1),
        "oh": Morpheme(Part.WEAK_ZERO),
        "o": Morpheme(Part.WEAK_ZERO),
    },
)
_RU = _lexicon(
    "ноль|нуль один|одна|одно два|две три четыре пять шесть семь восемь девять",
    "десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать семнадцать "
    "восемнадцать девятнадцать",
    "двадцать тридцать сорок пятьдесят шестьдесят семьдесят восемьдесят девяносто",
    hundreds="сто двести триста четыреста пятьсот шестьсот семьсот восемьсот девятьсот",
    extra={w: Morpheme(Part.THOUSAND) for w in ("тысяча", "тысячи", "тысяч", "тысячу")},
)
_RO = _lexicon(
    "zero unu|una doi|doua trei patru cinci sase sapte opt noua",
    "zece unsprezece|unspe doisprezece|douasprezece|doispe treisprezece|treispe "
    "paisprezece|paispe cincisprezece|cinspe saisprezece|saispe saptesprezece|saptispe "
    "optsprezece|optispe nouasprezece|nouaspe",
    "douazeci treizeci patruzeci cincizeci saizeci saptezeci optzeci nouazeci",
    extra={
        "suta": Morpheme(Part.HUNDRED),
        "sute": Morpheme(Part.HUNDRED),
        "mie": Morpheme(Part.THOUSAND),
        "mii": Morpheme(Part.THOUSAND),
        "si": Morpheme(Part.CONNECTOR),
        "de": Morpheme(Part.CONNECTOR),
        "o": Morpheme(Part.ARTICLE, 1),
        "un": Morpheme(Part.ARTICLE, 1),
    },
)
_SR = _lexicon(
    "nula jedan|jedna|jedno dva|dve|dvije tri cetiri pet sest sedam osam devet",
    "deset jedanaest dvanaest trinaest cetrnaest petnaest sesnaest sedamnaest osamnaest devetnaest",
    "dvadeset trideset cetrdeset pedeset sezdeset sedamdeset osamdeset devedeset",
    hundreds="sto|stotinu dvesta|dvjesta|dvesto trista|tristo cetiristo petsto sesto|seststo sedamsto "
    "osamsto devetsto",
    extra={
        **{
            w: Morpheme(Part.THOUSAND)
            for w in ("hiljada", "hiljadu", "hiljade", "tisuca", "tisucu", "tisuce")
        },
        "i": Morpheme(Part.CONNECTOR),
    },
)
_IT_PARTS = _lexicon(
    "zero uno|un due tre quattro cinque sei sette otto nove",
    "dieci undici dodici tredici quattordici quindici sedici diciassette diciotto diciannove",
    "venti|vent trenta|trent quaranta|quarant cinquanta|cinquant sessanta|sessant settanta|settant "
    "ottanta|ottant novanta|novant",
    extra={
        "cento": Morpheme(Part.HUNDRED),
        "cent": Morpheme(Part.HUNDRED),
        "mille": Morpheme(Part.THOUSAND),
        "mila": Morpheme(Part.THOUSAND),
    },
)
_IT = _IT_PARTS | {"e": Morpheme(Part.CONNECTOR), "una": Morpheme(Part.ARTICLE, 1)}
LEXICONS: dict[str, dict[str, Morpheme]] = {"en": _EN, "ru": _RU, "ro": _RO, "sr": _SR, "it": _IT}
# Italian writes compounds as one word ("quarantadue", "duemilacentoundici").
_COMPOUNDING = {"it": _IT_PARTS}


@lru_cache(maxsize=4096)
def morphemes(folded: str, language: str) -> tuple[Morpheme, ...]:
    """The number parts of one folded word; () when it is not a number word."""
    lexicon = LEXICONS.get(language, _EN)
    if folded in lexicon:
        return (lexicon[folded],)
    parts = _COMPOUNDING.get(language)
    if parts is None or len(folded) < 5:
        return ()
    return _split_compound(folded, parts)


def _split_compound(word: str, parts: dict[str, Morpheme]) -> tuple[Morpheme, ...]:
    """The shortest split of a glued compound into known parts, or () if there is none."""
    best: list[tuple[Morpheme, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 12), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in parts:
                candidate = (*head, parts[piece])
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[-1]
    return found if found and len(found) > 1 else ()


@dataclass
class _Number:
    first: int
    last: int
    total: int = 0
    part: int = 0
    previous: Part = Part.DIGIT

    def absorbs(self, m: Morpheme) -> bool:
        after_hundred = self.previous in (Part.HUNDRED, Part.HUNDREDS)
        after_thousand = self.previous is Part.THOUSAND
        if m.part is Part.DIGIT:
            if m.value == 0:
                return False
            open_ten = self.previous is Part.TENS and self.part % 10 == 0
            return open_ten or after_hundred or after_thousand
        if m.part in (Part.TEEN, Part.TENS):
            return after_hundred or after_thousand
        if m.part is Part.HUNDREDS:
            return after_thousand
        if m.part is Part.HUNDRED:
            return (self.previous is Part.DIGIT and 1 <= self.part <= 9) or (
                after_thousand and self.part == 0
            )
        if m.part is Part.THOUSAND:
            return self.total == 0 and not after_thousand and self.part < 1000
        return False

    def add(self, m: Morpheme, position: int) -> None:
        if m.part is Part.HUNDRED:
            self.part = (self.part or 1) * 100
        elif m.part is Part.THOUSAND:
            self.total, self.part = (self.part or 1) * 1000, 0
        else:
            self.part += m.value
        self.previous = m.part
        self.last = position

    @property
    def digits(self) -> str:
        return str(self.total + self.part)


def _start(m: Morpheme, position: int) -> _Number:
    number = _Number(position, position)
    if m.part is Part.HUNDRED:
        number.part, number.previous = 100, Part.HUNDRED
    elif m.part is Part.THOUSAND:
        number.total, number.previous = 1000, Part.THOUSAND
    else:
        number.part, number.previous = m.value, m.part
    return number


_MULTIPLIERS = (Part.HUNDRED, Part.THOUSAND)
_SOLID = (Part.DIGIT, Part.TEEN, Part.TENS, Part.HUNDREDS, Part.HUNDRED, Part.THOUSAND)


def parse_numbers(items: Sequence[tuple[int, Morpheme]]) -> list[Group]:
    """Digit groups from consecutive number parts, each tagged with its piece position.

    Parts that turn out not to belong to a number (a connector with nothing to join, an
    article not before "hundred", "oh" among words) produce no group.
    """
    groups: list[Group] = []
    current: _Number | None = None
    solid = sum(1 for _, m in items if m.part in _SOLID)

    def flush() -> None:
        nonlocal current
        if current is not None:
            groups.append(Group(current.digits, current.first, current.last))
        current = None

    i = 0
    while i < len(items):
        position, m = items[i]
        following = items[i + 1][1] if i + 1 < len(items) else None
        if m.part is Part.CONNECTOR:
            if current is not None and following is not None and current.absorbs(following):
                current.last = position
            else:
                flush()
        elif m.part is Part.REPEAT:
            flush()
            if following is not None and following.part in (Part.DIGIT, Part.WEAK_ZERO):
                groups.append(Group(str(following.value) * m.value, position, items[i + 1][0]))
                i += 1
        elif (m.part is Part.ARTICLE and not (following and following.part in _MULTIPLIERS)) or (
            m.part is Part.WEAK_ZERO and solid == 0
        ):
            flush()
        else:
            real = m
            if m.part is Part.ARTICLE:
                real = Morpheme(Part.DIGIT, 1)
            elif m.part is Part.WEAK_ZERO:
                real = Morpheme(Part.DIGIT, 0)
            if current is not None and current.absorbs(real):
                current.add(real, position)
            else:
                flush()
                current = _start(real, position)
        i += 1
    flush()
    return groups
