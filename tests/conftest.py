"""Shared fixtures. The knowledge base is built once per machine (cached) and reused."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from medcoder.codesets import KnowledgeBase

# Database fixtures (SQLite and PostgreSQL) live in tests/db_fixtures.py.
pytest_plugins = ["db_fixtures"]

# NCCI quarters a user imported live in their data home; the tests must see only the vendored
# data, whatever this machine has imported (the CLI tests read the same variable).
os.environ["MEDCODER_DATA_HOME"] = tempfile.mkdtemp(prefix="medcoder-test-data-")


@pytest.fixture(scope="session")
def kb() -> Iterator[KnowledgeBase]:
    """The full knowledge base built from the vendored data (cached in MEDCODER_CACHE_DIR)."""
    with KnowledgeBase.open() as opened:
        yield opened
