"""Scorecard files (`scorecards/*.yaml`): their schema, loading and validation.

A scorecard lists sections of items a reviewer answers; an item may carry an automatic
check. Phrases are given per language; a check with no phrases for a call's language
cannot decide and asks for a human (needs review).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)


class AnswerType(enum.StrEnum):
    YES_NO = "yes_no"
    YES_NO_NA = "yes_no_na"
    SCALE_1_5 = "scale_1_5"

    @property
    def label(self) -> str:
        return {"yes_no": "Yes / no", "yes_no_na": "Yes / no / n/a", "scale_1_5": "Scale 1-5"}[self.value]


class Status(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    NA = "na"
    NEEDS_REVIEW = "needs_review"

    @property
    def label(self) -> str:
        return {"pass": "Pass", "fail": "Fail", "na": "N/A", "needs_review": "Needs review"}[self.value]


class SpeakerRole(enum.StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    ANY = "any"


class Metric(enum.StrEnum):
    TALK_RATIO = "talk_ratio"
    LONGEST_MONOLOGUE = "longest_monologue"
    SILENCE_SHARE = "silence_share"
    OVERTALK = "overtalk"
    WORDS_PER_MINUTE = "words_per_minute"
    CUSTOMER_TURNS = "customer_turns"

    @property
    def unit(self) -> str:
        return {
            "talk_ratio": "%",
            "longest_monologue": "s",
            "silence_share": "%",
            "overtalk": "%",
            "words_per_minute": "wpm",
            "customer_turns": "turns",
        }[self.value]

    @property
    def needs_speakers(self) -> bool:
        return self is not Metric.SILENCE_SHARE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Phrases = dict[str, list[str]]


def _trimmed(text: str) -> str:
    """Free text as a form sends it back: no surrounding blank lines, "\n" line ends (a
    YAML block scalar ends in a newline a browser's text box does not keep)."""
    return text.replace("\r\n", "\n").strip()


def _clean_phrases(value: Phrases) -> Phrases:
    _check_placeholders(value)
    cleaned: Phrases = {}
    for language, phrases in value.items():
        items = [p.strip() for p in phrases if p and p.strip()]
        if not items:
            raise ValueError(f"no phrases for language {language!r}")
        cleaned[language.strip().lower()] = items
    return cleaned


class Window(_Strict):
    """Where in the call a phrase counts: the first or last N seconds, or relative to
    where another item's evidence was found (`before: offer` = before the offer)."""

    first_seconds: float | None = Field(default=None, gt=0)
    last_seconds: float | None = Field(default=None, gt=0)
    after: str | None = None
    before: str | None = None


class PhraseCheck(_Strict):
    type: Literal["phrase"]
    mode: Literal["said", "not_said"] = "said"
    speaker: SpeakerRole = SpeakerRole.AGENT
    phrases: Phrases
    within: Window = Window()
    min_count: int = Field(default=1, ge=1)
    # "respect": a phrase right after a negation ("I can't offer you") does not count.
    # "ignore" suits phrases a negation cannot turn around (greetings, names).
    negation: Literal["respect", "ignore"] = "respect"
    # "lemma": any inflection counts. "exact": the words as written (lower-cased); use it
    # for forbidden lists, where "you should have received" is not "you should have".
    match: Literal["lemma", "exact"] = "lemma"
    # Longer phrases that contain a phrase but do not count as it ("you should have
    # received" for a forbidden "you should have"), per language; matched the same way.
    exceptions: Phrases = Field(default_factory=dict)

    _phrases = field_validator("phrases")(_clean_phrases)

    @field_validator("exceptions")
    @classmethod
    def _exceptions(cls, value: Phrases) -> Phrases:
        return _clean_phrases(
            {lang: phrases for lang, phrases in value.items() if any(p.strip() for p in phrases)}
        )


class QuestionCheck(_Strict):
    type: Literal["questions"]
    speaker: SpeakerRole = SpeakerRole.AGENT
    min_open: int = Field(default=2, ge=1)
    within: Window = Window()
    # Extra ways to open a question, on top of the built-in interrogatives per language.
    openers: Phrases = Field(default_factory=dict)


class ObjectionCheck(_Strict):
    type: Literal["objection"]
    objections: Phrases
    handling: Phrases
    within_turns: int = Field(default=2, ge=1, le=10)

    _objections = field_validator("objections", "handling")(_clean_phrases)


class MetricCheck(_Strict):
    type: Literal["metric"]
    metric: Metric
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _has_a_threshold(self) -> MetricCheck:
        if self.min is None and self.max is None:
            raise ValueError("a metric check needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is larger than max")
        return self


Check = Annotated[PhraseCheck | QuestionCheck | ObjectionCheck | MetricCheck, Field(discriminator="type")]


class NotApplicableWhen(_Strict):
    no_objection: bool = False
    call_shorter_than_s: float | None = Field(default=None, gt=0)
    item_not_passed: str | None = None


class Item(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=60)
    label: str = Field(min_length=1, max_length=200)
    guidance: str = ""
    weight: float = Field(default=1, gt=0)
    answer: AnswerType = AnswerType.YES_NO
    critical: bool = False
    check: Check | None = None
    not_applicable_when: NotApplicableWhen | None = None

    _guidance = field_validator("guidance")(lambda value: _trimmed(value))

    @model_validator(mode="after")
    def _na_needs_an_na_answer(self) -> Item:
        if self.not_applicable_when is not None and self.answer is not AnswerType.YES_NO_NA:
            raise ValueError("not_applicable_when needs answer: yes_no_na")
        if isinstance(self.check, ObjectionCheck) and self.answer is not AnswerType.YES_NO_NA:
            raise ValueError("an objection check is n/a when no objection is raised: use answer: yes_no_na")
        return self


class Section(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=60)
    title: str = Field(min_length=1, max_length=200)
    weight: float = Field(default=1, gt=0)
    items: list[Item] = Field(min_length=1)


class AppliesTo(_Strict):
    """Empty lists match everything; metadata values are matched against call metadata."""

    teams: list[str] = Field(default_factory=list)
    direction: Literal["inbound", "outbound"] | None = None
    metadata: dict[str, list[str]] = Field(default_factory=dict)
    priority: int = 0


class Scorecard(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)
    version: str | int = Field(default=1, union_mode="left_to_right")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    languages: list[str] = Field(min_length=1)
    applies_to: AppliesTo = AppliesTo()
    # Brand and product names given to the speech model so it spells them right.
    hotwords: dict[str, str] = Field(default_factory=dict)
    # Values of the {variables} its phrases and hotwords use, when the organisation has not
    # set them (Scorecards > Variables): per language, "*" for any; several names each.
    variables: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)

    _source_hash: str = PrivateAttr(default="")
    _description = field_validator("description")(lambda value: _trimmed(value))

    @field_validator("languages")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @field_validator("hotwords")
    @classmethod
    def _hotword_placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value.values():
            _placeholders_in(text)
        return value

    @field_validator("variables", mode="before")
    @classmethod
    def _variable_values(cls, value: Any) -> Any:
        """`company: Acme` and `company: {ru: Акме}` are short for lists per language."""
        if not isinstance(value, dict):
            return value
        out: dict[Any, Any] = {}
        for name, values in value.items():
            if not isinstance(name, str) or not VARIABLE_NAME.match(name) or name == PERSON:
                raise ValueError(
                    f"{name!r} is not a variable name (lower-case letters, digits, _; not 'name')"
                )
            per_language = values if isinstance(values, dict) else {"*": values}
            out[name] = {language: [v] if isinstance(v, str) else v for language, v in per_language.items()}
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Scorecard:
        ids = [item.id for item in self.items]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"item ids must be unique; repeated: {', '.join(duplicated)}")
        checked = {item.id for item in self.items if item.check is not None}
        for item in self.items:
            for reference in references(item):
                if reference not in ids:
                    raise ValueError(f"item {item.id!r} refers to unknown item {reference!r}")
                if reference == item.id:
                    raise ValueError(f"item {item.id!r} refers to itself")
                if reference not in checked:
                    raise ValueError(
                        f"item {item.id!r} refers to {reference!r}, which has no automatic check"
                    )
        cycle = _cycle(self.items)
        if cycle:
            raise ValueError("items refer to each other in a circle: " + " -> ".join(cycle))
        if len(str(self.version)) > 60:
            raise ValueError("version is longer than 60 characters")
        return self

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    def item(self, item_id: str) -> Item:
        return next(item for item in self.items if item.id == item_id)

    def section_of(self, item_id: str) -> Section:
        return next(s for s in self.sections if any(i.id == item_id for i in s.items))

    def content_hash(self) -> str:
        """A hash of the file's own data: adding an optional field to the schema later
        does not turn every unchanged file into a new revision."""
        if self._source_hash:
            return self._source_hash
        return _hash(self.model_dump(mode="json", exclude_defaults=True))


def _cycle(items: list[Item]) -> list[str]:
    """A loop of references between items (a before b, b before a), if there is one."""
    edges = {item.id: references(item) for item in items}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str]:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return []
        visiting.append(node)
        for nxt in edges.get(node, []):
            found = visit(nxt)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return []

    for item in items:
        found = visit(item.id)
        if found:
            return found
    return []


PLACEHOLDER = re.compile(r"\{([^}]*)\}")
VARIABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PERSON = "name"  # {name}: a person's name, matched at scoring time, never a variable


def _check_placeholders(value: Phrases) -> Phrases:
    for phrases in value.values():
        for phrase in phrases:
            _placeholders_in(phrase)
    return value


def _placeholders_in(text: str) -> list[str]:
    """The variable names in `text` (`{company}`); a malformed one is an error."""
    found = PLACEHOLDER.findall(text)
    for name in found:
        if not VARIABLE_NAME.match(name):
            raise ValueError(
                f"{{{name}}} in {text!r} is not a variable: use {{name}} for a person's name, or a "
                "variable such as {company} (lower-case letters, digits and _)"
            )
    return [n for n in found if n != PERSON]


def references(item: Item) -> list[str]:
    refs: list[str] = []
    check = item.check
    if isinstance(check, PhraseCheck | QuestionCheck):
        refs += [r for r in (check.within.after, check.within.before) if r]
    if item.not_applicable_when and item.not_applicable_when.item_not_passed:
        refs.append(item.not_applicable_when.item_not_passed)
    return refs


# Loading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scorecard file, located well enough to fix it."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.location}: {self.message}"
            if self.location
            else f"{self.file}: {self.message}"
        )


class ScorecardFileError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _location(data: Any, loc: tuple[str | int, ...]) -> str:
    """Where a pydantic error is, in the file's own names.

    `('sections', 0, 'items', 2, 'check', 'phrases')` -> `section opening > item greeting > check.phrases`
    """
    parts: list[str] = []
    node = data
    fields: list[str] = []
    index = 0
    while index < len(loc):
        key = loc[index]
        if key in ("sections", "items") and index + 1 < len(loc) and isinstance(loc[index + 1], int):
            position = int(loc[index + 1])
            node = node.get(key, []) if isinstance(node, dict) else []
            node = node[position] if isinstance(node, list) and position < len(node) else {}
            name = node.get("id") if isinstance(node, dict) else None
            parts.append(f"{key[:-1]} {name or f'#{position + 1}'}")
            index += 2
            continue
        if isinstance(node, dict):
            node = node.get(key, {})
        if not str(key).endswith("Check") and not str(key).startswith("function-"):
            fields.append(str(key))
        index += 1
    if fields:
        parts.append(".".join(fields))
    return " > ".join(parts)


def parse_scorecard(text: str, *, source: str) -> Scorecard:
    """Parse and validate one scorecard; ScorecardFileError lists every problem found."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScorecardFileError([Problem(source, "", f"not valid YAML: {exc}")]) from exc
    card = validate_definition(data, source=source)
    card._source_hash = _hash(data)
    return card


def validate_definition(data: Any, *, source: str) -> Scorecard:
    """A scorecard from its data (a parsed file, an editor's JSON); ScorecardFileError
    lists every problem, each located by section and item."""
    if not isinstance(data, dict):
        raise ScorecardFileError([Problem(source, "", "a scorecard is one mapping (id, title, sections...)")])
    try:
        card = Scorecard.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(source, _location(data, tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]
        raise ScorecardFileError(problems) from exc
    problems = [
        Problem(source, "", f"item {item_id} > check.{name}: no phrases for {', '.join(missing)}")
        for item_id, name, missing in language_gaps(card)
    ]
    if problems:
        raise ScorecardFileError(problems)
    return card


def canonical(card: Scorecard) -> dict[str, Any]:
    """The definition with every default spelled out: two cards that mean the same are equal."""
    return card.model_dump(mode="json")


def to_yaml(card: Scorecard) -> str:
    """The scorecard as a file for `scorecards/`: defaults left out, in the schema's order."""
    data = card.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def language_gaps(card: Scorecard) -> list[tuple[str, str, list[str]]]:
    """Every phrase list must cover every language the scorecard declares: (item, list,
    missing languages) for each one that does not."""
    gaps = []
    for item in card.items:
        check = item.check
        lists: dict[str, Phrases] = {}
        if isinstance(check, PhraseCheck):
            lists["phrases"] = check.phrases
        if isinstance(check, ObjectionCheck):
            lists = {"objections": check.objections, "handling": check.handling}
        for name, phrases in lists.items():
            missing = [lang for lang in card.languages if lang not in phrases]
            if missing:
                gaps.append((item.id, name, missing))
    return gaps


@dataclass(frozen=True)
class LoadedScorecards:
    cards: list[tuple[Path, Scorecard]]
    problems: list[Problem]


def load_folder(folder: Path) -> LoadedScorecards:
    """Every `*.yaml` in `folder`: the valid scorecards and the problems of the others."""
    cards: list[tuple[Path, Scorecard]] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            card = parse_scorecard(path.read_text(encoding="utf-8"), source=path.name)
        except ScorecardFileError as exc:
            problems.extend(exc.problems)
            continue
        if card.id in seen:
            problems.append(Problem(path.name, "id", f"{card.id!r} is already used by {seen[card.id].name}"))
            continue
        seen[card.id] = path
        cards.append((path, card))
    return LoadedScorecards(cards=cards, problems=problems)
