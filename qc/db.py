"""Database engine, sessions and the declarative base.

The boundary (a request, a job, a CLI command) owns the transaction: it opens a
session with `session_scope()`, commits once on success and rolls back on error.
Work that must happen only once the data is visible to other processes (enqueueing
a job) is registered with `after_commit()`.

What the transaction is for (`Work`) decides how it starts and how long it waits for
another transaction's lock. On SQLite a safe web request (GET) reads in a deferred
transaction, which in WAL mode never waits for a writer; every other transaction takes
the write lock up front, so writers queue instead of failing when a read turns into a
write. A lock held longer than the wait raises `DatabaseBusy` (503), never a 500.
"""

from __future__ import annotations

import enum
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, Enum, MetaData, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from qc.config import get_settings
from qc.errors import DatabaseBusy
from qc.kit import text as _text  # noqa: F401  (every engine refuses NUL in text, one 422 everywhere)

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    """A StrEnum stored as its value in a plain string column (no DB enum to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Work(enum.StrEnum):
    """What a transaction is for: how it starts and how long it waits for a lock."""

    READ = "read"  # a safe web request (GET, HEAD): never takes SQLite's write lock up front
    WRITE = "write"  # any other web request: the write lock up front, waiting `db_lock_wait_s`
    JOB = "job"  # the worker and `qc` commands: the write lock up front, `db_job_lock_wait_s`
    ASIDE = "aside"  # a mark written beside a read (`write_aside`): gives up almost at once


_WORK_OPTION = "qc_work"
_BUSY_TIMEOUT_KEY = "qc_busy_timeout_ms"
_ASIDE_WAIT_S = 0.1  # a "last seen" mark skipped now is written by the next request


def lock_wait_s(work: Work) -> float:
    """How long a transaction of this kind waits for another one's lock before giving up."""
    settings = get_settings()
    if work is Work.ASIDE:
        return _ASIDE_WAIT_S
    return settings.db_job_lock_wait_s if work is Work.JOB else settings.db_lock_wait_s


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    work = Work(conn.get_execution_options().get(_WORK_OPTION, Work.JOB))
    wait_ms = round(lock_wait_s(work) * 1000)
    if conn.info.get(_BUSY_TIMEOUT_KEY) != wait_ms:  # a connection setting: set when it changes
        conn.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
        conn.info[_BUSY_TIMEOUT_KEY] = wait_ms
    # A writer takes the lock when its transaction starts, not at its first write: a
    # deferred transaction that has read cannot wait for the lock (SQLite answers "database
    # is locked" at once), while one that starts with it queues on busy_timeout.
    conn.exec_driver_sql("BEGIN" if work is Work.READ else "BEGIN IMMEDIATE")


def _postgresql_begin(conn: Connection) -> None:
    work = Work(conn.get_execution_options().get(_WORK_OPTION, Work.JOB))
    if work is not Work.JOB:  # jobs and migrations wait as long as it takes, as they always have
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {round(lock_wait_s(work) * 1000)}")


def build_engine(url: str, *, immediate: bool = True) -> Engine:
    """An engine. On SQLite, `immediate` begins transactions by their `Work`: every one but a
    read takes the write lock up front. Without it no BEGIN is sent and each statement commits
    by itself (tests arranging data and reading what other connections committed)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy issue BEGIN itself

        if immediate:
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "begin", _postgresql_begin)
    return engine


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_dsn)


@lru_cache
def get_session_factory(work: Work = Work.JOB) -> sessionmaker[Session]:
    return sessionmaker(
        bind=get_engine().execution_options(**{_WORK_OPTION: work.value}),
        expire_on_commit=False,
        info={_WORK_OPTION: work},
    )


def ping() -> None:
    """Raise unless the database answers; a read, so it never waits for a writer."""
    with get_session_factory(Work.READ)() as session:
        session.execute(text("SELECT 1"))


# SQLite's primary result codes for "another connection holds the lock" (extended codes such
# as SQLITE_BUSY_SNAPSHOT share the low byte); PostgreSQL's SQLSTATEs for a lock or statement
# timeout, a deadlock and a serialisation failure: all pass once the other work is done.
_SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_POSTGRESQL_BUSY_STATES = {"55P03", "57014", "40P01", "40001"}


def database_busy(exc: BaseException) -> DatabaseBusy | None:
    """The typed error for a database error that only means "busy, try again", else None."""
    if not isinstance(exc, OperationalError):
        return None
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        busy = (code & 0xFF) in _SQLITE_BUSY_CODES if code is not None else "locked" in str(orig)
    else:
        busy = getattr(orig, "sqlstate", None) in _POSTGRESQL_BUSY_STATES
    if not busy:
        return None
    return DatabaseBusy(
        "The database is busy with other work and this request could not wait for it; "
        "nothing was changed. Try again in a few seconds."
    )


@contextmanager
def session_scope(
    factory: sessionmaker[Session] | None = None, *, work: Work = Work.JOB
) -> Iterator[Session]:
    """One unit of work: commit once on success, roll back on any error.

    A lock held by other work for longer than this kind of work may wait becomes
    `DatabaseBusy`. Marks registered with `write_aside` are written once it is over.
    """
    session = (factory or get_session_factory(work))()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        busy = database_busy(exc)
        if busy is None:
            raise
        log.warning("database busy (%s work): %s", work.value, exc.orig)
        raise busy from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    _write_aside_marks(session.info.pop(_ASIDE_KEY, []))


_ASIDE_KEY = "qc_aside"


def write_aside(session: Session, mark: Callable[[Session], object], *, what: str) -> None:
    """Write `mark` (a "last seen" time, nothing a reader relies on) beside the session's work.

    In a read transaction (a GET) it is written after the read, in a short transaction of
    its own that gives up, logged, when the database is busy: a read neither waits for a
    writer nor fails because of one. In any other transaction it is written in it, at once.
    """
    if session.info.get(_WORK_OPTION) is not Work.READ:
        mark(session)
        return
    session.info.setdefault(_ASIDE_KEY, []).append((mark, what))


def _write_aside_marks(marks: list[tuple[Callable[[Session], object], str]]) -> None:
    for mark, what in marks:
        try:
            with session_scope(work=Work.ASIDE) as session:
                mark(session)
        except DatabaseBusy:
            log.info("%s not written: the database is busy; the next request writes it", what)
        except Exception:
            log.exception("writing %s failed", what)


READ_WRITES_WARNING = "a read-only request (GET) writes to the database"


@event.listens_for(Session, "before_flush")
def _warn_of_writes_in_reads(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_WORK_OPTION) is not Work.READ:
        return
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    if changed:
        _warn_read_writes(", ".join(sorted({type(obj).__name__ for obj in changed})))


@event.listens_for(Session, "do_orm_execute")
def _warn_of_statement_writes_in_reads(state: ORMExecuteState) -> None:
    if state.session.info.get(_WORK_OPTION) is Work.READ and (
        state.is_insert or state.is_update or state.is_delete
    ):
        _warn_read_writes(str(getattr(state.statement, "table", "a statement")))


def _warn_read_writes(what: str) -> None:
    # On SQLite the write upgrades the read's transaction, which cannot wait for the write
    # lock: it works on a quiet database and gives 503 beside a writer. Use write_aside.
    log.warning(
        "%s (%s); beside a concurrent writer it fails with 503: use qc.db.write_aside",
        READ_WRITES_WARNING,
        what,
    )


_AFTER_COMMIT_KEY = "qc_after_commit"
_AFTER_ROLLBACK_KEY = "qc_after_rollback"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction has committed."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` if the session's current transaction is rolled back (undo side effects)."""
    session.info.setdefault(_AFTER_ROLLBACK_KEY, []).append(callback)


def _run(callbacks: list[Callable[[], None]], what: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("%s callback failed", what)


# Savepoints (begin_nested) fire these events too; only the outermost transaction counts.


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_AFTER_ROLLBACK_KEY, None)
    # The data is committed; if a callback fails (queue down), the reaper recovers.
    _run(session.info.pop(_AFTER_COMMIT_KEY, []), "after-commit")


@event.listens_for(Session, "after_rollback")
def _run_after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop(_AFTER_COMMIT_KEY, None)
    _run(session.info.pop(_AFTER_ROLLBACK_KEY, []), "after-rollback")
