"""Phone numbers: valid in the numbering plans of the call's language, via phonenumbers
(its metadata ships with the package: nothing is fetched)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

REGIONS = {"ru": ("RU",), "ro": ("RO",), "sr": ("RS",), "it": ("IT",), "en": ("GB", "US")}


@lru_cache(maxsize=16)
def _national_lengths(region: str) -> frozenset[int]:
    """Digit counts a number of the region can have as said at home: the national
    significant number, with its trunk prefix, or with the country code in front."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None and metadata.general_desc is not None
    lengths = set(metadata.general_desc.possible_length)
    code = len(str(metadata.country_code))
    return frozenset(n + extra for n in lengths for extra in (0, 1, code))


def is_phone_number(compact: str, language: str, *, allow_bare: bool) -> bool:
    """A valid number in the language's numbering plans, or an international one.

    Without a trunk prefix or a country code ("9161234567") a number must be allowed
    bare (long enough, or called a phone) not to be taken for an amount or an id.
    """
    if compact.startswith("+"):
        return _valid(compact, None)
    if compact.startswith("00"):
        return _valid("+" + compact[2:], None)
    for region in REGIONS.get(language, ("GB",)):
        plausible = len(compact) in _national_lengths(region) and (allow_bare or _has_prefix(compact, region))
        if plausible and _valid(compact, region):
            return True
    return False


def near_phone_length(compact: str, language: str) -> bool:
    """Dialled like a phone number (a "+", or a trunk prefix) and within a digit of a
    length the language's numbering plans use: a number the ASR dropped or doubled a
    digit of."""
    if compact.startswith("+"):
        return 8 <= len(compact) <= 16
    regions = REGIONS.get(language, ("GB",))
    prefixed = compact.startswith("0") or (language == "ru" and compact[:1] in "78")
    lengths = {n + d for region in regions for n in _national_lengths(region) for d in (-1, 0, 1)}
    return prefixed and len(compact) >= 8 and len(compact) in lengths


def _valid(number: str, region: str | None) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(number, region)))
    except phonenumbers.NumberParseException:
        return False


def _has_prefix(compact: str, region: str | None) -> bool:
    if region == "RU":
        return len(compact) == 11 and compact[0] in "78"
    if region == "US":
        return len(compact) == 11 and compact[0] == "1"
    return compact.startswith("0")
