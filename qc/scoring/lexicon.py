"""Small per-language word lists the checks rely on: negations and question openers.

Words are given as they appear after lemmatisation and lower-casing (see `qc.scoring.nlp`).
"""

from __future__ import annotations

# A match preceded (within NEGATION_WINDOW tokens) by one of these is negated:
# "I can't offer you" does not count as offering, "you don't have to buy" is not pushy.
NEGATIONS: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "n't", "no", "never", "nobody", "nothing", "without", "cannot"}),
    "ru": frozenset({"не", "нет", "никогда", "ни", "нельзя", "без"}),
    "uk": frozenset({"не", "ні", "ніколи", "без"}),
    "ro": frozenset({"nu", "niciodată", "fără", "nici"}),
    "it": frozenset({"non", "mai", "senza", "né"}),
    "sr": frozenset({"ne", "nije", "nisam", "nismo", "niste", "nikad", "nikada", "bez", "не", "никад"}),
}
NEGATION_WINDOW = 3

# A sentence opening with one of these (within its first OPENER_WINDOW tokens) is an
# open question: it cannot be answered with yes or no.
OPEN_QUESTION_OPENERS: dict[str, tuple[str, ...]] = {
    "en": (
        "what",
        "how",
        "why",
        "which",
        "where",
        "when",
        "who",
        "tell me",
        "describe",
        "walk me through",
        "could you tell",
        "can you tell",
        "what's",
        "how's",
    ),
    "ru": (
        "что",
        "как",
        "почему",
        "зачем",
        "какой",
        "какая",
        "какие",
        "сколько",
        "где",
        "когда",
        "кто",
        "расскажите",
        "расскажи",
        "опишите",
        "чем",
    ),
    "uk": ("що", "як", "чому", "навіщо", "який", "яка", "які", "скільки", "де", "коли", "хто", "розкажіть"),
    "ro": (
        "ce",
        "cum",
        "de ce",
        "care",
        "cât",
        "câte",
        "câți",
        "unde",
        "când",
        "cine",
        "spuneți-mi",
        "povestiți-mi",
        "descrieți",
    ),
    "it": (
        "che",
        "cosa",
        "come",
        "perché",
        "quale",
        "quali",
        "quanto",
        "quanti",
        "dove",
        "quando",
        "chi",
        "mi dica",
        "mi racconti",
        "mi descriva",
    ),
    "sr": (
        "šta",
        "što",
        "kako",
        "zašto",
        "koji",
        "koja",
        "koje",
        "koliko",
        "gde",
        "gdje",
        "kada",
        "ko",
        "recite mi",
        "opišite",
        "шта",
        "како",
        "зашто",
        "који",
        "колико",
    ),
}
OPENER_WINDOW = 3
# After an opener, these make it an indefinite pronoun, not a question word.
INDEFINITE_MARKERS = frozenset({"-", "нибудь", "-нибудь", "то", "-то", "либо", "-либо", "va", "-va"})


def negations(language: str) -> frozenset[str]:
    return NEGATIONS.get(language, frozenset())


def question_openers(language: str) -> tuple[str, ...]:
    return OPEN_QUESTION_OPENERS.get(language, ())
