"""The shipped migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import medcoder.store.models as core
from medcoder.store.all_models import Base
from medcoder.store.db import make_engine, upgrade

CORE_TABLES = {
    mapper.class_.__tablename__
    for mapper in Base.registry.mappers
    if mapper.class_.__module__ == core.__name__
}


class TestMigrations:
    def test_upgrade_from_empty_creates_every_core_table(self, empty_db_url: str) -> None:
        upgrade(empty_db_url)
        engine = make_engine(empty_db_url)
        try:
            with engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        finally:
            engine.dispose()
        assert CORE_TABLES <= tables
        assert {"patients", "documents", "audit_events", "code_assignments"} <= CORE_TABLES
        assert version is not None

    def test_upgrade_twice_is_a_no_op(self, empty_db_url: str) -> None:
        upgrade(empty_db_url)
        upgrade(empty_db_url)  # already at head: nothing to do, no error

    def test_core_migration_matches_the_models(self, db_url: str) -> None:
        engine = make_engine(db_url)
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diffs = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()
        mine = [d for d in diffs if _table_of(d) in CORE_TABLES]
        assert mine == []


def _table_of(diff: object) -> str | None:
    """The table a compare_metadata diff is about (diffs are tuples, or lists of tuples)."""
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        if isinstance(part, sa.Table):
            return part.name
        table = getattr(part, "table", None)
        if isinstance(table, sa.Table):
            return table.name
        if isinstance(part, str) and part in CORE_TABLES:
            return part
    return None


def test_the_whole_migration_chain_matches_every_model(db_url: str) -> None:
    """All model modules (core, jobs, claims, billing) against all revisions: a table or column
    a helper added to a model but not to its migration shows up here, by name."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert not diffs, "\n".join(repr(d)[:300] for d in diffs)
