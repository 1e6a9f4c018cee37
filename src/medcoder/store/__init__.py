"""Storage: SQLAlchemy models, Alembic migrations, encryption at rest, the audit trail.

SQLite is the embedded default, PostgreSQL is selected by ``MEDCODER_DATABASE_URL``; see
:mod:`medcoder.store.db` for engines and migrations, :mod:`medcoder.store.models` for the
tables, :mod:`medcoder.store.crypto` and :mod:`medcoder.store.audit`.
"""

__all__: list[str] = []
