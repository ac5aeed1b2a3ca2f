"""Chance-corrected agreement."""

from __future__ import annotations

from collections import Counter

import pytest

from qc.evaluations.kappa import cohen_kappa, fleiss_kappa, pairwise_agreement

# Fleiss (1971), the worked example: 10 subjects, 14 raters, 5 categories; kappa 0.210.
FLEISS_1971 = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_matches_the_published_example() -> None:
    subjects = [Counter({str(c): n for c, n in enumerate(row) if n}) for row in FLEISS_1971]
    assert fleiss_kappa(subjects) == pytest.approx(0.210, abs=0.0005)
    assert pairwise_agreement(subjects[0]) == 1.0
    assert pairwise_agreement(subjects[1]) == pytest.approx(0.253, abs=0.0005)


def test_fleiss_kappa_handles_perfect_chance_and_missing_ratings() -> None:
    agree = [Counter({"yes": 3}), Counter({"no": 3}), Counter({"yes": 3})]
    assert fleiss_kappa(agree) == pytest.approx(1.0)
    assert fleiss_kappa([Counter({"yes": 3}), Counter({"yes": 2})]) is None, "no variation: undefined"
    assert fleiss_kappa([Counter({"yes": 1})]) is None, "one rating is no agreement"
    split = [Counter({"yes": 1, "no": 1}), Counter({"yes": 1, "no": 1})]
    assert fleiss_kappa(split) == pytest.approx(-1.0)
    uneven = [Counter({"yes": 2, "no": 1}), Counter({"no": 2})]  # raters may skip a subject
    # P_i = 1/3 and 1, mean 2/3; p = (2/5, 3/5), P_e = 13/25: kappa = (2/3 - 13/25) / (12/25) = 0.3056
    assert fleiss_kappa(uneven) == pytest.approx(0.3056, abs=0.0001)


def test_cohen_kappa() -> None:
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([]) is None
