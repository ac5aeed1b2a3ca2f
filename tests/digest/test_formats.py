"""Each target's formatter against its documented limits, with a huge team whose names carry
<, >, & and Russian, Romanian and Serbian letters."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest

from qc.digest import formats
from qc.digest.content import Count, DayDigest, MissedRep, Section, sections, summary
from qc.digest.models import TargetKind

NAMES = [
    "Ștefan Țăranu-Bălănescu",
    "Алексей <Лёша> Кузнецов & сыновья",
    "Ђорђе Петровић <top> & Co",
    "Jean & <Jacques> O'Brien",
    "Ioana Mărgărit",
    "Мария Иванова",
]


def huge(missed: int = 800, name_length: int = 120) -> DayDigest:
    reps = [
        MissedRep(
            (NAMES[i % len(NAMES)] + f" №{i} " + "&<>" * 3).ljust(name_length, "ж"),
            i % 2,
            2,
            "No reviewer capacity" if i % 3 else "Calls too short",
        )
        for i in range(missed)
    ]
    return DayDigest(
        team_id=1,
        team="Продажи <Север> & Sud — " + "Ș" * 200,
        day=date(2026, 3, 29),
        timezone="Europe/Bucharest",
        target=2,
        worked=missed + 40,
        covered=40,
        absent=3,
        missed=reps,
        reviews=120,
        average=81.5,
        average_before=79.25,
        critical=[Count(NAMES[i % 6] + f" {i}", 1 + i % 3) for i in range(300)],
        failed_items=[
            Count("States the <price> & terms", 14, 60),
            Count("Greeting", 9, 60),
            Count("Закрытие", 5, 60),
        ],
        disputes_opened=4,
        disputes_resolved=2,
        disputes_overdue=7,
        coaching_due=3,
        coaching_overdue=11,
        training_due=2,
        training_overdue=5,
        reviewers=[Count(f"Рецензент {i} & <QA>", 10 + i) for i in range(200)],
    )


def small() -> DayDigest:
    return DayDigest(
        team_id=1,
        team="Alpha",
        day=date(2026, 11, 23),
        timezone="UTC",
        target=2,
        worked=3,
        covered=2,
        absent=0,
        missed=[MissedRep("Ana <Popescu> & Ion", 1, 2, "Calls too short")],
        reviews=5,
        average=80.0,
        average_before=75.0,
        critical=[],
        failed_items=[Count("Price", 2, 5)],
        reviewers=[Count("Riley Reviewer", 5)],
    )


def quiet() -> DayDigest:
    return DayDigest(1, "Alpha", date(2026, 11, 22), "UTC", 0, 0, 0, 0, [], 0, None, None, [], [])


def all_entities_whole(text: str) -> bool:
    """Every & starts one of the entities the escaping writes."""
    return all(
        text.startswith(("&amp;", "&lt;", "&gt;"), i) for i in (m.start() for m in re.finditer("&", text))
    )


# Slack ------------------------------------------------------------------------------------------------


def test_slack_stays_within_block_kit_limits_for_a_huge_team() -> None:
    message = formats.slack(huge())
    blocks = message["blocks"]
    assert len(blocks) <= 50
    header = blocks[0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert 0 < len(header["text"]["text"]) <= 150
    sections_ = [b for b in blocks if b["type"] == "section"]
    assert sections_ and all(len(b["text"]["text"]) <= 3000 for b in sections_)
    missed = sections_[0]["text"]["text"]
    assert missed.startswith(":warning: *Missed the review target (800)*")
    shown = missed.count("\n• ") - 1
    assert f"• and {800 - shown} more reps" in missed
    assert 5 < shown < 800
    for block in sections_:
        text = block["text"]["text"]
        assert "<" not in text and ">" not in text
        assert all_entities_whole(text)
    assert "&lt;Лёша&gt; Кузнецов &amp; сыновья" in missed
    assert "Ștefan Țăranu-Bălănescu" in missed and "Ђорђе Петровић" in missed
    assert message["text"] and "<" not in message["text"] and all_entities_whole(message["text"])


def test_slack_puts_exceptions_first_and_shows_a_small_team_whole() -> None:
    message = formats.slack(small())
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert (
        texts[0] == ":warning: *Missed the review target (1)*\n"
        "• Ana &lt;Popescu&gt; &amp; Ion: 1 of 2 reviewed — Calls too short"
    )
    assert [t.split("*")[1] for t in texts] == [
        "Missed the review target (1)",
        "Coverage",
        "Scores",
        "Most-failed items",
        "Reviewer throughput",
    ]
    assert "more" not in "".join(texts)
    assert message["text"] == "Alpha, Mon 23 Nov: coverage 2 of 3; 1 rep missed the target; average 80"


def test_a_quiet_day_is_one_line_in_every_format() -> None:
    digest = quiet()
    assert [s.lines for s in sections(digest)] == [[summary(digest)]]
    assert summary(digest) == "Alpha, Sun 22 Nov: nothing to report (no calls, no reviews, nothing due)."
    slack_sections = [b for b in formats.slack(digest)["blocks"] if b["type"] == "section"]
    assert len(slack_sections) == 1
    text = formats.telegram(digest, "42")["text"]
    assert text.count("\n• ") == 1 and "nothing to report" in text


# Microsoft Teams ------------------------------------------------------------------------------------


def test_teams_is_an_adaptive_card_under_28_kb_for_a_huge_team() -> None:
    message = formats.teams(huge())
    body = formats.encode(message)
    assert len(body) <= 28 * 1024
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] in ("1.4", "1.5")
    texts = [b["text"] for b in card["body"]]
    assert texts[1] == "Missed the review target (800)"
    assert re.search(r"- and \d+ more reps$", texts[2])
    assert "Алексей <Лёша> Кузнецов & сыновья" in texts[2]  # JSON needs no HTML escaping
    assert json.loads(body.decode()) == message


def test_teams_keeps_a_small_team_whole() -> None:
    card = formats.teams(small())["attachments"][0]["content"]
    assert "- Ana <Popescu> & Ion: 1 of 2 reviewed — Calls too short" in [b["text"] for b in card["body"]]
    assert card["body"][1]["color"] == "Attention"


# Telegram ---------------------------------------------------------------------------------------------


class TagChecker(HTMLParser):
    """Parses Telegram HTML: only <b> is written, every tag closed, text unescaped back."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_telegram_is_escaped_html_within_4096_characters_for_a_huge_team() -> None:
    request = formats.telegram(huge(), "-1001234567890")
    assert request["chat_id"] == "-1001234567890"
    assert request["parse_mode"] == "HTML" and request["disable_web_page_preview"] is True
    text = request["text"]
    assert formats.telegram_units(text) <= 4096
    assert len(text) > 3000  # filled, not emptied
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.tags == {"b"} and not checker.open
    assert all_entities_whole(text)
    plain = "".join(checker.text)
    assert "Алексей <Лёша> Кузнецов & сыновья" in plain
    assert re.search(r"• and \d+ more reps\n", plain)
    assert re.search(r"• and \d+ more reviewers$", plain)


def test_telegram_counts_characters_as_telegram_does() -> None:
    assert formats.telegram_units("жș") == 2
    assert formats.telegram_units("⚠️") == 2
    assert formats.telegram_units("😀") == 2  # outside the BMP: two UTF-16 units


def test_a_name_too_long_for_any_limit_is_clipped_between_characters() -> None:
    digest = huge(missed=3, name_length=10_000)
    for message in (formats.slack(digest), formats.telegram(digest, "1"), formats.teams(digest)):
        assert "…" in json.dumps(message, ensure_ascii=False)
    text = formats.telegram(digest, "1")["text"]
    assert formats.telegram_units(text) <= 4096 and all_entities_whole(text)
    assert html.unescape(text).count("ж…") == 3


# JSON -------------------------------------------------------------------------------------------------


def test_json_is_the_structured_digest_with_a_versioned_schema() -> None:
    document = formats.payload(TargetKind.JSON, small())
    assert document["schema"] == "qc.digest/1"
    assert document["day"] == "2026-11-23" and document["team"] == "Alpha"
    assert document["missed"] == [
        {"name": "Ana <Popescu> & Ion", "reviewed": 1, "target": 2, "reason": "Calls too short"}
    ]
    assert (document["worked"], document["covered"], document["quiet"]) == (3, 2, False)
    assert document["sections"][0]["exception"] is True
    assert json.loads(formats.encode(document)) == document


@pytest.mark.parametrize(
    ("kind", "url", "posted"),
    [
        (
            TargetKind.TELEGRAM,
            "https://api.telegram.org/bot123:ABC/",
            "https://api.telegram.org/bot123:ABC/sendMessage",
        ),
        (
            TargetKind.SLACK,
            "https://hooks.slack.com/services/T/B/x",
            "https://hooks.slack.com/services/T/B/x",
        ),
    ],
)
def test_where_each_kind_is_posted(kind: TargetKind, url: str, posted: str) -> None:
    assert formats.post_url(kind, url) == posted


def test_a_cut_list_says_how_many_are_left_out_in_words() -> None:
    parts = sections(small())
    cut = formats.cut(parts, 0)
    assert cut[0].lines == ["and 1 more rep"]
    assert formats.cut(parts, 1)[0] == parts[0]  # nothing left out: unchanged
    three = Section("Reviewer throughput", ["a", "b", "c"], "reviewers")
    assert formats.cut([three], 1)[0].lines == ["a", "and 2 more reviewers"]


# The link to the coverage report ---------------------------------------------------------------------

REPORT = "https://qc.example.test/reports/coverage?team=1&from=2026-03-29&to=2026-03-29"


def test_every_format_links_to_the_days_coverage_report_within_its_limits() -> None:
    digest = replace(huge(), report_url=REPORT)
    slack = formats.slack(digest)
    assert len(slack["blocks"]) <= 50
    assert slack["blocks"][-1]["elements"][0]["text"] == (
        "Sent by qc · <" + REPORT.replace("&", "&amp;") + "|Coverage report of Sun 29 Mar>"
    )
    teams = formats.teams(digest)
    assert len(formats.encode(teams)) <= formats.TEAMS_MAX_BYTES
    card = teams["attachments"][0]["content"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Coverage report of Sun 29 Mar", "url": REPORT}
    ]
    text = formats.telegram(digest, "-100")["text"]
    assert formats.telegram_units(text) <= formats.TELEGRAM_MAX_UNITS
    links = re.findall(r'<a href="([^"]*)">([^<]*)</a>', text)
    assert [(html.unescape(href), words) for href, words in links] == [
        (REPORT, "Coverage report of Sun 29 Mar")
    ]
    assert text.endswith("</a>") and all_entities_whole(text)
    assert formats.structured(digest)["report_url"] == REPORT


def test_without_a_public_url_no_format_has_a_link_and_no_footer_names_a_time_zone() -> None:
    digest = small()
    assert digest.report_url is None
    slack = formats.slack(digest)
    assert slack["blocks"][-1]["elements"][0]["text"] == "Sent by qc"
    card = formats.teams(digest)["attachments"][0]["content"]
    assert "actions" not in card and card["body"][-1]["text"] == "Sent by qc"
    assert "<a " not in formats.telegram(digest, "-100")["text"]
    chats = [kind for kind in TargetKind if kind is not TargetKind.JSON]  # the JSON keeps its timezone field
    everything = json.dumps(
        [formats.payload(kind, digest, chat_id="-100") for kind in chats], ensure_ascii=False
    )
    assert digest.timezone not in everything and "times in" not in everything
