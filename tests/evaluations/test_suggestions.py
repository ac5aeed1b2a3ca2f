"""Suggestions mined from reviewer overrides: the wording they recur on, the effect of
adding it, and accepting one into the draft (never straight into the revision in use)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from qc.config import get_settings
from qc.evaluations import suggestions
from qc.evaluations.suggestions import Case
from qc.scoring.definitions import Scorecard, parse_scorecard
from qc.scoring.models import ScorecardDraft
from qc.scoring.transcript import segments_from

pytestmark = pytest.mark.usefixtures("scorecard_revisions_restored")


@pytest.fixture(scope="module")
def card() -> Scorecard:
    path = get_settings().scorecards_dir / "outbound_sales.yaml"
    return parse_scorecard(path.read_text(), source=path.name)


def case(call_id: int, lines: list[str], answers: dict[str, str], language: str = "en") -> Case:
    """A call whose agent says `lines`, one after the other, 2.5 s each."""
    segments = []
    for n, line in enumerate(lines):
        words = line.split()
        start = n * 3.0
        segments.append(
            {
                "speaker": "agent" if n % 2 == 0 else "customer",
                "start": start,
                "end": start + 2.5,
                "text": line,
                "words": [
                    {
                        "start": start + i * 2.5 / len(words),
                        "end": start + (i + 1) * 2.5 / len(words),
                        "word": w,
                        "probability": 0.95,
                    }
                    for i, w in enumerate(words)
                ],
            }
        )
    return Case(call_id, language, segments_from(segments), len(lines) * 3.0, answers)


OPENING = "Good morning, this is Dan from Acme Telecom."


def permission_cases() -> list[Case]:
    asked_own_way = [
        case(n, [OPENING, "Hello.", "Is this a bad moment to talk?", "No, go on."], {"permission": "yes"})
        for n in range(1, 4)
    ]
    asked = [
        case(n, [OPENING, "Hello.", "Do you have a minute?", "Yes."], {"permission": "yes"})
        for n in range(4, 8)
    ]
    skipped = [case(8, [OPENING, "Hello.", "Our new tariff is great.", "Hm."], {"permission": "no"})]
    return asked_own_way + asked + skipped


def test_a_phrase_the_reviewers_kept_passing_is_suggested_with_its_effect(card: Scorecard) -> None:
    found = suggestions.mine(card, "permission", permission_cases())
    assert found.overridden == 3
    top = found.suggestions[0]
    assert (top.kind, top.language, top.text) == ("phrase", "en", "bad moment")
    assert top.support == 3 and top.against == 0 and sorted(top.calls) == [1, 2, 3]
    # Words every call shares (the opening) are not offered: they are no permission question.
    assert not any("telecom" in s.text or "morning" in s.text for s in found.suggestions)
    # Adding it puts the three overrides right and keeps the real fail.
    assert top.before is not None and top.after is not None
    assert (top.before.agreed, top.after.agreed) == (5, 8)
    assert top.after.true_fail == top.before.true_fail == 1


def test_wording_also_heard_where_the_reviewers_failed_the_item_is_not_offered(card: Scorecard) -> None:
    cases = permission_cases()
    cases += [
        case(
            n,
            [OPENING, "Hello.", "Is this a bad moment to talk? Anyway, our tariff...", "Hm."],
            {"permission": "no"},
        )
        for n in (9, 10)
    ]
    found = suggestions.mine(card, "permission", cases)
    assert all("bad moment" not in s.text for s in found.suggestions)


def test_a_forbidden_phrase_in_harmless_words_is_suggested_as_an_exception(card: Scorecard) -> None:
    harmless = [
        case(
            n,
            [OPENING, "Hi.", "The network load should calm down after midnight.", "Good."],
            {"forbidden_phrases": "yes"},
        )
        for n in range(1, 4)
    ]
    real = [
        case(4, [OPENING, "Stop shouting.", "Please calm down, sir.", "No!"], {"forbidden_phrases": "no"})
    ]
    found = suggestions.mine(card, "forbidden_phrases", harmless + real)
    assert found.overridden == 3
    assert found.suggestions and all(s.kind == "exception" for s in found.suggestions)
    top = found.suggestions[0]
    assert "calm down" in top.text and top.text != "calm down"
    assert top.after is not None and top.before is not None
    assert top.after.false_fail == 0 < top.before.false_fail
    assert top.after.true_fail == 1  # "please calm down, sir" is still a violation


def test_nothing_is_suggested_from_a_single_override(card: Scorecard) -> None:
    one = permission_cases()[:1] + permission_cases()[3:]
    assert suggestions.mine(card, "permission", one).suggestions == []


def test_accepting_a_suggestion_changes_the_draft_only(browser: Any, org: Any, db: Any) -> None:
    lead = browser.login_as(org.qc_lead)
    response = lead.post(
        "/scorecards/outbound-sales/items/permission/suggestions",
        data={"kind": "phrase", "language": "ru", "text": "я вас не отвлекаю", "back": "agreement"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/scorecards/outbound-sales/agreement/permission?added=1"
    draft = db.scalar(select(ScorecardDraft).where(ScorecardDraft.scorecard_id == "outbound-sales"))
    permission = next(i for s in draft.definition["sections"] for i in s["items"] if i["id"] == "permission")
    assert permission["check"]["phrases"]["ru"][-1] == "я вас не отвлекаю"
    # The revision in use did not change.
    current = lead.get("/api/scorecards/outbound-sales").json()
    used = next(i for s in current["definition"]["sections"] for i in s["items"] if i["id"] == "permission")
    assert "я вас не отвлекаю" not in used["check"]["phrases"]["ru"]
    page = lead.page("/scorecards/outbound-sales/agreement/permission?added=1")
    assert "Added to the scorecard" in page.text
    # An exception goes to the item's exceptions.
    lead.post(
        "/scorecards/outbound-sales/items/forbidden_phrases/suggestions",
        data={"kind": "exception", "language": "en", "text": "should calm down after"},
    )
    db.expire_all()
    draft = db.scalar(select(ScorecardDraft).where(ScorecardDraft.scorecard_id == "outbound-sales"))
    forbidden = next(
        i for s in draft.definition["sections"] for i in s["items"] if i["id"] == "forbidden_phrases"
    )
    assert forbidden["check"]["exceptions"] == {"en": ["should calm down after"]}
