"""The demo's wall board: a day in progress on first sign-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from qc.board import service as board
from qc.demo import seed
from qc.demo.board import review_todays_picks
from qc.demo.queue_days import seed_queue_days
from qc.performance import ranking
from qc.reviews import builder
from qc.reviews import service as reviews
from qc.reviews.service import PolicyForm
from qc.users import service as users
from qc.users.models import Role
from qc.users.service import principal_for
from tests.factories import make_checked_call, make_reviewer, make_team, make_user

DOMAIN = "demo.test"


def test_the_demo_reviews_part_of_todays_queue(db: Session, settings: Any) -> None:
    team = make_team(db, name="Sales North")
    admin = make_user(db, role=Role.ADMIN)
    reps = {
        n: make_user(db, role=Role.REP, team=team, email=f"{n}@{DOMAIN}", name=n.title())
        for n in ("daniel", "emma", "laura", "sofia")
    }
    make_reviewer(db, capacity=20, languages=["en"])
    form = PolicyForm(
        target=2,
        working_days="1,2,3,4,5,6,7",
        timezone="UTC",
        day_start="00:00",
        day_end="23:59",
        min_duration_s=15,
        risk_share_percent=50,
        low_score=70,
        exclude_own_team=False,
        blind=False,
    )
    reviews.update_policy(db, principal_for(db, admin), team_id=team.id, form=form)
    now = datetime.now(UTC)
    start = max(now - timedelta(hours=1), now.replace(hour=0, minute=1, second=0, microsecond=0))
    for n, rep in enumerate(reps.values()):
        for k in range(2):
            statuses = {"price": "fail"} if rep is reps["emma"] or rep is reps["daniel"] else None
            make_checked_call(
                db, rep=rep, started_at=start + timedelta(seconds=n * 10 + k), statuses=statuses
            )
    db.commit()
    builder.build_queue(db, day=now.date(), settings=settings, draw_now=True, now=now)
    db.commit()
    assert review_todays_picks(DOMAIN) == 5
    found = {
        r.name: r
        for r in board.build_board(
            db, team, settings=settings, now=datetime.now(UTC), show_ranking=False
        ).rows
    }
    assert [(found[n].today_done, found[n].today_target) for n in ("Daniel", "Emma", "Laura", "Sofia")] == [
        (2, 2),
        (2, 2),
        (1, 2),
        (0, 2),
    ]
    assert found["Daniel"].average is not None and found["Emma"].average is not None
    assert (
        found["Emma"].average < found["Daniel"].average
    )  # both failed the price: Emma's reviewer kept it, Daniel's heard otherwise


def test_the_demo_board_names_a_top_three_on_first_sign_in(db: Session, settings: Any) -> None:
    """Early in a month (the demo's history is mostly last month's), the 30 days hold enough."""
    assert seed._seed_people()
    seed._seed_review_setup()
    scripted = json.loads((seed.SAMPLES / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    seed_queue_days(seed.SAMPLES, scripted, seed.DOMAIN)
    db.expire_all()
    team = users.get_by_email(db, f"daniel@{seed.DOMAIN}").team_id
    assert team is not None
    now = datetime.now(UTC)
    standings = ranking.team_standings(db, team, now=now)
    assert len(standings) >= 2 and all(s.reviews >= ranking.RANK_MIN_REVIEWS for s in standings)
    shown = board.build_board(db, users.get_team(db, team), settings=settings, now=now, show_ranking=True)
    assert shown.podium and [s for s, _ in shown.podium] == ranking.podium(standings)
