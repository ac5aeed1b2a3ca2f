"""The ranking over the last 30 days: who is ranked, ties, the board's top three, and a rep's own rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from qc.db import utcnow
from qc.performance import ranking
from qc.performance.ranking import Standing
from qc.users.models import Role, User
from qc.users.service import principal_for
from tests.factories import Browser, Org, make_user
from tests.feedback.conftest import submit_review


def test_reps_with_too_few_reviews_are_not_ranked_and_ties_share_a_rank() -> None:
    scores = {1: (5, 80.0), 2: (9, 92.04), 3: (5, 91.96), 4: (4, 99.0), 5: (6, 70.0), 6: (7, None)}
    standings = ranking.rank(scores)
    assert [(s.rep_id, s.rank) for s in standings] == [(2, 1), (3, 1), (1, 3), (5, 4)]
    assert 4 not in {s.rep_id for s in standings}  # four reviews: not ranked yet
    assert ranking.rank(scores, min_reviews=4)[0] == Standing(4, 1, 99.0, 4)


@pytest.mark.parametrize(
    ("ranked", "named"), [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (30, 3)]
)
def test_the_podium_names_the_top_three_and_never_more_than_half(ranked: int, named: int) -> None:
    standings = ranking.rank({rep: (10, 100.0 - rep) for rep in range(1, ranked + 1)})
    podium = ranking.podium(standings)
    assert [s.rank for s in podium] == list(range(1, named + 1))
    assert len(podium) <= ranked // 2


def test_a_tie_at_third_place_names_both() -> None:
    standings = ranking.rank(
        {1: (9, 95.0), 2: (9, 90.0), 3: (9, 85.0), 4: (9, 85.0)} | {r: (9, 50.0) for r in range(5, 12)}
    )
    assert [s.rep_id for s in ranking.podium(standings)] == [1, 2, 3, 4]


def _in_window(now: datetime) -> datetime:
    """A moment of the ranking's window: 20 days before now."""
    return now - timedelta(days=20)


@pytest.fixture
def ranked_team(db: Session, org: Org, settings: Any, monkeypatch: Any) -> dict[str, User]:
    """Five reps with two reviews each in the last 30 days (ranked from two here), one with one."""
    monkeypatch.setattr(ranking, "RANK_MIN_REVIEWS", 2)
    reps = {"rex": org.rep} | {
        n: make_user(db, role=Role.REP, team=org.team, name=n.title()) for n in ("ann", "bob", "cat", "dan")
    }
    reps["new"] = make_user(db, role=Role.REP, team=org.team, name="New Starter")
    db.commit()
    when = _in_window(utcnow())
    fails: dict[str, dict[str, str]] = {
        "ann": {"greeting": "pass"},
        "bob": {"price": "fail"},
        "rex": {"price": "fail", "greeting": "fail"},
        "cat": {"price": "fail", "greeting": "fail", "permission": "fail"},
        "dan": {"price": "fail", "greeting": "fail", "permission": "fail", "next_step": "fail"},
    }
    for name, statuses in fails.items():
        for _ in range(2):
            submit_review(db, org, settings, rep=reps[name], started_at=when, statuses=statuses)
    submit_review(db, org, settings, rep=reps["new"], started_at=when, statuses={"greeting": "pass"})
    return reps


def rank_line(browser: Browser, rep: User) -> str | None:
    found = browser.page(f"/reps/{rep.id}").select_one(".rep-rank")
    return found.get_text(" ", strip=True) if found else None


def test_a_rep_sees_their_rank_and_the_neighbours_scores(
    browser_factory: Any, db: Session, org: Org, settings: Any, ranked_team: dict[str, User]
) -> None:
    standings = ranking.team_standings(db, org.team.id, now=utcnow())
    order = [s.rep_id for s in standings]
    assert order.index(org.rep.id) == 2 and len(order) == 5  # the starter's one review is not enough
    mine = standings[2]
    line = rank_line(browser_factory().login_as(org.rep), org.rep)
    assert line is not None
    assert line.startswith(f"Rank over the last 30 days: {mine.rank} of 5 ")
    assert (
        f"just above: {round(standings[1].average)}" in line
        and f"just below: {round(standings[3].average)}" in line
    )
    for other in ("Ann", "Bob", "Cat", "Dan"):
        assert other not in line  # the neighbours' scores, not their names
    assert rank_line(browser_factory().login_as(org.manager), org.rep) == line


def test_the_rank_is_for_the_rep_and_their_managers_only(
    browser_factory: Any, org: Org, ranked_team: dict[str, User]
) -> None:
    for user in (org.qc_lead, org.admin):
        assert rank_line(browser_factory().login_as(user), org.rep) is None


def test_a_rep_without_enough_reviews_is_unranked(browser: Browser, ranked_team: dict[str, User]) -> None:
    starter = ranked_team["new"]
    line = rank_line(browser.login_as(starter), starter)
    assert line == "Not ranked yet: 1 of the 2 reviews in the last 30 days a rank needs."
    soup = BeautifulSoup(browser.get(f"/reps/{starter.id}").text, "html.parser")
    assert "of 5" not in soup.get_text()


def test_the_ranking_counts_the_calls_of_the_last_30_days_across_the_month_boundary(
    db: Session, org: Org, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(ranking, "RANK_MIN_REVIEWS", 3)
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # early in the month: December has few reviews
    ann = make_user(db, role=Role.REP, team=org.team, name="Ann")
    db.commit()
    ages = {org.rep: (1, 12, 29.9, 30.1, 45), ann: (2, 29, 31, 40)}  # days before now
    made = {
        rep: [submit_review(db, org, settings, rep=rep, started_at=now - timedelta(days=d)) for d in days]
        for rep, days in ages.items()
    }
    inside = {
        rep: [e.final_score for e, d in zip(made[rep], ages[rep], strict=True) if d < ranking.RANK_DAYS]
        for rep in made
    }
    assert [len(scores) for scores in inside.values()] == [3, 2]  # one of Rex's is in December
    standings = ranking.team_standings(db, org.team.id, now=now)
    assert [(s.rep_id, s.reviews, s.average) for s in standings] == [
        (org.rep.id, 3, round(fmean(inside[org.rep]), 1))
    ]
    # Ann's two reviews of the window: one short of a rank.
    view = ranking.rank_of(db, principal_for(db, ann), ann, now=now)
    assert view is not None and (view.rank, view.reviews) == (None, 2)
