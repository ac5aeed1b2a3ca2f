"""A second look at the agent's greeting, with the hotwords, when the first pass missed them.

Giving the model the scorecard's hotwords (the brand) as a prompt on every window is
costly: on telephone audio the prompt often makes a window fail Whisper's own quality
tests, and faster-whisper then decodes it again at rising temperatures (one 37 s call
took 15 s instead of 2). Yet the brand is said in one place the checks look at: the
agent's greeting. So the `recheck` rule decodes the whole call without hotwords and, only
when the greeting's first-pass words name none of them, decodes the greeting once more
(about one 30-second window of work, at temperature 0 and a bounded length, so no retry
can run away) with the hotwords as a prompt.

The second pass may only *correct* the first: the two word sequences are aligned, and a
run of second-pass words replaces a run of first-pass words only when it brings a name of
the hotwords the first run lacks, the first run holds a word the model was unsure of, and
the new words lie within the time of the old ones and are at most one more. Words the first
pass did not hear at all are never added (a prompt makes Whisper say its hotwords into
silence, or before the first word), and words both passes agree on never change.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from qc.transcription.models import Speaker

log = logging.getLogger(__name__)

# The length of the greeting, from the agent's first word, that gets the second look.
GREETING_S = 10.0
# A first-pass word heard with less probability than this may be replaced.
UNSURE = 0.5
# The longest run, in words on either side, one replacement may span; and how many more
# words than it replaces it may bring ("me the board" -> "Acme support" brings fewer).
MAX_RUN = 6
MAX_EXTRA_WORDS = 1
# How far a new word may reach past the time of the words it replaces.
SLACK_S = 0.5
# The longest greeting decoded again: one window, so the prompt and the token limit stay
# within Whisper's 448 tokens whatever QC_ASR_HOTWORDS_WINDOW_S says.
MAX_GREETING_S = 30.0
# faster-whisper's own quality tests: a window past these is what it would retry.
MAX_COMPRESSION = 2.4
MIN_LOGPROB = -1.0
_EDGE_S = 0.3  # audio kept before the greeting's first word and after its last


def names(hotwords: str) -> frozenset[str]:
    """The names among the hotwords, comparable: the words written with a capital ("Acme
    support" -> {acme}; "Acme Telecom, ProPlan" -> {acme, telecom, proplan}), or every word
    when none is. A greeting that says one of them has named the company."""
    words = re.split(r"[\s,;]+", hotwords)
    capitalised = [w for w in words if w[:1].isupper()]
    return frozenset(filter(None, map(comparable, capitalised or words)))


def comparable(word: str) -> str:
    return re.sub(r"[^\w]", "", word.casefold())


@dataclass(frozen=True)
class Span:
    """The stretch of a track the second pass decodes, in seconds of the track."""

    start: float
    end: float


def greeting(words: Sequence[Any], duration_s: float, *, length_s: float = GREETING_S) -> Span | None:
    """From just before the track's first word to just after the last word that starts within
    `length_s` of it (less silence: less for a prompted decode to fill); None for no words."""
    if not words:
        return None
    length_s = min(length_s, MAX_GREETING_S - 2 * _EDGE_S)
    first = words[0].start
    last = 0
    while last + 1 < len(words) and words[last + 1].start - first < length_s:
        last += 1
    end = words[last].end + _EDGE_S
    if last + 1 < len(words):
        end = min(end, (words[last].end + words[last + 1].start) / 2)
    return Span(max(0.0, first - _EDGE_S), min(duration_s, end))


def heard(words: Sequence[Any], hot: frozenset[str]) -> bool:
    """Whether one of the names is among `words`."""
    return any(comparable(w.word) in hot for w in words)


@dataclass(frozen=True)
class Replacement:
    """First-pass words [first, last) of the greeting give way to `words`."""

    first: int
    last: int
    words: list[Any]


def replacements(before: Sequence[Any], after: Sequence[Any], hot: frozenset[str]) -> list[Replacement]:
    """Where the second pass (`after`) corrects the first (`before`), both word lists of the
    same stretch in time order, `hot` the names (see the module docstring for what counts)."""
    a = [comparable(w.word) for w in before]
    b = [comparable(w.word) for w in after]
    found: list[Replacement] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "replace" or i2 - i1 > MAX_RUN or j2 - j1 > i2 - i1 + MAX_EXTRA_WORDS:
            continue
        old, new = before[i1:i2], after[j1:j2]
        lo, hi = old[0].start - SLACK_S, old[-1].end + SLACK_S
        heard_there = all(lo <= w.start and w.end <= hi for w in new)  # not said into silence
        brings = set(b[j1:j2]) & hot - set(a[i1:i2])
        if brings and heard_there and any(w.probability < UNSURE for w in old):
            found.append(Replacement(i1, i2, list(new)))
    return found


def passes_quality(segment: Any) -> bool:
    return bool(segment.compression_ratio <= MAX_COMPRESSION and segment.avg_logprob >= MIN_LOGPROB)


def decode_kwargs(language: str, beam_size: int, hotwords: str, span: Span) -> dict[str, Any]:
    """One decode of the greeting, prompted with the hotwords, at temperature 0 (no retries)
    and no longer than a few tokens a second (a looping decode stops early)."""
    return {
        "language": language,
        "beam_size": beam_size,
        "word_timestamps": True,
        "vad_filter": False,
        "hotwords": hotwords,
        "temperature": 0.0,
        "condition_on_previous_text": False,
        "max_new_tokens": int(5 * (span.end - span.start)) + 10,
    }


def second_look(
    model: Any, piece: np.ndarray, span: Span, language: str, beam_size: int, hotwords: str
) -> list[Any]:
    """faster-whisper's segments of the greeting (`piece`, the track's audio over `span`) as
    the hotwords-prompted decode hears them; none when that decode fails Whisper's quality
    tests."""
    try:
        raw, _ = model.transcribe(piece, **decode_kwargs(language, beam_size, hotwords, span))
        segments = list(raw)
    except ValueError as exc:  # e.g. hotwords so long that prompt + token limit pass 448
        log.warning("second look at the greeting skipped: %s", exc)
        return []
    return segments if all(passes_quality(s) for s in segments) else []


def speaker_gets_recheck(speaker: Speaker) -> bool:
    """The agent's channel, or a mono call's only one (where the agent also speaks)."""
    return speaker is not Speaker.CUSTOMER
