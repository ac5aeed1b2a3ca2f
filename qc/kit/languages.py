"""Language codes: the ones Whisper knows, checked where people type them."""

from __future__ import annotations

from functools import cache

from qc.errors import InvalidInput


@cache
def supported_languages() -> frozenset[str]:
    """ISO 639-1 codes faster-whisper can transcribe."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def clean_language(value: str | None, *, field: str = "language") -> str | None:
    """`" RU "` -> `"ru"`; empty -> None; an unknown code is refused with the reason."""
    if value is None or not value.strip():
        return None
    code = value.strip().lower()
    if code not in supported_languages():
        raise InvalidInput(
            f"{code!r} is not a language code the speech model knows; use ISO 639-1 "
            "such as en, ru, ro, sr, it, uk",
            field=field,
        )
    return code
