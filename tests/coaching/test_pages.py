"""The coaching pages: planning from a review, the session page for the manager and the rep,
acknowledging, ticking, completing; the list, a rep's history, and who is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qc.coaching import service as coaching
from qc.coaching.models import CoachingSession
from qc.coaching.service import ActionInput
from qc.evaluations.models import Evaluation
from qc.users.models import Role
from qc.users.service import principal_for
from tests.coaching.conftest import failed_review, plan
from tests.factories import Browser, Org, make_user
from tests.feedback.conftest import submit_review

PRICE, GREETING = "outbound-sales:price", "outbound-sales:greeting"


def _text(soup: BeautifulSoup, selector: str) -> str:
    found = soup.select_one(selector)
    assert found is not None, selector
    return found.get_text(" ", strip=True)


def _links(soup: Any) -> list[str]:
    """The paths of the links in `soup` (url_for writes whole URLs)."""
    return [
        urlsplit(a["href"]).path + (f"?{urlsplit(a['href']).query}" if urlsplit(a["href"]).query else "")
        for a in soup.select("a[href]")
    ]


def _form_fields(form: Any) -> list[tuple[str, str]]:
    """What a browser would post: hidden fields, ticked boxes, inputs and text areas."""
    fields: list[tuple[str, str]] = []
    for control in form.select("input[name], textarea[name]"):
        kind = control.get("type", "text")
        if kind == "checkbox" and not control.has_attr("checked"):
            continue
        value = control.get_text() if control.name == "textarea" else control.get("value", "")
        fields.append((control["name"], value))
    return fields


def _grouped(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields as httpx posts them, repeated names together."""
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped


def _count_sessions(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(CoachingSession)) or 0


def _session(db: Session) -> CoachingSession:
    db.rollback()
    found = db.scalars(select(CoachingSession).order_by(CoachingSession.id.desc())).first()
    assert found is not None
    return found


# Planning -----------------------------------------------------------------------------------------


def test_a_manager_plans_a_session_from_a_review_with_two_focus_items(
    browser: Browser, db: Session, org: Org, review: Evaluation, configure: Any
) -> None:
    configure(timezone="Europe/Bucharest")
    browser.login_as(org.manager)
    evaluation_page = browser.page(f"/evaluations/{review.id}")
    link = evaluation_page.find("a", string="Plan coaching from this review")
    assert link is not None
    assert _links(link.parent)[0] == f"/coaching/new?rep={org.rep.id}&evaluation={review.id}"
    form_page = browser.page(link["href"])
    assert "Rex Rep" in _text(form_page, "h1")
    boxes = {box["value"]: box for box in form_page.select("input[name=focus]")}
    assert {PRICE, GREETING} <= set(boxes)
    assert boxes[PRICE].has_attr("checked") and boxes[GREETING].has_attr("checked")
    choice = boxes[PRICE].find_parent(class_="focus-choice")
    assert "failed in the last reviewed call" in choice.get_text(" ", strip=True)
    assert f"/evaluations/{review.id}" in _links(choice)
    assert "never shown to the rep" in _text(form_page, "label.private-notes")
    assert len(form_page.select("input[name$='-text']")) == 10  # three shown, seven under "More"
    assert len(form_page.select("details.more-actions input[name$='-text']")) == 7

    form = form_page.select_one("form.coaching-form")
    fields = [(k, v) for k, v in _form_fields(form) if not k.startswith(("scheduled_at", "action-0"))]
    fields += [
        ("scheduled_at", "2026-12-01T10:30"),
        ("agenda", "Listen to the call\nthen role-play"),
        ("shared_notes", "Ask about the budget first"),
        ("private_notes", "Lacks confidence on price"),
        ("action-0-text", "Role-play the price talk"),
        ("action-0-due", "2026-12-05"),
    ]
    response = browser.post(urlsplit(form["action"]).path, data=_grouped(fields))
    assert response.status_code == 303, response.text[:300]
    created = _session(db)
    assert response.headers["location"] == f"/coaching/{created.id}"
    # 10:30 in Bucharest (UTC+2 in winter) is 08:30 UTC.
    assert created.scheduled_at == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert created.coach_id == org.manager.id and created.duration_minutes == 30

    page = browser.page(response.headers["location"])
    shown = [h.get_text(" ", strip=True).split(" failed")[0] for h in page.select(".coaching-focus header")]
    assert shown == ["Greets the customer in the first seconds", "States the price clearly"]  # as listed
    assert "Tue 01 Dec 2026, 10:30 Europe/Bucharest" in _text(page, ".page-head p")
    assert "Lacks confidence on price" in _text(page, "section.private-notes")
    assert [p.get_text() for p in page.select("main p") if "Listen to the call" in p.get_text()] == [
        "Listen to the callthen role-play"
    ]
    found = coaching.find_session(db, created.id)
    assert found is not None and [(a.text, a.due_date) for a in found.actions] == [
        ("Role-play the price talk", date(2026, 12, 5))
    ]
    assert "Role-play the price talk" in _text(page, f"#action-{found.actions[0].id}")
    assert f"/evaluations/{review.id}" in _links(page.select_one("ul.coaching-reviews"))
    assert page.find("a", string="Edit") is not None
    assert page.find("button", string="Mark as held") is not None
    assert page.find("button", string="Acknowledge") is None


def test_every_field_error_is_shown_at_once_and_nothing_is_planned(
    browser: Browser, db: Session, org: Org, review: Evaluation
) -> None:
    browser.login_as(org.manager)
    fields = [
        ("rep", str(org.rep.id)),
        ("evaluation", str(review.id)),
        ("scheduled_at", "tomorrow at ten"),
        ("duration_minutes", "lots"),
        ("agenda", "x" * 4001),
        ("action-0-text", "Listen to two calls"),
        ("action-1-due", "2026-12-05"),  # a date without a task
        ("action-2-text", "Read the price guide"),
        ("action-2-due", "soon"),
    ]
    response = browser.post("/coaching/new", data=_grouped(fields))
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    errors = {e["id"].removesuffix("-error"): e.get_text() for e in page.select(".field-error")}
    assert set(errors) == {"scheduled_at", "duration_minutes", "focus", "agenda", "action-1", "action-2"}
    assert "6 fields need your attention" in _text(page, ".notice.error")
    # What was typed is shown again, and the review the plan started from is kept.
    assert page.select_one("input[name=action-0-text]")["value"] == "Listen to two calls"
    assert page.select_one("input[name=evaluation]")["value"] == str(review.id)
    assert page.select_one("input[name=duration_minutes]")["value"] == "lots"
    assert not any(box.has_attr("checked") for box in page.select("input[name=focus]"))
    assert _count_sessions(db) == 0


def test_a_time_the_clocks_skip_is_refused(
    browser: Browser, db: Session, org: Org, review: Evaluation, configure: Any
) -> None:
    configure(timezone="Europe/Bucharest")
    browser.login_as(org.manager)
    fields = [
        ("rep", str(org.rep.id)),
        ("focus", PRICE),
        ("scheduled_at", "2026-03-29T03:30"),  # Bucharest goes from 03:00 to 04:00
        ("duration_minutes", "30"),
    ]
    response = browser.post("/coaching/new", data=_grouped(fields))
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert "the clocks change" in _text(page, "#scheduled_at-error")
    assert _count_sessions(db) == 0


def test_the_plan_form_without_failed_items_says_there_is_nothing_to_coach(
    browser: Browser, db: Session, org: Org, settings: Any
) -> None:
    submit_review(db, org, settings, statuses={"price": "pass"})  # everything passed
    page = browser.login_as(org.manager).page(f"/coaching/new?rep={org.rep.id}")
    assert not page.select("input[name=focus]")
    assert "nothing to coach" in _text(page, "fieldset.focus-choices")


# The session page --------------------------------------------------------------------------------------


def test_the_rep_reads_the_plan_without_the_private_notes_acknowledges_and_ticks_an_item(
    browser: Browser, db: Session, org: Org, planned: CoachingSession
) -> None:
    browser.login_as(org.rep)
    page = browser.page(f"/coaching/{planned.id}")
    assert "Struggles with confidence" not in page.get_text()
    assert page.select_one("section.private-notes") is None
    assert "Ask about the budget before the offer" in page.get_text()
    assert page.find("a", string="Edit") is None and page.find("button", string="Mark as held") is None

    response = browser.post(f"/coaching/{planned.id}/acknowledge")
    assert response.status_code == 303
    page = browser.page(response.headers["location"])
    assert page.find("button", string="Acknowledge") is None
    assert "✓ Acknowledged" in _text(page, ".page-head p")

    action = planned.actions[0]
    # With htmx the item is swapped in place.
    response = browser.post(
        f"/coaching/actions/{action.id}", data={"done": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    item = BeautifulSoup(response.text, "html.parser").select_one(f"#action-{action.id}")
    assert item is not None and "done" in item["class"]
    assert item.select_one("input[name=done]")["value"] == "0"  # the next click unticks it
    # Without it the form posts and comes back to the item.
    response = browser.post(f"/coaching/actions/{action.id}", data={"done": "0"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/coaching/{planned.id}#action-{action.id}"
    db.rollback()
    found = coaching.find_session(db, planned.id)
    assert found is not None and found.acknowledged_at is not None and found.actions[0].done_at is None


def test_the_manager_completes_the_session_with_an_outcome(
    browser: Browser, db: Session, org: Org, planned: CoachingSession, browser_factory: Any
) -> None:
    browser.login_as(org.manager)
    response = browser.post(f"/coaching/{planned.id}/complete", data={"outcome": ""})
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#outcome-error") is not None
    assert page.select_one("details.close-session[open] textarea[name=outcome]") is not None

    response = browser.post(f"/coaching/{planned.id}/complete", data={"outcome": "Price said up front now"})
    assert response.status_code == 303
    page = browser.page(f"/coaching/{planned.id}")
    assert "Completed" in _text(page, "h1")
    assert "Price said up front now" in _text(page, "article.coaching-outcome")
    assert page.find("a", string="Edit") is None  # closed: no more changes
    rep_page = browser_factory().login_as(org.rep).page(f"/coaching/{planned.id}")
    assert "Price said up front now" in _text(rep_page, "article.coaching-outcome")


def test_marking_held_and_cancelling_need_a_reason(
    browser: Browser, db: Session, org: Org, planned: CoachingSession
) -> None:
    browser.login_as(org.manager)
    assert browser.post(f"/coaching/{planned.id}/held").status_code == 303
    page = browser.page(f"/coaching/{planned.id}")
    assert "Held" in _text(page, "h1") and page.find("button", string="Mark as held") is None
    response = browser.post(f"/coaching/{planned.id}/cancel", data={"reason": ""})
    assert response.status_code == 422
    assert BeautifulSoup(response.text, "html.parser").select_one("#reason-error") is not None
    assert browser.post(f"/coaching/{planned.id}/cancel", data={"reason": "The rep left"}).status_code == 303
    page = browser.page(f"/coaching/{planned.id}")
    assert "The rep left" in _text(page, "main .notice")
    # A cancelled session's items are closed.
    assert browser.post(f"/coaching/actions/{planned.actions[0].id}", data={"done": "1"}).status_code == 409


def test_the_other_team_and_the_reviewer_are_refused(
    browser_factory: Any, org: Org, planned: CoachingSession
) -> None:
    outsider = browser_factory().login_as(org.outsider_manager)
    assert outsider.get(f"/coaching/{planned.id}").status_code == 404
    assert outsider.get(f"/coaching/new?rep={org.rep.id}").status_code == 404
    assert outsider.post(f"/coaching/{planned.id}/held").status_code == 404
    listed = outsider.page("/coaching")
    assert "Rex Rep" not in listed.get_text()
    reviewer = browser_factory().login_as(org.reviewer)
    assert reviewer.get("/coaching").status_code == 403
    assert reviewer.get(f"/coaching/{planned.id}").status_code == 404
    other_rep = browser_factory().login_as(org.other_rep)
    assert other_rep.get(f"/coaching/{planned.id}").status_code == 404
    assert other_rep.post(f"/coaching/actions/{planned.actions[0].id}", data={"done": "1"}).status_code == 404


def test_the_rep_is_refused_what_is_the_coachs(browser: Browser, org: Org, planned: CoachingSession) -> None:
    browser.login_as(org.rep)
    assert browser.get(f"/coaching/{planned.id}/edit").status_code == 403
    assert browser.post(f"/coaching/{planned.id}/held").status_code == 403
    assert browser.post(f"/coaching/{planned.id}/complete", data={"outcome": "Done it"}).status_code == 403
    assert browser.get(f"/coaching/new?rep={org.rep.id}").status_code == 403


# Editing --------------------------------------------------------------------------------------------------


def test_moving_the_session_asks_the_rep_again_and_keeps_ticked_items(
    browser: Browser, db: Session, org: Org, settings: Any, review: Evaluation
) -> None:
    two = [ActionInput("Role-play the price talk"), ActionInput("Listen to a good call", date(2026, 12, 4))]
    planned = plan(db, org, settings, review, actions=two)
    rep = principal_for(db, org.rep)
    coaching.acknowledge(db, rep, planned.id)
    coaching.set_action_done(db, rep, planned.actions[0].id, done=True)
    db.commit()

    browser.login_as(org.manager)
    page = browser.page(f"/coaching/{planned.id}/edit")
    form = page.select_one("form.coaching-form")
    fields = dict(_form_fields(form))
    assert fields["action-1-due"] == "2026-12-04" and fields["action-0-id"] == str(planned.actions[0].id)
    posted = [(k, v) for k, v in _form_fields(form) if k not in {"scheduled_at", "focus"}]
    posted += [("scheduled_at", "2026-12-10T15:00"), ("focus", PRICE)]
    response = browser.post(urlsplit(form["action"]).path, data=_grouped(posted))
    assert response.status_code == 303, response.text[:500]
    db.rollback()
    found = coaching.find_session(db, planned.id)
    assert found is not None
    assert found.scheduled_at == datetime(2026, 12, 10, 15, tzinfo=UTC)
    assert found.acknowledged_at is None
    assert [f.item_id for f in found.focus] == ["price"]
    assert [(a.text, a.done_at is not None) for a in found.actions] == [
        ("Role-play the price talk", True),
        ("Listen to a good call", False),
    ]


def test_an_edit_that_drops_every_focus_item_is_refused(
    browser: Browser, db: Session, org: Org, planned: CoachingSession
) -> None:
    browser.login_as(org.manager)
    page = browser.page(f"/coaching/{planned.id}/edit")
    posted = [(k, v) for k, v in _form_fields(page.select_one("form.coaching-form")) if k != "focus"]
    posted.append(("action-3-due", "not a date"))
    response = browser.post(f"/coaching/{planned.id}/edit", data=_grouped(posted))
    assert response.status_code == 422
    errors = BeautifulSoup(response.text, "html.parser").select(".field-error")
    assert {e["id"] for e in errors} == {"focus-error", "action-3-error"}
    db.rollback()
    found = coaching.find_session(db, planned.id)
    assert found is not None and len(found.focus) == 2


# The list and the rep's history -------------------------------------------------------------------------


def test_the_list_shows_open_sessions_first_with_overdue_items(
    browser_factory: Any, db: Session, org: Org, settings: Any, review: Evaluation
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    done = plan(db, org, settings, review, at=now - timedelta(days=20))
    coaching.complete_session(db, principal_for(db, org.manager), done.id, outcome="Went well")
    late = [ActionInput("Listen to two calls", date.today() - timedelta(days=3))]
    upcoming = plan(db, org, settings, review, at=now + timedelta(days=1), actions=late)
    later = plan(db, org, settings, review, at=now + timedelta(days=5), focus=(PRICE,))
    db.commit()

    for persona in (org.manager, org.rep):
        page = browser_factory().login_as(persona).page("/coaching")
        rows = page.select("#coaching-sessions tbody tr")
        links = [_links(r.select_one("td"))[0] for r in rows]
        assert links == [f"/coaching/{s.id}" for s in (upcoming, later, done)]
        assert "1 overdue" in rows[0].get_text() and "is-overdue" in rows[0]["class"]
        assert "UTC" in _text(rows[0], "td[data-label=When]")
        assert _text(rows[1], "td[data-label=Focus]") == "States the price clearly"
        assert "Completed" in _text(rows[2], "td[data-label=Status]")
    outsider = browser_factory().login_as(org.outsider_manager).page("/coaching")
    assert not outsider.select("#coaching-sessions tbody tr td a")


def test_a_coach_picks_a_rep_to_plan_for_from_the_list(browser_factory: Any, org: Org) -> None:
    page = browser_factory().login_as(org.manager).page("/coaching")
    options = [o.get_text() for o in page.select("form.plan-for select[name=rep] option")]
    assert options == ["Rex Rep"]  # the manager's team only
    assert urlsplit(page.select_one("form.plan-for")["action"]).path == "/coaching/new"
    assert browser_factory().login_as(org.rep).page("/coaching").select_one("form.plan-for") is None


def test_the_reps_history_shows_each_focus_items_effect(
    browser_factory: Any, db: Session, org: Org, settings: Any, configure: Any
) -> None:
    settings = configure(coaching_effect_min_calls=1)
    now = datetime.now(UTC).replace(microsecond=0)
    colleague = make_user(db, role=Role.REP, team=org.team, name="Cleo Colleague")
    db.commit()
    # The rep failed the price twice before the session and passed it once after; Cleo, not
    # coached, passed it before and failed it after.
    first = failed_review(db, org, settings, started_at=now - timedelta(days=10))
    failed_review(db, org, settings, started_at=now - timedelta(days=8))
    submit_review(
        db, org, settings, statuses={"price": "pass"}, rep=colleague, started_at=now - timedelta(days=9)
    )
    session = plan(db, org, settings, first, at=now - timedelta(days=5), focus=(PRICE,))
    submit_review(db, org, settings, statuses={"price": "pass"}, started_at=now - timedelta(days=2))
    submit_review(db, org, settings, rep=colleague, started_at=now - timedelta(days=2))
    waiting = plan(db, org, settings, first, at=now + timedelta(days=3), focus=(GREETING,))

    manager = browser_factory().login_as(org.manager)
    history = manager.page(f"/reps/{org.rep.id}/coaching")
    assert f"/coaching/new?rep={org.rep.id}" in _links(history.select_one(".page-head"))
    cards = {a["id"]: a for a in history.select("article.coaching-history")}
    measured = _text(cards[f"session-{session.id}"], ".focus-effects li")
    # The rep went from 0 of 2 to 1 of 1 (+100 pp), the group from 1 of 1 to 0 of 1 (-100 pp).
    assert "States the price clearly" in measured and "Improved" in measured and "+200 pp" in measured
    assert "not measured yet" in _text(cards[f"session-{waiting.id}"], ".focus-effects li")

    page = manager.page(f"/coaching/{session.id}")
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select(".coaching-focus .effect-figures tbody tr")
    ]
    assert rows[0] == ["Rex Rep", "0 of 2 (0%)", "1 of 1 (100%)", "+100 pp"]
    assert rows[1][1:] == ["1 of 1 (100%)", "0 of 1 (0%)", "-100 pp"] and "1 rep of the team" in rows[1][0]
    assert "+200 pp" in _text(page, ".coaching-focus .effect-verdict")

    rep_history = browser_factory().login_as(org.rep).page(f"/reps/{org.rep.id}/coaching")
    assert rep_history.find("a", string="Plan a session") is None
    assert len(rep_history.select("article.coaching-history")) == 2


def test_an_effect_waits_for_enough_calls_after_the_session(
    browser: Browser, db: Session, org: Org, settings: Any
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = failed_review(db, org, settings, started_at=now - timedelta(days=10))
    session = plan(db, org, settings, first, at=now - timedelta(days=5), focus=(PRICE,))
    submit_review(db, org, settings, statuses={"price": "pass"}, started_at=now - timedelta(days=2))
    page = browser.login_as(org.manager).page(f"/coaching/{session.id}")
    expected = f"Too few calls: 1 of {settings.coaching_effect_min_calls} reviewed calls after the session"
    assert expected in _text(page, ".coaching-focus .effect-verdict")


def test_the_other_team_does_not_see_a_reps_history(browser_factory: Any, org: Org) -> None:
    assert browser_factory().login_as(org.other_rep).get(f"/reps/{org.rep.id}/coaching").status_code == 404
    assert browser_factory().login_as(org.reviewer).get(f"/reps/{org.rep.id}/coaching").status_code == 403


# Elsewhere ------------------------------------------------------------------------------------------------


def test_only_coaches_are_offered_coaching_on_the_evaluation_page(
    browser_factory: Any, org: Org, review: Evaluation
) -> None:
    def offered(persona: Any) -> bool:
        page = browser_factory().login_as(persona).page(f"/evaluations/{review.id}")
        return page.find("a", string="Plan coaching from this review") is not None

    assert offered(org.manager) and offered(org.qc_lead)
    assert not offered(org.rep) and not offered(org.reviewer)


def test_the_navigation_offers_coaching_to_reps_and_coaches(browser_factory: Any, org: Org) -> None:
    def nav(persona: Any) -> list[str]:
        page = browser_factory().login_as(persona).page("/calls")
        return [a.get_text(strip=True) for a in page.select("header.topbar nav a")]

    assert "Coaching" in nav(org.rep) and "Coaching" in nav(org.manager) and "Coaching" in nav(org.admin)
    assert "Coaching" not in nav(org.reviewer)


def test_the_plan_form_opened_without_a_rep_says_where_to_open_it(browser: Any, org: Any) -> None:
    response = browser.login_as(org.manager).get("/coaching/new")
    assert response.status_code == 422
    message = BeautifulSoup(response.text, "html.parser").get_text(" ", strip=True)
    assert "Open the plan form from a rep or a review" in message
