"""Agreement between raters, corrected for chance (Fleiss' kappa, Cohen's kappa)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence


def pairwise_agreement(counts: Mapping[str, int]) -> float | None:
    """The share of rater pairs that gave one subject the same answer (Fleiss' P_i)."""
    n = sum(counts.values())
    if n < 2:
        return None
    return (sum(c * c for c in counts.values()) - n) / (n * (n - 1))


def fleiss_kappa(subjects: Iterable[Mapping[str, int]]) -> float | None:
    """Fleiss' kappa over subjects rated by two or more raters (the number may vary).

    Each subject is its count of answers per category. None when it is undefined: no
    subject with two ratings, or every rating in one category (no chance to disagree).
    """
    rated = [s for s in subjects if sum(s.values()) >= 2]
    if not rated:
        return None
    totals: Counter[str] = Counter()
    for subject in rated:
        totals.update(subject)
    ratings = sum(totals.values())
    expected = sum((count / ratings) ** 2 for count in totals.values())
    if expected >= 1.0:
        return None
    observed = sum(pairwise_agreement(s) or 0.0 for s in rated) / len(rated)
    return (observed - expected) / (1 - expected)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa between two raters (here: the automatic check and the reviewer)."""
    return cohen_kappa_counts(Counter(pairs))


def cohen_kappa_counts(pairs: Mapping[tuple[str, str], int]) -> float | None:
    """Cohen's kappa from how often each pair of answers was given."""
    n = sum(pairs.values())
    if not n:
        return None
    first: Counter[str] = Counter()
    second: Counter[str] = Counter()
    for (a, b), count in pairs.items():
        first[a] += count
        second[b] += count
    observed = sum(count for (a, b), count in pairs.items() if a == b) / n
    expected = sum(first[k] * second.get(k, 0) for k in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)
