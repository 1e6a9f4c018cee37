"""Database fixtures shared by the store, API, worker and billing tests (a pytest plugin).

- ``db_backend``: ``"sqlite"`` or ``"postgresql"`` (every test using a database runs on both).
- ``db_url``: a database migrated to the newest revision (``upgrade()``), shared by the whole
  test session for that backend. Tests share it: scope your rows by creating your own
  organization (``make_org``), never count rows across the whole table.
- ``fresh_db_url``: a migrated database of its own for one test, dropped afterwards — for tests
  that break the database on purpose (tampering with the audit trail) or need it without rows.
- ``empty_db_url``: a database with no tables at all (for migration tests; run ``upgrade``).
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
from concurrent.futures import Future, ThreadPoolExecutor
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
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        reason = f"PostgreSQL at {PG_ADMIN_URL} is unreachable ({type(exc).__name__}: {detail})"
        _pg_unreachable.append(reason.splitlines()[0])
        return _pg_unreachable[0]
    finally:
        engine.dispose()
    return None


def create_pg_database(template: str | None = None) -> str:
    """Create a uniquely named database on the test server (empty, or a copy of ``template``);
    return its URL."""
    name = f"medcoder_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
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


# Dropping a PostgreSQL database takes about a second: per-test databases are dropped in the
# background while the tests go on, and the session waits for the drops at its end.
_dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-test-db")
_pending_drops: list[Future[None]] = []


def pytest_sessionfinish() -> None:
    for future in _pending_drops:
        future.result()
    _dropper.shutdown()


def _require_pg() -> None:
    reason = _pg_check()
    if reason:
        pytest.skip(f"SKIPPED POSTGRESQL: {reason}")


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on: ``sqlite`` or ``postgresql``."""
    backend: str = request.param
    return backend


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that per-test databases are copied from (faster than
    migrating each)."""
    _require_pg()
    url = create_pg_database()
    try:
        upgrade(url)
        yield make_url(url).database or ""
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def db_url(db_backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database shared by the test session (one per backend)."""
    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db-sqlite') / 'medcoder.db'}"
        upgrade(url)
        yield url
        return
    _require_pg()
    url = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def fresh_db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of the test's own, dropped afterwards."""
    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'medcoder.db'}"
        upgrade(url)
        yield url
        return
    template: str = request.getfixturevalue("_pg_template")
    url = create_pg_database(template)
    yield url
    _pending_drops.append(_dropper.submit(drop_pg_database, url))


@pytest.fixture
def empty_db_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) of the test's own — for testing the migrations."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    _require_pg()
    url = create_pg_database()
    yield url
    _pending_drops.append(_dropper.submit(drop_pg_database, url))


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
