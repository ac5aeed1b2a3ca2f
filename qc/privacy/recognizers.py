"""Presidio recognisers over the normalised text (see `qc.privacy.normalise`).

Numbers arrive as runs of digit groups ("4 1 1 1 1 1 1 1 ..."), codes as runs of
upper-case letters and digit groups ("GB 33 NWBK ..."). A recogniser tries every window
of whole groups in a run and keeps those a check confirms: a check digit (card, IBAN,
SNILS, INN, CNP, JMBG, codice fiscale), a numbering plan (phones, via phonenumbers), or a
format together with a context word before it (Russian passport, US SSN). Context words
also reject: a valid-looking phone number right after "order" or "заказ" is an order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from qc.privacy import numbers_checks as checks
from qc.privacy.normalise_email import is_top_level_domain
from qc.privacy.numbers_phones import is_phone_number, near_phone_length

CARD, IBAN, PHONE, EMAIL, NATIONAL_ID = "CARD", "IBAN", "PHONE", "EMAIL", "NATIONAL_ID"
CONTEXT_WINDOW = 8  # words before a candidate that may say what it is
# The score of data no check confirmed, masked because the caller named it: below every
# checked finding, and equal among guesses so that the longest guess wins.
GUESS = 0.55

# Context stems, compared with the start of each folded word before the candidate.
_CONTEXT: dict[str, dict[str, tuple[str, ...]]] = {
    CARD: {
        "en": ("card", "visa", "mastercard", "debit", "credit"),
        "ru": ("карт", "виза", "visa", "мастеркард"),
        "ro": ("card", "visa"),
        "sr": ("kartic", "karti", "visa"),
        "it": ("carta", "visa", "bancomat"),
    },
    PHONE: {
        "en": ("phone", "mobile", "number", "call", "ring", "cell", "landline", "reach", "contact"),
        "ru": ("телефон", "номер", "мобильн", "звон", "сотов", "связ"),
        "ro": ("telefon", "numar", "sun", "mobil", "contact"),
        "sr": ("telefon", "broj", "mobiln", "pozov", "zov", "kontakt"),
        "it": ("telefon", "numero", "cellulare", "chiam", "richiam", "contatt"),
    },
    IBAN: {
        "en": ("iban", "account", "bank"),
        "ru": ("iban", "счет", "счёт", "банк"),
        "ro": ("iban", "cont", "banc"),
        "sr": ("iban", "racun", "banc", "bank"),
        "it": ("iban", "conto", "banc", "bonifico"),
    },
}
_ID_CONTEXT = {
    "passport": ("паспорт", "серия", "серии"),
    "inn": ("инн",),
    "snils": ("снилс",),
    "ssn": ("social", "security", "ssn"),
    "codice": ("codice", "fiscale", "cf"),
}
# Words right before a number that make it something other than a phone number.
_NOT_PHONE = {
    "en": (
        "order",
        "invoice",
        "reference",
        "ref",
        "ticket",
        "tracking",
        "booking",
        "case",
        "contract",
        "account",
    ),
    "ru": ("заказ", "накладн", "чек", "договор", "заявк", "квитанц", "лицев", "счет", "счёт"),
    "ro": ("comand", "factur", "referint", "contract", "dosar", "cont"),
    "sr": ("porudzbin", "narudzb", "faktur", "ugovor", "predmet", "racun"),
    "it": ("ordine", "fattura", "pratica", "riferimento", "contratto", "conto"),
}
_NOT_PHONE_WINDOW = 3

_DIGIT_RUN = re.compile(r"(?<!\S)\+?\d+(?: \d+)*(?!\S)")
_CODE_RUN = re.compile(r"(?<!\S)[A-Z0-9]+(?: [A-Z0-9]+)*(?!\S)")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Candidate:
    entity: str
    start: int
    end: int
    score: float


def words_before(text: str, start: int, count: int = CONTEXT_WINDOW) -> tuple[str, ...]:
    """The last `count` words (letters only, lower case) before a position."""
    return tuple(w.lower() for w in _WORD.findall(text[max(0, start - 200) : start])[-count:])


@lru_cache(maxsize=4096)
def mentions(words: tuple[str, ...], stems: tuple[str, ...]) -> bool:
    """Whether a word starts with one of the stems (asked for every window of a run: cached)."""
    return any(word.startswith(stem) for word in words for stem in stems)


def group_windows(text: str, match: re.Match[str], longest: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, characters without spaces) for every window of whole groups in a run,
    up to `longest` characters."""
    offset = match.start()
    bounds = [(offset + g.start(), offset + g.end()) for g in re.finditer(r"\S+", match.group())]
    for i in range(len(bounds)):
        compact = ""
        for j in range(i, len(bounds)):
            compact += text[bounds[j][0] : bounds[j][1]]
            if len(compact) > longest:
                break
            yield bounds[i][0], bounds[j][1], compact


def choose(candidates: list[Candidate]) -> list[Candidate]:
    """The best non-overlapping candidates: higher score first, then the longer one.

    A guess (data the caller announced) that reaches past a checked finding inside it is
    kept too: the checked part may be a fragment ("2 6 4 1 2 1 1 1" valid as a phone
    number) of a longer number the ASR broke, and masking the fragment alone would leave
    the rest readable. The caller merges the overlap into one masked span.
    """
    chosen: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (-c.score, -(c.end - c.start), c.start)):
        overlapping = [k for k in chosen if c.start < k.end and k.start < c.end]
        reaches_past = c.score <= GUESS and any(c.start < k.start or c.end > k.end for k in overlapping)
        if not overlapping or reaches_past:
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)


class _RunRecognizer(EntityRecognizer):
    """Windows over runs found by a pattern, judged by `judge`."""

    RUN: re.Pattern[str] = _DIGIT_RUN
    ENTITIES: list[str] = []
    LONGEST = 20  # characters: a 19-digit card number and a "+"

    def __init__(self, language: str) -> None:
        super().__init__(
            supported_entities=self.ENTITIES,
            supported_language=language,
            name=f"qc-{type(self).__name__}-{language}",
        )

    def load(self) -> None:
        """Nothing to load: rules and check digits only."""

    def judge(self, start: int, end: int, compact: str, before: tuple[str, ...]) -> Candidate | None:
        """The candidate a window of a run is, if any; `before`: the words before the run."""
        raise NotImplementedError

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        found: list[Candidate] = []
        for match in self.RUN.finditer(text):
            before = words_before(text, match.start())
            windows = (self.judge(s, e, c, before) for s, e, c in group_windows(text, match, self.LONGEST))
            found.extend(self.settle(match, choose([w for w in windows if w is not None]), before))
        return [RecognizerResult(c.entity, c.start, c.end, c.score) for c in found if c.entity in entities]

    def settle(self, run: re.Match[str], chosen: list[Candidate], before: tuple[str, ...]) -> list[Candidate]:
        """The run's final candidates, once every window was judged."""
        return chosen


class DigitRecognizer(_RunRecognizer):
    """Card numbers, phone numbers and the national numbers made only of digits."""

    ENTITIES = [CARD, PHONE, NATIONAL_ID]

    def judge(self, start: int, end: int, compact: str, before: tuple[str, ...]) -> Candidate | None:
        checks_in_order: tuple[Callable[[str, tuple[str, ...]], tuple[str, float] | None], ...] = (
            self._card,
            self._national_id,
            self._phone,
        )
        for check in checks_in_order:
            verdict = check(compact, before)
            if verdict is not None:
                return Candidate(verdict[0], start, end, verdict[1])
        return None

    def settle(self, run: re.Match[str], chosen: list[Candidate], before: tuple[str, ...]) -> list[Candidate]:
        """A number found in most of a run takes the whole run: the digits left over next
        to it are the ASR's extra digit, not something else. A run with nothing found may
        be a card or phone number the ASR got a digit wrong, when the caller named it."""
        if not chosen:
            guess = self._misheard(run.group().replace(" ", ""), before)
            return [Candidate(guess[0], run.start(), run.end(), guess[1])] if guess else []
        if len(chosen) == 1 and (chosen[0].end - chosen[0].start) * 3 >= (run.end() - run.start()) * 2:
            return [Candidate(chosen[0].entity, run.start(), run.end(), chosen[0].score)]
        return chosen

    def _misheard(self, compact: str, before: tuple[str, ...]) -> tuple[str, float] | None:
        digits = compact.lstrip("+")
        language = self.supported_language
        if (
            mentions(before, _CONTEXT[CARD].get(language, ()))
            and 15 <= len(digits) <= 19
            and digits[0] in "23456"
        ):
            return CARD, GUESS
        said_phone = mentions(before, _CONTEXT[PHONE].get(language, ()))
        refused = mentions(before[-_NOT_PHONE_WINDOW:], _NOT_PHONE.get(language, ()))
        if said_phone and not refused and near_phone_length(compact, language):
            return PHONE, GUESS
        return None

    def _card(self, compact: str, before: tuple[str, ...]) -> tuple[str, float] | None:
        if checks.is_card_number(compact.lstrip("+")):
            return CARD, 0.95
        return None

    def _national_id(self, compact: str, before: tuple[str, ...]) -> tuple[str, float] | None:
        digits = compact.lstrip("+")
        if compact.startswith("+"):
            return None
        n = len(digits)
        if n == 13 and (checks.cnp_valid(digits) or checks.jmbg_valid(digits)):
            return NATIONAL_ID, 0.95
        russian = self.supported_language == "ru"
        said_phone = digits[0] in "78" and mentions(before[-3:], _CONTEXT[PHONE]["ru"])
        said_snils = russian or mentions(before, _ID_CONTEXT["snils"])
        if n == 11 and checks.snils_valid(digits) and said_snils and not said_phone:
            return NATIONAL_ID, 0.85
        if n == 12 and checks.inn_valid(digits) and (russian or mentions(before, _ID_CONTEXT["inn"])):
            return NATIONAL_ID, 0.85
        if n == 10 and checks.inn_valid(digits) and mentions(before, _ID_CONTEXT["inn"]):
            return NATIONAL_ID, 0.85
        if n == 10 and checks.ru_passport_shaped(digits) and mentions(before, _ID_CONTEXT["passport"]):
            return NATIONAL_ID, 0.8
        if n == 9 and checks.us_ssn_valid(digits) and mentions(before, _ID_CONTEXT["ssn"]):
            return NATIONAL_ID, 0.85
        return None

    def _phone(self, compact: str, before: tuple[str, ...]) -> tuple[str, float] | None:
        digits = compact.lstrip("+")
        if not 7 <= len(digits) <= 15:
            return None
        if mentions(before[-_NOT_PHONE_WINDOW:], _NOT_PHONE.get(self.supported_language, ())):
            return None
        said_phone = mentions(before, _CONTEXT[PHONE].get(self.supported_language, ()))
        if is_phone_number(compact, self.supported_language, allow_bare=said_phone or len(digits) >= 9):
            return PHONE, 0.85 if said_phone or compact.startswith(("+", "00")) else 0.7
        return None


class CodeRecognizer(_RunRecognizer):
    """IBANs, Italian codici fiscali and UK National Insurance numbers: letters and digits."""

    RUN = _CODE_RUN
    ENTITIES = [IBAN, NATIONAL_ID]
    LONGEST = 34  # the longest IBAN

    def judge(self, start: int, end: int, compact: str, before: tuple[str, ...]) -> Candidate | None:
        if compact.isdigit() or not compact[:1].isalpha():
            return None
        if checks.iban_valid(compact):
            return Candidate(IBAN, start, end, 0.95)
        if checks.codice_fiscale_valid(compact):
            return Candidate(NATIONAL_ID, start, end, 0.95)
        if checks.uk_nino_valid(compact):
            return Candidate(NATIONAL_ID, start, end, 0.8)
        return self._misheard(compact, before, start, end)

    def _misheard(self, compact: str, before: tuple[str, ...], start: int, end: int) -> Candidate | None:
        """A code whose check failed, with its shape and a word naming it: the ASR got a
        character wrong, and what is left is still the caller's account or tax code."""
        said_iban = mentions(before, _CONTEXT[IBAN].get(self.supported_language, ()))
        if said_iban and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
            return Candidate(IBAN, start, end, GUESS)
        if (
            mentions(before, _ID_CONTEXT["codice"])
            and len(compact) == 16
            and re.fullmatch(r"[A-Z]{6}.*", compact)
        ):
            return Candidate(NATIONAL_ID, start, end, GUESS)
        return None


class PassportRecognizer(_RunRecognizer):
    """A Russian passport said as "серия 45 08 номер 123456": series and number apart."""

    RUN = re.compile(r"(?<!\S)\d+(?: \d+)* номер \d+(?: \d+)*(?!\S)")
    ENTITIES = [NATIONAL_ID]

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        results = []
        for match in self.RUN.finditer(text):
            series, number = (part.replace(" ", "") for part in match.group().split(" номер "))
            said = mentions(words_before(text, match.start()), _ID_CONTEXT["passport"])
            if said and len(series) == 4 and len(number) == 6 and NATIONAL_ID in entities:
                results.append(RecognizerResult(NATIONAL_ID, match.start(), match.end(), 0.8))
        return results


class EmailRecognizer(PatternRecognizer):
    """presidio's e-mail pattern; the top-level domain is checked against the public
    suffix list bundled with tldextract, never a downloaded one."""

    PATTERN = (
        r"\b((([!#$%&'*+\-/=?^_`{|}~\w])|([!#$%&'*+\-/=?^_`{|}~\w][!#$%&'*+\-/=?^_`{|}~\.\w]{0,}"
        r"[!#$%&'*+\-/=?^_`{|}~\w]))[@]\w+(?:-+\w+)*(?:\.\w+(?:-+\w+)*)+)\b"
    )

    def __init__(self, language: str) -> None:
        super().__init__(
            supported_entity=EMAIL,
            patterns=[Pattern("email", self.PATTERN, 0.9)],
            supported_language=language,
            name=f"qc-email-{language}",
        )

    def validate_result(self, pattern_text: str) -> bool:
        return is_top_level_domain(pattern_text.rsplit(".", 1)[-1].lower())
