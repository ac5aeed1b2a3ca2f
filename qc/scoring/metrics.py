"""Conversation metrics from a transcript's word timings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qc.scoring.definitions import Metric

Interval = tuple[float, float]
# Words closer than this belong to one stretch of speech.
JOIN_GAP_S = 0.6


@dataclass(frozen=True)
class Turn:
    speaker: str
    start: float
    end: float
    segments: tuple[int, ...]


def merge(intervals: Iterable[Interval], gap: float = JOIN_GAP_S) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def intersection(a: list[Interval], b: list[Interval]) -> float:
    """Seconds covered by both interval lists (each sorted, non-overlapping)."""
    i = j = 0
    overlap = 0.0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        overlap += max(0.0, end - start)
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return overlap


@dataclass(frozen=True)
class CallMetrics:
    duration_s: float
    speech: dict[str, list[Interval]]  # speaker -> merged speech intervals
    words: dict[str, int]
    turns: list[Turn]
    word_spans: dict[str, list[Interval]]  # speaker -> each word's interval, unmerged

    def speech_s(self, speaker: str) -> float:
        return total(self.speech.get(speaker, []))

    def value(self, metric: Metric) -> float:
        """The metric in its unit: percentages 0-100, seconds, words per minute, a count."""
        agent, customer = self.speech_s("agent"), self.speech_s("customer")
        if metric is Metric.TALK_RATIO:
            return 100 * agent / (agent + customer) if agent + customer else 0.0
        if metric is Metric.LONGEST_MONOLOGUE:
            return max((t.end - t.start for t in self.turns if t.speaker == "agent"), default=0.0)
        if metric is Metric.SILENCE_SHARE:
            spoken = total(merge([i for intervals in self.speech.values() for i in intervals], gap=0))
            return 100 * max(0.0, 1 - spoken / self.duration_s) if self.duration_s else 0.0
        if metric is Metric.OVERTALK:  # on the words themselves: a "yes" in a pause is no overlap
            agent_words = merge(self.word_spans.get("agent", []), gap=0)
            customer_words = merge(self.word_spans.get("customer", []), gap=0)
            both = intersection(agent_words, customer_words)
            return 100 * both / self.duration_s if self.duration_s else 0.0
        if metric is Metric.WORDS_PER_MINUTE:
            return 60 * self.words.get("agent", 0) / agent if agent else 0.0
        if metric is Metric.CUSTOMER_TURNS:
            return float(sum(1 for t in self.turns if t.speaker == "customer"))
        raise ValueError(metric)

    def longest_agent_turn(self) -> Turn | None:
        agent_turns = [t for t in self.turns if t.speaker == "agent"]
        return max(agent_turns, key=lambda t: t.end - t.start) if agent_turns else None


def turns_of(segments: list[tuple[str, float, float]], pause_s: float = 5.0) -> list[Turn]:
    """Runs of consecutive segments by one speaker; a pause longer than `pause_s` (a hold,
    a search) ends a turn, so a monologue is talk, not silence."""
    turns: list[Turn] = []
    for index, (speaker, start, end) in enumerate(segments):
        if turns and turns[-1].speaker == speaker and start - turns[-1].end <= pause_s:
            last = turns[-1]
            turns[-1] = Turn(speaker, last.start, max(last.end, end), (*last.segments, index))
        else:
            turns.append(Turn(speaker, start, end, (index,)))
    return turns
