"""Property-based API test from the OpenAPI document (schemathesis): for every operation,
generated requests (authenticated as a coder) never get a 5xx and every answer matches the
documented response schema. Bounded: a few examples per operation, a deadline per example.

schemathesis' own pytest plugin does not run on pytest 9 (it reads ``Function._nodeid``), so
the operations are parametrized here and each runs its strategy under ``hypothesis.given``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_world import TestClient, World
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from medcoder.api import Settings, create_app

MAX_EXAMPLES = 6
DEADLINE_MS = 10_000


@pytest.fixture(autouse=True)
def _end_asgi_lifespans() -> Iterator[None]:
    """schemathesis starts the app's lifespan for its ASGI calls and keeps it until asked to end
    it (its own pytest plugin does this after each test): end it here too."""
    yield
    asgi.shutdown_lifespans()


def _operations() -> list[tuple[str, str]]:
    # The document is static: read it from an app that never touches its database (a file in
    # a throwaway folder, not the working directory).
    unused = Path(tempfile.mkdtemp(prefix="medcoder-openapi-")) / "unused.db"
    app = create_app(Settings(database_url=f"sqlite:///{unused}", upgrade_database=False))
    paths = app.openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.mark.parametrize("method,path", _operations())
def test_no_server_errors_and_documented_responses(
    api: TestClient, world: World, method: str, path: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.app)
    operation = schema[path][method]
    headers = world.headers("coder")
    statuses: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=DEADLINE_MS,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )
        statuses.append(response.status_code)

    check()
    assert statuses, "no request was generated"


def test_operations_are_all_covered() -> None:
    labels = {f"{m} {p}" for m, p in _operations()}
    assert "POST /api/v1/encounters/{encounter_id}/documents" in labels
    assert "POST /api/v1/encounters/{encounter_id}/codes/{assignment_id}/review" in labels
    assert len(labels) >= 15
