"""One formatter per kind of target, each within its receiver's documented limits.

- Slack incoming webhook, Block Kit: at most 50 blocks; a header's plain_text at most 150
  characters; a section's mrkdwn text at most 3000; `&`, `<` and `>` escaped in mrkdwn;
  a top-level `text` as the notification's fallback.
- Microsoft Teams Workflows webhook: an Adaptive Card (version 1.4) in a message's
  attachments; the whole payload at most 28 KB.
- Telegram bot API `sendMessage`: HTML parse mode (only `<b>` and `<a href>`, text escaped), at most 4096
  characters (counted as Telegram does, in UTF-16 code units, and before its entity
  parsing shortens the text: a safe upper bound).
- JSON webhook: the structured digest (`content.SCHEMA`) with its sections.

Each message ends with a link to the day's coverage report of the team when QC_PUBLIC_URL is
set (`report_url`; a Teams card's action, a Slack context link, a Telegram <a>), counted in
the limits like the rest. The digest holds no times, so the footer names no time zone.

When a limit would be passed, lists are shown in part with "and 12 more reps": whole
lines only, so no escape sequence, tag or character is ever cut in half.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from qc.digest.content import DayDigest, Section, link_text, sections, summary, title
from qc.digest.models import TargetKind

SLACK_MAX_BLOCKS = 50
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_FALLBACK_CHARS = 3000
TEAMS_MAX_BYTES = 28 * 1024
TEAMS_CARD_VERSION = "1.4"
TELEGRAM_MAX_UNITS = 4096
FOOTER = "Sent by qc"


def encode(payload: dict[str, Any]) -> bytes:
    """The body posted to the target, byte for byte."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def cut(parts: list[Section], cap: int) -> list[Section]:
    """Each section's first `cap` lines, then "and N more <noun>" for the rest."""
    shown = []
    for section in parts:
        hidden = len(section.lines) - cap
        if hidden > 0:
            noun = section.noun.removesuffix("s") if hidden == 1 else section.noun
            section = replace(section, lines=[*section.lines[:cap], f"and {hidden} more {noun}"])
        shown.append(section)
    return shown


def fit(parts: list[Section], fits: Callable[[list[Section]], bool]) -> list[Section]:
    """The sections with as many lines as `fits` allows (the same cap on every section, so
    the long lists are the ones cut)."""
    longest = max((len(s.lines) for s in parts), default=0)
    if fits(parts):
        return parts
    low, high = 0, longest - 1  # the largest cap that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if fits(cut(parts, middle)):
            low = middle
        else:
            high = middle - 1
    return cut(parts, low)


# Slack ------------------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters in mrkdwn (and in the fallback text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_text(section: Section) -> str:
    mark = ":warning: " if section.exception else ""
    lines = "\n".join(f"• {slack_escape(line)}" for line in section.lines)
    return f"{mark}*{slack_escape(section.title)}*\n{lines}"


def _slack_footer(digest: DayDigest) -> str:
    if digest.report_url is None:
        return slack_escape(FOOTER)
    return f"{slack_escape(FOOTER)} · <{slack_escape(digest.report_url)}|{slack_escape(link_text(digest))}>"


def slack(digest: DayDigest) -> dict[str, Any]:
    """A Block Kit message for a Slack-compatible incoming webhook."""
    parts = fit(sections(digest), lambda p: all(len(_slack_text(s)) <= SLACK_SECTION_CHARS for s in p))
    header = title(digest)[:SLACK_HEADER_CHARS]
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": header}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_text(s)}} for s in parts]
    blocks = blocks[: SLACK_MAX_BLOCKS - 1]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_footer(digest)}]})
    return {"text": slack_escape(summary(digest))[:SLACK_FALLBACK_CHARS], "blocks": blocks}


# Microsoft Teams ------------------------------------------------------------------------------------


def _teams_blocks(section: Section) -> list[dict[str, Any]]:
    heading = {
        "type": "TextBlock",
        "text": section.title,
        "weight": "Bolder",
        "wrap": True,
        "spacing": "Medium",
    }
    if section.exception:
        heading["color"] = "Attention"
    lines = {"type": "TextBlock", "text": "\n".join(f"- {line}" for line in section.lines), "wrap": True}
    return [heading, lines]


def _teams_message(digest: DayDigest, parts: list[Section]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": title(digest), "size": "Large", "weight": "Bolder", "wrap": True}
    ]
    for section in parts:
        body += _teams_blocks(section)
    body.append({"type": "TextBlock", "text": FOOTER, "isSubtle": True, "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": TEAMS_CARD_VERSION,
        "fallbackText": summary(digest),
        "body": body,
    }
    if digest.report_url is not None:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link_text(digest), "url": digest.report_url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def teams(digest: DayDigest) -> dict[str, Any]:
    """An Adaptive Card message for a Teams Workflows webhook, under 28 KB."""
    parts = fit(sections(digest), lambda p: len(encode(_teams_message(digest, p))) <= TEAMS_MAX_BYTES)
    return _teams_message(digest, parts)


# Telegram ---------------------------------------------------------------------------------------------


def telegram_units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _telegram_text(digest: DayDigest, parts: list[Section]) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    blocks = [f"<b>{esc(title(digest))}</b>"]
    for section in parts:
        mark = "⚠️ " if section.exception else ""
        lines = "\n".join(f"• {esc(line)}" for line in section.lines)
        blocks.append(f"{mark}<b>{esc(section.title)}</b>\n{lines}")
    if digest.report_url is not None:
        blocks.append(f'<a href="{html.escape(digest.report_url)}">{esc(link_text(digest))}</a>')
    return "\n\n".join(blocks)


def telegram(digest: DayDigest, chat_id: str) -> dict[str, Any]:
    """A `sendMessage` request in HTML parse mode, at most 4096 characters."""
    parts = fit(sections(digest), lambda p: telegram_units(_telegram_text(digest, p)) <= TELEGRAM_MAX_UNITS)
    return {
        "chat_id": chat_id,
        "text": _telegram_text(digest, parts),
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


# JSON -------------------------------------------------------------------------------------------------


def structured(digest: DayDigest) -> dict[str, Any]:
    """The structured digest, its one-line summary and its sections as text."""
    shown = [{"title": s.title, "lines": s.lines, "exception": s.exception} for s in sections(digest)]
    return {**digest.as_dict(), "summary": summary(digest), "title": title(digest), "sections": shown}


def payload(kind: TargetKind, digest: DayDigest, *, chat_id: str | None = None) -> dict[str, Any]:
    """What is posted to a target of `kind` (Telegram needs the chat's id)."""
    if kind is TargetKind.SLACK:
        return slack(digest)
    if kind is TargetKind.TEAMS:
        return teams(digest)
    if kind is TargetKind.TELEGRAM:
        return telegram(digest, chat_id or "<chat id>")
    return structured(digest)


def post_url(kind: TargetKind, url: str) -> str:
    """Where the payload is posted: Telegram's URL is the bot's ("…/bot<token>")."""
    return url.rstrip("/") + "/sendMessage" if kind is TargetKind.TELEGRAM else url
