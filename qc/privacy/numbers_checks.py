"""Check digits and formats of the numbers that identify a person or an account.

Each function takes the characters of a candidate with separators already removed
(digits, and upper-case letters where the format has them) and says whether it is
well formed. A check digit is what separates a card number from any 16 digits: the
detector leans on these to keep prices, dates and order numbers unmasked.
"""

from __future__ import annotations

import datetime as dt
import re

_CNP_WEIGHTS = (2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9)
_JMBG_WEIGHTS = (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11_WEIGHTS = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# Romanian county codes in a CNP: 01-46 counties, 51-52 Bucharest sectors 7-8 and
# Călărași/Giurgiu, 47-48 old Bucharest, 70 for residents registered abroad since 2024.
_CNP_COUNTIES = {*range(1, 53), 70}
# Values of the characters in odd positions (1st, 3rd ...) of a codice fiscale.
_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", map(int, re.findall(r"\d+", """
    1 0 5 7 9 13 15 17 19 21 1 0 5 7 9 13 15 17 19 21 2 4 18 20 11 3 6 8 12 14 16 10 22 25 24 23
""")), strict=True))  # fmt: skip
# Codice fiscale: digits may be replaced by these letters (omocodia) when two people
# would otherwise share a code.
_CF_OMOCODE = "LMNPQRSTUV"
_CF_SHAPE = re.compile(
    r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
)
_NINO = re.compile(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")
# IBAN length per country (ISO 13616 registry) for the countries our callers bank in
# and their neighbours; others are checked by mod-97 and the generic 15-34 length.
_IBAN_LENGTHS = {
    "AL": 28, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IT": 27, "LT": 20, "LU": 20, "LV": 21, "MD": 24, "ME": 22, "MK": 19, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "RS": 22, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TR": 26, "UA": 29, "VA": 22,
}  # fmt: skip


def luhn_valid(digits: str) -> bool:
    """The Luhn check every payment card number carries in its last digit."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """13 to 19 digits with a valid Luhn digit and a known first digit (2-6)."""
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


def iban_valid(code: str) -> bool:
    """Country code, two check digits and an account part whose mod-97 is 1."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", code):
        return False
    if _IBAN_LENGTHS.get(code[:2], len(code)) != len(code):
        return False
    numeric = "".join(str(int(ch, 36)) for ch in code[4:] + code[:4])
    return int(numeric) % 97 == 1


def snils_valid(digits: str) -> bool:
    """Russian SNILS: 9 digits and a two-digit control number."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    control = total % 101 % 100
    return control == int(digits[9:])


def inn_valid(digits: str) -> bool:
    """Russian INN: 10 digits (organisation) or 12 digits (person) with check digits."""
    if not digits.isdigit():
        return False

    def check(part: str, weights: tuple[int, ...]) -> int:
        return sum(int(d) * w for d, w in zip(part, weights, strict=True)) % 11 % 10

    if len(digits) == 10:
        return check(digits[:9], _INN10_WEIGHTS) == int(digits[9])
    if len(digits) == 12:
        return check(digits[:10], _INN11_WEIGHTS) == int(digits[10]) and check(
            digits[:11], _INN12_WEIGHTS
        ) == int(digits[11])
    return False


def ru_passport_shaped(digits: str) -> bool:
    """A Russian passport: 4-digit series (region, year of issue) and a 6-digit number.

    The number carries no check digit, so only the shape is checked here; the detector
    asks for a word such as "паспорт" before it.
    """
    return len(digits) == 10 and digits.isdigit() and digits[:2] != "00"


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def cnp_valid(digits: str) -> bool:
    """Romanian CNP: sex/century, birth date, county, serial and a check digit."""
    if len(digits) != 13 or not digits.isdigit() or digits[0] == "0":
        return False
    century = {"1": 1900, "2": 1900, "3": 1800, "4": 1800, "5": 2000, "6": 2000}.get(digits[0], 1900)
    if not _real_date(century + int(digits[1:3]), int(digits[3:5]), int(digits[5:7])):
        return False
    if int(digits[7:9]) not in _CNP_COUNTIES:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:12], _CNP_WEIGHTS, strict=True)) % 11
    return (1 if total == 10 else total) == int(digits[12])


def jmbg_valid(digits: str) -> bool:
    """Serbian (and former Yugoslav) JMBG: birth date, region, serial and a check digit."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    year = int(digits[4:7])
    if not _real_date(year + (2000 if year < 100 else 1000), int(digits[2:4]), int(digits[0:2])):
        return False
    m = 11 - sum(int(d) * w for d, w in zip(digits[:12], _JMBG_WEIGHTS, strict=True)) % 11
    return (0 if m > 9 else m) == int(digits[12])


def codice_fiscale_valid(code: str) -> bool:
    """Italian codice fiscale: 15 characters of name, birth date and place, and a check letter."""
    if not _CF_SHAPE.fullmatch(code):
        return False
    total = 0
    for i, ch in enumerate(code[:15]):
        total += _CF_ODD[ch] if i % 2 == 0 else (ord(ch) - ord("A") if ch.isalpha() else int(ch))
    return chr(ord("A") + total % 26) == code[15]


def cf_birth_digits_valid(code: str) -> bool:
    """The birth day of a codice fiscale (women add 40) is a real day of the month."""
    day = "".join(str(_CF_OMOCODE.index(c)) if c in _CF_OMOCODE else c for c in code[9:11])
    return 1 <= int(day) % 40 <= 31


def uk_nino_valid(code: str) -> bool:
    """UK National Insurance number: two prefix letters (some never issued), 6 digits, A-D."""
    return bool(_NINO.fullmatch(code))


def us_ssn_valid(digits: str) -> bool:
    """US Social Security number as issued: area 001-899 but 666, group 01-99, serial 0001-9999."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return 0 < area < 900 and area != 666 and group > 0 and serial > 0
