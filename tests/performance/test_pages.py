"""The team page and the rep page: the figures per rep, and who may open them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qc.db import utcnow
from qc.errors import Forbidden, NotFound
from qc.feedback import service as feedback
from qc.kit.pagination import PageRequest
from qc.performance import service as performance
from qc.users.models import Role
from qc.users.service import principal_for
from tests.factories import Browser, Org, make_user
from tests.feedback.conftest import submit_review
from tests.training.conftest import assign_rep, make_module


@pytest.fixture
def history(db: Session, org: Org, settings: Any) -> dict[str, Any]:
    """Rex: two reviews this week (price failed in one), one 20 days ago; Tia: one this
    week; the Bravo rep: one (another team)."""
    tia = make_user(db, role=Role.REP, team=org.team, name="Tia Teammate")
    db.commit()
    now = utcnow()
    monday = now - timedelta(days=now.weekday())
    this_week = max(monday, now - timedelta(hours=30))
    rex = [
        submit_review(db, org, settings, started_at=this_week, statuses={"price": "fail"}),
        submit_review(
            db, org, settings, started_at=this_week + timedelta(minutes=5), statuses={"greeting": "pass"}
        ),
        submit_review(db, org, settings, started_at=now - timedelta(days=20), statuses={"price": "fail"}),
    ]
    theirs = submit_review(db, org, settings, rep=tia, started_at=this_week, statuses={"greeting": "pass"})
    submit_review(db, org, settings, rep=org.other_rep, started_at=this_week)
    feedback.acknowledge(db, principal_for(db, org.rep), rex[0].id)
    db.commit()
    module = make_module(db, org)
    assign_rep(db, org, module, due=(now - timedelta(days=2)).date(), now=now - timedelta(days=5))
    assign_rep(
        db, org, make_module(db, org, title="Objections"), rep=tia, due=(now + timedelta(days=9)).date()
    )
    return {"tia": tia, "rex": rex, "tia_review": theirs}


def test_the_team_page_counts_each_reps_reviews_scores_and_open_items(
    db: Session, org: Org, settings: Any, history: dict[str, Any]
) -> None:
    view = performance.team_view(db, principal_for(db, org.manager), org.team.id, settings=settings)
    rows = {row.rep.name: row for row in view.rows}
    assert set(rows) == {"Rex Rep", "Tia Teammate"}  # the other team's rep is not listed
    rex, tia = rows["Rex Rep"], rows["Tia Teammate"]
    assert rex.week_reviews == 2 and tia.week_reviews == 1
    assert rex.reviewed_recently == 3
    scores = [e.final_score for e in history["rex"]]
    assert rex.average == round(sum(scores) / 3, 1)
    assert rex.missed[0].key == "outbound-sales:price"
    assert (rex.missed[0].failed, rex.missed[0].total) == (2, 3)
    assert rex.unacknowledged == 2 and tia.unacknowledged == 1  # Rex acknowledged one of three
    assert (rex.open_training, rex.overdue_training) == (1, 1)
    assert (tia.open_training, tia.overdue_training) == (1, 0)
    assert rex.trend[-1] is not None and len(rex.trend) == len(view.weeks)
    assert rex.week_target == view.policy.target * sum(
        view.policy.is_working_day(view.periods.week_start + timedelta(days=i))
        for i in range(view.periods.today.weekday() + 1)
    )


def test_team_pages_are_for_the_teams_managers_and_qc_staff(db: Session, org: Org, settings: Any) -> None:
    for user in (org.qc_lead, org.admin):
        assert (
            performance.team_view(db, principal_for(db, user), org.team.id, settings=settings).team.id
            == org.team.id
        )
    with pytest.raises(NotFound):
        performance.team_view(db, principal_for(db, org.outsider_manager), org.team.id, settings=settings)
    for user in (org.reviewer, org.rep):
        with pytest.raises(Forbidden):
            performance.team_view(db, principal_for(db, user), org.team.id, settings=settings)


def test_the_rep_page_compares_items_with_the_team_and_lists_every_review(
    db: Session, org: Org, settings: Any, history: dict[str, Any]
) -> None:
    view = performance.rep_view(
        db, principal_for(db, org.manager), org.rep.id, settings=settings, page=PageRequest(1, 25)
    )
    price = next(i for i in view.items if i.key == "outbound-sales:price")
    assert (price.passed, price.total) == (1, 3)
    assert (price.team_passed, price.team_total) == (2, 4)  # Tia passed it
    assert view.items[0].rate is not None and view.items[0].rate <= price.rate  # weakest first
    first, second, older = history["rex"]
    assert [r.evaluation_id for r in view.reviews.items] == [
        second.id,
        first.id,
        older.id,
    ]  # newest call first
    assert view.reviews.total == 3 and view.can_coach and not view.own


def test_a_rep_sees_only_their_own_page_and_only_released_reviews(
    db: Session, org: Org, settings: Any, history: dict[str, Any]
) -> None:
    held = submit_review(db, org, settings, dispatch=False, started_at=utcnow() - timedelta(hours=1))
    rep = principal_for(db, org.rep)
    view = performance.rep_view(db, rep, org.rep.id, settings=settings, page=PageRequest(1, 25))
    assert view.own and not view.can_coach
    assert held.id not in [r.evaluation_id for r in view.reviews.items]
    with pytest.raises(NotFound):
        performance.rep_view(db, rep, history["tia"].id, settings=settings, page=PageRequest(1, 25))
    with pytest.raises(NotFound):
        performance.rep_view(
            db,
            principal_for(db, org.outsider_manager),
            org.rep.id,
            settings=settings,
            page=PageRequest(1, 25),
        )


def test_the_pages_render_for_a_manager(app: Any, org: Org, history: dict[str, Any]) -> None:
    with Browser(app) as manager:
        manager.login_as(org.manager)
        landing = manager.get("/team")
        assert landing.status_code == 303 and landing.headers["location"].endswith(f"/team/{org.team.id}")
        page = manager.page(f"/team/{org.team.id}")
        names = [a.text for a in page.select("table.team-table tbody td:first-child a")]
        assert names == ["Rex Rep", "Tia Teammate"]
        assert page.select_one("table.team-table svg.sparkline") is not None
        rep = manager.page(f"/reps/{org.rep.id}")
        assert rep.select_one("svg.trend-chart polyline, svg.trend-chart circle") is not None
        assert len(rep.select("section[aria-labelledby=reviews-head] tbody tr")) == 3
        [training] = rep.select("section[aria-labelledby=training-head] tbody tr")
        assert "Talking about price" in training.text and "overdue" in training.text
