"""Check digits of the numbers that identify people and accounts, and number words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qc.privacy import numbers_checks as checks
from qc.privacy.numbers_words import Group, fold, morphemes, parse_numbers

# Published or hand-computed valid values, each next to the same value with one character
# changed (which every check digit catches).
VALID_AND_INVALID = [
    (checks.is_card_number, "4111111111111111", "4111111111111112"),
    (checks.is_card_number, "5500005555555559", "5500005555555558"),
    (checks.iban_valid, "GB82WEST12345698765432", "GB82WEST12345698765433"),
    (checks.iban_valid, "RO49AAAA1B31007593840000", "RO49AAAA1B31007593840001"),
    (checks.iban_valid, "RS35260005601001611379", "RS35260005601001611378"),
    (checks.iban_valid, "IT60X0542811101000000123456", "IT60X0542811101000000123457"),
    (checks.snils_valid, "11223344595", "11223344596"),
    (checks.inn_valid, "500100732259", "500100732258"),
    (checks.inn_valid, "7707083893", "7707083894"),
    # 2*1+7*8+9*0+1*0+4*1+6*0+3*1+5*2+8*2+2*1+7*1+9*4 = 136; 136 mod 11 = 4
    (checks.cnp_valid, "1800101221144", "1800101221145"),
    # 11 - (7*0+6*1+5*0+4*1+3*9+2*9+7*0+6*7+5*1+4*0+3*0+2*0) mod 11 = 11 - 3 = 8
    (checks.jmbg_valid, "0101990710008", "0101990710009"),
    (checks.codice_fiscale_valid, "RSSMRA80A01H501U", "RSSMRA80A01H501V"),
    (checks.uk_nino_valid, "AB123456C", "AB123456E"),
    (checks.us_ssn_valid, "123456789", "666456789"),
]


@pytest.mark.parametrize(("check", "valid", "invalid"), VALID_AND_INVALID)
def test_check_accepts_the_valid_value_and_refuses_one_character_off(
    check: Callable[[str], bool], valid: str, invalid: str
) -> None:
    assert check(valid)
    assert not check(invalid)


def test_a_card_number_needs_a_card_length_and_a_card_first_digit() -> None:
    assert not checks.is_card_number("0000000000000000")  # passes Luhn, no card starts with 0
    assert checks.is_card_number("4222222222222")  # Visa's 13-digit test number
    assert not checks.is_card_number("422222222222")  # 12 digits


def test_an_iban_of_the_wrong_length_for_its_country_is_refused() -> None:
    assert not checks.iban_valid("GB82WEST1234569876543")  # one digit short of GB's 22


def test_a_cnp_or_jmbg_with_an_impossible_birth_date_is_refused() -> None:
    assert not checks.cnp_valid("1801301221144")  # 13th month
    assert not checks.jmbg_valid("3102990710008")  # 31 February


def test_national_insurance_prefixes_never_issued_are_refused() -> None:
    assert not checks.uk_nino_valid("QQ123456C")
    assert not checks.uk_nino_valid("GB123456A")


def test_social_security_numbers_outside_the_issued_ranges_are_refused() -> None:
    for ssn in ("000123456", "900123456", "123006789", "123450000"):
        assert not checks.us_ssn_valid(ssn)


def test_a_russian_passport_is_ten_digits_without_a_check_digit() -> None:
    assert checks.ru_passport_shaped("4508123456")
    assert not checks.ru_passport_shaped("450812345")


def test_folding_drops_diacritics_and_reads_serbian_cyrillic_as_latin() -> None:
    assert fold("Șase", "ro") == "sase"
    assert fold("četiri", "sr") == "cetiri"
    assert fold("четири", "sr") == "cetiri"
    assert fold("четыре", "ru") == "четыре"


def _groups(words: str, language: str) -> list[str]:
    items = [
        (n, m) for n, word in enumerate(words.split()) for m in morphemes(fold(word, language), language)
    ]
    return [g.digits for g in parse_numbers(items)]


@pytest.mark.parametrize(
    ("language", "words", "digits"),
    [
        ("en", "four one one one", ["4", "1", "1", "1"]),
        ("en", "forty two", ["42"]),
        ("en", "four thousand one hundred and eleven", ["4111"]),
        ("en", "twenty twenty four", ["20", "24"]),
        ("en", "double five", ["55"]),
        ("ru", "сорок два", ["42"]),
        ("ru", "четыре один один один", ["4", "1", "1", "1"]),
        ("ru", "две тысячи двадцать четыре", ["2024"]),
        ("ro", "patruzeci și doi", ["42"]),
        ("ro", "două sute trei", ["203"]),
        ("ro", "o mie", ["1000"]),
        ("sr", "četrdeset dva", ["42"]),
        ("sr", "четрдесет два", ["42"]),
        ("it", "quarantadue", ["42"]),
        ("it", "duemilacentoundici", ["2111"]),
        ("it", "quattro uno uno uno", ["4", "1", "1", "1"]),
    ],
)
def test_number_words_become_digit_groups(language: str, words: str, digits: list[str]) -> None:
    assert _groups(words, language) == digits


def test_a_connector_or_article_outside_a_number_is_no_number() -> None:
    assert _groups("and", "en") == []
    assert _groups("a", "en") == []
    assert _groups("a hundred", "en") == ["100"]


def test_a_group_reports_the_pieces_it_spans() -> None:
    items = [(n, m) for n, w in enumerate(["one", "hundred", "and", "five"]) for m in morphemes(w, "en")]
    assert parse_numbers(items) == [Group("105", 0, 3)]
