"""Shared fixtures. The knowledge base is built once per machine (cached) and reused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medcoder.codesets import KnowledgeBase


@pytest.fixture(scope="session")
def kb() -> Iterator[KnowledgeBase]:
    """The full knowledge base built from the vendored data (cached in MEDCODER_CACHE_DIR)."""
    with KnowledgeBase.open() as opened:
        yield opened
