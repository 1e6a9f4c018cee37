"""Database fixtures shared by the store, API, worker and billing tests (a pytest plugin).

- ``db_backend``: ``"sqlite"`` or ``"postgresql"`` (every test using a database runs on both).
- ``db_url``: a database migrated to the newest revision (``upgrade()``), shared by the whole
  test session for that backend. Tests share it: scope your rows by creating your own
  organization (``make_org``), never count rows across the whole table.
- ``fresh_db_url``: a database of its own for one test (migrated), dropped afterwards — for tests
  that break the database on purpose (tampering with the audit trail) or need it empty.
- ``engine`` / ``session_factory`` / ``session``: on ``db_url``. ``session`` is closed (and
  rolled back if left open) after the test.

PostgreSQL: a new, uniquely named database is created on ``$MEDCODER_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, connecting through the ``test``
database) for each test session and dropped at the end. Only when that server cannot be reached
are the PostgreSQL variants skipped — with a banner at the end of the run naming the URL.

Tests run with a random encryption key (``MEDCODER_ENCRYPTION_KEY``) unless one is set.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from medcoder.store.db import make_engine, make_session_factory, upgrade

PG_ADMIN_URL = os.environ.get(
    "MEDCODER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")

if not os.environ.get("MEDCODER_KEY_FILE") and not os.environ.get("MEDCODER_ENCRYPTION_KEY"):
    os.environ["MEDCODER_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()

_pg_unreachable: list[str] = []


def _admin_engine() -> Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def _pg_check() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    if _pg_unreachable:
        return _pg_unreachable[0]
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any connection failure means "unreachable"
        reason = f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({type(exc).__name__}: {exc})"
        _pg_unreachable.append(reason.splitlines()[0])
        return _pg_unreachable[0]
    finally:
        engine.dispose()
    return None


def create_pg_database() -> str:
    """Create an empty, uniquely named database on the test server; return its URL."""
    name = f"medcoder_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database` (closing its leftover connections)."""
    name = make_url(url).database
    assert name and name.startswith("medcoder_test_"), name
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


def _new_database(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'medcoder.db'}"
    reason = _pg_check()
    if reason:
        pytest.skip(f"SKIPPED POSTGRESQL: {reason}")
    return create_pg_database()


def _dispose_database(backend: str, url: str) -> None:
    if backend == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on: ``sqlite`` or ``postgresql``."""
    backend: str = request.param
    return backend


@pytest.fixture(scope="session")
def db_url(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database shared by the test session (one per backend)."""
    url = _new_database(db_backend, tmp_path_factory.mktemp(f"db-{db_backend}"))
    try:
        upgrade(url)
        yield url
    finally:
        _dispose_database(db_backend, url)


@pytest.fixture
def fresh_db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, dropped afterwards."""
    url = _new_database(db_backend, tmp_path)
    try:
        upgrade(url)
        yield url
    finally:
        _dispose_database(db_backend, url)


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url`` (made by ``make_engine``: SQLite pragmas included)."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session on ``db_url``; commit what you need, whatever is left open is rolled back."""
    with session_factory() as opened:
        yield opened


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A banner nobody can miss when the PostgreSQL variants were skipped."""
    if _pg_unreachable:
        terminalreporter.write_sep("!", "POSTGRESQL TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(_pg_unreachable[0], red=True)
        terminalreporter.write_line(
            "Start PostgreSQL (or set MEDCODER_TEST_PG_URL) to run the store on both databases.",
            red=True,
        )
