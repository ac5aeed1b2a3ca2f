"""Which calls a scorecard change can read differently, from the words they hold.

A draft that only adds or removes phrases (or exceptions) of phrase checks changes what the
phrase index matches in two ways: an added or removed phrase matches where its words are,
and a word new to (or gone from) the index's vocabulary changes what the transcript's
words are read as where a word equals it or is close enough to be a misspelling of it (the
index's fuzzy reading; a word too short for that only matters where it is capitalised and may
be read as a name). A call holding none of that (its `call_score.word_forms`, kept at
scoring time) is read exactly as before, so the backtest keeps its verdicts without
reading or checking it again.

The test is conservative: "could be a misspelling" skips the index's other conditions (the
word being unsure, or unknown to the language), and every word of a phrase only has to be
somewhere in the call, not in order. A call it lets through is checked as usual.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qc.scoring import nlp
from qc.scoring.definitions import PhraseCheck, Scorecard
from qc.scoring.engine import CAPITALISED
from qc.scoring.matching import MIN_FUZZY_LENGTH, NAME, could_be_fuzzy, phrase_tokens
from qc.scoring.transcript import phrase_groups


@dataclass(frozen=True)
class PhraseDelta:
    """What a call in one language must hold for a change of phrase lists to matter."""

    vocabulary: frozenset[str]  # words one side's index knows and the other's does not
    phrases: tuple[tuple[tuple[str, ...], bool], ...]  # (forms, exact) of each phrase added or removed

    def may_change(self, sorted_forms: Sequence[str]) -> bool:
        def present(form: str) -> bool:
            at = bisect.bisect_left(sorted_forms, form)
            return at < len(sorted_forms) and sorted_forms[at] == form

        def readable(form: str) -> bool:
            return present(form) or could_be_fuzzy(form, sorted_forms)

        for word in self.vocabulary:
            if present(CAPITALISED + word):  # a capitalised word the index may read as a name
                return True
            # A lower-case word shorter than a fuzzy match needs is read as itself either way.
            if len(word) >= MIN_FUZZY_LENGTH and word.isalpha() and readable(word):
                return True
        return any(all(present(f) if exact else readable(f) for f in forms) for forms, exact in self.phrases)


def phrase_delta(
    draft: Scorecard, published: Scorecard, *, languages: Iterable[str | None] | None = None
) -> dict[str, PhraseDelta] | None:
    """Per language (of `languages`, default all the card's), what the change from
    `published` to `draft` (two cards of the same items: the backtest's runners) depends on;
    None when it changes more than phrase lists. Only the languages asked for are looked at,
    so a backtest over English calls does not load the other languages' tools."""
    if draft.languages != published.languages or _rules(draft) != _rules(published):
        return None
    wanted = set(draft.languages if languages is None else languages)
    deltas = {}
    for language in [language for language in draft.languages if language in wanted]:
        tools = nlp.tools(language)
        (new_groups, new_exact), (old_groups, old_exact) = (
            phrase_groups(draft, language),
            phrase_groups(published, language),
        )
        if new_exact != old_exact:
            return None
        changed = []
        for group in new_groups.keys() | old_groups.keys():
            for phrase in set(new_groups.get(group, ())) ^ set(old_groups.get(group, ())):
                exact = group in new_exact
                forms = tuple(f for _, f in phrase_tokens(tools, phrase, exact=exact) if f != NAME)
                changed.append((forms, exact))
        vocabulary = _known(tools, new_groups, new_exact) ^ _known(tools, old_groups, old_exact)
        deltas[language] = PhraseDelta(frozenset(vocabulary), tuple(changed))
    return deltas


def _known(tools: nlp.LanguageTools, groups: dict[str, tuple[str, ...]], exact: set[str]) -> set[str]:
    """The index's vocabulary (`PhraseIndex.known`): the forms of its lemma-matched phrases."""
    return {
        form
        for group, phrases in groups.items()
        if group not in exact
        for phrase in phrases
        for _, form in phrase_tokens(tools, phrase, exact=False)
        if form != NAME
    }


def _rules(card: Scorecard) -> list[dict[str, object]]:
    """The card's items with their phrase lists left out: what must be equal on both sides."""
    items = []
    for item in card.items:
        data = item.model_dump(mode="json")
        if isinstance(item.check, PhraseCheck):
            data["check"] |= {"phrases": {}, "exceptions": {}}
        items.append(data)
    return items
