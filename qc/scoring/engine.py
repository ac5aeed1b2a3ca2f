"""Check a transcript against a scorecard: a pure function, no database, no audio.

Each item with a check gets a status (pass, fail, n/a, needs review), a confidence and
evidence pointing at moments of the call. Low ASR confidence on the words that
decided an item turns it into "needs review" rather than a wrong verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

from qc.scoring import checks, nlp, variables
from qc.scoring.definitions import (
    Item,
    ObjectionCheck,
    PhraseCheck,
    Scorecard,
    SpeakerRole,
    Status,
    references,
)
from qc.scoring.results import ItemResult, ScoreResult
from qc.scoring.transcript import CallText, Segment, read_call

LOW_CONFIDENCE = 0.5  # below this, the automatic answer is only a suggestion
CRITICAL_CONFIDENCE = 0.8  # a critical item fails the whole call only when this sure


# Scoring -------------------------------------------------------------------------------------


def score_transcript(
    card: Scorecard, *, language: str, segments: Sequence[Segment], duration_s: float = 0.0
) -> ScoreResult:
    """Run every check of `card` on a transcript in `language` ({variables} the caller has
    not filled in take the card's own defaults)."""
    return score_read_call(
        card, read_transcript(card, language=language, segments=segments, duration_s=duration_s)
    )


def read_transcript(
    card: Scorecard, *, language: str, segments: Sequence[Segment], duration_s: float = 0.0
) -> CallText:
    """The transcript as `card`'s checks read it (the costly part of scoring: tokens, lemmas,
    every phrase found): read once, it can be scored, and its sides judged, from this."""
    return read_call(variables.with_defaults(card), language, list(segments), duration_s)


def score_read_call(card: Scorecard, call: CallText, *, forms: frozenset[str] | None = None) -> ScoreResult:
    """Run every check of `card` on a transcript `read_transcript` read with the same card
    (`forms`: its word forms, if known already: they do not depend on who spoke)."""
    card = variables.with_defaults(card)
    language = call.language
    results: dict[str, ItemResult] = {}
    for item in _dependency_order(card):
        if item.check is None:
            continue
        if not call.tokens:  # silence or an empty transcript: nothing to judge
            results[item.id] = ItemResult(item.id, Status.NEEDS_REVIEW, 0.0, "No speech was transcribed")
            continue
        results[item.id] = _check_item(item, card, call, results)
    ordered = [results[i.id] for i in card.items if i.id in results]
    return ScoreResult(
        scorecard_id=card.id,
        language=language,
        items=ordered,
        score=_weighted_score(card, results),
        critical_failed=[
            i.id for i in card.items if i.critical and i.id in results and results[i.id].status is Status.FAIL
        ],
        speakers_separated=call.speakers_separated,
        word_forms=word_forms(call) if forms is None else forms,
    )


def word_forms(call: CallText) -> frozenset[str]:
    """Every form a token of the call is matched on: its surface, the lemma the language
    gives it, what the phrase index made of it (a fuzzy match, a name), and "^" + the lemma
    of each capitalised word the index may read as a name."""
    tools = nlp.tools(call.language)
    forms: set[str] = set()
    previous = None
    for token in call.tokens:
        plain = tools.canonical(token.text)
        forms.update((token.surface, token.canonical, plain))
        # A capitalised word the index may read as a name (as `PhraseIndex._canonical` does: not
        # at a sentence's start, or there only if it looks like one): marked "^form".
        starts = previous is None or previous.segment != token.segment or previous.text in {".", "?", "!"}
        if token.text[:1].isupper() and (not starts or tools.looks_like_name(token.text)):
            forms.add(CAPITALISED + plain)
        previous = token
    return frozenset(forms)


CAPITALISED = "^"


def _dependency_order(card: Scorecard) -> list[Item]:
    """Items after the items their windows and n/a conditions refer to."""
    ordered: list[Item] = []
    placed: set[str] = set()
    pending = list(card.items)
    while pending:
        progressed = False
        for item in list(pending):
            if all(ref in placed for ref in references(item)):
                ordered.append(item)
                placed.add(item.id)
                pending.remove(item)
                progressed = True
        if not progressed:  # a cycle: keep file order for the rest
            ordered.extend(pending)
            break
    return ordered


def _weighted_score(card: Scorecard, results: dict[str, ItemResult]) -> float | None:
    credit = {
        item_id: 1.0 if result.status is Status.PASS else 0.0
        for item_id, result in results.items()
        if result.status in (Status.PASS, Status.FAIL)
    }
    return weighted_score(card, credit)


def weighted_score(card: Scorecard, credit: dict[str, float]) -> float | None:
    """0-100: each section's weighted credit over its decided items (credit 0..1 per item;
    items without credit are not decided), weighted by the section weights."""
    earned = possible = 0.0
    for section in card.sections:
        decided = [(item, credit[item.id]) for item in section.items if item.id in credit]
        total = sum(item.weight for item, _ in decided)
        if not total:
            continue
        earned += section.weight * sum(item.weight * value for item, value in decided) / total
        possible += section.weight
    return round(100 * earned / possible, 1) if possible else None


def _check_item(item: Item, card: Scorecard, call: CallText, done: dict[str, ItemResult]) -> ItemResult:
    na = _not_applicable(item, call, done)
    if na is not None:
        return na
    check = item.check
    if isinstance(check, PhraseCheck | ObjectionCheck) and _missing_language(check, call.language):
        return ItemResult(
            item.id,
            Status.NEEDS_REVIEW,
            0.0,
            f"The scorecard has no phrases in {call.language!r} for this check",
        )
    result = checks.run(item, call, done)
    if result.status in (Status.PASS, Status.FAIL) and result.confidence < LOW_CONFIDENCE:
        result.summary += f" (low transcript confidence: {result.confidence:.0%}; please listen)"
        result.status = Status.NEEDS_REVIEW
    elif item.critical and result.status is Status.FAIL and result.confidence < CRITICAL_CONFIDENCE:
        # A critical fail zeroes the call: only when the words are certain.
        result.summary += (
            f" (transcript confidence {result.confidence:.0%}; confirm before it fails the call)"
        )
        result.status = Status.NEEDS_REVIEW
    return result


def _missing_language(check: PhraseCheck | ObjectionCheck, language: str) -> bool:
    lists = [check.phrases] if isinstance(check, PhraseCheck) else [check.objections, check.handling]
    return any(language not in phrases for phrases in lists)


def _not_applicable(item: Item, call: CallText, done: dict[str, ItemResult]) -> ItemResult | None:
    rule = item.not_applicable_when
    if rule is None:
        return None
    if rule.call_shorter_than_s and call.metrics.duration_s < rule.call_shorter_than_s:
        return ItemResult(
            item.id, Status.NA, 1.0, f"The call is shorter than {rule.call_shorter_than_s:.0f} s"
        )
    other = done.get(rule.item_not_passed) if rule.item_not_passed else None
    if other is not None and other.status is Status.NEEDS_REVIEW:
        return ItemResult(
            item.id,
            Status.NEEDS_REVIEW,
            0.0,
            f"Applies only if {rule.item_not_passed!r} passed, which needs review",
        )
    if other is not None and other.status is not Status.PASS:
        return ItemResult(item.id, Status.NA, 1.0, f"Applies only when {rule.item_not_passed!r} passed")
    if rule.no_objection and not _objection_matches(call, done):
        return ItemResult(item.id, Status.NA, 1.0, "The customer raised no objection")
    return None


def _objection_matches(call: CallText, done: dict[str, ItemResult]) -> bool:
    """Did the customer raise any objection any objection check of the scorecard knows?"""
    customer = call.spoken_by(SpeakerRole.CUSTOMER)
    return any(
        m.group.endswith(":objection")
        and call.speaker_of(m.start) in customer
        and not checks.negated(call, m)
        for m in call.matches
    )
