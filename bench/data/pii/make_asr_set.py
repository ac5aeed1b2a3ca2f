"""Make the ASR part of the personal-data set: espeak-ng speaks, faster-whisper transcribes.

Each utterance is spoken in three pieces (the words before the personal data, the data,
the words after), joined with sox, so the data's time window in the audio is known. The
multilingual base model the project ships transcribes the joined file through the
project's own ASR path (`qc.transcription.engine.transcribe`, VAD on, word timings), and
the words whose middle falls in the data's window are labelled with the kind generated.

Labels follow what a person reading the transcript would recognise, not what was spoken:
`check` records whether the letters and digits Whisper wrote in the window are exactly the
generated value ("exact"), differ ("differs"), or nothing was written there ("lost");
`similarity` is difflib's ratio between the two. An entity below RECOGNISABLE is kept as
an `ignore` span: the ASR turned it into something nobody would take for personal data
(espeak-ng's Russian and Serbian voices are hard for Whisper base), so a detector is
neither rewarded nor punished for it. Digits Whisper wrote as number words count as lost
characters here, so this rule errs towards ignoring, never towards labelling.
Sentences without personal data (prices, dates, times, quantities, order numbers) are
spoken the same way and carry no entity.

Needs espeak-ng and sox (Debian packages). Run from the repository root:

    .venv/bin/python bench/data/pii/make_asr_set.py

It writes bench/data/pii/asr.jsonl (committed); the audio goes to a temporary folder.
The part made after the detector was tuned (asr_holdout.jsonl) came from

    .venv/bin/python bench/data/pii/make_asr_set.py --seed 12 --per-kind 1 --negatives 2 \
        --out bench/data/pii/asr_holdout.jsonl

and the second one, made after the detector was tuned on both of those, from

    .venv/bin/python bench/data/pii/make_asr_set.py --seed 13 --per-kind 2 --negatives 2 --vary \
        --out bench/data/pii/asr_holdout2.jsonl
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import random
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

OUT = Path(__file__).resolve().parent / "asr.jsonl"
VOICES = {"en": "en-gb", "ru": "ru", "ro": "ro", "sr": "sr", "it": "it"}
# How much of the generated value (letters and digits, in order) the ASR words in the
# window must still show for a reader to recognise it (difflib ratio; see module doc).
RECOGNISABLE = 0.6


# ---------------------------------------------------------------- valid values, seeded


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    body = rng.choice(["4", "5" + str(rng.randint(1, 5)), "2221"])
    body += "".join(str(rng.randint(0, 9)) for _ in range(15 - len(body)))
    return body + luhn_digit(body)


def iban(rng: random.Random, country: str) -> str:
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    bban = {
        "GB": "NWBK" + digits(14),
        "RO": rng.choice(["BTRL", "RNCB", "BRDE"]) + digits(16),
        "RS": digits(18),
        "IT": rng.choice("ABCDX") + digits(22),
    }[country]
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def snils(rng: random.Random) -> str:
    body = "".join(str(rng.randint(0, 9)) for _ in range(9))
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    check = total if total < 100 else (0 if total in (100, 101) else total % 101 % 100)
    return body + f"{check:02d}"


def inn12(rng: random.Random) -> str:
    body = "".join(str(rng.randint(0, 9)) for _ in range(10))
    w1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    body += str(sum(int(d) * w for d, w in zip(body, w1, strict=True)) % 11 % 10)
    w2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    return body + str(sum(int(d) * w for d, w in zip(body, w2, strict=True)) % 11 % 10)


def passport_ru(rng: random.Random) -> str:
    return f"{rng.randint(1, 99):02d}{rng.randint(0, 24):02d}{rng.randint(100000, 999999)}"


def cnp(rng: random.Random) -> str:
    body = (
        f"{rng.choice([1, 2, 5, 6])}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}"
        f"{rng.randint(1, 28):02d}{rng.randint(1, 46):02d}{rng.randint(1, 999):03d}"
    )
    total = sum(int(d) * int(w) for d, w in zip(body, "279146358279", strict=True)) % 11
    return body + ("1" if total == 10 else str(total))


def jmbg(rng: random.Random) -> str:
    while True:
        year = rng.randint(950, 1005) % 1000
        day, month, serial = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 999)
        body = f"{day:02d}{month:02d}{year:03d}{rng.randint(70, 79)}{serial:03d}"
        weights = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
        m = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if m <= 9:
            return body + str(m)


_CF_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            1,
            0,
            5,
            7,
            9,
            13,
            15,
            17,
            19,
            21,
            2,
            4,
            18,
            20,
            11,
            3,
            6,
            8,
            12,
            14,
            16,
            10,
            22,
            25,
            24,
            23,
        ],
        strict=True,
    )
)


def codice_fiscale(rng: random.Random) -> str:
    letters = "BCDFGLMNPRSTVZ"
    body = (
        "".join(rng.choice(letters) for _ in range(3))
        + "".join(rng.choice(letters + "AEIO") for _ in range(3))
        + f"{rng.randint(40, 99)}"
        + rng.choice("ABCDEHLMPRST")
        + f"{rng.choice([rng.randint(1, 28), rng.randint(41, 68)]):02d}"
        + rng.choice("ADFGHLMZ")
        + f"{rng.randint(100, 999)}"
    )
    total = 0
    for i, ch in enumerate(body):
        total += _CF_ODD[ch] if i % 2 == 0 else int(ch, 36) - (10 if ch.isalpha() else 0)
    return body + chr(ord("A") + total % 26)


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        second = "A"
    return f"{first}{second}{rng.randint(100000, 999999)}{rng.choice('ABCD')}"


def ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def phone(rng: random.Random, language: str) -> str:
    import phonenumbers

    region = {"en": "GB", "ru": "RU", "ro": "RO", "sr": "RS", "it": "IT"}[language]
    patterns = {
        "GB": ["07{8}", "020{8}", "0161{7}"],
        "RU": ["89{9}", "+79{9}", "8495{7}"],
        "RO": ["07{8}", "021{7}", "+407{8}"],
        "RS": ["06{7}", "06{8}", "011{7}", "+3816{8}"],
        "IT": ["3{9}", "06{8}", "+393{9}", "02{8}"],
    }[region]
    while True:
        pattern = rng.choice(patterns)
        head, count = pattern.split("{")
        number = head + "".join(str(rng.randint(0, 9)) for _ in range(int(count.rstrip("}"))))
        if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
            return number


# ---------------------------------------------------------------- how each value is spoken


def grouped(value: str, sizes: list[int]) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(value[i : i + size])
        i += size
    if i < len(value):
        out.append(value[i:])
    return " ".join(p for p in out if p)


def spelled(value: str) -> str:
    """One character at a time with a pause between, letters as capitals (espeak says their names)."""
    return ", ".join(value)


def phone_spoken(value: str, style: int) -> str:
    plus = value.startswith("+")
    digits = value.lstrip("+")
    if style % 2 == 0:
        text = spelled(digits)
    elif digits.startswith(("7", "8")) and len(digits) == 11:
        text = grouped(digits, [1, 3, 3, 2, 2])
    else:
        text = grouped(digits, [3, 3, 2, 2, 2])
    return ("+" + text) if plus else text


SPOKEN_AT = {"en": "at", "ru": "собака", "ro": "arond", "sr": "et", "it": "chiocciola"}
SPOKEN_DOT = {"en": "dot", "ru": "точка", "ro": "punct", "sr": "tačka", "it": "punto"}
NAMES = {
    "en": [("john", "smith"), ("emma", "clarke"), ("oliver", "brown")],
    "ru": [("ivan", "petrov"), ("olga", "smirnova"), ("sergey", "ivanov")],
    "ro": [("ion", "popescu"), ("maria", "ionescu"), ("andrei", "dumitru")],
    "sr": [("jovan", "petrovic"), ("milica", "jovanovic"), ("marko", "nikolic")],
    "it": [("marco", "rossi"), ("giulia", "bianchi"), ("luca", "ferrari")],
}
DOMAINS = {
    "en": ["gmail.com", "outlook.com", "example.co.uk"],
    "ru": ["mail.ru", "yandex.ru", "gmail.com"],
    "ro": ["gmail.com", "yahoo.ro", "example.ro"],
    "sr": ["gmail.com", "eunet.rs", "example.rs"],
    "it": ["libero.it", "gmail.com", "example.it"],
}


def email(rng: random.Random, language: str, n: int) -> tuple[str, str]:
    first, last = NAMES[language][n % 3]
    domain = DOMAINS[language][n % 3]
    local = f"{first}.{last}" if n % 2 == 0 else f"{first}{rng.randint(10, 99)}"
    value = f"{local}@{domain}"
    dot, at = f" {SPOKEN_DOT[language]} ", f" {SPOKEN_AT[language]} "
    spoken = local.replace(".", dot) + at + domain.replace(".", dot)
    return value, spoken


# ---------------------------------------------------------------- sentences per language

Frame = tuple[str, str]  # words before, words after
FRAMES: dict[str, dict[str, list[Frame]]] = {
    "en": {
        "card": [("My card number is", "and it expires next year."), ("Sure, the card is", "thank you.")],
        "iban": [("Please send it to the account", "at my bank."), ("The IBAN is", "in my name.")],
        "phone": [("You can call me back on", "after six."), ("My mobile number is", "thanks.")],
        "email": [("My email address is", "please write to me."), ("Send the receipt to", "thank you.")],
        "national_id": [
            ("My national insurance number is", "okay."),
            ("My social security number is", "right."),
        ],
    },
    "ru": {
        "card": [("Номер моей карты", "спасибо."), ("Да, карта", "срок до следующего года.")],
        "iban": [("Мой счёт IBAN", "в немецком банке.")],
        "phone": [("Перезвоните мне по номеру", "после шести."), ("Мой телефон", "спасибо.")],
        "email": [("Моя почта", "напишите туда."), ("Пришлите чек на", "спасибо.")],
        "national_id": [
            ("Мой СНИЛС", "записали?"),
            ("Мой ИНН", "вот."),
            ("Паспорт серия и номер", "выдан в Москве."),
        ],
    },
    "ro": {
        "card": [("Numărul cardului meu este", "mulțumesc."), ("Da, cardul este", "expiră anul viitor.")],
        "iban": [("Contul meu IBAN este", "la banca mea."), ("Trimiteți banii în contul", "vă rog.")],
        "phone": [("Mă puteți suna la numărul", "după ora șase."), ("Telefonul meu este", "mulțumesc.")],
        "email": [("Adresa mea de email este", "scrieți-mi acolo."), ("Trimiteți chitanța pe", "mulțumesc.")],
        "national_id": [("Codul numeric personal este", "bine."), ("CNP-ul meu este", "da.")],
    },
    "sr": {
        "card": [("Broj moje kartice je", "hvala."), ("Da, kartica je", "ističe sledeće godine.")],
        "iban": [("Moj račun IBAN je", "u mojoj banci.")],
        "phone": [("Možete me pozvati na broj", "posle šest."), ("Moj telefon je", "hvala.")],
        "email": [("Moja email adresa je", "pišite mi tamo."), ("Pošaljite račun na", "hvala.")],
        "national_id": [("Moj JMBG je", "u redu."), ("Matični broj je", "da.")],
    },
    "it": {
        "card": [("Il numero della mia carta è", "grazie."), ("Sì, la carta è", "scade l'anno prossimo.")],
        "iban": [("Il mio IBAN è", "presso la mia banca."), ("Mandate il bonifico sul conto", "per favore.")],
        "phone": [("Mi può richiamare al numero", "dopo le sei."), ("Il mio cellulare è", "grazie.")],
        "email": [("La mia email è", "scrivetemi lì."), ("Mandate la ricevuta a", "grazie.")],
        "national_id": [("Il mio codice fiscale è", "va bene."), ("Codice fiscale", "ecco.")],
    },
}
NEGATIVES = {
    "en": [
        "The plan costs 29 pounds 99 a month.",
        "I called on the 15th of March 2024 at 10:30.",
        "Your order number is 58213347.",
        "We had two calls about it, maybe three.",
        "The bill went up by 12 percent, from 1,250 to 1,400.",
        "I have been a customer since 2011, that is 14 years.",
        "Delivery takes 3 to 5 working days.",
        "The meeting is at 9 45 on Monday the 3rd.",
    ],
    "ru": [
        "Тариф стоит 450 рублей в месяц.",
        "Я звонил 15 марта 2024 года в 10:30.",
        "Номер заказа 58213347.",
        "Было два звонка, может быть три.",
        "Счёт вырос на 12 процентов, с 1250 до 1400 рублей.",
        "Доставка займёт от 3 до 5 дней.",
        "Я клиент с 2011 года.",
        "Встреча в 9 45 в понедельник.",
    ],
    "ro": [
        "Abonamentul costă 45 de lei pe lună.",
        "Am sunat pe 15 martie 2024 la ora 10:30.",
        "Numărul comenzii este 58213347.",
        "Au fost două apeluri, poate trei.",
        "Factura a crescut cu 12 la sută, de la 1250 la 1400 de lei.",
        "Livrarea durează între 3 și 5 zile.",
        "Sunt client din 2011.",
        "Întâlnirea este la 9 și 45 luni.",
    ],
    "sr": [
        "Pretplata košta 1200 dinara mesečno.",
        "Zvao sam 15. marta 2024. u 10:30.",
        "Broj porudžbine je 58213347.",
        "Bila su dva poziva, možda tri.",
        "Račun je porastao za 12 posto, sa 1250 na 1400 dinara.",
        "Isporuka traje od 3 do 5 dana.",
        "Korisnik sam od 2011. godine.",
        "Sastanak je u 9 i 45 u ponedeljak.",
    ],
    "it": [
        "L'abbonamento costa 29 euro e 90 al mese.",
        "Ho chiamato il 15 marzo 2024 alle 10:30.",
        "Il numero dell'ordine è 58213347.",
        "Ci sono state due chiamate, forse tre.",
        "La bolletta è aumentata del 12 per cento, da 1250 a 1400 euro.",
        "La consegna richiede da 3 a 5 giorni.",
        "Sono cliente dal 2011.",
        "L'appuntamento è alle 9 e 45 di lunedì.",
    ],
}
IBAN_COUNTRY = {"en": "GB", "ru": "DE", "ro": "RO", "sr": "RS", "it": "IT"}


@dataclass
class Utterance:
    uid: str
    language: str
    before: str
    spoken: str = ""
    after: str = ""
    kind: str | None = None
    value: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def de_iban(rng: random.Random) -> str:
    bban = "".join(str(rng.randint(0, 9)) for _ in range(18))
    numeric = "".join(str(int(c, 36)) for c in bban + "DE00")
    return f"DE{98 - int(numeric) % 97:02d}{bban}"


def entity_value(rng: random.Random, language: str, kind: str, n: int, frame: Frame) -> tuple[str, str]:
    if kind == "card":
        value = card(rng)
        return value, grouped(value, [4, 4, 4, 4]) if n % 2 == 0 else spelled(value)
    if kind == "iban":
        country = IBAN_COUNTRY[language]
        value = de_iban(rng) if country == "DE" else iban(rng, country)
        return value, grouped(value, [4] * 8) if n % 2 == 0 else spelled(value)
    if kind == "phone":
        value = phone(rng, language)
        return value, phone_spoken(value, n)
    if kind == "email":
        return email(rng, language, n)
    return national_id(rng, language, n, frame)


def national_id(rng: random.Random, language: str, n: int, frame: Frame) -> tuple[str, str]:
    if language == "en":
        if "insurance" in frame[0]:
            value = nino(rng)
            return value, f"{value[0]} {value[1]} {grouped(value[2:8], [2, 2, 2])} {value[8]}"
        value = ssn(rng)
        return value, grouped(value, [3, 2, 4]) if n % 2 == 0 else spelled(value)
    if language == "ru":
        if "СНИЛС" in frame[0]:
            value = snils(rng)
            return value, f"{value[0:3]} {value[3:6]} {value[6:9]} {value[9:]}"
        if "ИНН" in frame[0]:
            value = inn12(rng)
            return value, grouped(value, [4, 4, 4]) if n % 2 == 0 else spelled(value)
        value = passport_ru(rng)
        return value, f"{value[:2]} {value[2:4]} {value[4:]}"
    if language == "ro":
        value = cnp(rng)
        return value, spelled(value) if n % 2 == 0 else grouped(value, [1, 2, 2, 2, 2, 3, 1])
    if language == "sr":
        value = jmbg(rng)
        return value, spelled(value) if n % 2 == 0 else grouped(value, [2, 2, 3, 2, 3, 1])
    value = codice_fiscale(rng)
    return value, spelled(value)


def utterances(seed: int, per_kind: int, negatives: int, *, vary: bool = False) -> list[Utterance]:
    """`vary`: frames, names and domains drawn at random rather than in turn (the parts
    made before it always began with the first frame, name and domain)."""
    rng = random.Random(seed)
    out: list[Utterance] = []
    for language, kinds in FRAMES.items():
        for kind, frames in kinds.items():
            count = per_kind if kind != "iban" or language in {"ro", "it", "en"} else max(1, per_kind // 2)
            for n in range(count):
                pick = rng.randrange(6 * len(frames)) if vary else n
                frame = frames[pick % len(frames)]
                value, spoken = entity_value(rng, language, kind, pick, frame)
                out.append(
                    Utterance(f"asr-{language}-{kind}-{n}", language, frame[0], spoken, frame[1], kind, value)
                )
        for n, sentence in enumerate(NEGATIVES[language][:negatives]):
            out.append(Utterance(f"asr-{language}-none-{n}", language, sentence))
    # Languages take turns, so a run cut short still covers all five.
    by_language = [[u for u in out if u.language == lang] for lang in FRAMES]
    return [u for batch in itertools.zip_longest(*by_language) for u in batch if u is not None]


# ---------------------------------------------------------------- audio and transcription


def speak(text: str, voice: str, path: Path) -> float:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "120", "-w", str(path), text], check=True)
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()


def synthesise(utterance: Utterance, folder: Path) -> tuple[Path, tuple[float, float] | None]:
    voice = VOICES[utterance.language]
    if utterance.kind is None:
        path = folder / f"{utterance.uid}.wav"
        speak(utterance.before, voice, path)
        return path, None
    parts = [utterance.before, utterance.spoken, utterance.after]
    paths = [folder / f"{utterance.uid}.{i}.wav" for i in range(3)]
    lengths = [speak(text, voice, path) for text, path in zip(parts, paths, strict=True)]
    joined = folder / f"{utterance.uid}.wav"
    subprocess.run(["sox", *map(str, paths), "-r", "16000", str(joined)], check=True)
    return joined, (lengths[0], lengths[0] + lengths[1])


def load_whisper() -> tuple[Any, Any]:
    from qc.config import get_settings
    from qc.transcription import weights

    settings = get_settings()
    spec = weights.resolve_model(weights.BASE, settings.model_cache_dir)
    model = weights.load_model(spec, device="cpu", compute_type="int8", cpu_threads=2)
    return model, spec


def transcribe(model: Any, spec: Any, path: Path, language: str) -> list[tuple[str, float, float]]:
    from qc.calls.models import ChannelLayout
    from qc.transcription import engine

    result = engine.transcribe(
        model, spec, path, layout=ChannelLayout.MONO, language=language, options=engine.AsrOptions()
    )
    return [(w.word, w.start, w.end) for s in result.segments for w in s.words]


# Digits said as words, for judging what a reader recognises (not the detector's tables).
DIGIT_WORDS = {
    "en": "zero|oh one two three four five six seven eight nine",
    "ru": "ноль один два три четыре пять шесть семь восемь девять",
    "ro": "zero unu doi trei patru cinci șase|sase șapte|sapte opt nouă|noua",
    "sr": "nula|нула jedan|један dva|два tri|три četiri|cetiri|четири pet|пет šest|sest|шест sedam|седам "
    "osam|осам devet|девет",
    "it": "zero uno due tre quattro cinque sei sette otto nove",
}


def signature(words: list[str], language: str) -> str:
    """Letters and digits of some words, digits said as words counted as digits."""
    table = {w: str(d) for d, ws in enumerate(DIGIT_WORDS[language].split()) for w in ws.split("|")}
    out = []
    for word in words:
        bare = "".join(ch for ch in word.lower() if ch.isalnum())
        out.append(table.get(bare, word))
    text = "".join(out).replace("@", "").replace(".", "")
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def place(words: list[str], language: str, entity: dict[str, Any], window: tuple[int, int]) -> dict[str, Any]:
    """The entity's words: the time window's words, moved by up to two words at each end
    where that matches the generated value better (Whisper's word timings are approximate)."""
    truth = signature([entity["value"]], language)
    best: tuple[float, int, int, int] | None = None
    for first in range(max(0, window[0] - 2), min(len(words), window[0] + 3)):
        for last in range(max(first, window[1] - 2), min(len(words), window[1] + 3)):
            got = signature(words[first : last + 1], language)
            ratio = difflib.SequenceMatcher(None, truth, got).ratio()
            shift = abs(first - window[0]) + abs(last - window[1])
            if best is None or (ratio, -shift) > (best[0], -best[3]):
                best = (ratio, first, last, shift)
    assert best is not None
    ratio, first, last, _ = best
    got = signature(words[first : last + 1], language)
    check = "exact" if got == truth else "differs"
    return entity | {"check": check, "similarity": round(ratio, 2), "first": first, "last": last}


def label(
    utterance: Utterance, words: list[tuple[str, float, float]], window: tuple[float, float] | None
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": utterance.uid,
        "language": utterance.language,
        "source": "asr",
        "spoken": " ".join(p for p in (utterance.before, utterance.spoken, utterance.after) if p),
        "words": [w for w, _, _ in words],
        "entities": [],
        "ignore": [],
    }
    if window is None or utterance.kind is None or utterance.value is None:
        return record
    start, end = window
    inside = [i for i, (_, a, b) in enumerate(words) if start - 0.05 <= (a + b) / 2 <= end + 0.05]
    entity: dict[str, Any] = {"kind": utterance.kind, "value": utterance.value, "check": "lost"}
    if inside:
        entity["window"] = [inside[0], inside[-1]]
    return settle(record | {"ignore": [entity]})


def settle(record: dict[str, Any]) -> dict[str, Any]:
    """Place each entity in the words and keep it labelled only if a reader would recognise it."""
    spans = []
    for entity in record["entities"] + record["ignore"]:
        window = entity.get("window") or ([entity["first"], entity["last"]] if "first" in entity else None)
        if window is None:
            spans.append(entity | {"check": "lost", "similarity": 0.0})
            continue
        spans.append(place(record["words"], record["language"], entity | {"window": window}, tuple(window)))
    record["entities"] = [e for e in spans if e["similarity"] >= RECOGNISABLE]
    record["ignore"] = [e for e in spans if e["similarity"] < RECOGNISABLE]
    return record


def relabel(path: Path) -> None:
    """Label an existing file again (after a change to the labelling rules), without ASR."""
    records = [settle(json.loads(line)) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--per-kind", type=int, default=2)
    parser.add_argument(
        "--negatives", type=int, default=5, help="sentences without personal data per language"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--relabel", action="store_true", help="label --out again; no speech, no ASR")
    parser.add_argument("--vary", action="store_true", help="draw frames, names and domains at random")
    args = parser.parse_args()
    if args.relabel:
        relabel(args.out)
        return
    model, spec = load_whisper()
    items = utterances(args.seed, args.per_kind, args.negatives, vary=args.vary)
    with tempfile.TemporaryDirectory(prefix="pii-asr-") as tmp, args.out.open("w") as out:
        for n, utterance in enumerate(items, 1):
            path, window = synthesise(utterance, Path(tmp))
            record = label(utterance, transcribe(model, spec, path, utterance.language), window)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            checks = [e["check"] for e in record["entities"] + record["ignore"]]
            print(f"{n}/{len(items)} {utterance.uid} {checks} {''.join(record['words'])!r}", flush=True)


if __name__ == "__main__":
    main()
