"""Data the caller names before saying it, masked even when the ASR broke every check."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from rapidfuzz.distance import Levenshtein

from qc.privacy.recognizers import CARD, GUESS, IBAN, NATIONAL_ID, PHONE

# Words with which a caller announces the data that follows (folded, whole words).
_ANNOUNCED = {
    CARD: {
        "card", "cardul", "cardului", "карта", "карты", "карту", "kartica", "kartice", "karticu", "carta",
        "visa", "mastercard",
    },
    PHONE: {
        "phone", "mobile", "telephone", "landline", "телефон", "телефона", "мобильный", "мобильного",
        "telefon", "telefonul", "mobil", "mobilni", "mobilnog", "fiksni", "telefono", "cellulare",
        # "call me back on ...": the number follows the verb
        "call", "ring", "перезвоните", "позвоните", "звоните", "sunati", "sunați", "pozvati", "pozovite",
        "nazovite", "zovite", "chiamare", "richiamare", "chiamatemi", "richiamarmi",
    },
    IBAN: {"iban", "account", "счет", "счета", "cont", "contul", "racun", "conto"},
    NATIONAL_ID: {
        "insurance", "social", "ssn", "снилс", "инн", "паспорт", "cnp", "jmbg", "maticni", "fiscale",
        "numeric",  # "codul numeric personal", the CNP said in full
    },
}  # fmt: skip
_CODE_TOKEN = re.compile(r"\+?[0-9]+|[A-Z0-9]{1,8}")
_STOPS = set(".:%/?!;")


@lru_cache(maxsize=4096)
def announced(word: str) -> str | None:
    """The kind of data a word announces; long words also when the ASR got up to two
    letters wrong ("cellugave" for "cellulare")."""
    for entity, words in _ANNOUNCED.items():
        if word in words:
            return entity
    if len(word) < 7:
        return None
    for entity, words in _ANNOUNCED.items():
        if any(len(w) >= 7 and _close(word, w) for w in words):
            return entity
    return None


def _close(a: str, b: str) -> bool:
    """At most two letters apart (Levenshtein), for words of similar length."""
    return abs(len(a) - len(b)) <= 2 and Levenshtein.distance(a, b) <= 2


class AnnouncedRecognizer(EntityRecognizer):
    """What follows "my card number is", "codice fiscale", "IBAN" when the ASR garbled it
    past every check ("S M C M E S C Q O T C Q 2 L 2 2 0 T"): the caller said what it
    is, so the letters and digits right after are masked, with a low score that any
    checked finding on the same words outranks."""

    def __init__(self, language: str) -> None:
        super().__init__(
            supported_entities=list(_ANNOUNCED),
            supported_language=language,
            name=f"qc-announced-{language}",
        )

    def load(self) -> None:
        """Nothing to load: word lists only."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
        results = []
        for i, (_, _, word) in enumerate(tokens):
            entity = announced(word.lower())
            span = self._span(tokens, i + 1) if entity in entities else None
            if entity is not None and span is not None:
                results.append(RecognizerResult(entity, span[0], span[1], GUESS))
        return results

    @staticmethod
    def _span(tokens: list[tuple[int, int, str]], i: int) -> tuple[int, int] | None:
        """Letters and digits within three words after the announcement (past one full stop:
        the ASR often ends a sentence between the announcement and the data), up to the end
        of the sentence, through at most two stray short words between them (a misheard
        letter or digit: "and", "fa"); a longer word ends the span ("3 times 1,250")."""
        code = lambda t: bool(_CODE_TOKEN.fullmatch(t))  # noqa: E731
        stray = lambda t: len(t) <= 3 and t not in _STOPS  # noqa: E731
        skipped, full_stops = 0, 0
        while i < len(tokens) and not code(tokens[i][2]):
            if tokens[i][2] in _STOPS:
                if tokens[i][2] != "." or full_stops:
                    break
                full_stops += 1
            elif skipped == 3:
                break
            else:
                skipped += 1
            i += 1
        if i >= len(tokens) or not code(tokens[i][2]):
            return None
        j, strays = i, 0
        while j + 1 < len(tokens):
            if code(tokens[j + 1][2]):
                j += 1
            elif strays < 2 and j + 2 < len(tokens) and stray(tokens[j + 1][2]) and code(tokens[j + 2][2]):
                j, strays = j + 2, strays + 1
            else:
                break
        chars = "".join(t for _, _, t in tokens[i : j + 1] if code(t))
        digits = sum(ch.isdigit() for ch in chars)
        return (tokens[i][0], tokens[j][1]) if digits >= 6 or len(chars) >= 8 else None
