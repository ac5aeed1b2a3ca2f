"""Alembic environment: run against the connection handed over by `qc.migrations.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from qc.db import get_engine
from qc.models import Base

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    with get_engine().connect() as connection:  # plain `alembic` CLI use
        _configure_and_run(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `qc migrate`")
run()
