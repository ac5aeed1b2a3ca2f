"""File names that come from clients, made safe to store, show and send back.

A browser or a script may send any string as a file name: a Windows path
(`C:\\Users\\ana\\call.mp3`, `..\\..\\evil.wav`), control characters (NUL, newlines that
would split a header or a log line), a right-to-left override (U+202E) that makes a name
read backwards on screen, or thousands of characters. What is kept is the last path
component without those; letters of any script stay (`Înregistrare Ștefan.wav`,
`Звонок Иванова.mp3`).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 200  # characters; the column holds 300 and file systems 255 bytes
_MAX_SUFFIX_LENGTH = 16
# Characters Windows refuses in names, and quotes that would end a header's quoted string.
_RESERVED = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
# Unicode categories that draw nothing or reorder what follows: controls, formats (bidi
# overrides, zero-width characters), surrogates, unassigned, private use, line separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zl", "Zp"})


def printable(text: str) -> str:
    """`text` without control, format and other invisible characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    visible = "".join(c if unicodedata.category(c) not in _INVISIBLE else " " for c in text)
    return _SPACES.sub(" ", visible).strip()


def safe_filename(name: str | None, *, default: str = "recording") -> str:
    """The base name of a client-supplied file name, safe to store and to send back."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _RESERVED.sub("_", printable(base)).strip(" .")  # no hidden files, no '..'
    if not base.strip("_"):
        return default
    if len(base) <= MAX_NAME_LENGTH:
        return base
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and len(suffix) <= _MAX_SUFFIX_LENGTH:
        return f"{stem[: MAX_NAME_LENGTH - len(suffix) - 1].rstrip(' .')}.{suffix}"
    return base[:MAX_NAME_LENGTH].rstrip(" .")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition value naming `filename` (RFC 6266): an ASCII fallback for old
    clients and the exact UTF-8 name for the rest."""
    name = safe_filename(filename, default="download")
    letters = (c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    fallback = re.sub(r"[^A-Za-z0-9._ ()-]", "_", "".join(letters)).strip(" .") or "download"
    kind = "inline" if inline else "attachment"
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
