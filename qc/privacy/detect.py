"""Find personal data in transcripts: card numbers, IBANs, phone numbers, e-mail addresses
and national identity numbers, in English, Russian, Romanian, Serbian and Italian.

Words go through our normaliser first (spoken numbers and addresses to a canonical text,
`qc.privacy.normalise`), then through presidio-analyzer with our recognisers
(`qc.privacy.recognizers`) on a blank spaCy pipeline per language: no trained model, no
download. Offline by construction: the e-mail check reads the public suffix list that
ships inside tldextract (no fetch, no disk cache), spaCy's blank pipelines need no data,
and phonenumbers carries its metadata.

National numbers per language (documented in README):
- ru: SNILS (11 digits, control number), INN (12 digits, or 10 after "ИНН", check digits),
  passport (10 digits after "паспорт" / "серия": no check digit exists);
- ro: CNP (13 digits, birth date, county, check digit);
- sr: JMBG (13 digits, birth date, check digit);
- it: codice fiscale (16 characters, check letter);
- en: UK National Insurance number (letters and digits in the issued format) and US SSN
  (9 digits in the issued ranges, after "social security" or "SSN": no check digit).
A transcript in any other language is read with the English number words and the
British and American numbering plans.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qc.privacy.email_shapes import email_spans
from qc.privacy.long_numbers import account_number_spans
from qc.privacy.normalise import normalise_words
from qc.privacy.recognizers import (
    CARD,
    EMAIL,
    GUESS,
    IBAN,
    NATIONAL_ID,
    PHONE,
    Candidate,
    CodeRecognizer,
    DigitRecognizer,
    EmailRecognizer,
    PassportRecognizer,
    choose,
)
from qc.privacy.recognizers_announced import AnnouncedRecognizer

LANGUAGES = ("en", "ru", "ro", "sr", "it")
MIN_SCORE = 0.5


class Kind(enum.StrEnum):
    CARD = "card"
    IBAN = "iban"
    PHONE = "phone"
    EMAIL = "email"
    NATIONAL_ID = "national_id"


_KIND_OF = {
    CARD: Kind.CARD,
    IBAN: Kind.IBAN,
    PHONE: Kind.PHONE,
    EMAIL: Kind.EMAIL,
    NATIONAL_ID: Kind.NATIONAL_ID,
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    start: int  # character offsets into the text passed in
    end: int
    score: float


@dataclass(frozen=True)
class WordFinding:
    kind: Kind
    first: int  # index of the first word covered (inclusive)
    last: int  # index of the last word covered (inclusive)
    score: float


_LABELS: dict[str, dict[Kind, str]] = {
    "en": {
        Kind.CARD: "[card number]",
        Kind.IBAN: "[IBAN]",
        Kind.PHONE: "[phone number]",
        Kind.EMAIL: "[e-mail]",
        Kind.NATIONAL_ID: "[ID number]",
    },
    "ru": {
        Kind.CARD: "[номер карты]",
        Kind.IBAN: "[IBAN]",
        Kind.PHONE: "[телефон]",
        Kind.EMAIL: "[e-mail]",
        Kind.NATIONAL_ID: "[номер документа]",
    },
    "ro": {
        Kind.CARD: "[număr card]",
        Kind.IBAN: "[IBAN]",
        Kind.PHONE: "[telefon]",
        Kind.EMAIL: "[e-mail]",
        Kind.NATIONAL_ID: "[CNP]",
    },
    "sr": {
        Kind.CARD: "[broj kartice]",
        Kind.IBAN: "[IBAN]",
        Kind.PHONE: "[telefon]",
        Kind.EMAIL: "[e-mail]",
        Kind.NATIONAL_ID: "[JMBG]",
    },
    "it": {
        Kind.CARD: "[numero carta]",
        Kind.IBAN: "[IBAN]",
        Kind.PHONE: "[telefono]",
        Kind.EMAIL: "[e-mail]",
        Kind.NATIONAL_ID: "[codice fiscale]",
    },
}


def supported_language(language: str | None) -> str:
    """The detector's language for a transcript's language code ("sr-Latn" -> "sr")."""
    code = (language or "en").lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else "en"


def mask_label(kind: Kind, language: str) -> str:
    """The word that stands in for masked data, in the transcript's language."""
    return _LABELS[supported_language(language)][kind]


_engine_lock = threading.Lock()
_engine: Any = None


def analyzer() -> Any:
    """presidio's AnalyzerEngine with our recognisers, built once per process."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _build_analyzer()
        return _engine


def _build_analyzer() -> Any:
    import spacy
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    class BlankSpacyNlpEngine(SpacyNlpEngine):
        """Tokenisation only: `spacy.blank(lang)`, nothing to download."""

        def load(self) -> None:
            self.nlp = {model["lang_code"]: spacy.blank(model["lang_code"]) for model in self.models}  # type: ignore[assignment]

    nlp_engine = BlankSpacyNlpEngine(
        models=[{"lang_code": lang, "model_name": "blank"} for lang in LANGUAGES]
    )
    nlp_engine.load()
    recognizers: list[EntityRecognizer] = [
        recognizer
        for lang in LANGUAGES
        for recognizer in (
            DigitRecognizer(lang),
            CodeRecognizer(lang),
            EmailRecognizer(lang),
            AnnouncedRecognizer(lang),
        )
    ]
    recognizers.append(PassportRecognizer("ru"))
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=list(LANGUAGES))
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=list(LANGUAGES),
        context_aware_enhancer=LemmaContextAwareEnhancer(),
    )


def find_in_words(words: Sequence[str], language: str) -> list[WordFinding]:
    """Words as the ASR gives them (may carry a leading space, punctuation, digits with
    commas); the text is the words joined; findings cover whole words."""
    if not words:
        return []
    lang = supported_language(language)
    normalised = normalise_words(words, lang)
    results = analyzer().analyze(text=normalised.text, language=lang, score_threshold=MIN_SCORE)
    candidates = [Candidate(r.entity_type, r.start, r.end, r.score) for r in results]
    findings: list[WordFinding] = []
    for c in choose(candidates):
        span = normalised.words(c.start, c.end)
        if span is not None:
            findings.append(WordFinding(_KIND_OF[c.entity], span[0], span[1], round(c.score, 3)))
    # Addresses said aloud that the ASR broke past rebuilding: their shape, as a guess.
    findings += [WordFinding(Kind.EMAIL, first, last, GUESS) for first, last in email_spans(words, lang)]
    # Account numbers with a misheard digit: too long to be anything else.
    findings += [
        WordFinding(Kind.IBAN, first, last, GUESS) for first, last in account_number_spans(normalised)
    ]
    return _merge(findings)


def _merge(findings: list[WordFinding]) -> list[WordFinding]:
    """Findings that share a word (a group spoken across two words) become one."""
    merged: list[WordFinding] = []
    for f in sorted(findings, key=lambda f: (f.first, f.last)):
        if merged and f.first <= merged[-1].last:
            top = merged[-1] if merged[-1].score >= f.score else f
            merged[-1] = WordFinding(top.kind, merged[-1].first, max(f.last, merged[-1].last), top.score)
        else:
            merged.append(f)
    return merged


_WORDS = re.compile(r"\S+")
_TRAILING = ",.;:!?)»\"'"


def find_personal_data(text: str, language: str) -> list[Finding]:
    """Personal data in a text, as character spans of whole words."""
    spans = [(m.start(), m.end()) for m in _WORDS.finditer(text)]
    findings = []
    for f in find_in_words([text[a:b] for a, b in spans], language):
        start, end = spans[f.first][0], spans[f.last][1]
        while end > start + 1 and text[end - 1] in _TRAILING:
            end -= 1
        findings.append(Finding(f.kind, start, end, f.score))
    return findings
