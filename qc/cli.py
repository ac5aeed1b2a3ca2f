"""The `qc` command. Thin: each command opens one transaction and calls services."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from qc.config import get_settings
from qc.privacy.cli import privacy_app

app = typer.Typer(
    help="qc: call quality control. Every command reads the same QC_* settings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
team_app = typer.Typer(help="Manage teams.", no_args_is_help=True)
user_app = typer.Typer(help="Manage people.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens for integrations.", no_args_is_help=True)
scorecards_app = typer.Typer(
    help="Check, load and apply scorecards (scorecards/*.yaml).", no_args_is_help=True
)
app.add_typer(team_app, name="team")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(scorecards_app, name="scorecards")
queue_app = typer.Typer(help="The daily review queue.", no_args_is_help=True)
app.add_typer(queue_app, name="queue")
training_app = typer.Typer(help="Training records.", no_args_is_help=True)
app.add_typer(training_app, name="training")
board_app = typer.Typer(help="The wall board's display links.", no_args_is_help=True)
app.add_typer(board_app, name="board")
report_app = typer.Typer(help="Reports: daily QC coverage.", no_args_is_help=True)
app.add_typer(report_app, name="report")
digest_app = typer.Typer(
    help="The evening digest: targets, previews, posting a day now.", no_args_is_help=True
)
app.add_typer(digest_app, name="digest")
app.add_typer(privacy_app, name="privacy")
digest_target_app = typer.Typer(help="Where a team's digest is posted.", no_args_is_help=True)
digest_app.add_typer(digest_target_app, name="target")

log = logging.getLogger("qc.cli")


def _fail(message: str, code: int = 1) -> None:
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _migrate() -> None:
    """Bring the database up to date: schema migrations, then the scorecard files."""
    from qc.db import get_engine
    from qc.kit.logging import configure_logging
    from qc.migrations import upgrade
    from qc.scoring.service import sync_from_settings
    from qc.wiring import wire

    settings = get_settings()
    configure_logging(settings)
    settings.ensure_dirs()
    wire()
    upgrade(get_engine())
    sync_from_settings(settings.scorecards_dir)


@app.command()
def migrate() -> None:
    """Apply database migrations (also done by `serve` at start-up)."""
    _migrate()
    from qc.db import get_engine
    from qc.migrations import current_revision

    typer.echo(f"Database is at revision {current_revision(get_engine())}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the job worker as well (see QC_PIPELINE_IN)")
    ] = True,
    processes: Annotated[
        int | None, typer.Option(min=1, max=64, help="Web processes (default QC_WEB_PROCESSES)")
    ] = None,
) -> None:
    """Run the web app (and, unless --no-worker, the embedded job worker).

    With one web process the worker's quick lane runs inside it; with several (the
    default), this process starts them, runs the quick lane itself and stops them all
    together. The pipeline lane runs in a child process either way (QC_PIPELINE_IN).
    """
    import uvicorn

    from qc.app import create_app
    from qc.wiring import EmbeddedJobs

    _migrate()
    settings = get_settings()
    processes = processes or settings.web_processes
    run_worker = worker and settings.embedded_worker
    typer.echo(f"qc is listening on http://{host}:{port}  (data: {settings.data_dir.resolve()})")
    # The app reads X-Forwarded-For itself, from QC_TRUSTED_PROXIES only.
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "proxy_headers": False}
    if processes == 1:
        uvicorn.run(create_app(settings, run_worker=run_worker), **options)
        return
    jobs = EmbeddedJobs(settings).start() if run_worker else None
    try:
        uvicorn.run("qc.app:web_app", factory=True, workers=processes, **options)
    finally:
        if jobs is not None:
            jobs.stop()


@app.command()
def worker(
    workers: Annotated[int | None, typer.Option(help="Pipeline threads (default QC_WORKERS)")] = None,
    queues: Annotated[
        str,
        typer.Option(
            help="Lanes to serve, comma-separated: pipeline (transcription, scoring) and quick "
            "(events, queue refreshes, the reaper). A GPU machine serves pipeline; one small "
            "machine serves quick."
        ),
    ] = "pipeline,quick",
    periodic: Annotated[bool, typer.Option(help="Run periodic tasks (on the quick lane)")] = True,
    nice: Annotated[
        int, typer.Option(min=0, max=19, help="Lower this process's CPU priority by this much (Unix nice)")
    ] = 0,
    stop_with_stdin: Annotated[
        bool, typer.Option(hidden=True, help="Stop when stdin closes (the parent `qc serve` is gone)")
    ] = False,
    ready_file: Annotated[
        Path | None,
        typer.Option(
            help="Create this file once the worker is ready (models loaded, consumers started) and "
            "remove it when it stops: a container health check tests for it"
        ),
    ] = None,
) -> None:
    """Run a job worker for the chosen lanes until stopped.

    A pipeline worker loads its speech models and language tools first (QC_WARM_UP) and
    takes no call before they are loaded."""
    import gc
    import os
    import signal
    import threading

    from qc.jobs.queue import parse_lanes
    from qc.wiring import worker as make_worker

    try:
        lanes = parse_lanes(queues)
    except ValueError as exc:
        _fail(str(exc), code=2)
        return
    _migrate()
    settings = get_settings()
    if workers:
        settings = settings.model_copy(update={"workers": workers})
    if nice:
        os.nice(nice)
    handle = make_worker(lanes, periodic=periodic, workers=settings.workers)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if stop_with_stdin:
        from qc.jobs.child import watch_stdin

        watch_stdin(stop.set)
    handle.start()
    # What is alive now (models, language tables, modules) lives as long as the worker: keep
    # the collector from rescanning it, as faster-whisper's decoding collects on every call.
    gc.freeze()
    ready = f"; ready: {handle.readiness.describe()}" if handle.readiness is not None else ""
    typer.echo(f"qc worker serving {', '.join(lanes)}{ready}; stop with Ctrl-C")
    if ready_file is not None:
        ready_file.parent.mkdir(parents=True, exist_ok=True)
        ready_file.write_text(f"{os.getpid()}\n")
    try:
        stop.wait()
    finally:
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
        handle.stop()


@app.command()
def ingest(
    directory: Annotated[
        Path, typer.Argument(help="Folder with the recordings", exists=True, file_okay=False)
    ],
    manifest: Annotated[
        Path,
        typer.Option(
            help="CSV with columns file, rep, started_at, direction, channels "
            "[, language, external_id, metadata]; other columns go into metadata",
            exists=True,
            dir_okay=False,
        ),
    ],
    as_user: Annotated[
        str | None, typer.Option("--as", help="Email of the uploader (default: the first administrator)")
    ] = None,
) -> None:
    """Bulk-import recordings listed in a manifest, with a progress bar and a summary."""
    from qc.calls.bulk import import_manifest
    from qc.errors import QCError

    _migrate()
    try:
        report = import_manifest(directory, manifest, as_user=as_user, progress=True)
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo("")
    typer.echo(
        f"Imported: {len(report.imported)}   Duplicates: {len(report.duplicates)}   "
        f"Rejected: {len(report.rejected)}"
    )
    for row, name, reason in report.rejected:
        typer.secho(f"  line {row}: {name}: {reason}", fg=typer.colors.YELLOW)
    if report.rejected:
        raise typer.Exit(1)


@team_app.command("create")
def team_create(
    name: Annotated[str, typer.Argument(help="Team name")],
    language: Annotated[str | None, typer.Option(help="Language of the team's calls (ISO 639-1)")] = None,
) -> None:
    """Create a team."""
    from qc.db import session_scope
    from qc.errors import QCError
    from qc.users import service

    _migrate()
    try:
        with session_scope() as session:
            team = service.create_team(session, name=name, language=language)
            typer.echo(f"Created team {team.name} (id {team.id}).")
    except QCError as exc:
        _fail(exc.message)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    name: Annotated[str, typer.Option(help="Full name")],
    role: Annotated[str, typer.Option(help="admin, qc_lead, reviewer, manager or rep")],
    password: Annotated[
        str | None, typer.Option(help="At least 10 characters; omit for a token-only account")
    ] = None,
    team: Annotated[str | None, typer.Option(help="Team name (required for reps)")] = None,
    manages: Annotated[list[str] | None, typer.Option(help="Team a manager supervises (repeatable)")] = None,
    external_id: Annotated[str | None, typer.Option(help="The id your phone system uses")] = None,
) -> None:
    """Create a person."""
    from qc.db import session_scope
    from qc.errors import QCError
    from qc.users import service

    _migrate()
    try:
        with session_scope() as session:
            user = service.create_user(
                session,
                email=email,
                name=name,
                role=role,
                password=password,
                team=team,
                external_id=external_id,
                managed_teams=manages or [],
            )
            typer.echo(f"Created {user.role.value} {user.name} <{user.email}> (id {user.id}).")
    except QCError as exc:
        _fail(exc.message)


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="Email of the user the token acts as")],
    name: Annotated[str, typer.Option(help="A label, e.g. the integration's name")] = "cli",
) -> None:
    """Create an API token; the token is printed on the last line, once."""
    from qc.db import session_scope
    from qc.errors import QCError
    from qc.users import service

    _migrate()
    try:
        with session_scope() as session:
            person = service.find_person(session, user)
            if person is None:
                _fail(f"No user with email {user}")
                return
            token = service.create_api_token(session, user=person, name=name)
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo(f"Token {name!r} for {user} (shown once; store it safely):", err=True)
    typer.echo(token)


@scorecards_app.command("check")
def scorecards_check(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder of scorecard files (default QC_SCORECARDS_DIR)")
    ] = None,
) -> None:
    """Validate every scorecard file; errors name the file, the item and the field."""
    from qc.scoring.definitions import load_folder

    folder = folder or get_settings().scorecards_dir
    loaded = load_folder(folder)
    for path, card in loaded.cards:
        checks = sum(1 for item in card.items if item.check is not None)
        typer.echo(
            f"ok  {path.name}: {card.id} v{card.version}, {len(card.items)} items ({checks} checked), "
            f"languages {', '.join(card.languages)}"
        )
    for problem in loaded.problems:
        typer.secho(f"err {problem}", fg=typer.colors.RED, err=True)
    if loaded.problems:
        raise typer.Exit(1)
    if not loaded.cards:
        _fail(f"No scorecard files (*.yaml) in {folder}")


@scorecards_app.command("sync")
def scorecards_sync() -> None:
    """Load changed scorecard files as new revisions (also done at every start)."""
    from qc.db import get_engine
    from qc.migrations import upgrade
    from qc.scoring.service import sync_from_settings

    settings = get_settings()
    settings.ensure_dirs()
    upgrade(get_engine())
    report = sync_from_settings(settings.scorecards_dir)
    for line in report.added:
        typer.echo(f"new      {line}")
    for line in report.unchanged:
        typer.echo(f"current  {line}")
    for line in report.retired:
        typer.echo(f"retired  {line}")
    for line in report.problems:
        typer.secho(f"error    {line}", fg=typer.colors.RED, err=True)
    if report.problems:
        raise typer.Exit(1)


@scorecards_app.command("rescore")
def scorecards_rescore(
    scorecard: Annotated[
        str | None, typer.Argument(help="Only calls of this scorecard (default: all)")
    ] = None,
    now: Annotated[bool, typer.Option(help="Score them in this process instead of queueing")] = False,
) -> None:
    """Re-score calls with the current scorecards, without transcribing them again."""
    from qc.db import session_scope
    from qc.errors import QCError
    from qc.jobs.queue import drain
    from qc.scoring.service import rescore

    _migrate()
    try:
        with session_scope() as session:
            count = rescore(session, None, scorecard_id=scorecard)
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo(f"{count} call(s) queued for re-scoring.")
    if now and count:
        drain()
        typer.echo("Done.")


@queue_app.command("build")
def queue_build(
    day: Annotated[
        str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: today in QC_TIMEZONE)")
    ] = None,
    now: Annotated[
        bool, typer.Option("--now", help="Draw every remaining pick now from the calls already in")
    ] = False,
) -> None:
    """Build (or top up) a day's review queue; safe to run again. A day that is over is closed."""
    from datetime import date

    from qc.db import session_scope, utcnow
    from qc.errors import QCError
    from qc.reviews import builder, service
    from qc.reviews.policy import local_today

    _migrate()
    settings = get_settings()
    try:
        target = date.fromisoformat(day) if day else local_today(service.default_policy(settings), utcnow())
    except ValueError:
        _fail("--date must look like 2026-11-23")
        return
    try:
        with session_scope() as session:
            report = builder.build_queue(session, day=target, settings=settings, draw_now=now)
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo(
        f"{target}: {report.picked} picked, {report.assigned} assigned to reviewers"
        + (f", {report.pooled_assigned} waiting picks handed out" if report.pooled_assigned else "")
    )
    for team in report.closed:
        typer.echo(f"  closed {team}")
    if report.rolled_over or report.missed:
        typer.echo(f"  {report.rolled_over} unfinished rolled over, {report.missed} missed")
    for team, why in report.skipped.items():
        typer.echo(f"  skipped {team}: {why}")


@queue_app.command("status")
def queue_status(
    day: Annotated[str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Per rep: target, picked, assigned, done and, when short, why."""
    from datetime import date

    from qc.db import session_scope, utcnow
    from qc.reviews import coverage, service
    from qc.reviews.policy import local_today

    _migrate()
    settings = get_settings()
    try:
        target = date.fromisoformat(day) if day else local_today(service.default_policy(settings), utcnow())
    except ValueError:
        _fail("--date must look like 2026-11-23")
        return
    with session_scope() as session:
        result = coverage.coverage(session, None, day=target, settings=settings)
        typer.echo(f"{'rep':<28}{'team':<22}{'target':>7}{'picked':>7}{'assigned':>9}{'done':>6}  short")
        for rep in result.reps:
            reason = f"{rep.shortfall} ({rep.reason.label.lower()})" if rep.shortfall and rep.reason else ""
            typer.echo(
                f"{rep.rep.name[:27]:<28}{rep.team.name[:21]:<22}{rep.target:>7}{rep.picked:>7}"
                f"{rep.assigned:>9}{rep.done:>6}  {reason}"
            )
        totals = result.totals
        typer.echo(
            f"{totals['assigned']} of {totals['target']} reviews assigned, {totals['done']} done; "
            f"{totals['reps_short']} rep(s) short"
        )


@board_app.command("link")
def board_link(
    team: Annotated[str, typer.Option("--team", help="The team, by name or id")],
    label: Annotated[str, typer.Option("--label", help="Which screen it is for")] = "Wall board",
    ranking: Annotated[bool, typer.Option("--ranking", help="Show the top three (last 30 days)")] = False,
) -> None:
    """Make a display link of a team's wall board and print it (shown this once only)."""
    from qc.board import links
    from qc.db import session_scope
    from qc.errors import QCError

    _migrate()
    try:
        with session_scope() as session:
            made = links.link_for_operator(session, team=team, label=label, show_ranking=ranking)
            link_id, token = made.link.id, made.token
    except QCError as exc:
        _fail(exc.message)
        return
    warning = links.public_url_warning(get_settings())
    if warning:
        typer.echo(warning, err=True)
    typer.echo(f"Display link {link_id} (revoke with `qc board revoke --id {link_id}`):")
    typer.echo(links.display_url(get_settings().public_url, token))


@board_app.command("revoke")
def board_revoke(link_id: Annotated[int, typer.Option("--id", help="The display link's id")]) -> None:
    """Revoke a display link: its screen shows "not found" from its next refresh."""
    from qc.board import links
    from qc.db import session_scope
    from qc.errors import QCError

    _migrate()
    try:
        with session_scope() as session:
            label = links.revoke(session, link_id).label
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo(f"Display link {link_id} ({label}) is revoked.")


TeamOption = Annotated[str, typer.Option("--team", help="The team, by name or id")]


def _day_option(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail("--date must look like 2026-11-23", code=2)
        raise


@digest_target_app.command("add")
def digest_target_add(
    team: TeamOption,
    kind: Annotated[str, typer.Option("--kind", help="slack, teams, telegram or json")],
    url: Annotated[
        str, typer.Option("--url", help="The webhook URL; for Telegram https://api.telegram.org/bot<token>")
    ],
    chat_id: Annotated[str, typer.Option("--chat-id", help="The Telegram chat's id (Telegram only)")] = "",
    label: Annotated[str, typer.Option("--label", help="A name for it, e.g. #sales-floor")] = "",
) -> None:
    """Add a chat a team's digest is posted to, from the next send time on."""
    from qc.db import session_scope
    from qc.digest import service
    from qc.errors import QCError

    _migrate()
    try:
        with session_scope() as session:
            found = service.find_team(session, team)
            view = service.add_target(
                session, None, found.id, kind=kind, url=url, chat_id=chat_id, label=label
            )
            typer.echo(f"Added target {view.id} to {found.name}: {view.kind.label}, {view.masked_url}.")
    except QCError as exc:
        _fail(exc.message)


@digest_app.command("preview")
def digest_preview(
    team: TeamOption,
    day: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD")],
    kind: Annotated[str, typer.Option("--kind", help="slack, teams, telegram or json")] = "json",
) -> None:
    """Print the JSON that would be posted to a target of KIND for the team's day (nothing is sent)."""
    from qc.db import session_scope
    from qc.digest import manual, service
    from qc.digest.models import TargetKind
    from qc.errors import QCError

    _migrate()
    if kind not in {k.value for k in TargetKind}:
        _fail("--kind must be slack, teams, telegram or json", code=2)
    try:
        with session_scope() as session:
            found = service.find_team(session, team)
            shown = manual.preview(
                session,
                None,
                found.id,
                day=_day_option(day),
                kinds=[TargetKind(kind)],
                settings=get_settings(),
            )
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo(shown.payloads[TargetKind(kind)])


@digest_app.command("send")
def digest_send(
    team: TeamOption, day: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD")]
) -> None:
    """Post the team's digest of the day to its enabled targets now, once: a target that had
    that day's digest already is left alone (and this says so)."""
    from qc.db import session_scope
    from qc.digest import delivery, manual, service
    from qc.errors import QCError

    _migrate()
    try:
        with session_scope() as session:
            found = service.find_team(session, team)
            result = manual.send_now(
                session,
                None,
                found.id,
                day=_day_option(day),
                settings=get_settings(),
                trigger="command",
                kick=False,
            )
            message, ids, already = result.message, result.delivery_ids, bool(result.already)
    except QCError as exc:
        _fail(exc.message)
        return
    if not ids:
        typer.echo(message)
        raise typer.Exit(0 if already else 1)
    delivery.deliver_due(only=ids)
    with session_scope() as session:
        lines = manual.outcomes(session, ids)
    for line in lines:
        typer.echo(line)
    if already:
        typer.echo(f"{len(result.already)} target(s) had this day's digest already: left alone.")
    if any(not line.startswith("Posted") for line in lines):
        raise typer.Exit(1)


@training_app.command("export")
def training_export(
    team: Annotated[str, typer.Option(help="The team's name")],
    rep: Annotated[str | None, typer.Option(help="Only this rep (email or external id)")] = None,
    output: Annotated[Path | None, typer.Option(help="Write the CSV here (default: standard output)")] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Email of the user exporting (default: the first administrator)"),
    ] = None,
) -> None:
    """Write a team's (or one rep's) training records as CSV for HR: hours, results, dates."""
    from qc.db import session_scope
    from qc.errors import QCError
    from qc.training import records

    _migrate()
    try:
        with session_scope() as session:
            rows = records.export_as(session, team=team, rep=rep, as_user=as_user)
    except QCError as exc:
        _fail(exc.message)
        return
    text = records.to_csv(rows)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8", newline="")
    typer.echo(f"Wrote {len(rows)} record(s) to {output}.", err=True)


@app.command()
def demo(
    transcribe: Annotated[
        bool, typer.Option(help="Run the sample calls through the pipeline now (else the worker will)")
    ] = True,
) -> None:
    """Seed a demo organisation and run the bundled sample calls through the real pipeline."""
    from qc.demo.seed import seed_demo
    from qc.errors import QCError

    _migrate()
    try:
        summary = seed_demo(process=transcribe, echo=typer.echo)
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo("")
    typer.echo(f"Demo logins (password for all: {summary.password}):")
    for role, email in summary.logins:
        typer.echo(f"  {role:<9} {email}")


@report_app.command("coverage")
def report_coverage(
    day: Annotated[str, typer.Option("--date", help="The (first) day, YYYY-MM-DD, in the teams' time zones")],
    to: Annotated[str | None, typer.Option("--to", help="The last day of a range (default: --date)")] = None,
    team: Annotated[str | None, typer.Option("--team", help="One team, by name or id")] = None,
    output: Annotated[
        str, typer.Option("--format", help="table, csv (one row per rep-day) or json")
    ] = "table",
) -> None:
    """The QC coverage report of every team (or one) for a day or a range."""
    import json

    from qc.db import session_scope
    from qc.errors import QCError
    from qc.reports import coverage, coverage_export

    if output not in ("table", "csv", "json"):
        _fail("--format must be table, csv or json")
    _migrate()
    settings = get_settings()
    try:
        with session_scope() as session:
            first, last = coverage.parse_range(day, to, today=coverage.today_for(settings))
            team_id = coverage.team_id_for(session, team) if team else None
            report = coverage.coverage_report(
                session, None, start=first, end=last, settings=settings, team_id=team_id
            )
            text = {
                "table": coverage_export.to_table,
                "csv": coverage_export.to_csv,
                "json": lambda r: json.dumps(coverage_export.to_json(r), indent=2) + "\n",
            }[output](report)
    except QCError as exc:
        _fail(exc.message)
        return
    typer.echo(text, nl=False)


def main() -> None:
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as exc:  # settings from the environment
        problems = "; ".join(f"QC_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        typer.secho(f"Invalid settings: {problems}", fg=typer.colors.RED, err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
