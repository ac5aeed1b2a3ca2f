"""Transcript words to a canonical text the recognisers can match, with a way back.

Whisper writes what a caller dictates in many shapes: "4,111 1111", "four one one one",
"0-2-0-8", "сорок два", "john at example dot com", ".smith" and ".com" as words of their
own. The normaliser rewrites them into one shape:

- numbers as digit groups separated by one space ("4111 1111", "4 1 1 1", "42"); digits
  joined by Whisper's thousands comma ("4,111,111") are one group; a comma or dash
  between words starts a new group; anything else (a word, ":", "%", "/", a full stop)
  ends the run of groups;
- spoken letters and upper-case codes ("G B", "NWBK") in upper case, so alphanumeric
  codes (IBAN, codice fiscale) read as runs too;
- e-mail addresses said aloud ("ion punct popescu arond gmail punct com") as the address
  ("ion.popescu@gmail.com"), when the domain ends in a real top-level domain;
- other words folded to lower case without diacritics (Serbian Cyrillic as Latin).

Every character of the result knows the first and last source word it came from, so a
match in the normalised text maps back to whole words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qc.privacy.normalise_email import compose_emails, split_glued_at
from qc.privacy.normalise_tokens import Tok, Token
from qc.privacy.numbers_words import Group, Morpheme, Part, fold, misheard_digit, morphemes, parse_numbers

_AT = {
    "en": {"at"},
    "ru": {"собака", "собачка", "эт", "ат"},
    "ro": {"arond", "at"},
    "sr": {"et", "at", "majmunce", "majmun"},
    "it": {"chiocciola", "at"},
}
_DOT = {"en": {"dot"}, "ru": {"точка"}, "ro": {"punct"}, "sr": {"tacka"}, "it": {"punto"}}
# Words for "_" and "-" inside an address; a JOIN token's text is the character itself.
_UNDERSCORE = {"underscore", "подчеркивание", "андерскор"}
_HYPHEN = {
    "en": {"dash", "hyphen"},
    "ru": {"дефис", "тире"},
    "ro": {"cratima", "liniuta"},
    "sr": {"crtica", "povlaka"},
    "it": {"trattino"},
}
_PAIRS = {
    ("a", "rond"): (Tok.AT, "@"),
    ("нижнее", "подчеркивание"): (Tok.JOIN, "_"),
    ("trattino", "basso"): (Tok.JOIN, "_"),
    ("donja", "crta"): (Tok.JOIN, "_"),
    ("at", "sign"): (Tok.AT, "@"),
}
_PLUS = {"plus", "плюс", "piu", "плус"}
_BREAK_CHARS = set(":/%£$€#№;!?")
_PIECE = re.compile(r"\d+|[^\W\d_]+|\S")


@dataclass(frozen=True)
class Normalised:
    """The canonical text and, per character, the first and last source word (-1: a space)."""

    text: str
    first_word: tuple[int, ...] = field(repr=False)
    last_word: tuple[int, ...] = field(repr=False)

    def words(self, start: int, end: int) -> tuple[int, int] | None:
        """The source words (first, last) behind text[start:end]; None if only spaces."""
        firsts = [w for w in self.first_word[start:end] if w >= 0]
        lasts = [w for w in self.last_word[start:end] if w >= 0]
        if not firsts:
            return None
        return min(firsts), max(lasts)


def normalise_words(words: Sequence[str], language: str) -> Normalised:
    """The canonical text of a transcript's words (see the module's description)."""
    tokens = _tokens(words, language)
    tokens = _numbers(tokens)
    tokens = compose_emails(tokens)
    return _render(tokens)


# ---------------------------------------------------------------- words to tokens


def _tokens(words: Sequence[str], language: str) -> list[Token]:
    tokens: list[Token] = []
    for w, word in enumerate(words):
        pieces = _PIECE.findall(word.strip())
        for p, piece in enumerate(pieces):
            token = _piece_token(piece, w, language, inner=p + 1 < len(pieces), previous=tokens)
            if token is not None:
                tokens.append(token)
    return split_glued_at(_misheard(_separators(_pairs(tokens, language)), language))


def _misheard(tokens: list[Token], language: str) -> list[Token]:
    """A word one letter away from a digit word ("noră" for "nouă") is that digit when it
    sits among digits: a number on one side, and a number or the end of a sentence on the
    other ("zero noră unu", "Zeră, doi"); two letters away between two numbers ("zero chase
    zero")."""
    for n, token in enumerate(tokens):
        if token.kind is not Tok.WORD:
            continue
        sides = [_neighbour(tokens, n, -1, language), _neighbour(tokens, n, 1, language)]
        if Tok.NUM not in sides or Tok.WORD in sides:
            continue
        digit = misheard_digit(token.text, language, between_digits=sides == [Tok.NUM, Tok.NUM])
        if digit is not None:
            tokens[n] = Token(Tok.NUMWORD, token.text, token.first, token.last, parts=(digit,))
    return tokens


def _neighbour(tokens: list[Token], n: int, step: int, language: str) -> Tok:
    """What is next to a token past commas and dashes: NUM for a number, BREAK for the
    end of a sentence or the text, WORD for anything else."""
    n += step
    while 0 <= n < len(tokens) and tokens[n].kind in (Tok.COMMA, Tok.DASH):
        n += step
    if not 0 <= n < len(tokens) or tokens[n].kind is Tok.BREAK:
        return Tok.BREAK
    if tokens[n].kind in (Tok.NUM, Tok.NUMWORD) or misheard_digit(tokens[n].text, language) is not None:
        return Tok.NUM
    if tokens[n].kind in (Tok.LETTER, Tok.CODE):  # a code spelled out: "L D N 1 nome"
        return Tok.BREAK
    return Tok.WORD


def _piece_token(piece: str, w: int, language: str, *, inner: bool, previous: list[Token]) -> Token | None:
    if piece.isdigit():
        glued = bool(previous) and previous[-1].kind is Tok.COMMA and previous[-1].glued
        return Token(Tok.NUM, piece, w, w, glued=glued)
    if piece[0].isalpha():
        return _word_token(piece, w, language)
    if piece == "@":
        return Token(Tok.AT, "@", w, w)
    if piece == ".":
        # A full stop that ends a word ends a sentence; inside a word (".com", "ion.popescu")
        # it is part of an address or a number.
        return Token(Tok.DOT if inner else Tok.BREAK, ".", w, w)
    if piece == ",":
        # Whisper's thousands separator sits between digits inside a word ("4,111") or
        # starts the next word (",221"); a comma that ends a word is a pause.
        return Token(Tok.COMMA, ",", w, w, glued=inner and bool(previous) and previous[-1].kind is Tok.NUM)
    if piece in "-–—":
        return Token(Tok.DASH, "-", w, w)
    if piece == "+":
        return Token(Tok.PLUS, "+", w, w)
    if piece == "_":
        return Token(Tok.JOIN, "_", w, w)
    if piece in _BREAK_CHARS:
        return Token(Tok.BREAK, piece, w, w)
    return None


def _word_token(piece: str, w: int, language: str) -> Token:
    folded = fold(piece, language)
    upper = piece.isupper()
    if folded in _AT.get(language, set()):
        return Token(Tok.AT, folded, w, w)
    if folded in _DOT.get(language, set()):
        return Token(Tok.DOT, folded, w, w)
    if folded in _UNDERSCORE:
        return Token(Tok.JOIN, "_", w, w)
    if folded in _HYPHEN.get(language, set()):
        return Token(Tok.JOIN, "-", w, w)
    if folded in _PLUS:
        return Token(Tok.PLUS, folded, w, w)
    parts = morphemes(folded, language)
    if parts:
        return Token(Tok.NUMWORD, folded, w, w, upper=upper, parts=parts)
    if len(piece) == 1:
        return Token(Tok.LETTER, piece.upper() if piece.isascii() else folded, w, w, upper=upper)
    if upper and piece.isascii() and len(piece) <= 8:
        return Token(Tok.CODE, piece, w, w, upper=True)
    return Token(Tok.WORD, folded, w, w, upper=upper)


def _pairs(tokens: list[Token], language: str) -> list[Token]:
    """Two-word names of '@' and '_' ("a rond", "trattino basso")."""
    out: list[Token] = []
    for token in tokens:
        pair = _PAIRS.get((out[-1].text.lower(), token.text.lower())) if out else None
        if pair is not None and out[-1].last + 1 == token.first:
            out[-1] = Token(pair[0], pair[1], out[-1].first, token.last)
        else:
            out.append(token)
    return out


def _separators(tokens: list[Token]) -> list[Token]:
    """A dot or slash between digits ("021.609.26.03", "061/415-618", Whisper's "5 .1990")
    separates groups like a dash; a date or an amount then reads as short groups."""
    for n in range(1, len(tokens) - 1):
        token = tokens[n]
        if token.text in "./" and tokens[n - 1].kind is Tok.NUM and tokens[n + 1].kind is Tok.NUM:
            tokens[n] = Token(Tok.DASH, "-", token.first, token.last)
    return tokens


# ---------------------------------------------------------------- number words to digits


def _numbers(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind is not Tok.NUMWORD:
            out.append(tokens[i])
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and (
            tokens[j + 1].kind is Tok.NUMWORD
            or (tokens[j + 1].kind is Tok.DASH and j + 2 < len(tokens) and tokens[j + 2].kind is Tok.NUMWORD)
        ):
            j += 1
        out.extend(_number_run(tokens[i : j + 1]))
        i = j + 1
    return out


def _number_run(run: list[Token]) -> list[Token]:
    items: list[tuple[int, Morpheme]] = []
    for n, token in enumerate(run):
        parts = token.parts if token.kind is Tok.NUMWORD else (Morpheme(Part.CONNECTOR),)
        items.extend((n, m) for m in parts)
    groups: list[Group] = parse_numbers(items)
    starts = {g.first: g for g in groups}
    out: list[Token] = []
    n = 0
    while n < len(run):
        if n in starts:
            group = starts[n]
            out.append(Token(Tok.NUM, group.digits, run[group.first].first, run[group.last].last))
            n = group.last + 1
            continue
        token = run[n]
        if token.kind is Tok.NUMWORD:  # a word that did not make a number: "and", "o" in "j o h n"
            kind = Tok.LETTER if len(token.text) == 1 else Tok.WORD
            token = Token(
                kind, token.text.upper() if kind is Tok.LETTER else token.text, token.first, token.last
            )
        out.append(token)
        n += 1
    return out


# ---------------------------------------------------------------- tokens to text


def _render(tokens: list[Token]) -> Normalised:
    chars: list[str] = []
    firsts: list[int] = []
    lasts: list[int] = []
    previous: Token | None = None
    for n, token in enumerate(tokens):
        text = _rendered(token, tokens[n + 1] if n + 1 < len(tokens) else None)
        if not text:  # commas and dashes only separate groups
            continue
        glue = (
            previous is not None
            and previous.kind in (Tok.NUM, Tok.PLUS)
            and token.kind is Tok.NUM
            and (token.glued or previous.kind is Tok.PLUS)
        )
        if chars and not glue:
            chars.append(" ")
            firsts.append(-1)
            lasts.append(-1)
        chars.extend(text)
        firsts.extend([token.first] * len(text))
        lasts.extend([token.last] * len(text))
        previous = token
    return Normalised("".join(chars), tuple(firsts), tuple(lasts))


def _rendered(token: Token, following: Token | None) -> str:
    if token.kind in (Tok.COMMA, Tok.DASH):
        return ""
    if token.kind is Tok.PLUS:
        return "+" if following is not None and following.kind is Tok.NUM else "plus"
    if token.kind is Tok.LETTER:
        return token.text.upper() if token.text.isascii() else token.text
    if token.kind is Tok.AT:
        return token.text if token.text != "@" else "at"
    return token.text
