"""The normaliser: spoken and split numbers, spoken addresses, and the way back to words."""

from __future__ import annotations

import pytest

from qc.privacy.normalise import normalise_words


def said(text: str) -> list[str]:
    return text.split()


def norm(text: str, language: str) -> str:
    return normalise_words(said(text), language).text


@pytest.mark.parametrize(
    ("language", "said", "canonical"),
    [
        ("en", "four one one one", "4 1 1 1"),
        ("en", "four thousand one hundred and eleven", "4111"),
        ("en", "forty-two", "42"),
        ("en", "double five oh seven", "55 0 7"),
        ("ru", "четыре один один один", "4 1 1 1"),
        ("ru", "сорок два", "42"),
        ("ro", "patru unu unu unu", "4 1 1 1"),
        ("ro", "patruzeci și doi", "42"),
        ("sr", "četiri jedan", "4 1"),
        ("sr", "четири један", "4 1"),
        ("sr", "četrdeset dva", "42"),
        ("it", "quattro uno uno uno", "4 1 1 1"),
        ("it", "quarantadue", "42"),
    ],
)
def test_spoken_numbers_become_digit_groups(language: str, said: str, canonical: str) -> None:
    assert norm(said, language) == canonical


def test_whisper_thousands_commas_join_digits_and_a_pause_separates_groups() -> None:
    assert norm("4,111 1111", "en") == "4111 1111"
    assert normalise_words(["2", ",221", ",778"], "en").text == "2221778"
    assert normalise_words(["4,", "1,", "1,", "1"], "en").text == "4 1 1 1"
    assert normalise_words(["0", "-2", "-0", "-8"], "en").text == "0 2 0 8"


def test_a_full_stop_colon_or_percent_ends_a_run_of_digits() -> None:
    assert norm("at 10:30", "en") == "at 10 : 30"
    assert norm("12% more", "en") == "12 % more"
    assert normalise_words(["1030.", "After"], "en").text == "1030 . after"


def test_dots_and_slashes_between_digits_separate_groups() -> None:
    assert norm("021.609.26.03", "ro") == "021 609 26 03"
    assert norm("061/415-618", "sr") == "061 415 618"


def test_oh_is_a_zero_only_among_digits() -> None:
    assert norm("oh seven", "en") == "0 7"
    assert norm("oh really", "en") == "oh really"


def test_a_plus_before_digits_stays_with_them() -> None:
    assert norm("plus four four 7911", "en") == "+4 4 7911"
    assert norm("плюс семь", "ru") == "+7"


@pytest.mark.parametrize(
    ("language", "said", "address"),
    [
        ("en", "john at example dot com", "john@example.com"),
        ("en", "j o h n at example dot co dot uk", "john@example.co.uk"),
        ("en", "oliver seventy two at yahoo dot com", "oliver72@yahoo.com"),
        ("en", "emma underscore clarke at outlook dot com", "emma_clarke@outlook.com"),
        ("ro", "ion punct popescu arond gmail punct com", "ion.popescu@gmail.com"),
        ("ro", "ion a rond gmail punct com", "ion@gmail.com"),
        ("ru", "иван собака мейл точка ру", "ivan@meyl.ru"),
        ("sr", "jovan tačka petrović et gmail tačka com", "jovan.petrovic@gmail.com"),
        ("sr", "јован ет гмаил тачка ком", "jovan@gmail.com"),
        ("it", "marco chiocciola libero punto it", "marco@libero.it"),
    ],
)
def test_spoken_addresses_become_addresses(language: str, said: str, address: str) -> None:
    assert norm(said, language) == address


def test_whisper_split_addresses_are_joined() -> None:
    assert normalise_words(["John", ".smith@gmail", ".com"], "en").text == "john.smith@gmail.com"


def test_at_without_a_real_domain_after_it_is_a_word() -> None:
    assert norm("meet at the office", "en") == "meet at the office"
    assert norm("call me at five dot thirty", "en") == "call me at 5 dot 30"
    assert norm("john at home dot please", "en") == "john at home dot please"


def test_each_character_maps_back_to_its_words() -> None:
    words = ["My", "card", "is", "four", "thousand", "one", "hundred", "and", "eleven", "thanks"]
    normalised = normalise_words(words, "en")
    start = normalised.text.index("4111")
    assert normalised.words(start, start + 4) == (3, 8)
    assert normalised.words(0, 2) == (0, 0)
    assert normalised.words(2, 3) is None  # the space between words


def test_an_address_maps_back_to_all_its_words() -> None:
    normalised = normalise_words(said("please write to ion punct popescu arond gmail punct com today"), "ro")
    start = normalised.text.index("ion.popescu")
    assert normalised.words(start, start + len("ion.popescu@gmail.com")) == (3, 9)
