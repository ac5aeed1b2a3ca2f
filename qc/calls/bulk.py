"""Bulk import of recordings from a folder and a CSV manifest (`qc ingest`)."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from tqdm import tqdm

from qc.calls import service
from qc.calls.schemas import CallMeta
from qc.config import get_settings
from qc.db import session_scope
from qc.errors import InvalidInput, QCError
from qc.kit.filenames import printable
from qc.kit.storage import get_storage
from qc.kit.timeutil import parse_datetime
from qc.users import service as users
from qc.users.models import Role
from qc.users.schemas import Principal

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("file", "rep", "started_at", "direction", "channels")
KNOWN_COLUMNS = {*REQUIRED_COLUMNS, "language", "external_id", "metadata"}


@dataclass
class ImportReport:
    imported: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, file, reason)


def _uploader(as_user: str | None) -> Principal:
    with session_scope() as session:
        if as_user:
            person = users.find_person(session, as_user)
            if person is None:
                raise InvalidInput(f"No user {as_user!r} to import as")
        else:
            admins = [u for u in users.list_all(session, role=Role.ADMIN) if u.is_active]
            if not admins:
                raise InvalidInput("There is no administrator to import as; create one or pass --as")
            person = admins[0]
        return users.principal_for(session, person)


def _meta(row: dict[str, str]) -> CallMeta:
    extra = {k: v for k, v in row.items() if k and k not in KNOWN_COLUMNS and v not in (None, "")}
    metadata = {**extra, **service.parse_metadata(row.get("metadata"))}
    try:
        return CallMeta(
            rep=row["rep"],
            started_at=parse_datetime(row["started_at"] or "", field="started_at"),
            direction=service.parse_direction(row["direction"] or ""),
            channels=service.parse_layout(row["channels"] or ""),
            language=row.get("language") or None,
            external_id=row.get("external_id") or None,
            metadata=metadata,
        )
    except ValidationError as exc:
        raise InvalidInput(str(exc.errors()[0]["msg"])) from exc


def _resolve(directory: Path, name: str) -> Path:
    path = (directory / name).resolve()
    if not path.is_relative_to(directory.resolve()):
        raise InvalidInput("the file must be inside the import folder")
    if not path.is_file():
        raise InvalidInput("file not found")
    return path


def import_manifest(
    directory: Path, manifest: Path, *, as_user: str | None = None, progress: bool = False
) -> ImportReport:
    """Import every row; each recording is its own transaction, so one bad file loses nothing else."""
    settings, storage = get_settings(), get_storage()
    principal = _uploader(as_user)
    with manifest.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"The manifest lacks the column(s): {', '.join(missing)}")
        rows = list(enumerate(reader, start=2))
    report = ImportReport()
    for line, row in tqdm(rows, disable=not progress, unit="call", desc="Importing"):
        name = row.get("file") or ""
        shown = printable(name)  # the report goes to a terminal: no escape sequences
        try:
            path = _resolve(directory, name)
            meta = _meta(row)
            with session_scope() as session, path.open("rb") as source:
                result = service.ingest_recording(
                    session,
                    principal=principal,
                    source=source,
                    filename=path.name,
                    meta=meta,
                    settings=settings,
                    storage=storage,
                )
                call_id = result.call.id
            (report.imported if result.created else report.duplicates).append(call_id)
        except QCError as exc:
            report.rejected.append((line, shown, exc.message))
        except Exception as exc:  # one broken row must not stop the import; details in the log
            log.exception("ingest: line %s (%s) failed", line, shown)
            report.rejected.append((line, shown, f"unexpected error ({type(exc).__name__}); see the log"))
    return report
