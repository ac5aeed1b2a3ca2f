"""The scorecard editor in the browser: every shipped scorecard survives the form, problems
show next to their fields, and the pages around it (new, test bench, compare, restore,
publish, organisation names) do what they say."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import select

from qc.config import get_settings
from qc.scoring.definitions import canonical, parse_scorecard
from qc.scoring.models import ScorecardDraft

SHIPPED = sorted(get_settings().scorecards_dir.glob("*.yaml"))

pytestmark = pytest.mark.usefixtures("scorecard_revisions_restored")


def form_fields(
    page: BeautifulSoup, form_id: str, *, submit: tuple[str, str] | None = None
) -> list[tuple[str, str]]:
    """What a browser sends for the form: its fields in document order, blocks kept in
    <template> (copied by the page's script) left out."""
    form = page.find(id=form_id)
    assert isinstance(form, Tag), form_id
    pairs: list[tuple[str, str]] = []
    for field in form.find_all(["input", "textarea", "select"]):
        if field.find_parent("template") is not None or not field.get("name"):
            continue
        name = str(field["name"])
        if field.name == "textarea":
            pairs.append((name, field.text.removeprefix("\n")))
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            pairs.append((name, str(chosen.get("value", chosen.text)) if chosen else ""))
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                pairs.append((name, str(field.get("value", "on"))))
        elif field.get("type") not in ("submit", "button", "file"):
            pairs.append((name, str(field.get("value", ""))))
    if submit:
        pairs.append(submit)
    return pairs


def post_form(browser: Any, url: str, pairs: list[tuple[str, str]]) -> Any:
    """Post fields in their order, as a browser does (a list of pairs, names repeating)."""
    return browser.post(
        url, content=urlencode(pairs), headers={"content-type": "application/x-www-form-urlencoded"}
    )


def replace(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    assert any(n == name for n, _ in pairs), name
    return [(n, value if n == name else v) for n, v in pairs]


@pytest.fixture
def lead(browser: Any, org: Any) -> Any:
    return browser.login_as(org.qc_lead)


def draft_of(db: Any, scorecard_id: str) -> dict[str, Any] | None:
    db.expire_all()
    draft = db.scalar(select(ScorecardDraft).where(ScorecardDraft.scorecard_id == scorecard_id))
    return draft.definition if draft else None


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scorecard_round_trips_through_the_editor_form(lead: Any, db: Any, path: Path) -> None:
    card = parse_scorecard(path.read_text(), source=path.name)
    page = lead.page(f"/scorecards/{card.id}/edit")
    response = post_form(lead, f"/scorecards/{card.id}/edit", form_fields(page, "scorecard-editor"))
    assert response.status_code == 303, BeautifulSoup(response.text, "html.parser").select(".notice.error")
    assert draft_of(db, card.id) == canonical(card)


def test_every_problem_is_shown_next_to_its_field(lead: Any, db: Any) -> None:
    page = lead.page("/scorecards/outbound-sales/edit")
    pairs = form_fields(page, "scorecard-editor")
    pairs = replace(pairs, "s.0.i.0.weight", "heavy")
    pairs = replace(pairs, "s.0.i.1.label", "")
    pairs = replace(pairs, "s.0.i.0.c.phrases.ru", "")  # Russian left without phrases
    pairs = replace(pairs, "s.0.i.1.id", str(dict(pairs)["s.0.i.0.id"]))  # two items, one id
    response = post_form(lead, "/scorecards/outbound-sales/edit", pairs)
    assert response.status_code == 422
    page = BeautifulSoup(response.text, "html.parser")
    for name in ("s.0.i.0.weight", "s.0.i.1.label", "s.0.i.0.c.phrases.ru"):
        field = page.find(id=f"f-{name}")
        assert field is not None and field.get("aria-invalid") == "true", name
        assert page.find(id=f"e-{name}") is not None, name
    assert page.find(id="e-s.0.i.1.id") is not None  # the repeated id, on the second item too
    summary = page.find(id="problems")
    assert summary is not None and "not saved" in summary.text
    assert len(summary.find_all("li")) >= 4
    # What was typed is kept, and nothing was saved.
    assert page.find(id="f-s.0.i.0.weight")["value"] == "heavy"
    assert draft_of(db, "outbound-sales") is None


def test_a_lead_adds_a_phrase_and_an_item_and_the_draft_keeps_both(lead: Any, db: Any) -> None:
    page = lead.page("/scorecards/inbound-support/edit")
    pairs = form_fields(page, "scorecard-editor")
    ru = dict(pairs)["s.0.i.0.c.phrases.ru"]
    pairs = replace(pairs, "s.0.i.0.c.phrases.ru", ru + "\nрад вас слышать")
    # A new item at the end of the first section, with a fresh key as the page's script makes.
    last = max(i for i, (n, _) in enumerate(pairs) if n.startswith("s.0.i."))
    new_item = [
        ("s.0.i.nx1.id", "thanks_for_waiting"),
        ("s.0.i.nx1.label", "Thanks the customer for waiting"),
        ("s.0.i.nx1.weight", "0.5"),
        ("s.0.i.nx1.answer", "yes_no"),
        ("s.0.i.nx1.check", ""),
    ]
    pairs = pairs[: last + 1] + new_item + pairs[last + 1 :]
    response = post_form(lead, "/scorecards/inbound-support/edit", pairs)
    assert response.status_code == 303
    draft = draft_of(db, "inbound-support")
    assert draft is not None
    first = draft["sections"][0]
    assert "рад вас слышать" in first["items"][0]["check"]["phrases"]["ru"]
    assert first["items"][-1] == first["items"][-1] | {
        "id": "thanks_for_waiting",
        "weight": 0.5,
        "check": None,
    }
    # The page opens the draft next time, with its lock.
    again = lead.page("/scorecards/inbound-support/edit")
    assert again.find("input", attrs={"name": "lock"})["value"] == "1"


def test_a_save_over_someone_elses_newer_draft_is_refused(lead: Any, db: Any) -> None:
    page = lead.page("/scorecards/inbound-support/edit")
    pairs = form_fields(page, "scorecard-editor")
    assert post_form(lead, "/scorecards/inbound-support/edit", pairs).status_code == 303
    stale = replace(
        form_fields(lead.page("/scorecards/inbound-support/edit"), "scorecard-editor"), "lock", "1"
    )
    assert post_form(lead, "/scorecards/inbound-support/edit", stale).status_code == 303  # lock 1 -> 2
    response = post_form(lead, "/scorecards/inbound-support/edit", replace(stale, "title", "Mine"))
    assert response.status_code == 422
    assert "saved again" in response.text


def test_new_scorecard_blank_copy_and_file(lead: Any, db: Any) -> None:
    page = lead.page("/scorecards/new")
    assert page.find("input", attrs={"value": "copy:outbound-sales"}) is not None
    blank = lead.post(
        "/scorecards/new",
        data={"id": "retention", "title": "Retention", "languages": "en, ru", "start": "blank"},
    )
    assert blank.status_code == 303 and blank.headers["location"] == "/scorecards/retention/edit"
    assert draft_of(db, "retention")["languages"] == ["en", "ru"]
    copied = lead.post(
        "/scorecards/new", data={"id": "outbound-b", "title": "B", "start": "copy:outbound-sales"}
    )
    assert copied.status_code == 303
    outbound = canonical(
        parse_scorecard((get_settings().scorecards_dir / "outbound_sales.yaml").read_text(), source="x")
    )
    assert draft_of(db, "outbound-b")["sections"] == outbound["sections"]
    text = (get_settings().scorecards_dir / "inbound_support.yaml").read_text()
    imported = lead.post(
        "/scorecards/new",
        data={"id": "imported", "title": "", "start": "blank"},
        files={"file": ("card.yaml", text.encode(), "application/yaml")},
    )
    assert imported.status_code == 303
    assert draft_of(db, "imported")["title"] == canonical(parse_scorecard(text, source="x"))["title"]
    taken = lead.post("/scorecards/new", data={"id": "retention", "title": "Again", "start": "blank"})
    assert taken.status_code == 409 and "already exists" in taken.text
    reserved = lead.post("/scorecards/new", data={"id": "new", "title": "New", "start": "blank"})
    assert reserved.status_code == 422
    listed = lead.page("/scorecards")
    assert "retention" in listed.text and "Not published yet" in listed.text


def test_the_test_bench_shows_the_draft_next_to_the_revision_in_use(lead: Any, db: Any) -> None:
    page = lead.page("/scorecards/outbound-sales/edit")
    pairs = form_fields(page, "scorecard-editor")
    pairs = replace(
        pairs, "s.0.i.3.c.phrases.en", dict(pairs)["s.0.i.3.c.phrases.en"] + "\nis this a bad moment"
    )
    assert dict(pairs)["s.0.i.3.id"] == "permission"
    assert post_form(lead, "/scorecards/outbound-sales/edit", pairs).status_code == 303
    transcript = (
        "Agent: Good morning, this is Dan from Acme Telecom. Is this a bad moment to talk?\n"
        "Customer: No, go ahead."
    )
    response = lead.post("/scorecards/outbound-sales/test", data={"transcript": transcript, "language": "en"})
    assert response.status_code == 200
    result = BeautifulSoup(response.text, "html.parser").find(id="bench-result")
    changed = result.select("tr.differs")
    assert len(changed) == 1 and "Asks whether it is a good time" in changed[0].text
    cells = [td.text for td in changed[0].find_all("td")]
    assert "Fail" in cells[1] and "Pass" in cells[2]
    assert "bad moment" in cells[3]  # the evidence
    empty = lead.post("/scorecards/outbound-sales/test", data={"transcript": " "})
    assert empty.status_code == 422 and "Paste a transcript" in empty.text


def test_organisation_names_are_edited_on_their_page(
    lead: Any, db: Any, browser_factory: Any, org: Any
) -> None:
    response = post_form(
        lead,
        "/scorecard-variables",
        [
            ("var.0.name", "company"),
            ("var.0.lang", ""),
            ("var.0.values", "Contoso\r\nContoso Mobile"),
            ("var.1.name", "company"),
            ("var.1.lang", "ru"),
            ("var.1.values", "Контосо"),
        ],
    )
    assert response.status_code == 303
    page = lead.page("/scorecard-variables?saved=1")
    assert page.find("textarea", attrs={"name": "var.0.values"}).text.strip() == "Contoso\nContoso Mobile"
    rep = browser_factory().login_as(org.rep)
    shown = rep.page("/scorecard-variables")
    assert shown.find("textarea", attrs={"name": "var.0.values"}).has_attr("readonly")
    assert rep.post("/scorecard-variables", data={}).status_code == 403
    post_form(lead, "/scorecard-variables", [])  # back to the scorecards' own defaults


def test_a_new_scorecard_is_backtested_with_nothing_to_compare_and_published(lead: Any, db: Any) -> None:
    assert (
        lead.post(
            "/scorecards/new", data={"id": "retention", "title": "Retention", "start": "blank"}
        ).status_code
        == 303
    )
    page = lead.page("/scorecards/retention/backtest")
    assert "never been published" in page.text and page.find(id="backtest-summary") is None
    published = lead.post("/scorecards/retention/publish", data={"note": "first"})
    assert published.status_code == 303 and "published=1" in published.headers["location"]
    assert "Revision 1 is published" in lead.page(published.headers["location"]).text


def test_compare_folds_the_lines_that_did_not_change(lead: Any, db: Any) -> None:
    page = lead.page("/scorecards/outbound-sales/edit")
    pairs = replace(form_fields(page, "scorecard-editor"), "title", "Outbound sales, 2027")
    assert post_form(lead, "/scorecards/outbound-sales/edit", pairs).status_code == 303
    compare = lead.page("/scorecards/outbound-sales/compare?left=1&right=0")
    rows = compare.select("table.diff tbody tr")
    changed = [r for r in rows if "replace" in (r.get("class") or [])]
    assert len(changed) == 1 and "Outbound sales, 2027" in changed[0].text
    assert len(rows) < 12 and compare.select("tr.skip")  # three lines either side, the rest folded
    assert "1 line differs" in compare.text


def test_the_test_bench_explains_what_it_cannot_check(lead: Any, db: Any) -> None:
    both = lead.post("/scorecards/outbound-sales/test", data={"transcript": "Agent: hi", "call": "5"})
    assert both.status_code == 422 and "not both" in both.text
    word = lead.post("/scorecards/outbound-sales/test", data={"call": "abc"})
    assert word.status_code == 422 and "/calls/56" in word.text
    missing = lead.post("/scorecards/outbound-sales/test", data={"call": "/calls/987654"})
    assert missing.status_code == 422 and "Call 987654 has no transcript" in missing.text
    assert BeautifulSoup(missing.text, "html.parser").find(id="test-bench") is not None  # the form stays
