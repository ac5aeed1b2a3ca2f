"""The scorecard editor's form: a definition as named fields, and the fields a browser posts
back as a definition again, with every problem attached to the field it is about.

Field names are paths: `title`, `s.0.title` (a section), `s.0.i.2.label` (an item),
`s.0.i.2.c.phrases.ru` (its check's Russian phrases), `s.0.i.2.na.item_not_passed`. The
keys of sections and items (`0`, `2`) only group fields: order is the order the fields
arrive in, so the page's scripts can add, move and remove blocks without renumbering
anything (a new block gets any unused key). A re-rendered form numbers blocks by position,
and problems are named by position too.

Lists are typed one per line (phrases) or separated by commas (languages, teams); a field
left empty leaves the schema's default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from qc.scoring.definitions import Scorecard

CHECK_TYPES = ("phrase", "questions", "objection", "metric")
PER_LANGUAGE = ("phrases", "exceptions", "openers", "objections", "handling")
WINDOW = ("first_seconds", "last_seconds", "after", "before")
_CHECK_FIELDS = {
    "phrase": ("mode", "speaker", "min_count", "negation", "match"),
    "questions": ("speaker", "min_open"),
    "objection": ("within_turns",),
    "metric": ("metric", "min", "max"),
}
_LISTS = {
    "phrase": ("phrases", "exceptions"),
    "questions": ("openers",),
    "objection": ("objections", "handling"),
}
_OPTIONAL_LISTS = ("openers", "exceptions")  # the others need phrases in every language
_WITH_WINDOW = ("phrase", "questions")
_ITEM_TEXT = ("id", "label", "guidance", "weight", "answer")
_TOP_FIELDS = {
    "applies_to": {"teams": "teams", "direction": "direction", "priority": "priority", "metadata": "meta"}
}
_FIELD_WORDS = {
    "meta": "call metadata",
    "hot": "hotwords",
    "var": "default names",
    "check": "automatic check",
    "first_seconds": "in the first seconds",
    "last_seconds": "in the last seconds",
    "item_not_passed": "n/a when item did not pass",
    "call_shorter_than_s": "n/a when the call is shorter than",
}
_MENTIONED_ITEM = re.compile(r"item '([a-z0-9_]+)'")


@dataclass
class EditorForm:
    """What the editor page shows: the definition (valid or not) and its problems by field."""

    data: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for the summary at the top of the page, in the form's order."""
        return [(name, message) for name, messages in self.errors.items() for message in messages]

    def broken(self, prefix: str) -> bool:
        """Whether any problem is about the block `prefix` (an item: `s.0.i.2`) or inside it."""
        return any(name == prefix or name.startswith(prefix + ".") for name in self.errors)

    def describe(self, name: str) -> str:
        """A field name in the words of the page: `s.0.i.2.c.phrases.ru` -> `Opening >
        Greets the customer > phrases (ru)`."""
        parts = name.split(".")
        words: list[str] = []
        if parts[0] == "s" and len(parts) >= 2 and parts[1].isdigit():
            section_list = sections(self.data)
            section = section_list[int(parts[1])] if int(parts[1]) < len(section_list) else {}
            words.append(str(section.get("title") or f"section {int(parts[1]) + 1}"))
            parts = parts[2:]
            if parts[:1] == ["i"] and len(parts) >= 2 and parts[1].isdigit():
                item_list = items_of(section)
                item = item_list[int(parts[1])] if int(parts[1]) < len(item_list) else {}
                words.append(str(item.get("label") or item.get("id") or f"item {int(parts[1]) + 1}"))
                parts = parts[2:]
        parts = [p for p in parts if p not in ("c", "na")]
        if parts:
            field_name = _FIELD_WORDS.get(parts[0], parts[0].replace("_", " "))
            words.append(f"{field_name} ({parts[1]})" if len(parts) > 1 else field_name)
        return " > ".join(words) or "scorecard"

    def languages(self) -> list[str]:
        """The languages to offer phrase boxes for: the card's, then any its lists name."""
        seen = [lang for lang in _as_list(self.data.get("languages")) if isinstance(lang, str)]
        for item in _items(self.data):
            check = item.get("check") or {}
            for name in PER_LANGUAGE:
                for lang in (check.get(name) or {}) if isinstance(check.get(name), dict) else {}:
                    if lang not in seen:
                        seen.append(lang)
        return seen


# Form -> definition --------------------------------------------------------------------------------


def definition_from_form(pairs: Iterable[tuple[str, str]], *, scorecard_id: str) -> dict[str, Any]:
    """The definition a posted editor form describes (not validated)."""
    fields: dict[str, str] = {}
    sections: dict[str, dict[str, Any]] = {}
    rows: dict[str, dict[str, dict[str, str]]] = {"meta": {}, "hot": {}, "var": {}}
    for name, value in pairs:
        parts = name.split(".")
        if parts[0] == "s" and len(parts) >= 3:
            section = sections.setdefault(parts[1], {"fields": {}, "items": {}})
            if parts[2] == "i" and len(parts) >= 5:
                section["items"].setdefault(parts[3], {})[".".join(parts[4:])] = value
            else:
                section["fields"][".".join(parts[2:])] = value
        elif parts[0] in rows and len(parts) == 3:
            rows[parts[0]].setdefault(parts[1], {})[parts[2]] = value
        else:
            fields[name] = value
    data: dict[str, Any] = {"id": scorecard_id}
    version = fields.get("version", "").strip()
    if version:
        data["version"] = int(version) if version.isdigit() and len(version) < 10 else version
    _text(data, "title", fields.get("title"))
    _text(data, "description", fields.get("description"))
    data["languages"] = codes(fields.get("languages", ""))
    applies: dict[str, Any] = {"teams": commas(fields.get("teams", ""))}
    _text(applies, "direction", fields.get("direction"))
    _text(applies, "priority", fields.get("priority"))
    metadata = {
        row.get("key", "").strip(): _lines(row.get("values", ""))
        for row in rows["meta"].values()
        if row.get("key", "").strip()
    }
    if metadata:
        applies["metadata"] = metadata
    data["applies_to"] = applies
    hotwords = {
        row.get("lang", "").strip().lower(): row.get("text", "").strip()
        for row in rows["hot"].values()
        if row.get("lang", "").strip() and row.get("text", "").strip()
    }
    if hotwords:
        data["hotwords"] = hotwords
    variables = _variables(rows["var"].values())
    if variables:
        data["variables"] = variables
    data["sections"] = [_section(s["fields"], s["items"]) for s in sections.values()]
    return data


def _variables(rows: Iterable[dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    variables: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        name, values = row.get("name", "").strip(), _lines(row.get("values", ""))
        if name and values:
            variables.setdefault(name, {})[row.get("lang", "").strip().lower() or "*"] = values
    return variables


def variables_from_form(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    """The organisation's variables from the variables page (rows `var.<key>.name|lang|values`)."""
    rows: dict[str, dict[str, str]] = {}
    for name, value in pairs:
        parts = name.split(".")
        if parts[0] == "var" and len(parts) == 3:
            rows.setdefault(parts[1], {})[parts[2]] = value
    return _variables(rows.values())


def variable_rows(values: Any) -> list[tuple[str, str, str]]:
    """(name, language or "" for any, values one per line) for the form's rows."""
    if not isinstance(values, dict):
        return []
    return [
        (str(name), "" if lang == "*" else str(lang), "\n".join(str(v) for v in _as_list(names)))
        for name, per_language in values.items()
        if isinstance(per_language, dict)
        for lang, names in per_language.items()
    ]


def _section(fields: dict[str, str], items: dict[str, dict[str, str]]) -> dict[str, Any]:
    section: dict[str, Any] = {}
    for name in ("id", "title", "weight"):
        _text(section, name, fields.get(name))
    section["items"] = [_item(values) for values in items.values()]
    return section


def _item(values: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in _ITEM_TEXT:
        _text(item, name, values.get(name))
    if "label" in item:  # one line, however the box wrapped it
        item["label"] = " ".join(item["label"].split())
    item["critical"] = values.get("critical") == "on"
    kind = values.get("check", "")
    if kind in CHECK_TYPES:
        item["check"] = _check(kind, {k[2:]: v for k, v in values.items() if k.startswith("c.")})
    na: dict[str, Any] = {}
    if values.get("na.no_objection") == "on":
        na["no_objection"] = True
    _text(na, "call_shorter_than_s", values.get("na.call_shorter_than_s"))
    _text(na, "item_not_passed", values.get("na.item_not_passed"))
    if na:
        item["not_applicable_when"] = na
    return item


def _check(kind: str, values: dict[str, str]) -> dict[str, Any]:
    check: dict[str, Any] = {"type": kind}
    for name in _CHECK_FIELDS[kind]:
        _text(check, name, values.get(name))
    for name in _LISTS.get(kind, ()):
        per_language = {
            key.split(".", 1)[1].strip().lower(): _lines(value)
            for key, value in values.items()
            if key.startswith(name + ".") and _lines(value)
        }
        if per_language or name not in _OPTIONAL_LISTS:
            check[name] = per_language
    if kind in _WITH_WINDOW:
        window: dict[str, Any] = {}
        for name in WINDOW:
            _text(window, name, values.get(name))
        if window:
            check["within"] = window
    return check


def _text(target: dict[str, Any], name: str, value: str | None) -> None:
    if value is not None and value.strip():
        target[name] = value.replace("\r\n", "\n").strip()


def commas(value: str) -> list[str]:
    """`North, South-East` -> ['North', 'South-East'] (names may hold spaces)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def codes(value: str) -> list[str]:
    """`en, ru it` -> ['en', 'ru', 'it']."""
    return [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]  # \r\n too


# Validation -> problems by field ---------------------------------------------------------------------


def check_form(data: dict[str, Any]) -> tuple[Scorecard | None, EditorForm]:
    """The scorecard, or None and the form with every problem next to its field."""
    form = EditorForm(data)
    card = None
    try:
        card = Scorecard.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            name = field_of(tuple(error["loc"]))
            _attach(form, name, _plain(error["msg"].removeprefix("Value error, "), name))
        # The whole-card rules run only once every field is valid: repeated ids are told now.
        ids = item_ids(data)
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated and not any(m.startswith("item ids must be unique") for m in form.errors.get("", [])):
            _attach(form, "", f"item ids must be unique; repeated: {', '.join(repeated)}")
    for position, list_name, lang in _gaps(data):  # found even when other fields are wrong
        _attach(form, f"{position}.c.{list_name}.{lang}", f"no phrases for {lang}")
    return (None if form.errors else card), form


def _gaps(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(item position, list, language) for each phrase list that misses a card language;
    the same rule as `definitions.language_gaps`, on a definition that may not validate."""
    languages = [lang for lang in _as_list(data.get("languages")) if isinstance(lang, str)]
    gaps = []
    for s, section in enumerate(sections(data)):
        for i, item in enumerate(items_of(section)):
            raw = item.get("check")
            check: dict[str, Any] = raw if isinstance(raw, dict) else {}
            lists = {"phrase": ("phrases",), "objection": ("objections", "handling")}.get(
                str(check.get("type")), ()
            )
            for name in lists:
                listed = check.get(name)
                given: dict[str, Any] = listed if isinstance(listed, dict) else {}
                gaps += [(f"s.{s}.i.{i}", name, lang) for lang in languages if lang not in given]
    return gaps


_PLAIN = (
    ("Field required", "Fill this in"),
    ("String should have at least 1 character", "Fill this in"),
    ("String should match pattern", "Use lower-case letters, digits and _ only"),
    ("Input should be a valid number", "Enter a number"),
    ("Input should be a valid integer", "Enter a whole number"),
    ("Input should be greater than or equal to", "Enter a larger number: at least"),
    ("Input should be greater than", "Enter a number above"),
    ("Input should be less than or equal to", "Enter a smaller number: at most"),
)


def _plain(message: str, name: str) -> str:
    """A validator's message in the words of the form."""
    if message.startswith("List should have at least 1 item"):
        return {
            "sections": "A scorecard needs at least one section",
            "languages": "Give at least one language",
        }.get(name, "A section needs at least one item")
    for raw, plain in _PLAIN:
        if message.startswith(raw):
            number = message.removeprefix(raw).strip()
            return f"{plain} {number}".strip() if plain.endswith(("least", "above", "most")) else plain
    return message


def _attach(form: EditorForm, name: str, message: str) -> None:
    if name == "":
        mentioned = _MENTIONED_ITEM.findall(message)
        name = _position(form.data, mentioned[0]) if mentioned else ""
        if message.startswith("item ids must be unique"):
            repeated = message.rsplit(":", 1)[-1].split(",")
            for item_id in (r.strip() for r in repeated):
                for position in _positions(form.data, item_id):
                    form.errors.setdefault(f"{position}.id", []).append("another item has this id")
    form.errors.setdefault(name, []).append(message)


def _positions(data: dict[str, Any], item_id: str) -> list[str]:
    return [
        f"s.{s}.i.{i}"
        for s, section in enumerate(_as_list(data.get("sections")))
        for i, item in enumerate(_as_list(section.get("items") if isinstance(section, dict) else None))
        if isinstance(item, dict) and item.get("id") == item_id
    ]


def _position(data: dict[str, Any], item_id: str) -> str:
    found = _positions(data, item_id)
    return found[0] if found else ""


def field_of(loc: tuple[str | int, ...]) -> str:
    """The form field a pydantic error location is about.

    ('sections', 0, 'items', 2, 'check', 'phrase', 'phrases', 'ru') -> 's.0.i.2.c.phrases.ru'
    """
    parts = list(loc)
    if parts[:1] != ["sections"]:
        if parts[:1] == ["applies_to"] and len(parts) > 1:
            return _TOP_FIELDS["applies_to"].get(str(parts[1]), "teams")
        return {"hotwords": "hot", "variables": "var"}.get(str(parts[0]), str(parts[0])) if parts else ""
    if len(parts) < 2:
        return "sections"
    name = f"s.{parts[1]}"
    rest = parts[2:]
    if rest[:1] != ["items"]:
        return f"{name}.{rest[0]}" if rest else name
    if len(rest) < 2:
        return f"{name}.items"
    name += f".i.{rest[1]}"
    rest = rest[2:]
    if rest[:1] == ["check"]:
        rest = [r for r in rest[1:] if r not in CHECK_TYPES and r != "within"]
        if not rest:
            return f"{name}.check"
        if rest[0] in PER_LANGUAGE and len(rest) > 1:
            return f"{name}.c.{rest[0]}.{rest[1]}"
        return f"{name}.c.{rest[0]}"
    if rest[:1] == ["not_applicable_when"]:
        return f"{name}.na.{rest[1]}" if len(rest) > 1 else name
    return f"{name}.{rest[0]}" if rest else name


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item
        for section in _as_list(data.get("sections"))
        if isinstance(section, dict)
        for item in _as_list(section.get("items"))
        if isinstance(item, dict)
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# Definition -> what the fields show ------------------------------------------------------------------


def text(value: Any) -> str:
    """A value as a field shows it: 1.0 -> "1", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def lines(value: Any) -> str:
    """A list as a text box shows it: one per line."""
    return "\n".join(str(v) for v in _as_list(value))


def sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(data.get("sections")) if isinstance(s, dict)]


def items_of(section: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in _as_list(section.get("items")) if isinstance(i, dict)]


def item_ids(data: dict[str, Any]) -> list[str]:
    return [str(i.get("id")) for i in _items(data) if i.get("id")]


def rows(value: Any) -> list[tuple[str, str]]:
    """A mapping as (key, value) rows: hotwords, metadata (values one per line)."""
    if not isinstance(value, dict):
        return []
    return [(str(k), lines(v) if isinstance(v, list) else text(v)) for k, v in value.items()]
