"""Which channel is the agent's: the verdict (qc.scoring.sides), the scoring stage that flags or
swaps a call (qc.scoring.swapping), the call page's banner and its Swap sides button, and the
team setting."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from qc.calls import pipeline
from qc.calls.models import Call, CallStatus, ChannelLayout
from qc.config import get_settings
from qc.db import session_scope
from qc.jobs.queue import drain
from qc.scoring import service, sides
from qc.scoring.definitions import Scorecard, load_folder
from qc.scoring.sides import Verdict
from qc.scoring.transcript import Segment, Word
from qc.transcription.models import Transcript, TranscriptSegment
from qc.users.models import Team
from tests.factories import api_token, bearer, make_call, make_transcript

# An outbound call whose customer channel says the agent's script: as the upload declared
# the agent on the wrong channel.
SWAPPED_EN = [
    ("agent", "Hello?"),
    ("customer", "Good morning, this is Daniel from Acme Telecom. Do you have two minutes to talk?"),
    ("agent", "Yes, sure, go ahead."),
    ("customer", "What matters most to you in a mobile plan? How often do you travel abroad?"),
    ("agent", "Mostly the price, and good coverage when I travel."),
    ("customer", "Our travel plan includes roaming in forty countries for fifteen euros a month."),
    ("agent", "That sounds interesting, I need to think about it."),
    ("customer", "Of course. Shall I call you back on Thursday at ten? Thank you, have a nice day."),
]
SWAPPED_RU = [
    ("agent", "Алло?"),
    ("customer", "Добрый день, меня зовут Ольга, компания Акме Телеком. Вам удобно говорить?"),
    ("agent", "Да, слушаю вас."),
    ("customer", "Что для вас важнее всего в тарифе? Как часто вы ездите за границу?"),
    ("agent", "Цена и связь в поездках."),
    ("customer", "Наш тариф включает роуминг в сорока странах, он стоит всего пятнадцать евро в месяц."),
    ("agent", "Интересно, но мне нужно подумать."),
    ("customer", "Понимаю. Я перезвоню вам в четверг в десять. Спасибо, всего доброго!"),
]


def exchange(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    other = {"agent": "customer", "customer": "agent"}
    return [(other[speaker], text) for speaker, text in turns]


def segments(turns: list[tuple[str, str]], *, per_turn: float = 6.0) -> list[Segment]:
    """One segment per turn, `per_turn` seconds apart, 0.3 s per word."""
    out = []
    for n, (speaker, text) in enumerate(turns):
        start = per_turn * n
        words = tuple(
            Word(start + 0.3 * i, start + 0.3 * i + 0.25, w, 0.95) for i, w in enumerate(text.split())
        )
        out.append(Segment(speaker, start, words[-1].end, text, words))
    return out


@pytest.fixture(scope="module")
def outbound() -> Scorecard:
    cards = {card.id: card for _, card in load_folder(get_settings().scorecards_dir).cards}
    return cards["outbound-sales"]


def check(card: Scorecard, turns: list[tuple[str, str]], language: str = "en") -> sides.SideCheck:
    found = segments(turns)
    return sides.check_sides(card, language=language, segments=found, duration_s=found[-1].end + 1)


# The verdict -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "turns"), [("en", SWAPPED_EN), ("ru", SWAPPED_RU)])
def test_a_customer_side_saying_the_script_is_swapped(outbound: Scorecard, language: str, turns: Any) -> None:
    result = check(outbound, turns, language)
    assert result.verdict is Verdict.SWAPPED, result.reason
    said = {q.item_id: q for q in result.customer.script}
    assert {"greeting", "own_name", "company_name", "permission", "presentation", "next_step"} <= set(said)
    assert said["own_name"].start == pytest.approx(6.0, abs=3)  # in the customer's first turn, 6 s in
    assert result.customer.opened_at == 6.0
    assert result.customer.questions >= 2 and result.agent.questions == 0
    assert result.customer.points - result.agent.points >= sides.SWAP_MARGIN
    assert result.language == language and "declared as the customer's" in result.reason


@pytest.mark.parametrize(("language", "turns"), [("en", SWAPPED_EN), ("ru", SWAPPED_RU)])
def test_the_agent_side_saying_the_script_is_as_declared(
    outbound: Scorecard, language: str, turns: Any
) -> None:
    result = check(outbound, exchange(turns), language)
    assert result.verdict is Verdict.AS_DECLARED, result.reason
    assert result.agent.points > result.customer.points
    assert "greeting" in {q.item_id for q in result.agent.script}


def test_a_short_call_is_unsure(outbound: Scorecard) -> None:
    result = check(outbound, [("customer", "Good morning, Acme Telecom."), ("agent", "Hi.")])
    assert result.verdict is Verdict.UNSURE
    assert "Too little speech" in result.reason


def test_a_mono_call_is_unsure(outbound: Scorecard) -> None:
    result = check(outbound, [("unknown", text) for _, text in SWAPPED_EN])
    assert result.verdict is Verdict.UNSURE
    assert result.reason.startswith("Mono recording")


def test_a_stray_phrase_and_a_few_questions_do_not_swap_a_call(outbound: Scorecard) -> None:
    """The customer greets, asks and says goodbye; the agent says little of the script."""
    turns = [
        ("customer", "Hello, good morning?"),
        ("agent", "Hi, it is about your contract."),
        ("customer", "What contract? Which company? How did you get my number?"),
        ("agent", "Our offer, which means a lower bill."),
        ("customer", "Thank you, goodbye."),
    ]
    result = check(outbound, turns)
    assert result.verdict is not Verdict.SWAPPED, result.reason


def test_a_language_without_script_phrases_is_unsure(outbound: Scorecard) -> None:
    result = check(outbound, SWAPPED_EN, "de")
    assert result.verdict is Verdict.UNSURE
    assert "no phrases of the agent's script in 'de'" in result.reason


def test_verdict_labels_say_what_was_found_not_what_was_done() -> None:
    """ "Sides: Swapped" read as if somebody had swapped them already."""
    assert {v: v.label for v in Verdict} == {
        Verdict.SWAPPED: "look swapped",
        Verdict.AS_DECLARED: "as declared",
        Verdict.UNSURE: "unsure",
    }


def test_the_stored_check_reads_back(outbound: Scorecard) -> None:
    result = check(outbound, SWAPPED_EN)
    assert sides.from_dict(result.as_dict()).as_dict() == result.as_dict()  # type: ignore[union-attr]
    again = sides.from_dict(result.as_dict())
    assert again is not None and again.verdict is Verdict.SWAPPED
    assert [q.item_id for q in again.customer.script] == [q.item_id for q in result.customer.script]
    assert sides.from_dict({"swaps": []}) is None


# The scoring stage ------------------------------------------------------------------------------------


def scored(
    db: Any, org: Any, turns: list[tuple[str, str]], *, swap_sides: bool = False, rep: Any = None, **call: Any
) -> Call:
    """A call of the rep (or `rep`) with `turns` as its transcript, through the real scoring stage."""
    db.get(Team, org.team.id).swap_sides = swap_sides
    made = make_call(db, rep=rep or org.rep, **call)
    make_transcript(db, made, turns)
    made.status = CallStatus.TRANSCRIBED
    db.commit()
    with session_scope() as session:
        pipeline.schedule(session, session.get(Call, made.id))
    drain()
    db.expire_all()
    return db.get(Call, made.id)


def transcript_of(db: Any, call: Call) -> tuple[Transcript, list[str]]:
    transcript = db.scalar(select(Transcript).where(Transcript.call_id == call.id))
    speakers = db.scalars(
        select(TranscriptSegment.speaker)
        .where(TranscriptSegment.transcript_id == transcript.id)
        .order_by(TranscriptSegment.position)
    )
    return transcript, [s.value for s in speakers]


def statuses(db: Any, call: Call) -> dict[str, str]:
    return {c.item_id: c.status.value for c in service.get_call_score(db, call.id).checks}


def test_with_the_team_setting_off_a_swapped_call_is_only_flagged(db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN)
    transcript, speakers = transcript_of(db, call)
    assert call.status is CallStatus.SCORED and call.channel_layout is ChannelLayout.AGENT_LEFT
    assert speakers == [s for s, _ in SWAPPED_EN]
    assert transcript.side_check["verdict"] == "swapped" and transcript.side_check["swaps"] == []
    assert transcript.side_check["customer"]["script"][0]["start"] >= 2.0
    assert statuses(db, call)["own_name"] == "fail"  # scored as declared


def test_with_the_team_setting_on_the_platform_swaps_the_sides_and_scores_them(db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN, swap_sides=True)
    transcript, speakers = transcript_of(db, call)
    assert speakers == [s for s, _ in exchange(SWAPPED_EN)]
    assert call.channel_layout is ChannelLayout.AGENT_RIGHT  # a re-transcription keeps the sides
    check = transcript.side_check
    assert check["verdict"] == "as_declared", "the check as the swapped transcript reads"
    assert [s["by"] for s in check["swaps"]] == ["platform"] and check["swaps"][0]["at"]
    assert "declared as the customer's" in check["swaps"][0]["reason"]
    passed = statuses(db, call)
    assert all(passed[i] == "pass" for i in ("greeting", "own_name", "company_name", "permission", "price"))


def test_the_echo_found_on_each_channel_follows_the_swap(db: Any, org: Any) -> None:
    # Transcription found the agent's voice echoed on the customer's channel as declared; once
    # swapped, that channel is the agent's, and the page must say so.
    db.get(Team, org.team.id).swap_sides = True
    made = make_call(db, rep=org.rep)
    transcript = make_transcript(db, made, SWAPPED_EN)
    transcript.channel_report = {
        "identical": False,
        "echo_by_speaker": {"agent": {"seconds": 0.0, "words": 0}, "customer": {"seconds": 12.5, "words": 3}},
        "echo_seconds": 12.5,
        "echo_words": 3,
    }
    made.status = CallStatus.TRANSCRIBED
    db.commit()
    with session_scope() as session:
        pipeline.schedule(session, session.get(Call, made.id))
    drain()
    db.expire_all()

    report = transcript_of(db, db.get(Call, made.id))[0].channel_report
    assert report["echo_by_speaker"] == {
        "agent": {"seconds": 12.5, "words": 3},
        "customer": {"seconds": 0.0, "words": 0},
    }
    assert report["echo_seconds"] == 12.5


def test_a_call_that_is_right_is_left_alone(db: Any, org: Any) -> None:
    call = scored(db, org, exchange(SWAPPED_EN), swap_sides=True)
    transcript, speakers = transcript_of(db, call)
    assert (
        speakers == [s for s, _ in exchange(SWAPPED_EN)] and call.channel_layout is ChannelLayout.AGENT_LEFT
    )
    assert transcript.side_check["verdict"] == "as_declared" and transcript.side_check["swaps"] == []


def test_a_mono_call_gets_no_side_check(db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN, swap_sides=True, channel_layout=ChannelLayout.MONO, channels=1)
    transcript, speakers = transcript_of(db, call)
    assert transcript.side_check is None and speakers == [s for s, _ in SWAPPED_EN]


def test_re_scoring_a_swapped_call_keeps_the_record_and_does_not_swap_back(db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN, swap_sides=True)
    with session_scope() as session:
        assert service.rescore(session, None, call_ids=[call.id], scorecard_id="outbound-sales") == 1
    drain()
    db.expire_all()
    transcript, speakers = transcript_of(db, call)
    assert speakers == [s for s, _ in exchange(SWAPPED_EN)]
    assert [s["by"] for s in transcript.side_check["swaps"]] == ["platform"]


def test_transcribing_a_swapped_call_again_keeps_the_record_of_its_swaps(db: Any, org: Any) -> None:
    from qc.transcription import engine
    from qc.transcription import service as transcription

    call = scored(db, org, SWAPPED_EN, swap_sides=True)
    again = engine.TranscriptionResult("en", 1.0, "tiny.en", True, 10.0, 8.0, 1.0, segments=[])
    with session_scope() as session:
        transcription.store_transcript(session, session.get(Call, call.id), again)
    db.expire_all()
    transcript, _ = transcript_of(db, call)
    assert [s["by"] for s in transcript.side_check["swaps"]] == ["platform"], "the platform won't swap again"
    assert "verdict" not in transcript.side_check, "checked again when scored"


# The call page and the Swap sides button ------------------------------------------------------------------


def swap(browser: Any, call: Call, layout: str = "agent-left", **kwargs: Any) -> Any:
    return browser.post(f"/calls/{call.id}/swap-sides", data={"layout": layout}, **kwargs)


def test_the_call_page_shows_the_evidence_and_the_button_to_qc_leads(browser: Any, db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN)
    browser.login_as(org.qc_lead)
    soup = browser.page(f"/calls/{call.id}")
    banner = soup.select_one("#side-check")
    assert "look swapped" in banner.get_text()
    sides_shown = banner.select(".side-evidence > div")
    agent, customer = (s.get_text(" ", strip=True) for s in sides_shown)
    assert agent.startswith("Agent side") and customer.startswith("Customer side")
    assert "this is Daniel" in customer
    seeks = [float(b["data-seek"]) for b in sides_shown[1].select("button[data-seek]")]
    assert seeks and min(seeks) == pytest.approx(2.0, abs=0.5)  # the customer's first turn
    form = banner.select_one("form")
    assert form["action"].endswith(f"/calls/{call.id}/swap-sides")
    assert form.select_one("input[name=layout]")["value"] == "agent-left"
    assert form.select_one("button").get_text(strip=True) == "Swap sides"
    assert banner["data-state"] == "look_swapped" and banner.select_one(".side-history") is None
    assert "swapped by" not in banner.get_text()
    assert soup.select_one("#side-verdict").get_text(" ", strip=True) == "look swapped"


def test_the_calls_list_marks_a_call_whose_sides_look_swapped(browser: Any, db: Any, org: Any) -> None:
    flagged = scored(db, org, SWAPPED_EN)
    right = scored(db, org, exchange(SWAPPED_EN))
    browser.login_as(org.manager)
    rows = {
        row.select_one("a")["href"].rsplit("/", 1)[-1]: row
        for row in browser.page("/calls").select("#calls-table tbody tr")
    }
    flag = rows[str(flagged.id)].select_one(".sides-flag")
    assert flag is not None and flag.get_text(strip=True) == "sides look swapped"
    assert flag.find_parent("td") is rows[str(flagged.id)].select_one("td"), "by the call's link"
    assert rows[str(right.id)].select_one(".sides-flag") is None


def test_the_calls_list_filters_calls_whose_sides_look_swapped(browser: Any, db: Any, org: Any) -> None:
    flagged = scored(db, org, SWAPPED_EN)
    scored(db, org, exchange(SWAPPED_EN))
    swapped_by_the_platform = scored(db, org, SWAPPED_EN, swap_sides=True)
    elsewhere = scored(db, org, SWAPPED_EN, rep=org.other_rep)

    def listed(user: Any, query: str = "?sides=swapped") -> set[int]:
        browser.login_as(user)
        links = browser.page(f"/calls{query}").select("#calls-table tbody tr td:first-child a")
        return {int(a["href"].rsplit("/", 1)[-1]) for a in links}

    assert listed(org.admin) == {flagged.id, elsewhere.id}, "the platform's swap left it as declared"
    assert swapped_by_the_platform.id in listed(org.admin, "?sides=")
    # The filter narrows what each persona may see, never widens it.
    assert listed(org.manager) == {flagged.id}
    assert listed(org.rep) == {flagged.id}
    assert listed(org.outsider_manager) == listed(org.other_rep) == {elsewhere.id}
    assert listed(org.admin, f"?sides=swapped&team={org.team.id}") == {flagged.id}
    form = browser.page("/calls").select_one("form.filters select[name=sides]")
    assert [o.get_text(strip=True) for o in form.select("option")] == ["Any", "Look swapped"]
    browser.login_as(org.admin)
    assert "sides" in browser.page("/calls?sides=maybe", status=422).get_text()
    api = browser.get("/api/calls?sides=swapped")
    assert {c["id"] for c in api.json()["items"]} == {flagged.id, elsewhere.id}


@pytest.mark.parametrize("persona", ["rep", "manager"])
def test_reps_and_managers_see_the_flag_but_not_the_button(
    browser: Any, db: Any, org: Any, persona: str
) -> None:
    call = scored(db, org, SWAPPED_EN)
    browser.login_as(getattr(org, persona))
    soup = browser.page(f"/calls/{call.id}")
    banner = soup.select_one("#side-check")
    assert "look swapped" in banner.select_one("#side-state").get_text()
    assert soup.select_one("#swap-sides") is None
    assert "A QC lead or an administrator can swap the sides" in banner.get_text(" ", strip=True)
    assert banner.select_one("a") is None, "no link to the page they are on"
    assert swap(browser, call).status_code == 403
    db.expire_all()
    assert db.get(Call, call.id).channel_layout is ChannelLayout.AGENT_LEFT


def test_swapping_needs_the_csrf_token(browser: Any, db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN)
    browser.login_as(org.qc_lead)
    response = swap(browser, call, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Call, call.id).channel_layout is ChannelLayout.AGENT_LEFT


def test_a_qc_lead_swaps_the_sides_and_the_call_is_scored_again(browser: Any, db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN)
    browser.login_as(org.qc_lead)
    response = swap(browser, call)
    assert response.status_code == 303 and response.headers["location"] == f"/calls/{call.id}"
    again = swap(browser, call)  # a second click, or a second tab opened before the swap
    assert (
        again.status_code == 303 and again.headers["location"] == f"/calls/{call.id}?swap=refused#side-check"
    )
    waiting = browser.page(f"/calls/{call.id}?swap=refused")
    assert "Nothing was swapped" in waiting.select_one("#swap-refused").get_text()
    db.expire_all()
    assert db.get(Call, call.id).channel_layout is ChannelLayout.AGENT_RIGHT, "not swapped back"
    assert browser.page(f"/calls/{call.id}").select_one("#swap-refused") is None
    checks = waiting.select_one("#checks")
    assert checks.select_one(".rescoring").get_text(" ", strip=True).startswith("Re-scoring…")
    assert checks.select(".check-list li") == [] and checks.select_one(".score") is None, "no stale results"
    state = _state(waiting)
    assert state.startswith("Sides swapped by Quinn Lead on") and "being run again" in state
    assert waiting.select_one("#swap-sides") is None, "nothing to undo before it is scored"
    assert waiting.select_one("#side-verdict").get_text(strip=True) == "swapped by Quinn Lead"
    drain()
    db.expire_all()
    call = db.get(Call, call.id)
    transcript, speakers = transcript_of(db, call)
    assert call.status is CallStatus.SCORED and call.channel_layout is ChannelLayout.AGENT_RIGHT
    assert speakers == [s for s, _ in exchange(SWAPPED_EN)]
    assert transcript.side_check["verdict"] == "as_declared"
    assert [(s["by"], s["name"]) for s in transcript.side_check["swaps"]] == [("person", "Quinn Lead")]
    assert statuses(db, call)["own_name"] == "pass"
    soup = browser.page(f"/calls/{call.id}")
    banner = soup.select_one("#side-check")
    assert _state(banner).startswith("Sides swapped by Quinn Lead on")
    assert "look swapped" not in banner.get_text() and banner.select_one(".side-history") is None
    assert banner.select_one("#swap-sides").get_text(strip=True) == "Undo swap"
    assert soup.select_one("#side-verdict").get_text(strip=True) == "swapped by Quinn Lead"
    assert soup.select_one("#checks .rescoring") is None and soup.select("#checks .check-list li")


def test_undoing_the_platforms_swap_is_not_undone_again(browser: Any, db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN, swap_sides=True)
    browser.login_as(org.admin)
    soup = browser.page(f"/calls/{call.id}")
    banner = soup.select_one("#side-check")
    assert _state(banner).startswith("Sides swapped by the platform on")
    assert banner.select_one("#swap-sides").get_text(strip=True) == "Undo swap"
    assert soup.select_one("#side-verdict").get_text(strip=True) == "swapped by the platform"
    assert swap(browser, call, layout="agent-right").status_code == 303
    waiting = browser.page(f"/calls/{call.id}").select_one("#side-check")
    assert _state(waiting).startswith("Sides swapped back by Ada Admin on")
    assert _history(waiting) == ["swapped by the platform"], "the swap just made leads; not listed twice"
    drain()
    db.expire_all()
    call = db.get(Call, call.id)
    transcript, speakers = transcript_of(db, call)
    assert call.channel_layout is ChannelLayout.AGENT_LEFT and speakers == [s for s, _ in SWAPPED_EN]
    assert transcript.side_check["verdict"] == "swapped", "the check still reads them swapped..."
    assert [s["by"] for s in transcript.side_check["swaps"]] == ["platform", "person"], "...left as is"
    assert transcript.side_check["decided"] == "as_declared", "...because a person decided"
    # A person's decision, and the history once: no amber flag, no "look swapped" and "swapped by".
    soup = browser.page(f"/calls/{call.id}")
    banner = soup.select_one("#side-check")
    state = _state(banner)
    assert state.startswith("The sides are as declared: Ada Admin decided so.")
    assert "no longer flagged" in state
    assert "swapped" not in banner["class"] and banner.select_one("details[open]") is None
    assert banner["data-state"] == "decided"
    assert len(banner.select(".side-history")) == 1
    assert _history(banner) == ["swapped by the platform", "swapped back by Ada Admin"]
    assert banner.select_one("#swap-sides").get_text(strip=True) == "Swap sides"
    assert soup.select_one("#side-verdict").get_text(strip=True) == "as declared, decided by Ada Admin"
    listed = browser.page("/calls?sides=swapped")
    assert listed.select_one(f"a[href='/calls/{call.id}']") is None, "a decided call is not flagged"


def test_the_api_swaps_the_sides_for_qc_leads(client: Any, db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN)
    lead, rep = bearer(api_token(db, org.qc_lead)), bearer(api_token(db, org.rep))
    db.commit()
    url = f"/api/calls/{call.id}/swap-sides"
    assert client.post(url, json={"layout": "agent-left"}, headers=rep).status_code == 403
    answer = client.post(url, json={"layout": "agent-left"}, headers=lead)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {
        "call_id": call.id,
        "channel_layout": "agent-right",
        "status": "transcribed",
        "swaps": 1,
    }
    again = client.post(url, json={"layout": "agent-left"}, headers=lead)
    assert again.status_code == 409, "a retry never swaps them back"
    assert "swapped meanwhile" in again.json()["detail"]
    assert client.post(url, json={"layout": "sideways"}, headers=lead).status_code == 422
    assert client.post(url, json={}, headers=lead).status_code == 422, "the layout seen is required"
    drain()
    db.expire_all()
    assert db.get(Call, call.id).channel_layout is ChannelLayout.AGENT_RIGHT
    assert statuses(db, call)["own_name"] == "pass"


def _state(page: Any) -> str:
    """The banner's lead line: the state the sides are in."""
    return str(page.select_one("#side-state").get_text(" ", strip=True))


def _history(banner: Any) -> list[str]:
    """The swaps the banner's history line lists, without their times."""
    text = banner.select_one(".side-history").get_text(" ", strip=True)
    assert text.startswith("Earlier: ") and text.endswith(".")
    return [part.split(" on ")[0].strip() for part in text.removeprefix("Earlier: ").rstrip(".").split(";")]


def test_a_mono_call_has_no_sides_to_swap(browser: Any, db: Any, org: Any) -> None:
    call = scored(db, org, SWAPPED_EN, channel_layout=ChannelLayout.MONO, channels=1)
    browser.login_as(org.qc_lead)
    response = swap(browser, call, layout="")
    assert response.status_code == 409
    assert "mono recording" in BeautifulSoup(response.text, "html.parser").get_text()


def test_the_review_workspace_shows_the_flag(browser: Any, db: Any, org: Any, settings: Any) -> None:
    from qc.evaluations import service as evaluations
    from qc.users.service import principal_for

    call = scored(db, org, SWAPPED_EN)
    draft = evaluations.review_call(db, principal_for(db, org.reviewer), call.id, settings=settings)
    db.commit()
    browser.login_as(org.reviewer)
    soup = browser.page(f"/reviews/{draft.assignment_id}")
    banner = soup.select_one("#side-check")
    assert "look swapped" in banner.get_text() and banner.select_one("form") is None
    assert banner.select_one("a")["href"].endswith(f"/calls/{call.id}")


# The team setting ------------------------------------------------------------------------------------------


def test_qc_leads_turn_on_automatic_swapping_for_a_team(browser: Any, db: Any, org: Any) -> None:
    browser.login_as(org.qc_lead)
    url = f"/queue/teams/{org.team.id}"
    box = browser.page(url).select_one("input[name=swap_sides]")
    assert box is not None and not box.has_attr("checked")
    assert "looks swapped" in box.parent.get_text()
    form = {
        "target": "2",
        "working_days": ["1", "2", "3", "4", "5"],
        "timezone": "UTC",
        "day_start": "09:00",
        "day_end": "18:00",
        "min_duration_s": "30",
        "risk_share": "50",
        "low_score": "70",
        "swap_sides": "true",
    }
    assert browser.post(url, data=form).status_code == 303
    db.expire_all()
    assert db.get(Team, org.team.id).swap_sides is True
    assert browser.page(url).select_one("input[name=swap_sides]").has_attr("checked")


# The demo --------------------------------------------------------------------------------------------------


def test_the_demo_has_a_call_flagged_for_swapped_sides(browser: Any, db: Any) -> None:
    import json

    from qc.demo import seed
    from qc.demo.sides import seed_swapped_sides
    from qc.users.models import User

    assert seed._seed_people()
    scripted = json.loads((seed.SAMPLES / "scripted" / "scripted.json").read_text(encoding="utf-8"))
    call_id = seed_swapped_sides(seed.SAMPLES, scripted, seed.DOMAIN)
    db.expire_all()
    call = db.get(Call, call_id)
    transcript, _ = transcript_of(db, call)
    assert call.status is CallStatus.SCORED and call.channel_layout is ChannelLayout.AGENT_RIGHT
    assert transcript.side_check["verdict"] == "swapped" and transcript.side_check["swaps"] == []
    lead = db.scalar(select(User).where(User.email == f"lead@{seed.DOMAIN}"))
    browser.login_as(lead)
    banner = browser.page(f"/calls/{call_id}").select_one("#side-check")
    assert "look swapped" in banner.get_text() and banner.select_one("#swap-sides") is not None
