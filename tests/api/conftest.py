"""Fixtures of the API tests: an app per database backend (shared by the session) and two
organizations with one user per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_world import TestClient, World, make_world
from sqlalchemy.orm import Session, sessionmaker

from medcoder.api import Settings, create_app
from medcoder.codesets import KnowledgeBase
from medcoder.store.db import make_engine, make_session_factory
from medcoder.worker.document_coding import EngineCoder


def diagnosis_coder(kb: KnowledgeBase) -> EngineCoder:
    """The engine without procedure coding: these tests check diagnoses, and procedure
    coding (tested by its owners) must not make them depend on its progress."""
    return EngineCoder(kb, with_procedures=False)


@pytest.fixture(scope="session")
def api(db_url: str) -> Iterator[TestClient]:
    """A client on an app over the shared test database, with the in-process coding worker."""
    settings = Settings(database_url=db_url, upgrade_database=False, inline_coding=True)
    with TestClient(create_app(settings, coder=diagnosis_coder)) as client:
        yield client


@pytest.fixture(scope="session")
def api_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def world(api: TestClient, api_factory: sessionmaker[Session]) -> World:
    """Organization A."""
    return make_world(api_factory, api, "a")


@pytest.fixture(scope="session")
def other_world(api: TestClient, api_factory: sessionmaker[Session]) -> World:
    """Organization B."""
    return make_world(api_factory, api, "b")
