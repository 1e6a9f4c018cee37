"""The database: declarative base, ids, engine and session factories, migrations.

SQLite (one file, WAL mode) is the embedded default; PostgreSQL is selected by setting
``MEDCODER_DATABASE_URL`` (``postgresql+psycopg://user@host:5432/name``). Tables are created
only by the Alembic migrations shipped in ``medcoder/store/migrations`` (:func:`upgrade`)::

    url = database_url()
    upgrade(url)
    engine = make_engine(url)
    Session = make_session_factory(engine)
    with Session() as session, session.begin():
        ...

SQLite transactions start with ``BEGIN IMMEDIATE``: a transaction takes the write lock when it
begins, so two writers queue on the busy timeout instead of one failing half-way with
"database is locked" when it upgrades a read to a write. Keep transactions short (commit before
slow work such as coding a note) — while one is open, other writers wait.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Base",
    "DEFAULT_SQLITE_NAME",
    "MIGRATIONS_DIR",
    "database_url",
    "make_engine",
    "make_session_factory",
    "new_id",
    "UtcDateTime",
    "alembic_config",
    "current_revision",
    "upgrade",
    "utcnow",
]

DEFAULT_SQLITE_NAME = "medcoder.db"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "medcoder_read_only"

# Stable constraint names, so that migrations can name what they create and drop on both
# databases (SQLite batch mode needs names to alter constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL alike.

    SQLite keeps no zone (values are stored as naive UTC); PostgreSQL uses ``timestamptz``.
    Naive values are refused on write: a naive time is a bug waiting to happen.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} (use medcoder.store.db.utcnow)")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Base of every table's model (store, jobs, claims, billing).

    ``Mapped[datetime]`` columns are :class:`UtcDateTime` (aware UTC on both databases).
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UtcDateTime()}


def new_id() -> str:
    """A new primary key: 32 hex digits of a random UUID4."""
    return uuid.uuid4().hex


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC (what every timestamp column stores)."""
    return dt.datetime.now(dt.UTC)


def database_url(environ: dict[str, str] | None = None) -> str:
    """``$MEDCODER_DATABASE_URL``, else a SQLite file ``medcoder.db`` in the data home."""
    env = os.environ if environ is None else environ
    explicit = env.get("MEDCODER_DATABASE_URL")
    if explicit:
        return explicit
    from medcoder.codesets.kb import default_data_home

    home = default_data_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / DEFAULT_SQLITE_NAME}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; on SQLite: WAL, foreign keys on, busy timeout, ``BEGIN IMMEDIATE``.

    Statement parameters are hidden from error messages and logs (``hide_parameters``).

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    from sqlalchemy import create_engine

    # Row values never appear in error messages or logs (dates of service are PHI too).
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    if parsed.database in (None, "", ":memory:"):
        raise ValueError(
            "use a SQLite file, not an in-memory database (each connection would "
            "see its own empty database)"
        )
    _create_private_file(Path(parsed.database))
    # Pooled (SQLAlchemy's default for a file): closing the last connection to a WAL database
    # checkpoints and removes the WAL, which would cost a millisecond or more per transaction.
    # A pooled connection is checked out by one thread at a time.
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own implicit BEGIN is
        # deferred and skips DDL).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only session (make_session_factory(read_only=True)) reads a WAL snapshot
        # without taking the write lock, so a long audit verify does not block writers.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _create_private_file(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (SQLite gives its WAL and shared
    memory files the same permissions)."""
    if path.exists() or str(path).startswith("file:"):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit (no expire on commit).

    ``read_only``: for sessions that only read (reports, ``audit verify``). On SQLite their
    transactions begin deferred and read a snapshot instead of taking the write lock.
    """
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def upgrade(url: str, revision: str = "head") -> None:
    """Run the shipped Alembic migrations on ``url`` up to ``revision`` (default: the newest)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The migration revision the database at ``url`` is at (``None``: not migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def alembic_config(url: str) -> Any:
    """An Alembic ``Config`` for the shipped migrations and ``url`` (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
