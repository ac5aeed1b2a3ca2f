"""Test setup: a throw-away data dir, a fresh database per test, real queue and models.

By default everything is embedded (SQLite database, SQLite queue, local folder).
`QC_TEST_DATABASE_URL` (PostgreSQL) and `QC_TEST_REDIS_URL` switch the same suite to
the scale-out backends; under pytest-xdist each worker gets its own database and
Redis db number.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_WORKER_NUM = int(_WORKER.removeprefix("gw") or 0)
_TMP = Path(tempfile.mkdtemp(prefix=f"qc-tests-{_WORKER}-"))
_TEST_DB = os.environ.get("QC_TEST_DATABASE_URL", "")
_TEST_REDIS = os.environ.get("QC_TEST_REDIS_URL", "")


def _postgres_database(url: str) -> str:
    """A fresh database per xdist worker, next to the one named by the URL."""
    import psycopg

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'test'}_qc_{_WORKER}"
    admin = urlunparse(parsed._replace(scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


def _redis_url(url: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{1 + _WORKER_NUM}"))


# Settings are read from the environment once per process: set it before qc is imported.
os.environ.update(
    {
        "QC_ENV": "test",
        "QC_DATA_DIR": str(_TMP / "data"),
        "QC_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "QC_DATABASE_URL": _postgres_database(_TEST_DB) if _TEST_DB else f"sqlite:///{_TMP / 'qc.sqlite3'}",
        "QC_QUEUE_URL": _redis_url(_TEST_REDIS) if _TEST_REDIS else f"sqlite:///{_TMP / 'queue.sqlite3'}",
        "QC_STORAGE_URL": f"file://{_TMP / 'audio'}",
        "QC_LOG_LEVEL": "WARNING",
        "QC_ASR_BEAM_SIZE": "5",
        # Workers the tests start load nothing up front; tests/jobs/test_warm_up.py turns it on.
        "QC_WARM_UP": "false",
    }
)
for _name in list(os.environ):
    if _name.startswith("QC_") and _name.endswith("_FILE"):
        del os.environ[_name]

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from qc.config import Settings, get_settings  # noqa: E402
from qc.db import build_engine, get_engine  # noqa: E402
from qc.models import Base  # noqa: E402
from qc.wiring import wire  # noqa: E402

wire()

SHARED_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
SAMPLES = Path(__file__).resolve().parents[1] / "qc" / "demo" / "samples"


def pytest_sessionstart(session: pytest.Session) -> None:
    from qc.migrations import upgrade
    from qc.scoring.service import sync_from_settings

    settings = get_settings()
    settings.ensure_dirs()
    upgrade(get_engine())
    sync_from_settings(settings.scorecards_dir)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    get_engine().dispose()
    shutil.rmtree(_TMP, ignore_errors=True)


# Loaded once per session from scorecards/; tests that change them restore them.
_KEPT_TABLES = {"scorecard_version"}


def _truncate_all() -> None:
    engine = get_engine()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in _KEPT_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    """Every test starts with empty tables, an empty queue and empty storage."""
    from qc.jobs import queue

    yield
    _truncate_all()
    queue.flush()
    settings = get_settings()
    shutil.rmtree(_TMP / "audio", ignore_errors=True)
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)


class _Collect(logging.Handler):
    def __init__(self, prefix: str) -> None:
        super().__init__(logging.WARNING)
        self.prefix = prefix
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(self.prefix):
            self.found.append(message)


@pytest.fixture(autouse=True)
def _reads_do_not_write() -> Iterator[None]:
    """A GET writing in its read transaction works alone and fails with 503 beside a writer on
    SQLite: any test that makes one do it fails, the permission matrix's walk over every route
    included (write such marks with `qc.db.write_aside`)."""
    from qc.db import READ_WRITES_WARNING

    collect = _Collect(READ_WRITES_WARNING)
    logger = logging.getLogger("qc.db")
    logger.addHandler(collect)
    try:
        yield
    finally:
        logger.removeHandler(collect)
    assert not collect.found, collect.found


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def configure() -> Iterator[Any]:
    """Change settings for one test: `configure(max_upload_mb=1)`; restored afterwards."""
    saved: dict[str, str | None] = {}

    def apply(**values: Any) -> Settings:
        for key, value in values.items():
            name = f"QC_{key.upper()}"
            saved.setdefault(name, os.environ.get(name))
            os.environ[name] = str(value)
        get_settings.cache_clear()
        return get_settings()

    yield apply
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _test_engine() -> Iterator[Any]:
    # Deferred transactions: a test reading the database must not hold SQLite's write
    # lock while the code under test, in other sessions, needs it.
    engine = build_engine(get_settings().database_dsn, immediate=False)
    yield engine
    engine.dispose()


@pytest.fixture
def db(_test_engine: Any) -> Iterator[Session]:
    """A session for arranging and checking data; commit explicitly to make rows visible."""
    session = Session(bind=_test_engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def app() -> Any:
    from qc.app import create_app

    return create_app(get_settings(), run_worker=False)


@pytest.fixture
def org(db: Session) -> Any:
    from tests.factories import make_org

    org = make_org(db)
    db.commit()
    return org


@pytest.fixture
def browser(app: Any) -> Iterator[Any]:
    from tests.factories import Browser

    with Browser(app) as client:
        yield client


@pytest.fixture
def browser_factory(app: Any) -> Iterator[Any]:
    """Several independent browsers (one per persona) on the same app."""
    from tests.factories import Browser

    opened: list[Any] = []

    def make() -> Any:
        client = Browser(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def shared_audio(name: str) -> Path:
    path = SHARED_AUDIO / name
    if not path.exists():
        pytest.skip(f"{path} is not available on this machine")
    return path


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    """The app under a TestClient, for API calls with `as_` headers."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def as_(db: Session) -> Any:
    """Bearer headers of a persona: `client.get(url, headers=as_(org.rep))`."""
    from tests.factories import api_token, bearer

    tokens: dict[int, str] = {}

    def headers(user: Any) -> dict[str, str]:
        if user.id not in tokens:
            tokens[user.id] = api_token(db, user)
            db.commit()
        return bearer(tokens[user.id])

    return headers


@pytest.fixture
def scorecard_revisions_restored() -> Iterator[None]:
    """scorecard_version is kept between tests (`_KEPT_TABLES`): a test that publishes
    revisions gets it back as the files left it, with what was scored or reviewed with them."""
    from sqlalchemy import delete, select, update

    from qc.evaluations.models import Evaluation
    from qc.scoring.models import CallScore, ScorecardVersion

    with get_engine().begin() as conn:
        kept = {
            row[0]: row[1] for row in conn.execute(select(ScorecardVersion.id, ScorecardVersion.is_current))
        }
    yield
    with get_engine().begin() as conn:
        added = ScorecardVersion.id.not_in(list(kept))
        conn.execute(
            delete(CallScore).where(
                CallScore.scorecard_version_id.in_(select(ScorecardVersion.id).where(added))
            )
        )
        conn.execute(
            delete(Evaluation).where(
                Evaluation.scorecard_version_id.in_(select(ScorecardVersion.id).where(added))
            )
        )
        conn.execute(delete(ScorecardVersion).where(added))
        for version_id, current in kept.items():
            conn.execute(
                update(ScorecardVersion).where(ScorecardVersion.id == version_id).values(is_current=current)
            )
