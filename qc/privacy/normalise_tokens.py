"""The tokens the normaliser reads a transcript's words into (see `qc.privacy.normalise`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from qc.privacy.numbers_words import Morpheme


class Tok(enum.Enum):
    NUM = "num"
    NUMWORD = "numword"
    LETTER = "letter"
    CODE = "code"
    WORD = "word"
    AT = "at"
    DOT = "dot"
    JOIN = "join"  # underscore or dash inside an e-mail address
    PLUS = "plus"
    COMMA = "comma"
    DASH = "dash"
    BREAK = "break"
    EMAIL = "email"


@dataclass
class Token:
    kind: Tok
    text: str
    first: int  # source word indexes, inclusive
    last: int
    glued: bool = False  # NUM: continues the previous group (Whisper's thousands comma)
    upper: bool = False  # the source wrote it in capitals
    parts: tuple[Morpheme, ...] = ()


# Tokens that can be a label of an e-mail address ("john", "j", "NWBK", "72").
LABEL = (Tok.WORD, Tok.LETTER, Tok.CODE, Tok.NUM)
