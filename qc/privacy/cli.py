"""`qc privacy`: mask transcripts stored before masking existed, run the retention policy.

Services are imported inside the commands, as in `qc.cli`, so `qc --help` stays quick."""

from __future__ import annotations

from typing import Annotated

import typer

privacy_app = typer.Typer(help="Personal data: masking and retention.", no_args_is_help=True)
retention_app = typer.Typer(help="The retention policy.", no_args_is_help=True)
privacy_app.add_typer(retention_app, name="retention")


@privacy_app.command("redact")
def redact(
    all_: Annotated[bool, typer.Option("--all", help="Every transcript not masked yet")] = False,
    call: Annotated[list[int] | None, typer.Option(help="Only this call (repeatable)")] = None,
) -> None:
    """Mask personal data in stored transcripts and recordings (after an upgrade; the worker
    also does it, a batch every 5 minutes)."""
    from qc.cli import _migrate
    from qc.config import get_settings
    from qc.db import session_scope
    from qc.kit.storage import get_storage
    from qc.privacy import redaction

    _migrate()
    if not all_ and not call:
        typer.secho("Error: name calls with --call, or pass --all", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    settings, storage = get_settings(), get_storage()
    if all_:
        with session_scope() as session:
            call_ids = redaction.pending(session)
    else:
        call_ids = list(call or [])
    done = failed = 0
    for call_id in call_ids:
        try:
            done += redaction.redact_stored(call_id, storage=storage, settings=settings)
        except Exception as exc:  # reported, and left for the next run
            failed += 1
            typer.secho(f"call {call_id}: {type(exc).__name__}: {exc}", fg=typer.colors.YELLOW, err=True)
    typer.echo(
        f"{done} transcript(s) masked, {len(call_ids) - done - failed} already masked, {failed} failed."
    )
    if failed:
        raise typer.Exit(1)


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be deleted; delete nothing")
    ] = False,
) -> None:
    """Apply the retention policy now (the worker runs it daily)."""
    from qc.cli import _migrate
    from qc.config import get_settings
    from qc.db import session_scope
    from qc.kit.storage import get_storage
    from qc.privacy import retention

    _migrate()
    with session_scope() as session:
        report = retention.run(
            session, storage=get_storage(), settings=get_settings(), trigger="command", dry_run=dry_run
        )
    verb = "would be deleted" if dry_run else "deleted"
    typer.echo(f"Original recordings {verb}: {len(report.originals_deleted)}")
    typer.echo(f"Masked recordings and transcripts {verb}: {len(report.redacted_deleted)}")
    disputed, calibrating = len(report.held_dispute), len(report.held_calibration)
    typer.echo(f"Kept: {disputed} under open dispute, {calibrating} in open calibration")
    for error in report.errors:
        typer.secho(f"failed: {error}", fg=typer.colors.YELLOW, err=True)
    if report.errors:
        raise typer.Exit(1)
