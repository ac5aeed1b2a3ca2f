"""Project-level checks: deployment files, migrations, layering, vendored assets."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Any

import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]


def cli_commands() -> set[tuple[str, ...]]:
    import typer.main

    from qc.cli import app

    group = typer.main.get_command(app)
    commands: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        commands.add((name,))
        for sub in getattr(command, "commands", {}):
            commands.add((name, sub))
    return commands


def test_compose_describes_the_scale_out_deployment() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker"} <= set(services)
    known = cli_commands()
    assert services["worker"]["command"][2:4] == ["--queues", "pipeline"]
    assert services["worker-quick"]["command"][2:4] == ["--queues", "quick"]
    for name in ("migrate", "web", "worker", "worker-quick"):
        command = services[name]["command"]
        assert command[0] == "qc"
        assert tuple(command[1:2]) in known, f"{name} runs a command the package does not have: {command}"
        assert services[name]["image"] == services["web"]["image"], "one image for every qc service"
        assert "audio:/data/audio" in services[name]["volumes"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        environment = services[name]["environment"]
        assert environment["QC_QUEUE_URL"].startswith("redis://redis")
        assert environment["QC_DATABASE_URL"].startswith("postgresql://")
        assert environment["QC_EMBEDDED_WORKER"] == "false"
    assert "--no-worker" in services["web"]["command"]
    assert {"audio", "pgdata"} <= set(compose["volumes"])
    assert (ROOT / "Dockerfile").exists()


def test_a_pipeline_worker_is_healthy_once_its_ready_file_exists() -> None:
    worker = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]
    command = worker["command"]
    ready = command[command.index("--ready-file") + 1]
    assert worker["healthcheck"]["test"] == ["CMD", "test", "-f", ready]


def test_gpu_override_targets_the_worker() -> None:
    gpu = yaml.safe_load((ROOT / "docker-compose.gpu.yml").read_text())
    assert gpu["services"]["worker"]["environment"]["QC_ASR_DEVICE"] == "cuda"


def test_migrations_match_the_models(tmp_path: Path) -> None:
    from qc.migrations import upgrade
    from qc.models import Base

    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_migrations_downgrade_to_nothing(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from qc.migrations import alembic_config, upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]


def test_the_latest_migration_upgrades_a_database_that_holds_teams_and_users(tmp_path: Path) -> None:
    """On SQLite with foreign keys enforced (as qc runs it), adding a column to a table others
    refer to must not copy the table: dropping the old copy would break their references."""
    from sqlalchemy import text

    from qc.db import build_engine
    from qc.migrations import current_revision, upgrade

    engine = build_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0017")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO team (id, name, blind_review, created_at) VALUES (1, 'North', 0, '2026-01-01')")
        )
        connection.execute(
            text(
                "INSERT INTO user (id, email, name, role, team_id, is_active, created_at) "
                "VALUES (1, 'rep@x.qc', 'Rep', 'rep', 1, 1, '2026-01-01')"
            )
        )
    upgrade(engine)
    assert current_revision(engine) is not None
    with engine.connect() as connection:
        assert connection.execute(text("SELECT swap_sides FROM team")).scalar_one() in (0, False)
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(evaluation_answer)"))}
        assert "auto_change" in columns


def _routes_modules() -> list[Path]:
    return sorted((ROOT / "qc").glob("*/*routes.py"))


def test_routes_stay_thin() -> None:
    """Routes call services: no SQL, no repositories, no commits."""
    assert _routes_modules()
    for path in _routes_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("sqlalchemy"), f"{path.name} imports {node.module}"
                assert not node.module.endswith("repository"), f"{path.name} imports a repository"
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("sqlalchemy") for a in node.names), path.name
            is_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if is_call and node.func.attr in {
                "commit",
                "execute",
                "scalar",
                "scalars",
                "query",
                "add",
                "flush",
            }:
                raise AssertionError(f"{path.name}:{node.lineno} calls .{node.func.attr}()")


def test_nothing_else_reads_the_environment() -> None:
    for path in (ROOT / "qc").rglob("*.py"):
        if path.name == "config.py":
            continue
        source = path.read_text()
        assert "os.environ" not in source and "getenv" not in source, path


def test_vendored_assets_match_their_checksums() -> None:
    vendor = ROOT / "web" / "static" / "vendor"
    listed: dict[str, Any] = {}
    for line in (vendor / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    present = {
        p.relative_to(vendor).as_posix() for p in vendor.rglob("*") if p.is_file() and p.name != "SHA256SUMS"
    }
    assert present == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name


def test_templates_only_use_vendored_assets() -> None:
    for template in (ROOT / "web" / "templates").rglob("*.html"):
        text = template.read_text()
        assert "https://" not in text and "http://" not in text, (
            f"{template} loads something from the network"
        )


def test_suite_runs_on_the_backends_it_was_given() -> None:
    """CI runs the suite twice; this proves the second run really used PostgreSQL and Redis."""
    import os

    from huey import RedisHuey, SqliteHuey

    from qc.db import get_engine
    from qc.jobs.queue import get_jobs

    expected_db = "postgresql" if os.environ.get("QC_TEST_DATABASE_URL") else "sqlite"
    expected_queue = RedisHuey if os.environ.get("QC_TEST_REDIS_URL") else SqliteHuey
    assert get_engine().dialect.name == expected_db
    assert all(isinstance(huey, expected_queue) for huey in get_jobs().lanes.values())
