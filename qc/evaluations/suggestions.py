"""Suggestions from reviewers: where reviewers keep overriding a phrase check, what was said
around those decisions, offered as a phrase or an exception to add, each with what it would
do to the item's agreement on the reviewed calls.

- A missed "said" check (the check failed, the reviewer answered yes): the agent's word
  sequences in the window the check looks at. One that recurs across those calls, and is
  rare in the calls the reviewers failed too, is offered as "add this phrase".
- A false violation (a forbidden phrase was found, the reviewer answered yes): the words
  around the phrase that triggered it. A context that recurs, and is rare where the
  violation was real, is offered as "add this exception".

`mine` is a pure function over cases (a transcript, the reviewer's final answer), so the
accuracy benchmark mines its tuning set with the same code. Nothing changes a rule until a
person accepts a suggestion into the draft and publishes it.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidInput, NotFound
from qc.evaluations import agreement, backtest, form
from qc.reviews import access
from qc.scoring import access as scoring_access
from qc.scoring import editor, engine
from qc.scoring import service as scoring
from qc.scoring.definitions import Item, PhraseCheck, Scorecard, Status
from qc.scoring.results import ItemResult
from qc.scoring.transcript import Segment, segments_from
from qc.transcription import service as transcription
from qc.users.schemas import Principal

MIN_SUPPORT = 2  # overridden calls a phrase must recur in
MAX_SUGGESTIONS = 5  # per item and language
SHORTEST, LONGEST = 2, 4  # words in a suggested phrase
BACKGROUND_SHARE = 0.2  # at most this share of the calls the check passed may hold a phrase
CONTEXT = 2  # words either side of a forbidden phrase looked at for an exception
_SENTENCE_END = re.compile(r"[.?!;:,…]$")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")

Kind = Literal["phrase", "exception"]


@dataclass(frozen=True)
class Case:
    """One reviewed call, for one scorecard: its transcript and the reviewers' final answers."""

    call_id: int
    language: str
    segments: Sequence[Segment]
    duration_s: float
    answers: dict[str, str]  # item -> final answer (yes, no, n/a, 1-5)


@dataclass
class Suggestion:
    item_id: str
    language: str
    kind: Kind
    text: str
    support: int  # overridden calls it would have put right
    against: int  # calls the check already got right that it would put wrong
    calls: list[int] = field(default_factory=list)  # the overridden calls it recurs in
    before: agreement.ItemAgreement | None = None  # the item's agreement without it...
    after: agreement.ItemAgreement | None = None  # ... and with it, over every case


@dataclass(frozen=True)
class ItemSuggestions:
    item_id: str
    label: str
    overridden: int  # cases where the reviewer overrode the check the way suggestions can fix
    suggestions: list[Suggestion]


def with_suggestion(card: Scorecard, suggestion: Suggestion) -> Scorecard:
    """`card` with the phrase or exception added to its item (per language)."""
    data = card.model_dump(mode="json")
    for section in data["sections"]:
        for item in section["items"]:
            if item["id"] != suggestion.item_id:
                continue
            key = "phrases" if suggestion.kind == "phrase" else "exceptions"
            phrases = item["check"].setdefault(key, {}).setdefault(suggestion.language, [])
            if suggestion.text not in phrases:
                phrases.append(suggestion.text)
    return Scorecard.model_validate(data)


# Mining ------------------------------------------------------------------------------------------


def mine(card: Scorecard, item_id: str, cases: Sequence[Case], *, effects: bool = True) -> ItemSuggestions:
    """Phrases or exceptions for `item_id` of `card` (names filled in) from the reviewed cases."""
    item = card.item(item_id)
    check = item.check
    if not isinstance(check, PhraseCheck):
        return ItemSuggestions(item_id, item.label, 0, [])
    runner = backtest.subset(card, {item_id})
    verdicts = {case.call_id: _verdict(runner, item_id, case) for case in cases if item_id in case.answers}
    relevant = [case for case in cases if case.call_id in verdicts]
    wrong = [
        c for c in relevant if verdicts[c.call_id].status is Status.FAIL and _yes(item, c.answers[item_id])
    ]
    right = [
        c for c in relevant if verdicts[c.call_id].status is Status.FAIL and _no(item, c.answers[item_id])
    ]
    if check.mode == "not_said":
        found = _exceptions(item, wrong, right, verdicts)
    else:
        passed = [c for c in relevant if verdicts[c.call_id].status is Status.PASS]
        found = _phrases(item, check, wrong, right, passed)
    if effects:
        for suggestion in found:
            suggestion.before, suggestion.after = effect(card, suggestion, relevant, verdicts)
        found.sort(key=lambda s: -(s.after.agreed - s.before.agreed) if s.after and s.before else 0)
    return ItemSuggestions(item_id, item.label, len(wrong), found)


def _phrases(
    item: Item, check: PhraseCheck, wrong: Sequence[Case], right: Sequence[Case], passed: Sequence[Case]
) -> list[Suggestion]:
    """Word sequences common in the overridden calls and rare elsewhere: in the calls the
    check passed (the script every call shares: a greeting is no permission question) and
    in those the reviewers failed too (adding it would pass them)."""
    found: list[Suggestion] = []
    for language in sorted({c.language for c in wrong}):
        stop = stop_words(language)
        existing = {_normal(p) for p in check.phrases.get(language, [])}
        support: Counter[str] = Counter()
        where: dict[str, list[int]] = {}
        for case in (c for c in wrong if c.language == language):
            for gram in _grams(_said(case, check), stop):
                support[gram] += 1
                where.setdefault(gram, []).append(case.call_id)
        against: Counter[str] = Counter()
        for case in (c for c in right if c.language == language):
            against.update(g for g in _grams(_said(case, check), stop) if g in support)
        common: Counter[str] = Counter()
        elsewhere = [c for c in passed if c.language == language]
        for case in elsewhere:
            common.update(g for g in _grams(_said(case, check), stop) if g in support)
        overridden = sum(1 for c in wrong if c.language == language)
        lift = {
            gram: count / overridden - common[gram] / max(1, len(elsewhere))
            for gram, count in support.items()
        }
        candidates = [
            Suggestion(item.id, language, "phrase", gram, count, against[gram], where[gram])
            for gram, count in support.items()
            if count >= MIN_SUPPORT
            and count > 2 * against[gram]
            and common[gram] <= BACKGROUND_SHARE * len(elsewhere)
            and gram not in existing
        ]
        found += _best(candidates, lift)
    return found


def _exceptions(
    item: Item,
    wrong: Sequence[Case],
    right: Sequence[Case],
    verdicts: dict[int, ItemResult],
) -> list[Suggestion]:
    found: list[Suggestion] = []
    for language in sorted({c.language for c in wrong}):
        support: Counter[str] = Counter()
        where: dict[str, list[int]] = {}
        for case in (c for c in wrong if c.language == language):
            for context in _contexts(case, verdicts[case.call_id]):
                support[context] += 1
                where.setdefault(context, []).append(case.call_id)
        against: Counter[str] = Counter()
        for case in (c for c in right if c.language == language):
            against.update(c for c in _contexts(case, verdicts[case.call_id]) if c in support)
        candidates = [
            Suggestion(item.id, language, "exception", text, count, against[text], where[text])
            for text, count in support.items()
            if count >= MIN_SUPPORT and against[text] == 0
        ]
        found += _best(candidates, {c.text: float(c.support) for c in candidates})
    return found


def _best(candidates: list[Suggestion], strength: dict[str, float]) -> list[Suggestion]:
    """The strongest, shortest first; a phrase inside (or around) one already chosen adds
    nothing and is left out."""
    chosen: list[Suggestion] = []

    def key(s: Suggestion) -> tuple[float, int, int, str]:
        words = s.text.split()
        return (-round(strength[s.text], 6), words[0] in stop_words(s.language), len(words), s.text)

    for candidate in sorted(candidates, key=key):
        words = set(candidate.text.split())
        # A piece of the same words in the same calls ("a bad" next to "bad moment") adds nothing.
        if any(words & set(c.text.split()) and set(c.calls) == set(candidate.calls) for c in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == MAX_SUGGESTIONS:
            break
    return chosen


def effect(
    card: Scorecard, suggestion: Suggestion, cases: Sequence[Case], verdicts: dict[int, ItemResult]
) -> tuple[agreement.ItemAgreement, agreement.ItemAgreement]:
    """The item's agreement with the reviewers over `cases`, without (`verdicts`, the card's
    own) and with `suggestion`. A phrase more can only turn a verdict into a pass, an
    exception only take a violation away: the calls already passed are not run again."""
    item = card.item(suggestion.item_id)
    runner = backtest.subset(with_suggestion(card, suggestion), {item.id})
    before = agreement.empty_items(card)[item.id]
    after = agreement.empty_items(card)[item.id]
    for case in cases:
        answer = case.answers.get(item.id)
        if answer is None or case.call_id not in verdicts:
            continue
        old = verdicts[case.call_id].status
        new = old if old is Status.PASS else _verdict(runner, item.id, case).status
        agreement.tally(before, old, form.suggested(item, old), answer)
        agreement.tally(after, new, form.suggested(item, new), answer)
    return before, after


def _verdict(runner: Scorecard | None, item_id: str, case: Case) -> ItemResult:
    assert runner is not None
    language = case.language if case.language in runner.languages else runner.languages[0]
    result = engine.score_transcript(
        runner, language=language, segments=case.segments, duration_s=case.duration_s
    )
    return next(r for r in result.items if r.item_id == item_id)


def _yes(item: Item, answer: str) -> bool:
    return answer == form.suggested(item, Status.PASS)


def _no(item: Item, answer: str) -> bool:
    return answer == form.suggested(item, Status.FAIL)


# Words -------------------------------------------------------------------------------------------


def _said(case: Case, check: PhraseCheck) -> list[list[str]]:
    """The words of the check's speaker in its time window, one list per sentence (a
    suggestion never runs from one sentence into the next)."""
    lo, hi = 0.0, float("inf")
    if check.within.first_seconds:
        hi = check.within.first_seconds
    if check.within.last_seconds:
        end = case.duration_s or max((s.end for s in case.segments), default=0.0)
        lo = end - check.within.last_seconds
    wanted = {"agent": {"agent"}, "customer": {"customer"}}.get(check.speaker.value)
    sentences: list[list[str]] = []
    for segment in case.segments:
        if wanted is not None and segment.speaker in {"agent", "customer"} and segment.speaker not in wanted:
            continue
        timed = [(w.start, w.word) for w in segment.words] or [
            (segment.start, w) for w in segment.text.split()
        ]
        sentence: list[str] = []
        for start, word in timed:
            if lo <= start <= hi:
                sentence += _words(word)
            if _SENTENCE_END.search(word) or not lo <= start <= hi:
                sentences.append(sentence)
                sentence = []
        sentences.append(sentence)
    return [s for s in sentences if s]


def _grams(segments: Iterable[list[str]], stop: frozenset[str]) -> set[str]:
    """The distinct word sequences of a call worth suggesting (each counts once per call)."""
    found: set[str] = set()
    for words in segments:
        for n in range(SHORTEST, LONGEST + 1):
            for start in range(len(words) - n + 1):
                gram = words[start : start + n]
                if gram[-1] in stop:  # "moment to": the phrase ends before its last word
                    continue
                if all(w in stop or w.isdigit() for w in gram):
                    continue
                found.add(" ".join(gram))
    return found


def _contexts(case: Case, result: ItemResult) -> set[str]:
    """The forbidden phrases found in the call with up to CONTEXT words either side."""
    found: set[str] = set()
    for evidence in result.evidence:
        if evidence.kind != "violation" or evidence.segment is None:
            continue
        segment = case.segments[evidence.segment]
        timed = [(w.start, w.word) for w in segment.words] or [
            (segment.start, w) for w in segment.text.split()
        ]
        inside = [i for i, (start, _) in enumerate(timed) if evidence.start - 0.01 <= start <= evidence.end]
        if not inside:
            continue
        words = [_words(w) for _, w in timed]
        first, last = inside[0], inside[-1]
        for before in range(CONTEXT + 1):
            for after in range(CONTEXT + 1):
                if before == after == 0 or first - before < 0 or last + after >= len(timed):
                    continue
                text = " ".join(w for part in words[first - before : last + after + 1] for w in part)
                if text:
                    found.add(text)
    return found


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _normal(phrase: str) -> str:
    return " ".join(_words(phrase))


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words of a language (its word lists only: no model is loaded)."""
    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(w.lower() for w in getattr(module, "STOP_WORDS", ()))


# From the database ---------------------------------------------------------------------------


BATCH = 200


def cases_for(session: Session, scorecard_id: str) -> list[Case]:
    """Every reviewed call of the scorecard with its transcript and final answers."""
    reviews = backtest.reviews(session, scorecard_id, None)
    answers: dict[int, dict[str, str]] = {}
    for _evaluation_id, call_id, per_item in reviews:  # newest review of a call first: it wins
        if call_id not in answers:
            answers[call_id] = {item_id: answer for item_id, (_, _, answer) in per_item.items()}
    ids = sorted(answers)
    cases: list[Case] = []
    for start in range(0, len(ids), BATCH):
        for call_id, rows in transcription.transcript_rows(session, ids[start : start + BATCH]).items():
            cases.append(
                Case(
                    call_id,
                    rows.language,
                    segments_from(rows.segments),
                    rows.audio_duration_s,
                    answers[call_id],
                )
            )
    return cases


def _editing_card(session: Session, principal: Principal, scorecard_id: str) -> Scorecard:
    opened = editor.editing(session, principal, scorecard_id)
    return scoring.with_organisation_names(session, Scorecard.model_validate(opened.definition))


def for_item(session: Session, principal: Principal, scorecard_id: str, item_id: str) -> ItemSuggestions:
    """Suggestions for one item of the scorecard as it is being edited (its draft, or the
    revision in use), with their effect on the reviewed calls."""
    if principal.role not in access.QUEUE_MANAGERS:
        raise Forbidden("Only administrators and QC leads can see suggestions for scorecard rules")
    card = _editing_card(session, principal, scorecard_id)
    if item_id not in {i.id for i in card.items}:
        raise NotFound(f"Scorecard {scorecard_id!r} has no item {item_id!r}")
    return mine(card, item_id, cases_for(session, scorecard_id))


def accept(
    session: Session,
    principal: Principal,
    scorecard_id: str,
    *,
    item_id: str,
    kind: str,
    language: str,
    text: str,
) -> editor.DraftView:
    """Add a suggested phrase or exception to the scorecard's draft (made from the revision in
    use when there is none). Published only when a person publishes the draft."""
    scoring_access.require_editor(principal)
    if kind not in ("phrase", "exception"):
        raise InvalidInput("A suggestion is a phrase or an exception", field="kind")
    text = " ".join(text.split())[:200]
    if not text:
        raise InvalidInput("The suggestion is empty", field="text")
    opened = editor.editing(session, principal, scorecard_id)
    card = Scorecard.model_validate(opened.definition)
    item = next((i for i in card.items if i.id == item_id), None)
    if item is None or not isinstance(item.check, PhraseCheck):
        raise NotFound(f"Scorecard {scorecard_id!r} has no phrase check {item_id!r}")
    if language not in card.languages:
        raise InvalidInput(f"The scorecard has no phrases in {language!r}", field="language")
    changed = with_suggestion(card, Suggestion(item_id, language, kind, text, 0, 0))  # type: ignore[arg-type]
    lock = opened.draft.lock if opened.draft else None
    return editor.save_draft(session, principal, scorecard_id, changed, lock=lock)
