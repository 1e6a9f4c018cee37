"""Engines and sessions: SQLite pragmas, read-only sessions that do not block writers, no row
values in error messages, the core migration's downgrade, TRUNCATE refused on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import stat
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from medcoder.store import repo
from medcoder.store.db import (
    alembic_config,
    current_revision,
    make_engine,
    make_session_factory,
    new_id,
    upgrade,
)
from medcoder.store.models import Document, Organization


def test_new_id_is_32_hex() -> None:
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_sqlite_engine_uses_wal_and_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        engine.dispose()


def test_a_new_sqlite_file_is_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/medcoder.db"
    upgrade(url)
    files = sorted(tmp_path.joinpath("new").iterdir())
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [
        (p.name, oct(p.stat().st_mode)) for p in files
    ]


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="not an in-memory database"):
        make_engine("sqlite://")


def test_timestamps_come_back_aware_utc(session: Session) -> None:
    org = Organization(name="Clock")
    session.add(org)
    session.commit()
    session.expire_all()
    created = session.get(Organization, org.id)
    assert created is not None and created.created_at.utcoffset() == dt.timedelta(0)
    with pytest.raises(Exception, match="naive datetime"):
        session.add(Organization(name="Naive", created_at=dt.datetime(2026, 1, 1)))
        session.flush()
    session.rollback()


def test_a_read_only_session_does_not_block_writers(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with make_session_factory(engine, read_only=True)() as reader:
        reader.execute(sa.select(sa.func.count()).select_from(Organization)).scalar_one()
        done: list[str] = []

        def write() -> None:
            with session_factory() as writer:
                writer.add(Organization(name="While reading"))
                writer.commit()
                done.append("written")

        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=10)
        assert done == ["written"]  # the reader's open transaction did not hold it up


def test_row_values_stay_out_of_error_messages(session: Session) -> None:
    session.add(
        Document(
            org_id="x" * 32, encounter_id="y" * 32, text="Secret note words", text_hash="0" * 64
        )
    )
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    session.rollback()
    assert "parameters hidden" in str(caught.value)
    assert "mc1:" not in str(caught.value) and "Secret" not in str(caught.value)


def test_core_migration_downgrades_to_nothing(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0001_core")
    command.downgrade(alembic_config(empty_db_url), "base")
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    assert current_revision(empty_db_url) is None
    upgrade(empty_db_url, "0001_core")  # and up again
    assert current_revision(empty_db_url) == "0001_core"


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_truncate_is_refused_on_postgresql(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    try:
        with make_session_factory(engine)() as session:
            repo.create_organization(session, "Truncate")  # one audit event
            session.commit()
        with pytest.raises(DatabaseError, match="audit events are append-only"):
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE audit_events")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar() == 1
    finally:
        engine.dispose()
