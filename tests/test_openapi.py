"""The OpenAPI document describes what the server does: Schemathesis against the running app.

Every /api operation gets generated requests (valid and invalid data, the ids of real objects
and random ones, odd unicode, huge numbers, empty bodies) from an admin and from a rep, each
with an API token, against the arrangement of the permission matrix. Every answer must be
documented: no server error; a documented status, content type, body and headers; data the
schema allows is accepted and data it forbids refused.

Nothing is excluded. Where the server refuses schema-valid data for a rule no JSON schema can
state (another object must exist, two fields must agree, the day must not be in the future,
the bytes must be decodable audio), `REFUSES_VALID` names the operation and the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks
from sqlalchemy.orm import Session

from qc.config import Settings
from tests.factories import Org
from tests.test_permissions import World, arrange

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
]
# Requests per operation, generation mode (valid, invalid) and choice of ids (real, random):
# the admin reaches every rule, the rep mostly the refusals. Bounded for CI's time.
EXAMPLES = {"admin": 10, "rep": 4}

_OTHER_OBJECTS = "names other objects that must exist and be in a state that allows it"
REFUSES_VALID: dict[str, str] = {
    "POST /api/calls": "the file must be a recording we can decode (415/422) and `rep` an existing rep",
    "POST /api/score": "each segment must end after it starts (two fields)",
    "POST /api/queue/assignments/{assignment_id}/reassign": "`reviewer_id` must be an active reviewer",
    "POST /api/disputes/{dispute_id}/resolve": "one decision per item of that dispute, and only those",
    "POST /api/evaluations/{evaluation_id}/disputes": "the items must be items of that review",
    "POST /api/training/modules": "a link or a text (one of two fields); items on the current scorecards; "
    "a pass mark only with an assessment",
    "POST /api/training/modules/{module_id}/versions": "as creating a module",
    "POST /api/training/assignments": "the module must exist; one of `rep_id` and `team_id`; "
    "a due date from today to a year ahead (moves every day)",
    "POST /api/training/assignments/{assignment_id}/complete": "the result or score the module's "
    "assessment asks for; a day not in the future nor before the assignment",
    "POST /api/training/rules": "the module and item must exist; `min_failed` at most `last_reviews`",
    "PUT /api/training/rules/{rule_id}": "as creating a rule",
    "POST /api/coaching/sessions": _OTHER_OBJECTS,
    "POST /api/coaching/sessions/{session_id}/complete": _OTHER_OBJECTS,
    "POST /api/coaching/sessions/{session_id}/cancel": _OTHER_OBJECTS,
    "POST /api/coaching/actions/{action_id}": _OTHER_OBJECTS,
    "POST /api/scorecards": "an id not taken yet; items an item refers to must exist and carry a check; "
    "every declared language needs phrases in every phrase list (across fields)",
    "PUT /api/scorecards/{scorecard_id}/draft": "as creating a scorecard, with the id of the path",
    "PUT /api/scorecard-variables": "variable names and languages as the schema's `propertyNames` state "
    "(Schemathesis draws object keys without them); every variable a scorecard in use needs keeps a value",
    "GET /api/reports/coverage": "`to` on or after `from`, at most a year apart (two fields)",
    "GET /api/digest/{team_id}/preview": "the day must be today or before (moves every day)",
    "POST /api/digest/{team_id}/send": "the day must be today or before (moves every day)",
}
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # Schemathesis' default


def _config() -> schemathesis.Config:
    """Explicit, so no schemathesis.toml on the machine changes the run."""
    operations = [
        {
            "include-name": label,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "415", "422"]}},
        }
        for label in REFUSES_VALID
    ]
    # NUL (U+0000) in text is refused everywhere (422, `test_text_with_nul_is_refused`), a rule
    # the document states in words: generating it would only show that refusal again.
    return schemathesis.Config.from_dict({"operations": operations, "generation": {"allow-x00": False}})


@pytest.fixture
def world(db: Session, org: Org, settings: Settings) -> World:
    return arrange(db, org, settings)


@pytest.fixture
def api(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())


def _failures(api: Any, world: World, token: str, examples: int) -> Iterator[str]:
    headers = {"Authorization": f"Bearer {token}"}
    known = world.path()
    for result in api.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/"):
            continue
        names = [p.name for p in operation.path_parameters]
        real = {name: known[name] for name in names if name in known}
        strategies = [
            operation.as_strategy(mode, path_parameters=ids)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for ids in ([None, real] if real else [None])
        ]
        found = _run(st.one_of(strategies), examples * len(strategies), headers)
        if found:
            yield f"{operation.label}: {len(found)} failing request(s), the first:\n{found[0]}"


def _run(cases: st.SearchStrategy[Any], examples: int, headers: dict[str, str]) -> list[str]:
    """Send `examples` requests drawn from `cases` (the same ones every run); the failures."""
    found: list[str] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as exc:
            found.append(str(exc))

    run()
    return found


@pytest.mark.parametrize(
    ("method", "url", "request_kwargs"),
    [
        ("GET", "/api/calls", {"params": {"rep": "rep\x00@example.test"}}),
        ("POST", "/api/training/modules", {"json": {"title": "Greeting\x00", "material_text": "Say hello"}}),
    ],
)
def test_text_with_nul_is_refused(
    client: Any, as_: Any, org: Org, db: Session, method: str, url: str, request_kwargs: dict[str, Any]
) -> None:
    """PostgreSQL cannot store U+0000 (a 500 there), SQLite can: both refuse it alike."""
    from qc.training.models import TrainingModule

    response = client.request(method, url, headers=as_(org.admin), **request_kwargs)
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["detail"]
    assert db.query(TrainingModule).count() == 0


def test_every_exception_names_an_operation(api: Any) -> None:
    labels = {result.ok().label for result in api.get_all_operations()}
    assert set(REFUSES_VALID) <= labels


@pytest.mark.parametrize("persona", ["admin", "rep"])
def test_api_answers_as_its_openapi_document_says(api: Any, world: World, persona: str) -> None:
    failures = list(_failures(api, world, world.tokens[persona], EXAMPLES[persona]))  # type: ignore[index]
    assert not failures, "\n\n".join(failures)


def test_every_api_operation_documents_its_errors_with_one_body(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's, never sent
    error = {"$ref": "#/components/schemas/ErrorRead"}
    operations = [
        (method, path, op)
        for path, ops in spec["paths"].items()
        if path.startswith("/api/")
        for method, op in ops.items()
    ]
    assert len(operations) > 40
    for method, path, op in operations:
        errors = {status: r for status, r in op["responses"].items() if status[0] in "45"}
        assert {"401", "403", "429", "500", "503"} <= set(errors), (method, path)
        assert ("422" in errors) == bool(op.get("parameters") or op.get("requestBody")), (method, path)
        assert all(r["content"]["application/json"]["schema"] == error for r in errors.values()), path


def test_api_docs_page_loads_only_the_apps_own_files(client: Any) -> None:
    from bs4 import BeautifulSoup

    page = client.get("/docs")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    scripts = soup.find_all("script")
    assert scripts and all(s.get("src") and not s.string for s in scripts)  # nothing inline
    assets = [s["src"] for s in scripts] + [link["href"] for link in soup.find_all("link")]
    assert all(str(a).startswith("http://testserver/static/") for a in assets), assets
    for asset in assets:
        assert client.get(str(asset)).status_code == 200, asset
