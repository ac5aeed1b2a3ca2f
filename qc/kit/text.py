"""Text the database will not store: refused with the same 422 on every backend.

PostgreSQL cannot hold the NUL character (U+0000) in text; SQLite can. Rather than a 500 on
one backend and a stored oddity on the other, every statement's string parameters are
checked before they reach the driver, whatever the surface (API, pages, command, jobs).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from qc.errors import InvalidInput

NUL = "\x00"


def _values(parameters: Any) -> Iterable[Any]:
    if isinstance(parameters, dict):
        return parameters.values()
    if isinstance(parameters, list | tuple):
        return parameters
    return ()


def _has_nul(parameters: Any, *, many: bool) -> bool:
    sets = parameters if many else [parameters]
    return any(isinstance(v, str) and NUL in v for p in sets for v in _values(p))


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_nul(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if _has_nul(parameters, many=executemany):
        raise InvalidInput("Text may not contain the NUL character (U+0000); remove it and send again")
