"""The coverage report reconciles with the queue and the evaluations.

`history` builds four days of two teams (one in UTC, one in Bucharest) with the real queue
builder and real reviews: a rep absent, short days for several reasons, a missed pick, a
pick still waiting, picks nobody may review, overrides, critical fails, a dispute
overturned, one kept and one open, and a call reviewed by hand on a day with no queue.
Every cell of the report (per rep-day, per rep, per team, per reviewer, totals; JSON, CSV,
page and the `qc` command) is checked against counts made here from the rows themselves.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from qc.calls.models import Call, CallStatus
from qc.evaluations import service as evaluations
from qc.evaluations.form import AnswerInput
from qc.evaluations.models import Evaluation, EvaluationAnswer
from qc.evaluations.service import ReviewForm
from qc.feedback import disputes
from qc.feedback.disputes import DisputedItem, ItemDecision
from qc.feedback.models import Decision, Dispute, DisputeCause, DisputeItem
from qc.jobs import events
from qc.reports.coverage import MissedReason
from qc.reviews import builder
from qc.reviews import service as reviews
from qc.reviews.models import Assignment, AssignmentStatus, QueueDay, RepDay
from qc.users.models import Role, User
from qc.users.service import principal_for
from tests.factories import Org, make_call, make_checked_call, make_reviewer, make_user, set_review_policy

MON, TUE, WED, THU = (date(2026, 11, 23) + timedelta(days=i) for i in range(4))
RANGE = {"from": MON.isoformat(), "to": THU.isoformat()}
COUNTS = (
    "reviewed",
    "missed",
    "to_do",
    "critical_fails",
    "disputes_opened",
    "disputes_overturned",
    "worked",
    "reached_target",
)


def at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


@dataclass
class History:
    org: Org
    amy: User
    ben: User
    pia: User
    rita: User
    reasons: dict[tuple[int, date], str | None]  # what each rep-day's reason must be


def _calls(db: Session, rep: User, day: date, hours: list[float], **overrides: Any) -> None:
    for hour in hours:
        make_checked_call(db, rep=rep, started_at=at(day, hour), **overrides)


def _build(db: Session, settings: Any, day: date, *, close: bool) -> None:
    """Draw the whole day after review hours (both zones), then close it after midnight."""
    builder.build_queue(db, day=day, settings=settings, now=at(day, 19), draw_now=True)
    if close:
        builder.build_queue(db, day=day, settings=settings, now=at(day + timedelta(days=1), 0.5))
    db.commit()


def _picks(db: Session, rep: User, day: date) -> list[Assignment]:
    db.expire_all()
    query = (
        select(Assignment).where(Assignment.rep_id == rep.id, Assignment.day == day).order_by(Assignment.id)
    )
    return list(db.scalars(query))


def _review(
    db: Session, settings: Any, pick: Assignment, *, seconds: float, overrides: tuple[str, ...] = ()
) -> Evaluation:
    """The pick's reviewer reviews it: the automatic answers, `overrides` answered "no"."""
    assert pick.reviewer_id is not None
    reviewer = principal_for(db, db.get_one(User, pick.reviewer_id))
    draft = evaluations.start_review(db, reviewer, pick.id, settings=settings)
    given = {a.item_id: AnswerInput(a.answer or "yes") for a in draft.answers}
    for item in overrides:
        given[item] = AnswerInput("no", "Heard otherwise on the call")
    done = evaluations.submit_review(db, reviewer, pick.id, data=ReviewForm(given), settings=settings)
    db.execute(update(Evaluation).where(Evaluation.id == done.id).values(active_seconds=seconds))
    db.commit()
    return done


def _dispute(
    db: Session, settings: Any, org: Org, evaluation: Evaluation, item: str, decision: Decision | None
) -> None:
    """The rep disputes `item`; a QC lead changes it, keeps it, or (None) has not decided yet."""
    events.dispatch_pending()  # released to the rep
    rep = principal_for(db, db.get_one(User, db.get_one(Call, evaluation.call_id).rep_id))
    opened = disputes.open_dispute(
        db, rep, evaluation.id, items=[DisputedItem(item, "I did that", "yes")], settings=settings
    )
    db.commit()
    if decision is not None:
        choice = ItemDecision(item, decision, "yes", "Listened again", DisputeCause.REVIEWER_ERROR)
        disputes.resolve_dispute(
            db, principal_for(db, org.qc_lead), opened.id, decisions=[choice], settings=settings
        )
        db.commit()


@pytest.fixture
def history(db: Session, org: Org, settings: Any) -> History:
    set_review_policy(db, org.qc_lead, org.team, timezone="UTC")
    set_review_policy(db, org.qc_lead, org.other_team, timezone="Europe/Bucharest")
    amy = make_user(db, role=Role.REP, team=org.team, name="Amy Absent")
    ben = make_user(db, role=Role.REP, team=org.team, name="Ben Brief")
    pia = make_user(db, role=Role.REP, team=org.other_team, name="Pia Pending")
    rita = make_reviewer(db, name="Rita Reviewer", capacity=20, languages=["en"])
    reviews.update_reviewer(
        db,
        principal_for(db, org.qc_lead),
        user_id=org.reviewer.id,
        capacity=20,
        languages=["en"],
        available=True,
    )
    rex, olly = org.rep, org.other_rep
    # Monday. Bravo's day runs 09:00-18:00 in Bucharest (07:00-16:00 UTC).
    _calls(db, rex, MON, [9.5, 11, 14])
    _calls(db, amy, MON, [10, 15])
    _calls(db, ben, MON, [10])
    _calls(db, ben, MON, [12], duration_s=10.0)  # too short to review
    _calls(db, olly, MON, [8, 9, 13])
    _calls(db, pia, MON, [9])
    # Tuesday; Olly's 19:30 Monday call (Bucharest) belongs to Tuesday's review day.
    _calls(db, rex, TUE, [10, 13])
    _calls(db, ben, TUE, [10])
    make_call(db, rep=ben, started_at=at(TUE, 11), status=CallStatus.TRANSCRIBING)  # still processing
    _calls(db, olly, MON, [17.5])
    _calls(db, olly, TUE, [10])
    _calls(db, pia, TUE, [8, 12])
    # Wednesday: Pia's calls are in Romanian, which nobody reviews.
    _calls(db, rex, WED, [10, 13])
    _calls(db, amy, WED, [10, 12])
    _calls(db, ben, WED, [10, 14])
    _calls(db, pia, WED, [8, 12], language="ro")
    db.commit()

    _build(db, settings, MON, close=False)
    rex_picks, amy_picks, ben_picks = _picks(db, rex, MON), _picks(db, amy, MON), _picks(db, ben, MON)
    olly_picks, pia_picks = _picks(db, olly, MON), _picks(db, pia, MON)
    assert [len(p) for p in (rex_picks, amy_picks, ben_picks, olly_picks, pia_picks)] == [2, 2, 1, 2, 1]
    _review(db, settings, rex_picks[0], seconds=300)
    _review(db, settings, rex_picks[1], seconds=420, overrides=("permission",))
    _review(db, settings, amy_picks[0], seconds=240)  # her second pick is never reviewed
    _review(db, settings, ben_picks[0], seconds=600, overrides=("forbidden_phrases",))  # critical
    overturned = _review(db, settings, olly_picks[0], seconds=360, overrides=("greeting", "price"))
    _review(db, settings, olly_picks[1], seconds=180)
    pia_review = _review(db, settings, pia_picks[0], seconds=200)
    _build(db, settings, MON, close=True)

    _build(db, settings, TUE, close=False)
    assert [len(_picks(db, r, TUE)) for r in (rex, amy, ben, olly, pia)] == [2, 0, 1, 2, 2]
    kept = _review(db, settings, _picks(db, rex, TUE)[0], seconds=330, overrides=("price",))
    _review(db, settings, _picks(db, rex, TUE)[1], seconds=270)
    _review(db, settings, _picks(db, ben, TUE)[0], seconds=500)
    for pick in _picks(db, olly, TUE):
        _review(db, settings, pick, seconds=400, overrides=("forbidden_phrases",))
    _review(db, settings, _picks(db, pia, TUE)[0], seconds=150)  # the other rolls over, still open
    _build(db, settings, TUE, close=True)  # Amy's Monday pick, rolled over once, is missed

    _build(db, settings, WED, close=False)  # today: not closed
    for pick in _picks(db, amy, WED):
        _review(db, settings, pick, seconds=210)
    _review(db, settings, _picks(db, ben, WED)[0], seconds=290)

    # Thursday: no queue; the reviewer reviews one of Rex's calls by hand.
    thursday = make_checked_call(db, rep=rex, started_at=at(THU, 10))
    db.commit()
    by_hand = evaluations.review_call(db, principal_for(db, org.reviewer), thursday.id, settings=settings)
    assert by_hand.assignment_id is not None
    _review(db, settings, db.get_one(Assignment, by_hand.assignment_id), seconds=450)

    _dispute(db, settings, org, overturned, "greeting", Decision.CHANGED)
    _dispute(db, settings, org, kept, "price", Decision.KEPT)
    _dispute(db, settings, org, pia_review, "greeting", None)  # still open
    reasons = {
        (rex.id, MON): None,
        (amy.id, MON): "review_missed",
        (ben.id, MON): "calls_too_short",
        (olly.id, MON): None,
        (pia.id, MON): "few_calls",
        (rex.id, TUE): None,
        (amy.id, TUE): "rep_absent",
        (ben.id, TUE): "still_processing",
        (olly.id, TUE): None,
        (pia.id, TUE): "review_pending",
        (rex.id, WED): "review_pending",
        (amy.id, WED): None,
        (ben.id, WED): "review_pending",
        (olly.id, WED): "no_calls_yet",  # the day is still open: not absent (yet)
        (pia.id, WED): "no_eligible_reviewer",
        (rex.id, THU): None,  # reviewed by hand: no queue that day
    }
    return History(org, amy, ben, pia, rita, reasons)


# The independent count ----------------------------------------------------------------------------


def expected_rep_days(db: Session) -> dict[tuple[int, date], dict[str, Any]]:
    """Each rep-day's figures counted here from the rows: rep-days, picks, evaluations, disputes."""
    db.expire_all()
    lines: dict[tuple[int, date], dict[str, Any]] = {}
    closed = {q.id: q.is_closed for q in db.scalars(select(QueueDay))}
    for row in db.scalars(select(RepDay)):
        lines[(row.rep_id, row.day)] = {
            "team_id": row.team_id, "recorded": True, "open": not closed[row.queue_day_id],
            "calls": row.calls, "eligible": row.eligible, "target": row.target, "scores": [],
            "reviewed": 0, "critical_fails": 0, "disputes_opened": 0, "disputes_overturned": 0,
        }  # fmt: skip
    changed = {i.dispute_id for i in db.scalars(select(DisputeItem)) if i.decision is Decision.CHANGED}
    by_evaluation: dict[int, list[Dispute]] = defaultdict(list)
    for dispute in db.scalars(select(Dispute)):
        by_evaluation[dispute.evaluation_id].append(dispute)
    built = {(q.team_id, q.day): q.built_at for q in db.scalars(select(QueueDay))}
    for pick in db.scalars(select(Assignment)):
        # Eligible: at the day's last build, or picked before it (the build counted it no more).
        if (pick.rep_id, pick.day) in lines and pick.picked_at < built[(pick.team_id, pick.day)]:
            lines[(pick.rep_id, pick.day)]["eligible"] += 1
    for pick in db.scalars(select(Assignment).where(Assignment.status == AssignmentStatus.DONE)):
        review = db.scalar(select(Evaluation).where(Evaluation.assignment_id == pick.id))
        assert review is not None
        line = lines.setdefault(
            (pick.rep_id, pick.day),
            {"team_id": pick.team_id, "recorded": False, "open": False, "calls": 0, "eligible": 0,
             "target": 0, "scores": [], "reviewed": 0, "critical_fails": 0, "disputes_opened": 0,
             "disputes_overturned": 0},
        )  # fmt: skip
        line["reviewed"] += 1
        line["scores"] += [review.final_score] if review.final_score is not None else []
        line["critical_fails"] += review.critical_failed
        line["disputes_opened"] += len(by_evaluation[review.id])
        line["disputes_overturned"] += sum(d.id in changed for d in by_evaluation[review.id])
    for line in lines.values():
        short = (
            line["target"] - line["reviewed"] if line["recorded"] and line["reviewed"] < line["target"] else 0
        )
        # A day whose queue is still open is short of work to do, not missed.
        line["missed"], line["to_do"] = (0, short) if line["open"] else (short, 0)
        line["worked"] = int(line["recorded"] and line["calls"] > 0)
        line["absent"] = int(line["recorded"] and line["calls"] == 0 and not line["open"])
        line["reached_target"] = int(line["worked"] and line["reviewed"] >= line["target"])
    return lines


def average(scores: list[float]) -> float | None:
    return round(sum(scores) / len(scores), 1) if scores else None


def summed(lines: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("calls", "eligible", "target", "reviewed", "missed", "to_do", "critical_fails", "disputes_opened",
            "disputes_overturned", "worked", "absent", "reached_target")  # fmt: skip
    total = {key: sum(line[key] for line in lines) for key in keys}
    total["average_score"] = average([s for line in lines for s in line["scores"]])
    total["rep_days"] = sum(line["recorded"] for line in lines)
    reasons: dict[str, int] = defaultdict(int)
    to_do: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.get("reason"):
            (to_do if line["open"] else reasons)[line["reason"]] += 1
    total["missed_reasons"] = dict(reasons)
    total["to_do_reasons"] = dict(to_do)
    return total


def expected_reviewers(db: Session) -> dict[int, dict[str, Any]]:
    """Per reviewer: reviews of the range's rep-days, median minutes, overrides, overturned."""
    found: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"reviews": 0, "seconds": [], "overrides": 0, "overturned": 0}
    )
    changed = {i.dispute_id for i in db.scalars(select(DisputeItem)) if i.decision is Decision.CHANGED}
    for pick in db.scalars(select(Assignment).where(Assignment.status == AssignmentStatus.DONE)):
        review = db.scalar(select(Evaluation).where(Evaluation.assignment_id == pick.id))
        assert review is not None and MON <= pick.day <= THU
        mine = found[review.reviewer_id]
        mine["reviews"] += 1
        mine["seconds"].append(review.active_seconds)
        answers = db.scalars(select(EvaluationAnswer).where(EvaluationAnswer.evaluation_id == review.id))
        mine["overrides"] += sum(
            1 for a in answers if a.auto_answer and a.answer and a.answer != a.auto_answer
        )
        opened = db.scalars(select(Dispute).where(Dispute.evaluation_id == review.id))
        mine["overturned"] += sum(d.id in changed for d in opened)
    return {
        reviewer_id: {
            "reviews": v["reviews"],
            "median_minutes": round(statistics.median(v["seconds"]) / 60, 1),
            "overrides": v["overrides"],
            "overturned": v["overturned"],
        }
        for reviewer_id, v in found.items()
    }


def with_reasons(history: History, lines: dict[tuple[int, date], dict[str, Any]]) -> None:
    assert set(lines) == set(history.reasons), "a rep-day too many or too few"
    for key, line in lines.items():
        line["reason"] = history.reasons[key]
        assert (line["reason"] is None) == (line["missed"] == line["to_do"] == 0), (key, line)


# The report against the count ----------------------------------------------------------------------


def test_every_cell_of_the_json_reconciles_with_the_rows(
    client: Any, db: Session, history: History, as_: Any
) -> None:
    lines = expected_rep_days(db)
    with_reasons(history, lines)
    response = client.get("/api/reports/coverage", params=RANGE, headers=as_(history.org.qc_lead))
    assert response.status_code == 200, response.text
    body = response.json()
    got = {(r["rep_id"], date.fromisoformat(r["date"])): r for r in body["rep_days"]}
    assert set(got) == set(lines)
    for key, line in lines.items():
        row = got[key]
        for name in ("team_id", "recorded", "open", "calls", "eligible", "target", *COUNTS):
            assert row[name] == line[name], (key, name, row[name], line[name])
        assert row["missed_reason"] == line["reason"], key
        assert line["eligible"] <= line["calls"] or not line["recorded"], (key, line)
        assert row["average_score"] == average(line["scores"]), key
    by_rep: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (rep_id, _), line in lines.items():
        by_rep[rep_id].append(line)
    reps = {r["rep_id"]: r for r in body["reps"]}
    assert set(reps) == set(by_rep)
    for rep_id, rep_lines in by_rep.items():
        assert {k: v for k, v in reps[rep_id].items() if k in summed(rep_lines)} == summed(rep_lines), rep_id
    by_team: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in lines.values():
        by_team[line["team_id"]].append(line)
    for team in body["teams"]:
        assert {k: v for k, v in team.items() if k in summed(by_team[team["team_id"]])} == summed(
            by_team[team["team_id"]]
        )
    total = summed(list(lines.values()))
    assert {k: v for k, v in body["totals"].items() if k in total} == total
    assert body["totals"]["coverage"] == round(total["reached_target"] / total["worked"], 4)
    # The scenario as planned: 5 of the 13 rep-days worked reached the target; of the 2 without
    # calls one was absent, the other is on Wednesday, still open (no calls yet).
    assert (total["reached_target"], total["worked"], total["rep_days"], total["absent"]) == (5, 13, 15, 1)
    # Wednesday is still open: its shortfall is all to do, and none of it is missed.
    wednesday = summed([line for (_, day), line in lines.items() if day == WED])
    assert wednesday["missed"] == 0 and wednesday["to_do"] > 0 and not wednesday["missed_reasons"]
    assert total["to_do"] == wednesday["to_do"] and total["missed"] > 0
    reviewers = {r["reviewer_id"]: r for r in body["reviewers"]}
    expected = expected_reviewers(db)
    for reviewer_id, figures in expected.items():
        assert {k: reviewers[reviewer_id][k] for k in figures} == figures, reviewer_id
    assert sum(r["reviews"] for r in body["reviewers"]) == total["reviewed"] == 17
    # 7 answers overridden, one of them since changed back by the overturned dispute.
    assert sum(r["overrides"] for r in body["reviewers"]) == 6
    # Capacity: 20 a day x the 3 days a queue ran; the QC lead takes no queue work.
    assert {r["reviewer_id"]: r["capacity"] for r in body["reviewers"]} == {
        history.org.reviewer.id: 60,
        history.rita.id: 60,
    }


def test_the_csv_has_one_row_per_rep_day_matching_the_rows(
    client: Any, db: Session, history: History, as_: Any
) -> None:
    lines = expected_rep_days(db)
    with_reasons(history, lines)
    response = client.get(
        "/api/reports/coverage", params={**RANGE, "format": "csv"}, headers=as_(history.org.admin)
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(lines) == 16
    for row in rows:
        line = lines[(int(row["rep_id"]), date.fromisoformat(row["date"]))]
        blank = "" if not line["recorded"] else None
        for name in ("calls", "eligible", "target"):
            assert row[name] == (blank if blank is not None else str(line[name])), (row, name)
        for name in ("team_id", *COUNTS):
            assert row[name] == str(line[name]), (row, name)
        assert row["missed_reason"] == (line["reason"] or "")
        assert row["missed_reason_label"] == (MissedReason(line["reason"]).label if line["reason"] else "")
        score = average(line["scores"])
        assert row["average_score"] == ("" if score is None else str(score))


def _cells(row: Any) -> list[str]:
    return [" ".join(c.get_text(" ", strip=True).split()) for c in row.find_all(["td", "th"])]


def test_the_page_shows_the_same_numbers(browser: Any, db: Session, history: History) -> None:
    lines = expected_rep_days(db)
    with_reasons(history, lines)
    page = browser.login_as(history.org.qc_lead).page(f"/reports/coverage?from={MON}&to={THU}")
    by_rep: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (rep_id, _), line in lines.items():
        by_rep[rep_id].append(line)
    rows = page.select("#coverage-reps tbody tr")
    assert len(rows) == len(by_rep) == 5
    for row in rows:
        rep_id = int(row["data-rep"])
        total = summed(by_rep[rep_id])
        cells = _cells(row)
        # Two teams: rep, team, then the figures that matter most first.
        assert [cells[i] for i in (2, 3, 4, 5, 7, 8)] == [str(total[k]) for k in FIRST], cells
        score = total["average_score"]
        assert cells[9] == ("—" if score is None else f"{score:.1f}")
        assert cells[10:13] == [
            str(total[k]) for k in ("critical_fails", "disputes_opened", "disputes_overturned")
        ]
        assert row.select_one("a")["href"].endswith(f"/reps/{rep_id}")
        assert f"{total['reached_target']} of {total['worked']} days at target" in cells[0]
    foot = _cells(page.select_one("#coverage-reps tfoot tr"))
    total = summed(list(lines.values()))
    assert [foot[i] for i in (2, 3, 4, 5, 7, 8)] == [str(total[k]) for k in FIRST]
    summary = page.select_one("#coverage-summary").get_text(" ", strip=True)
    assert f"{total['reached_target']} of {total['worked']}" in summary
    assert f"{total['missed']} missed" in summary and f"{total['to_do']} to do" in summary
    reviewers = {int(r["data-reviewer"]): _cells(r) for r in page.select("#coverage-reviewers tbody tr")}
    for reviewer_id, figures in expected_reviewers(db).items():
        cells = reviewers[reviewer_id]
        assert [cells[1], cells[3], cells[4], cells[5]] == [
            str(figures["reviews"]),
            f"{figures['median_minutes']:.1f}",
            str(figures["overrides"]),
            str(figures["overturned"]),
        ]
    days = {r["data-day"]: _cells(r) for r in page.select("#coverage-days tbody tr")}
    assert set(days) == {d.isoformat() for d in (MON, TUE, WED, THU)}
    for day in (MON, TUE, WED, THU):
        of_day = summed([line for (_, d), line in lines.items() if d == day])
        assert days[day.isoformat()][1:7] == [
            f"{of_day['reached_target']} of {of_day['worked']}",
            str(of_day["absent"]),
            *(str(of_day[k]) for k in ("target", "reviewed", "missed", "to_do")),
        ], day


FIRST = ("reviewed", "target", "missed", "to_do", "calls", "eligible")


def test_one_day_shows_one_reason_per_rep_and_links_the_queue(
    browser: Any, db: Session, history: History
) -> None:
    page = browser.login_as(history.org.manager).page(f"/reports/coverage?from={TUE}")
    rows = {int(r["data-rep"]): _cells(r) for r in page.select("#coverage-reps tbody tr")}
    alpha = {history.org.rep.id, history.amy.id, history.ben.id}
    assert set(rows) == alpha, "a manager sees their own team only"
    # One team: no Team column; rep, reviewed, target, missed, to do, missed because.
    assert rows[history.amy.id][5] == "Rep absent (no calls)"
    assert rows[history.ben.id][5] == "Calls still processing"
    assert rows[history.org.rep.id][5] == ""
    assert page.select_one("#coverage-reps thead th:nth-of-type(2)").get_text(strip=True) == "Reviewed"
    assert page.select_one("#coverage-reviewers") is None, "reviewers' load is for QC leads"
    queue = page.find("a", string="The day's queue")
    assert queue is not None and queue["href"].endswith(f"/queue/day?date={TUE}")


def test_the_command_prints_the_same_report(db: Session, history: History, client: Any, as_: Any) -> None:
    api = client.get("/api/reports/coverage", params=RANGE, headers=as_(history.org.qc_lead)).json()
    run = [sys.executable, "-m", "qc.cli", "report", "coverage", "--date", str(MON), "--to", str(THU)]
    printed = subprocess.run(
        [*run, "--format", "json"], capture_output=True, text=True, env=os.environ, timeout=120
    )
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == api
    as_csv = subprocess.run(
        [*run, "--format", "csv", "--team", "Bravo"],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=120,
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert {r["team"] for r in rows} == {"Bravo"} and len(rows) == 6
    table = subprocess.run([*run], capture_output=True, text=True, env=os.environ, timeout=120).stdout
    total = api["totals"]
    assert (
        f"Coverage: {total['reached_target']} of {total['worked']} rep-days worked reached the target"
        in table
    )
    assert "1 x rep absent (no calls)" in table


# Access and the picker ------------------------------------------------------------------------------


def test_another_teams_manager_and_reps_are_refused(
    browser_factory: Any, client: Any, history: History, as_: Any
) -> None:
    org = history.org
    outsider = browser_factory().login_as(org.outsider_manager)
    assert outsider.get(f"/reports/coverage?team={org.team.id}").status_code == 404
    page = outsider.page(f"/reports/coverage?from={MON}&to={WED}")
    assert {int(r["data-team"]) for r in page.select("#coverage-reps tbody tr")} == {org.other_team.id}
    for persona in (org.rep, org.reviewer):
        assert browser_factory().login_as(persona).get("/reports/coverage").status_code == 403
        assert client.get("/api/reports/coverage", headers=as_(persona)).status_code == 403
    api = client.get(
        "/api/reports/coverage", params={**RANGE, "team": org.team.id}, headers=as_(org.outsider_manager)
    )
    assert api.status_code == 404
    own = client.get("/api/reports/coverage", params=RANGE, headers=as_(org.outsider_manager)).json()
    assert {r["team_id"] for r in own["rep_days"]} == {org.other_team.id} and own["reviewers"] is None
    assert client.get("/api/reports/coverage", params=RANGE).status_code == 401


def test_columns_sort_on_the_server(browser: Any, history: History, db: Session) -> None:
    browser.login_as(history.org.qc_lead)
    page = browser.page(f"/reports/coverage?from={MON}&to={THU}&sort=-reviewed")
    reviewed = [int(_cells(r)[2]) for r in page.select("#coverage-reps tbody tr")]
    assert reviewed == sorted(reviewed, reverse=True) and reviewed[0] > reviewed[-1]
    names = [
        _cells(r)[0].split(" ")[0]
        for r in browser.page(f"/reports/coverage?from={MON}&to={THU}&sort=rep").select(
            "#coverage-reps tbody tr"
        )
    ]
    assert names == sorted(names)
    header = page.select_one("#coverage-reps th[aria-sort]")
    assert header is not None and header["aria-sort"] == "descending"


def test_bad_ranges_are_refused_with_a_message(browser: Any, org: Org) -> None:
    browser.login_as(org.qc_lead)
    backwards = browser.get(f"/reports/coverage?from={TUE}&to={MON}")
    assert backwards.status_code == 422
    page = BeautifulSoup(backwards.text, "html.parser")
    # The form again with the days typed and the error beside them; no tables.
    error = page.select_one("form.report-picker #range-error")
    assert error is not None and "on or after" in error.get_text()
    assert page.select_one("input[name=from]")["value"] == str(TUE)
    assert page.select_one("input[name=to]")["value"] == str(MON)
    assert page.select_one("input[name=to]").get("aria-invalid") == "true"
    assert page.select("table") == [] and page.select_one("#coverage-summary") is None
    assert browser.get("/reports/coverage?from=23/11/2026").status_code == 422
    assert browser.get(f"/reports/coverage?from=2024-01-01&to={THU}").status_code == 422
    empty = browser.page(f"/reports/coverage?from={MON}")
    state = empty.select_one("#coverage-empty")
    assert state is not None and "No rep-days in this range" in state.get_text()
    assert empty.select("table") == [] and empty.select_one("#coverage-summary") is None
