"""Scorecard rules in plain words, for the scorecard pages and reviewers."""

from __future__ import annotations

from qc.scoring.definitions import (
    Item,
    Metric,
    MetricCheck,
    ObjectionCheck,
    PhraseCheck,
    QuestionCheck,
    Scorecard,
    SpeakerRole,
    Window,
)

_WHO = {SpeakerRole.AGENT: "The agent", SpeakerRole.CUSTOMER: "The customer", SpeakerRole.ANY: "Someone"}
_METRICS = {
    Metric.TALK_RATIO: "The agent's share of the talking",
    Metric.LONGEST_MONOLOGUE: "The agent's longest uninterrupted stretch",
    Metric.SILENCE_SHARE: "The share of the call with nobody speaking",
    Metric.OVERTALK: "The share of the call with both speaking at once",
    Metric.WORDS_PER_MINUTE: "The agent's speaking rate",
    Metric.CUSTOMER_TURNS: "The number of times the customer speaks",
}


def window(within: Window) -> str:
    parts = []
    if within.first_seconds:
        parts.append(f"in the first {within.first_seconds:g} seconds")
    if within.last_seconds:
        parts.append(f"in the last {within.last_seconds:g} seconds")
    if within.after:
        parts.append(f"after “{within.after}”")
    if within.before:
        parts.append(f"before “{within.before}”")
    return " and ".join(parts)


def rule(item: Item) -> str:
    """One or two sentences saying what the automatic check does."""
    check = item.check
    if check is None:
        return "Answered by the reviewer; no automatic check."
    if isinstance(check, PhraseCheck):
        where = window(check.within)
        times = f" at least {check.min_count} times" if check.min_count > 1 else ""
        if check.mode == "said":
            text = f"{_WHO[check.speaker]} says one of the phrases{times}{' ' + where if where else ''}."
        else:
            text = f"{_WHO[check.speaker]} never says any of the phrases{' ' + where if where else ''}."
        if check.negation == "respect":
            text += " A phrase right after a negation (“I can't offer you…”) does not count."
    elif isinstance(check, QuestionCheck):
        where = window(check.within)
        text = (
            f"{_WHO[check.speaker]} asks at least {check.min_open} open question"
            f"{'s' if check.min_open > 1 else ''} (what, how, why, tell me…){' ' + where if where else ''}."
        )
    elif isinstance(check, ObjectionCheck):
        text = (
            f"When the customer objects, the agent answers with a handling phrase within their next "
            f"{check.within_turns} turn{'s' if check.within_turns > 1 else ''}. "
            "Not applicable when the customer raises no objection."
        )
    else:
        assert isinstance(check, MetricCheck)
        limits = []
        if check.min is not None:
            limits.append(f"at least {check.min:g} {check.metric.unit}")
        if check.max is not None:
            limits.append(f"at most {check.max:g} {check.metric.unit}")
        text = f"{_METRICS[check.metric]} is {' and '.join(limits)}."
    return text + _not_applicable(item)


def _not_applicable(item: Item) -> str:
    rule_ = item.not_applicable_when
    if rule_ is None:
        return ""
    parts = []
    if rule_.no_objection:
        parts.append("the customer raised no objection")
    if rule_.call_shorter_than_s:
        parts.append(f"the call is shorter than {rule_.call_shorter_than_s:g} seconds")
    if rule_.item_not_passed:
        parts.append(f"“{rule_.item_not_passed}” did not pass")
    return " Not applicable when " + " or ".join(parts) + "."


def applies_to(card: Scorecard) -> str:
    rule_ = card.applies_to
    parts = [f"{rule_.direction} calls" if rule_.direction else "all calls"]
    if rule_.teams:
        parts.append("of " + ", ".join(rule_.teams))
    for key, values in rule_.metadata.items():
        parts.append(f"where {key} is {' or '.join(values)}")
    return " ".join(parts).capitalize()
