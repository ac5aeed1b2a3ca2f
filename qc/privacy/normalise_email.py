"""E-mail addresses said aloud, or split by Whisper, joined into addresses.

"ion punct popescu arond gmail punct com" becomes "ion.popescu@gmail.com" when the words
after the '@' end in a real top-level domain, checked against the public suffix list that
ships inside tldextract (never fetched, never cached on disk).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from qc.privacy.normalise_tokens import LABEL, Tok, Token
from qc.privacy.numbers_words import to_latin

# Top-level domains as callers say them in Cyrillic, once spelled in Latin.
_TLD_ALIASES = {"kom": "com", "net": "net", "org": "org", "ru": "ru", "rs": "rs"}


@lru_cache(maxsize=1)
def _suffixes() -> Any:
    """The public suffix list bundled with tldextract; never fetched, never cached on disk."""
    import tldextract

    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


def is_top_level_domain(label: str) -> bool:
    return bool(label.isalpha() and len(label) >= 2 and _suffixes()(f"example.{label}").suffix == label)


def label_text(token: Token) -> str:
    text = token.text.lower() if token.kind is not Tok.NUM else token.text
    return to_latin(text)


def compose_emails(tokens: list[Token]) -> list[Token]:
    out = list(tokens)
    a = 0
    while a < len(out):
        if out[a].kind is Tok.AT and (email := _email_at(out, a)) is not None:
            start, end, text = email
            out[start : end + 1] = [Token(Tok.EMAIL, text, out[start].first, out[end].last)]
            a = start + 1
        else:
            a += 1
    return out


def _email_at(tokens: list[Token], a: int) -> tuple[int, int, str] | None:
    domain = _domain(tokens, a + 1)
    local = _local_part(tokens, a - 1)
    if domain is None or local is None:
        return None
    (start, local_text), (end, domain_text) = local, domain
    return start, end, f"{local_text}@{domain_text}"


def _domain(tokens: list[Token], i: int) -> tuple[int, str] | None:
    """The longest run of labels joined by dots after '@' that ends in a real top-level domain."""
    labels: list[str] = []
    ends: list[tuple[int, str]] = []
    while i < len(tokens) and tokens[i].kind in LABEL:
        label, i = _domainlabel_text(tokens, i)
        labels.append(_TLD_ALIASES.get(label, label) if labels else label)
        if len(labels) > 1 and is_top_level_domain(labels[-1]):
            ends.append((i, ".".join(labels)))
        if i + 2 < len(tokens) and tokens[i + 1].kind is Tok.DOT:
            i += 2
        else:
            break
    return ends[-1] if ends else None


def _domainlabel_text(tokens: list[Token], i: int) -> tuple[str, int]:
    """One label ("gmail", spelled "g m x", "my-shop") and the index of its last token."""
    label = label_text(tokens[i])
    while i + 1 < len(tokens):
        following = tokens[i + 1]
        if tokens[i].kind is Tok.LETTER and following.kind is Tok.LETTER:
            label += label_text(following)
            i += 1
        elif following.kind in (Tok.DASH, Tok.JOIN) and i + 2 < len(tokens) and tokens[i + 2].kind in LABEL:
            label += "-" + label_text(tokens[i + 2])
            i += 2
        else:
            break
    return label, i


def _local_part(tokens: list[Token], j: int) -> tuple[int, str] | None:
    """The address's name before '@': labels joined by dots, dashes or underscores,
    spelled letters, and a name followed by digits ("john 72")."""
    if j < 0 or tokens[j].kind not in LABEL:
        return None
    pieces = [label_text(tokens[j])]
    while j > 0:
        here, before = tokens[j], tokens[j - 1]
        if before.kind in (Tok.DOT, Tok.JOIN, Tok.DASH) and j > 1 and tokens[j - 2].kind in LABEL:
            joiner = "." if before.kind is Tok.DOT else ("_" if before.text == "_" else "-")
            pieces[:0] = [label_text(tokens[j - 2]), joiner]
            j -= 2
        elif here.kind in (Tok.LETTER, Tok.NUM) and (
            before.kind in (Tok.LETTER, Tok.NUM) or (here.kind is Tok.NUM and before.kind is Tok.WORD)
        ):
            pieces.insert(0, label_text(before))
            j -= 1
        else:
            break
    if len(pieces) == 1 and tokens[j].kind is Tok.WORD and j > 0 and _name_word(tokens[j - 1]):
        # "andrei dumitru arond ...": a first name said before the surname
        return j - 1, label_text(tokens[j - 1]) + pieces[0]
    return j, "".join(pieces)


# Words that introduce an address rather than begin it ("my email is john at ...").
INTRO_WORDS = {
    "my", "is", "its", "it", "to", "email", "mail", "address", "at", "me", "the", "and", "or", "send",
    "write",
    "мой", "моя", "мою", "это", "на", "почта", "почту", "адрес", "пишите", "напишите", "и", "или",
    "meu", "mea", "este", "e", "la", "pe", "adresa", "emailul", "scrieti", "si", "sau", "trimiteti",
    "moj", "moja", "je", "na", "imejl", "mejl", "pisite", "posaljite", "i", "ili",
    "mio", "mia", "il", "a", "scrivete", "scrivi", "mandate", "indirizzo", "o", "ed",
}  # fmt: skip


def _name_word(token: Token) -> bool:
    return (
        token.kind is Tok.WORD
        and token.text.isalpha()
        and len(token.text) > 1
        and token.text not in INTRO_WORDS
    )


# Words that announce an e-mail address (stems).
_EMAIL_CONTEXT = (
    *("email", "e-mail", "mail", "address", "почт", "адрес", "мейл", "имейл", "adres", "mejl", "imejl"),
    *("indirizzo", "posta"),
)


def split_glued_at(tokens: list[Token]) -> list[Token]:
    """Whisper sometimes writes "smith at gmail" as one word ("smithatgmail"): split it
    when an address was announced just before and a domain follows."""
    out: list[Token] = []
    for n, token in enumerate(tokens):
        split = _at_inside(token, tokens, n)
        if split is not None:
            words = {t.text for t in tokens[max(0, n - 8) : n] if t.kind is Tok.WORD}
            if any(w.startswith(stem) for w in words for stem in _EMAIL_CONTEXT):
                left, right = split
                out += [
                    Token(Tok.WORD, left, token.first, token.first),
                    Token(Tok.AT, "@", token.first, token.first),
                    Token(Tok.WORD, right, token.first, token.last),
                ]
                continue
        out.append(token)
    return out


def _at_inside(token: Token, tokens: list[Token], n: int) -> tuple[str, str] | None:
    if token.kind is not Tok.WORD or n + 2 >= len(tokens) or tokens[n + 1].kind is not Tok.DOT:
        return None
    if not is_top_level_domain(label_text(tokens[n + 2])):
        return None
    at = token.text.rfind("at", 2, len(token.text) - 3)
    if at < 0 or any(t.kind is Tok.AT for t in tokens[max(0, n - 6) : n + 3]):
        return None
    return token.text[:at], token.text[at + 2 :]
