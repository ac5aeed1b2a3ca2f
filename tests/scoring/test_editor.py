"""The scorecard editor's API and rules: create or import, drafts, publish, restore, export,
the audit log, and the files in scorecards/ never overwriting what was published in it."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from qc.config import get_settings
from qc.db import utcnow
from qc.scoring import service
from qc.scoring.definitions import canonical, load_folder, parse_scorecard, to_yaml
from qc.scoring.models import ChangeAction, Origin, ScorecardChange, ScorecardVersion
from tests.factories import api_token, bearer, make_scored_call

SHIPPED = sorted(get_settings().scorecards_dir.glob("*.yaml"))


# Publishing adds revisions to scorecard_version, which is kept between tests: undo them.
pytestmark = pytest.mark.usefixtures("scorecard_revisions_restored")


@pytest.fixture
def lead(client: Any, db: Any, org: Any) -> dict[str, str]:
    headers = bearer(api_token(db, org.qc_lead))
    db.commit()
    return headers


def definition_of(scorecard_id: str) -> dict[str, Any]:
    path = get_settings().scorecards_dir / f"{scorecard_id.replace('-', '_')}.yaml"
    return canonical(parse_scorecard(path.read_text(), source=path.name))


def new_card(**changes: Any) -> dict[str, Any]:
    return definition_of("inbound-support") | {"id": "retention", "title": "Retention calls"} | changes


# Round trip -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scorecard_round_trips_through_yaml(path: Path) -> None:
    card = parse_scorecard(path.read_text(), source=path.name)
    again = parse_scorecard(to_yaml(card), source="export.yaml")
    assert canonical(again) == canonical(card)


def test_a_shipped_scorecard_round_trips_through_the_api(client: Any, lead: dict[str, str]) -> None:
    exported = client.get("/api/scorecards/outbound-sales/export", headers=lead)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    assert 'filename="outbound-sales.yaml"' in exported.headers["content-disposition"]
    saved = client.put(
        "/api/scorecards/outbound-sales/draft",
        content=exported.content,
        headers=lead | {"content-type": "application/yaml"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["definition"] == definition_of("outbound-sales")
    # The same definition as JSON, the shape GET /api/scorecards/{id} returns.
    current = client.get("/api/scorecards/outbound-sales", headers=lead).json()["definition"]
    again = client.put("/api/scorecards/outbound-sales/draft", json=current, headers=lead)
    assert again.json()["definition"] == definition_of("outbound-sales")
    assert again.json()["lock"] == saved.json()["lock"] + 1


# Create, validate --------------------------------------------------------------------------------


def test_creating_a_scorecard_starts_a_draft_that_publishing_puts_in_use(
    client: Any, lead: dict[str, str]
) -> None:
    created = client.post("/api/scorecards", json=new_card(), headers=lead)
    assert created.status_code == 201, created.text
    assert created.json()["published_revision"] is None
    assert client.get("/api/scorecards/retention", headers=lead).status_code == 404  # not in use yet
    published = client.post("/api/scorecards/retention/publish", json={"note": "first cut"}, headers=lead)
    assert published.status_code == 200, published.text
    assert (published.json()["id"], published.json()["revision"]) == ("retention", 1)
    assert client.get("/api/scorecards/retention/draft", headers=lead).status_code == 404
    ids = [s["id"] for s in client.get("/api/scorecards", headers=lead).json()]
    assert "retention" in ids


def test_a_scorecard_file_can_be_imported_as_yaml(client: Any, lead: dict[str, str]) -> None:
    body = yaml.safe_dump(new_card(), allow_unicode=True)
    created = client.post(
        "/api/scorecards", content=body.encode(), headers=lead | {"content-type": "text/yaml"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["definition"] == canonical(parse_scorecard(body, source="x"))


def test_an_existing_id_is_not_overwritten_by_create(client: Any, lead: dict[str, str]) -> None:
    answer = client.post("/api/scorecards", json=new_card(id="outbound-sales"), headers=lead)
    assert answer.status_code == 409
    assert "PUT /api/scorecards/outbound-sales/draft" in answer.json()["detail"]


def test_every_problem_of_an_invalid_scorecard_is_named_by_its_field(
    client: Any, lead: dict[str, str]
) -> None:
    card = new_card()
    first, second = card["sections"][0]["items"][:2]
    first["weight"] = -1
    second["label"] = ""
    answer = client.post("/api/scorecards", json=card, headers=lead)
    assert answer.status_code == 422
    fields = {p["field"]: p["message"] for p in answer.json()["problems"]}
    section = card["sections"][0]["id"]
    assert f"section {section} > item {first['id']} > weight" in fields
    assert f"section {section} > item {second['id']} > label" in fields
    assert len(fields) == 2


def test_a_problem_quoting_a_lone_surrogate_is_still_answered(client: Any, lead: dict[str, str]) -> None:
    # JSON lets "\ud808" through, which UTF-8 cannot encode: the 422 must not become a 500.
    card = new_card()
    card["sections"][0]["items"][0]["id"] = "bad\ud808id"
    body = json.dumps(card).encode()  # ensure_ascii: the surrogate travels as its escape
    answer = client.post("/api/scorecards", content=body, headers=lead | {"content-type": "application/json"})
    assert answer.status_code == 422
    assert any(p["field"].endswith("item bad?id > id") for p in answer.json()["problems"])


def test_a_language_without_phrases_is_a_problem(client: Any, lead: dict[str, str]) -> None:
    answer = client.post(
        "/api/scorecards", json=new_card(languages=["en", "ro", "ru", "sr", "it", "de"]), headers=lead
    )
    assert answer.status_code == 422
    assert any("no phrases for de" in p["message"] for p in answer.json()["problems"])


def test_bodies_that_are_not_a_scorecard_are_refused_with_a_reason(client: Any, lead: dict[str, str]) -> None:
    assert (
        client.post(
            "/api/scorecards", content=b"{", headers=lead | {"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/scorecards", content=b"- a\n- b\n", headers=lead | {"content-type": "text/yaml"}
        ).status_code
        == 422
    )
    refused = client.post("/api/scorecards", content=b"id: x", headers=lead | {"content-type": "text/plain"})
    assert refused.status_code == 415


# Drafts ----------------------------------------------------------------------------------------


def test_a_save_in_between_is_a_conflict_not_a_silent_overwrite(client: Any, lead: dict[str, str]) -> None:
    card = client.get("/api/scorecards/inbound-support", headers=lead).json()["definition"]
    first = client.put("/api/scorecards/inbound-support/draft", json=card, headers=lead).json()
    ours = client.put(
        "/api/scorecards/inbound-support/draft",
        json=card | {"title": "Ours"},
        headers=lead | {"if-match": f'"{first["lock"]}"'},
    )
    assert ours.status_code == 200
    theirs = client.put(
        "/api/scorecards/inbound-support/draft",
        json=card | {"title": "Theirs"},
        headers=lead | {"if-match": str(first["lock"])},
    )
    assert theirs.status_code == 409
    assert (
        client.get("/api/scorecards/inbound-support/draft", headers=lead).json()["definition"]["title"]
        == "Ours"
    )


def test_a_draft_cannot_change_the_scorecard_id(client: Any, lead: dict[str, str]) -> None:
    card = client.get("/api/scorecards/inbound-support", headers=lead).json()["definition"]
    answer = client.put("/api/scorecards/inbound-support/draft", json=card | {"id": "other"}, headers=lead)
    assert (answer.status_code, answer.json()["field"]) == (422, "id")


def test_discarding_a_draft_keeps_the_revision_in_use(client: Any, lead: dict[str, str]) -> None:
    before = client.get("/api/scorecards/inbound-support", headers=lead).json()
    client.put(
        "/api/scorecards/inbound-support/draft",
        json=before["definition"] | {"title": "Changed"},
        headers=lead,
    )
    assert client.delete("/api/scorecards/inbound-support/draft", headers=lead).status_code == 204
    assert client.get("/api/scorecards/inbound-support", headers=lead).json() == before
    assert client.delete("/api/scorecards/inbound-support/draft", headers=lead).status_code == 404


def test_copying_makes_a_new_draft_from_the_one_in_use(client: Any, lead: dict[str, str]) -> None:
    answer = client.post(
        "/api/scorecards/outbound-sales/copy",
        json={"id": "outbound-sales-b", "title": "Outbound, script B"},
        headers=lead,
    )
    assert answer.status_code == 201, answer.text
    copy = answer.json()["definition"]
    assert (copy["id"], copy["title"]) == ("outbound-sales-b", "Outbound, script B")
    assert copy["sections"] == definition_of("outbound-sales")["sections"]


# Publish, restore ------------------------------------------------------------------------------


def test_publishing_adds_a_revision_and_scored_calls_keep_theirs(
    client: Any, db: Any, org: Any, lead: dict[str, str]
) -> None:
    call = make_scored_call(db, rep=org.rep, started_at=utcnow())
    db.commit()
    before = client.get("/api/scorecards/outbound-sales", headers=lead).json()
    card = copy.deepcopy(before["definition"])
    card["sections"][0]["items"][0]["label"] = "Greets the customer warmly"
    client.put("/api/scorecards/outbound-sales/draft", json=card, headers=lead)
    published = client.post(
        "/api/scorecards/outbound-sales/publish", json={"note": "warmer"}, headers=lead
    ).json()
    assert published["revision"] == before["revision"] + 1
    assert published["definition"]["sections"][0]["items"][0]["label"] == "Greets the customer warmly"
    version = db.scalar(
        select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == "outbound-sales", ScorecardVersion.is_current
        )
    )
    assert (version.revision, version.origin, version.change_note) == (
        published["revision"],
        Origin.EDITOR,
        "warmer",
    )
    assert org.qc_lead.email in version.published_by
    old = client.get(f"/api/scorecards/outbound-sales?revision={before['revision']}", headers=lead).json()
    assert old["definition"] == before["definition"]
    scored = client.get(f"/api/calls/{call.id}", headers=lead).json()["checks"]["scorecard"]
    assert (scored["id"], scored["revision"]) == ("outbound-sales", before["revision"])


def test_an_unchanged_draft_is_not_published(client: Any, lead: dict[str, str]) -> None:
    card = client.get("/api/scorecards/inbound-support", headers=lead).json()["definition"]
    client.put("/api/scorecards/inbound-support/draft", json=card, headers=lead)
    answer = client.post("/api/scorecards/inbound-support/publish", json={}, headers=lead)
    assert answer.status_code == 409
    assert "nothing to publish" in answer.json()["detail"]


def test_restoring_an_older_revision_and_the_audit_log(client: Any, org: Any, lead: dict[str, str]) -> None:
    first = client.get("/api/scorecards/inbound-support", headers=lead).json()
    client.put(
        "/api/scorecards/inbound-support/draft",
        json=first["definition"] | {"title": "Support v2"},
        headers=lead,
    )
    second = client.post("/api/scorecards/inbound-support/publish", json={"note": "v2"}, headers=lead).json()
    restored = client.post(
        f"/api/scorecards/inbound-support/revisions/{first['revision']}/restore",
        json={"note": "v2 confused people"},
        headers=lead,
    )
    assert restored.status_code == 200
    assert client.get("/api/scorecards/inbound-support", headers=lead).json()["revision"] == first["revision"]
    again = client.post(
        f"/api/scorecards/inbound-support/revisions/{first['revision']}/restore", json={}, headers=lead
    )
    assert again.status_code == 409
    # Publishing a draft equal to an earlier revision brings that revision back.
    client.put(
        "/api/scorecards/inbound-support/draft",
        json=first["definition"] | {"title": "Support v2"},
        headers=lead,
    )
    back = client.post("/api/scorecards/inbound-support/publish", json={}, headers=lead).json()
    assert back["revision"] == second["revision"]
    log = client.get("/api/scorecards/inbound-support/changes", headers=lead).json()
    assert [(c["action"], c["revision"]) for c in log] == [
        ("restored", second["revision"]),  # the draft equal to r2
        ("draft_saved", None),
        ("restored", first["revision"]),
        ("published", second["revision"]),
        ("draft_saved", None),
    ]
    assert log[2]["note"] == "v2 confused people"
    assert {c["actor"] for c in log} == {f"{org.qc_lead.name} <{org.qc_lead.email}>"}


def test_an_older_revision_exports_as_a_file(client: Any, lead: dict[str, str]) -> None:
    first = client.get("/api/scorecards/inbound-support", headers=lead).json()
    client.put(
        "/api/scorecards/inbound-support/draft",
        json=first["definition"] | {"title": "Support v2"},
        headers=lead,
    )
    client.post("/api/scorecards/inbound-support/publish", json={}, headers=lead)
    old = client.get(f"/api/scorecards/inbound-support/export?revision={first['revision']}", headers=lead)
    assert canonical(parse_scorecard(old.text, source="old.yaml")) == first["definition"]
    assert client.get("/api/scorecards/inbound-support/export?revision=999", headers=lead).status_code == 404


# The files and the editor never overwrite each other ----------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "scorecards"
    shutil.copytree(get_settings().scorecards_dir, copy)
    return copy


def test_a_changed_file_does_not_replace_what_was_published_in_the_editor(
    client: Any, db: Any, lead: dict[str, str], folder: Path
) -> None:
    card = client.get("/api/scorecards/inbound-support", headers=lead).json()["definition"]
    client.put(
        "/api/scorecards/inbound-support/draft", json=card | {"title": "Edited in the browser"}, headers=lead
    )
    published = client.post("/api/scorecards/inbound-support/publish", json={}, headers=lead).json()

    assert service.sync_from_settings(folder).problems == []  # the file did not change: nothing to say
    path = folder / "inbound_support.yaml"
    path.write_text(path.read_text().replace("title:", "title: Changed on disk #", 1))
    for _ in range(2):
        report = service.sync_from_settings(folder)
        assert any("inbound_support.yaml changed" in p and "not applied" in p for p in report.problems)
    current = client.get("/api/scorecards/inbound-support", headers=lead).json()
    assert (current["revision"], current["title"]) == (published["revision"], "Edited in the browser")
    log = client.get("/api/scorecards/inbound-support/changes", headers=lead).json()
    assert [c["action"] for c in log].count("file_held_back") == 1  # reported once per content

    path.unlink()  # a card published in the editor is not retired with its file
    assert "inbound-support" not in service.sync_from_settings(folder).retired


def test_an_untouched_scorecard_still_follows_its_file(db: Any, folder: Path) -> None:
    path = folder / "inbound_support.yaml"
    path.write_text(path.read_text().replace("title:", "title: Changed on disk #", 1))
    report = service.sync_from_settings(folder)
    assert any(a.startswith("inbound-support r") for a in report.added)
    assert report.problems == []
    assert load_folder(folder).problems == []


# Variables ---------------------------------------------------------------------------------------


def _company_check(client: Any, headers: dict[str, str], text: str, language: str = "en") -> str:
    transcript = {"segments": [{"speaker": "agent", "start": 0.5, "end": 4.0, "text": text, "words": []}]}
    answer = client.post(
        "/api/score",
        headers=headers,
        json={"scorecard": "outbound-sales", "language": language, "transcript": transcript},
    )
    assert answer.status_code == 200, answer.text
    return {c["item_id"]: c["status"] for c in answer.json()["checks"]}["company_name"]


def test_the_organisations_names_replace_the_shipped_ones_in_checks_and_hotwords(
    client: Any, db: Any, org: Any, lead: dict[str, str]
) -> None:
    from qc.calls.models import Direction
    from tests.factories import make_call

    call = make_call(db, rep=org.rep, direction=Direction.OUTBOUND)
    db.commit()
    assert _company_check(client, lead, "Good morning, this is Rex from Acme Telecom.") == "pass"
    assert service.hotwords_for(db, call.id, "en") == "Acme Telecom"  # the card's own default
    saved = client.put(
        "/api/scorecard-variables",
        json={
            "variables": {
                "company": {"*": ["Contoso Mobile"], "ru": ["Контосо Мобайл"]},
                "brand": {"*": ["Contoso"]},
            }
        },
        headers=lead,
    )
    assert saved.status_code == 200, saved.text
    assert _company_check(client, lead, "Good morning, this is Rex from Contoso Mobile.") == "pass"
    assert _company_check(client, lead, "Good morning, this is Rex from Acme Telecom.") == "fail"
    assert _company_check(client, lead, "Добрый день, это Рекс из Контосо Мобайл.", "ru") == "pass"
    assert service.hotwords_for(db, call.id, "en") == "Contoso Mobile"
    assert service.hotwords_for(db, call.id, "ru") == "Контосо Мобайл"
    # The organisation's, so logged apart from any one scorecard, with what changed.
    assert client.get("/api/scorecards/outbound-sales/changes", headers=lead).json() == []
    [change] = db.scalars(select(ScorecardChange).where(ScorecardChange.scorecard_id == "*")).all()
    assert (change.action, change.actor_id) == (ChangeAction.VARIABLES_CHANGED, org.qc_lead.id)
    assert "{company}: (not set) -> *: Contoso Mobile; ru: Контосо Мобайл" in change.note
    assert client.get("/api/scorecard-variables", headers=lead).json()["variables"]["brand"] == {
        "*": ["Contoso"]
    }


def test_a_variable_without_a_value_is_a_problem_of_the_draft(client: Any, lead: dict[str, str]) -> None:
    card = new_card()
    card["sections"][0]["items"][0]["check"]["phrases"]["en"].append("welcome to {product}")
    answer = client.post("/api/scorecards", json=card, headers=lead)
    assert answer.status_code == 422
    assert [p["field"] for p in answer.json()["problems"]] == ["variables"]
    assert "{product} has no value" in answer.json()["problems"][0]["message"]
    client.put("/api/scorecard-variables", json={"variables": {"product": {"*": ["FiberMax"]}}}, headers=lead)
    assert client.post("/api/scorecards", json=card, headers=lead).status_code == 201
    assert client.post("/api/scorecards/retention/publish", json={}, headers=lead).status_code == 200
    # Now a scorecard in use needs {product}: it cannot be removed.
    removed = client.put("/api/scorecard-variables", json={"variables": {}}, headers=lead)
    assert removed.status_code == 422
    assert removed.json()["problems"] == [
        {"field": "variables.product", "message": "retention uses {product}: give it a value"}
    ]


def test_a_malformed_placeholder_is_refused(client: Any, lead: dict[str, str]) -> None:
    card = new_card()
    card["sections"][0]["items"][0]["check"]["phrases"]["en"].append("welcome to {Product Name}")
    answer = client.post("/api/scorecards", json=card, headers=lead)
    assert answer.status_code == 422
    assert "is not a variable" in answer.json()["detail"]


def test_the_scorecard_page_shows_which_names_the_phrases_use(
    browser: Any, org: Any, lead: dict[str, str]
) -> None:
    browser.login_as(org.rep)
    names = browser.page("/scorecards/outbound-sales").select_one("#scorecard-names")
    rows = {
        dt.code.get_text(): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in names.select("dt")
    }
    assert set(rows) == {"{company}", "{brand}"}
    assert "Acme Telecom" in rows["{company}"] and "ru : Акме Телеком" in rows["{company}"]
    assert "scorecard default" in names.get_text()
    browser.put("/api/scorecard-variables", json={"variables": {"company": {"*": ["Contoso"]}}}, headers=lead)
    names = browser.page("/scorecards/outbound-sales").select_one("#scorecard-names")
    assert "Contoso" in names.get_text() and "organisation" in names.get_text()


def test_the_scorecard_page_lists_hotwords_with_the_names_filled_in(browser: Any, org: Any) -> None:
    browser.login_as(org.rep)
    page = browser.page("/scorecards/outbound-sales")
    hotwords = next(a for a in page.select("aside article") if "speech model" in a.get_text())
    assert "en : Acme Telecom" in hotwords.get_text(" ", strip=True)
    assert "{company}" not in hotwords.get_text()


def test_the_revision_list_names_who_published_it_without_their_address(
    browser: Any, org: Any, lead: dict[str, str]
) -> None:
    card = browser.get("/api/scorecards/inbound-support", headers=lead).json()["definition"]
    browser.put("/api/scorecards/inbound-support/draft", json=card | {"title": "Support v2"}, headers=lead)
    browser.post("/api/scorecards/inbound-support/publish", json={"note": "shorter"}, headers=lead)
    browser.login_as(org.rep)
    revisions = next(
        a
        for a in browser.page("/scorecards/inbound-support").select("aside article")
        if "Revisions" in a.get_text()
    )
    text = revisions.get_text(" ", strip=True)
    assert f"published in the editor by {org.qc_lead.name}: shorter" in text
    assert org.qc_lead.email not in text
