"""{company}, {brand}, {product}: names set once per organisation and used in scorecards.

A phrase or a hotword may name a variable in braces. At scoring time each is replaced by
the organisation's value for the call's language (set under Scorecards > Variables), or
else by the default the scorecard itself carries (`variables:` in its file). A variable
may hold several names ("Acme Telecom", "Acme"): a phrase using it becomes one phrase per
name, a hotword lists them all. `{name}` is not a variable: it stands for any person's
name and is matched as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qc.scoring.definitions import PERSON, PLACEHOLDER, ObjectionCheck, PhraseCheck, QuestionCheck, Scorecard

ANY = "*"  # the value for every language without one of its own
STANDARD = ("company", "brand", "product")  # offered first; any other name works too

Values = Mapping[str, Mapping[str, list[str]]]  # variable -> language ("*": any) -> names


def used(card: Scorecard) -> set[str]:
    """The variables the scorecard's phrases and hotwords name."""
    return {name for text in _texts(card) for name in PLACEHOLDER.findall(text) if name != PERSON}


def undefined(card: Scorecard, organisation: Values) -> list[str]:
    """Variables the card uses that neither the organisation nor the card gives a value."""
    return sorted(v for v in used(card) if not organisation.get(v) and not card.variables.get(v))


def resolve(card: Scorecard, organisation: Values) -> Scorecard:
    """The card with every variable replaced by its names; the card itself if it uses none."""
    if not used(card):
        return card
    data = card.model_dump(mode="json")
    for language in card.languages:
        names = {v: _names(card, organisation, v, language) for v in used(card)}
        for section in data["sections"]:
            for item in section["items"]:
                check = item.get("check") or {}
                for key in ("phrases", "exceptions", "objections", "handling", "openers"):
                    if language in (check.get(key) or {}):
                        check[key][language] = _expand(check[key][language], names)
        if language in data["hotwords"]:
            data["hotwords"][language] = _fill(data["hotwords"][language], names)
    return Scorecard.model_validate(data)


def with_defaults(card: Scorecard) -> Scorecard:
    """The card with its own defaults filled in, for code that scores a card read straight
    from a file (benchmarks, the labelled sets); cached per card object."""
    known = _defaults.get(id(card))
    if known is not None and known[0] is card:
        return known[1]
    if len(_defaults) > 64:
        _defaults.clear()
    resolved = resolve(card, {})
    _defaults[id(card)] = (card, resolved)
    return resolved


# Per card object (kept alive here, so its id is not reused).
_defaults: dict[int, tuple[Scorecard, Scorecard]] = {}


def effective(card: Scorecard, organisation: Values) -> list[tuple[str, str, Mapping[str, list[str]]]]:
    """Each variable the card uses: (name, where its value comes from, language -> names)."""
    rows = []
    for name in sorted(used(card)):
        if organisation.get(name):
            rows.append((name, "organisation", organisation[name]))
        elif card.variables.get(name):
            rows.append((name, "scorecard default", card.variables[name]))
        else:
            rows.append((name, "not set", {}))
    return rows


def _names(card: Scorecard, organisation: Values, variable: str, language: str) -> list[str]:
    for source in (organisation.get(variable) or {}, card.variables.get(variable) or {}):
        found = source.get(language) or source.get(ANY)
        if found:
            return list(found)
    return []


def _expand(phrases: Iterable[str], names: Mapping[str, list[str]]) -> list[str]:
    """One phrase per combination of names; a phrase with an unset variable is dropped."""
    out: list[str] = []
    for phrase in phrases:
        variants = [phrase]
        for variable in {n for n in PLACEHOLDER.findall(phrase) if n != PERSON}:
            variants = [
                v.replace(f"{{{variable}}}", name) for v in variants for name in names.get(variable, [])
            ]
        out += [v for v in variants if v not in out]
    return out or list(phrases)  # all unset: kept as written, matching nothing


def _fill(text: str, names: Mapping[str, list[str]]) -> str:
    for variable in {n for n in PLACEHOLDER.findall(text) if n != PERSON}:
        text = text.replace(f"{{{variable}}}", ", ".join(names.get(variable, [])))
    return text


def _texts(card: Scorecard) -> Iterable[str]:
    yield from card.hotwords.values()
    for item in card.items:
        check: Any = item.check
        lists: list[Mapping[str, list[str]]] = []
        if isinstance(check, PhraseCheck):
            lists = [check.phrases, check.exceptions]
        elif isinstance(check, ObjectionCheck):
            lists = [check.objections, check.handling]
        elif isinstance(check, QuestionCheck):
            lists = [check.openers]
        for phrases in lists:
            for texts in phrases.values():
                yield from texts
