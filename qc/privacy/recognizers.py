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
from typing import Any

import phonenumbers
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from qc.privacy import numbers_checks as checks
from qc.privacy.normalise import is_top_level_domain

CARD, IBAN, PHONE, EMAIL, NATIONAL_ID = "CARD", "IBAN", "PHONE", "EMAIL", "NATIONAL_ID"
REGIONS = {"ru": ("RU",), "ro": ("RO",), "sr": ("RS",), "it": ("IT",), "en": ("GB", "US")}
CONTEXT_WINDOW = 8  # words before a candidate that may say what it is

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


def words_before(text: str, start: int, count: int = CONTEXT_WINDOW) -> list[str]:
    """The last `count` words (letters only, lower case) before a position."""
    return [w.lower() for w in _WORD.findall(text[max(0, start - 200) : start])][-count:]


def mentions(words: list[str], stems: tuple[str, ...]) -> bool:
    return any(word.startswith(stem) for word in words for stem in stems)


def group_windows(text: str, match: re.Match[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, characters without spaces) for every window of whole groups in a run."""
    bounds: list[tuple[int, int]] = []
    offset = match.start()
    for group in re.finditer(r"\S+", match.group()):
        bounds.append((offset + group.start(), offset + group.end()))
    for i in range(len(bounds)):
        for j in range(i, min(len(bounds), i + 40)):
            start, end = bounds[i][0], bounds[j][1]
            yield start, end, text[start:end].replace(" ", "")


def choose(candidates: list[Candidate]) -> list[Candidate]:
    """The best non-overlapping candidates: higher score first, then the longer one."""
    chosen: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (-c.score, -(c.end - c.start), c.start)):
        if all(c.end <= k.start or c.start >= k.end for k in chosen):
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)


class _RunRecognizer(EntityRecognizer):
    """Windows over runs found by a pattern, judged by `judge`."""

    RUN: re.Pattern[str] = _DIGIT_RUN
    ENTITIES: list[str] = []

    def __init__(self, language: str) -> None:
        super().__init__(
            supported_entities=self.ENTITIES,
            supported_language=language,
            name=f"qc-{type(self).__name__}-{language}",
        )

    def load(self) -> None:
        """Nothing to load: rules and check digits only."""

    def judge(self, text: str, start: int, end: int, compact: str) -> Candidate | None:
        raise NotImplementedError

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        found: list[Candidate] = []
        for match in self.RUN.finditer(text):
            windows = (self.judge(text, s, e, c) for s, e, c in group_windows(text, match))
            found.extend(choose([w for w in windows if w is not None]))
        return [RecognizerResult(c.entity, c.start, c.end, c.score) for c in found if c.entity in entities]


class DigitRecognizer(_RunRecognizer):
    """Card numbers, phone numbers and the national numbers made only of digits."""

    ENTITIES = [CARD, PHONE, NATIONAL_ID]

    def judge(self, text: str, start: int, end: int, compact: str) -> Candidate | None:
        before = words_before(text, start)
        checks_in_order: list[Callable[[str, list[str]], tuple[str, float] | None]] = [
            self._card,
            self._national_id,
            self._phone,
        ]
        for check in checks_in_order:
            verdict = check(compact, before)
            if verdict is not None:
                return Candidate(verdict[0], start, end, verdict[1])
        return None

    def _card(self, compact: str, before: list[str]) -> tuple[str, float] | None:
        digits = compact.lstrip("+")
        if checks.is_card_number(digits):
            return CARD, 0.95
        # A card number the ASR got one digit wrong is still the caller's card number.
        said_card = mentions(before, _CONTEXT[CARD].get(self.supported_language, ()))
        if said_card and 15 <= len(digits) <= 19 and digits[0] in "23456":
            return CARD, 0.6
        return None

    def _national_id(self, compact: str, before: list[str]) -> tuple[str, float] | None:
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

    def _phone(self, compact: str, before: list[str]) -> tuple[str, float] | None:
        digits = compact.lstrip("+")
        if not 7 <= len(digits) <= 15:
            return None
        if mentions(before[-_NOT_PHONE_WINDOW:], _NOT_PHONE.get(self.supported_language, ())):
            return None
        said_phone = mentions(before, _CONTEXT[PHONE].get(self.supported_language, ()))
        if is_phone_number(compact, self.supported_language, allow_bare=said_phone or len(digits) >= 9):
            return PHONE, 0.85 if said_phone or compact.startswith(("+", "00")) else 0.7
        return None


def is_phone_number(compact: str, language: str, *, allow_bare: bool) -> bool:
    """A valid number in the language's numbering plans, or an international one."""
    international = compact.startswith("+") or compact.startswith("00")
    numbers: list[str] = [compact if compact.startswith("+") else "+" + compact[2:]] if international else []
    regions: tuple[str | None, ...] = (None,) if international else REGIONS.get(language, ("GB",))
    for region in regions:
        for number in numbers or [compact]:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(parsed):
                continue
            # Without a trunk prefix or a country code ("9161234567") a number must be
            # long enough not to be mistaken for an amount or an id.
            if international or allow_bare or _has_prefix(compact, region):
                return True
    return False


def _has_prefix(compact: str, region: str | None) -> bool:
    if region == "RU":
        return len(compact) == 11 and compact[0] in "78"
    if region == "US":
        return len(compact) == 11 and compact[0] == "1"
    return compact.startswith("0")


class CodeRecognizer(_RunRecognizer):
    """IBANs, Italian codici fiscali and UK National Insurance numbers: letters and digits."""

    RUN = _CODE_RUN
    ENTITIES = [IBAN, NATIONAL_ID]

    def judge(self, text: str, start: int, end: int, compact: str) -> Candidate | None:
        if compact.isdigit() or not compact[:1].isalpha():
            return None
        if checks.iban_valid(compact):
            return Candidate(IBAN, start, end, 0.95)
        if checks.codice_fiscale_valid(compact):
            return Candidate(NATIONAL_ID, start, end, 0.95)
        if checks.uk_nino_valid(compact):
            return Candidate(NATIONAL_ID, start, end, 0.8)
        before = words_before(text, start)
        return self._misheard(compact, before, start, end)

    def _misheard(self, compact: str, before: list[str], start: int, end: int) -> Candidate | None:
        """A code whose check failed, with its shape and a word naming it: the ASR got a
        character wrong, and what is left is still the caller's account or tax code."""
        said_iban = mentions(before, _CONTEXT[IBAN].get(self.supported_language, ()))
        if said_iban and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
            return Candidate(IBAN, start, end, 0.6)
        if (
            mentions(before, _ID_CONTEXT["codice"])
            and len(compact) == 16
            and re.fullmatch(r"[A-Z]{6}.*", compact)
        ):
            return Candidate(NATIONAL_ID, start, end, 0.6)
        return None


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
