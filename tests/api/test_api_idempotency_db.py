"""Idempotency keys in the database (SQLite and PostgreSQL): a retry is recognised by another
app instance (another ``--workers`` process, a restart); the stored answer is encrypted; a
concurrent request with a key still running gets 409; keys expire after 24 hours."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from api_world import TestClient, World
from sqlalchemy.orm import Session, sessionmaker

from medcoder.api import Settings, create_app
from medcoder.api.idempotency import DatabaseIdempotency, fingerprint
from medcoder.api.problems import ProblemError
from medcoder.store.db import utcnow
from medcoder.store.idempotency_models import IdempotencyKeyRecord
from medcoder.store.models import Patient

V1 = "/api/v1"


@pytest.fixture
def second_app(db_url: str) -> Iterator[TestClient]:
    """Another app over the same database: what another server process or a restart is."""
    with TestClient(create_app(Settings(database_url=db_url, upgrade_database=False))) as client:
        yield client


def _patients_named(factory: sessionmaker[Session], org_id: str, last_name: str) -> int:
    with factory() as session:
        rows = session.scalars(sa.select(Patient).where(Patient.org_id == org_id)).all()
        return sum(1 for p in rows if p.last_name == last_name)


class TestAcrossProcesses:
    def test_retry_on_another_app_replays_and_creates_nothing(
        self,
        api: TestClient,
        second_app: TestClient,
        api_factory: sessionmaker[Session],
        world: World,
    ) -> None:
        last = f"Retry{uuid.uuid4().hex[:8]}"
        body = {"first_name": "Iris", "last_name": last, "birth_date": "1951-04-02"}
        headers = {**world.headers("coder"), "Idempotency-Key": f"k-{last}"}
        first = api.post(f"{V1}/patients", json=body, headers=headers)
        assert first.status_code == 201, first.text
        again = second_app.post(f"{V1}/patients", json=body, headers=headers)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert _patients_named(api_factory, world.org_id, last) == 1
        other = second_app.post(
            f"{V1}/patients", json={**body, "first_name": "Eve"}, headers=headers
        )
        assert other.status_code == 422
        assert "different request body" in other.json()["detail"]

    def test_stored_answer_is_encrypted_at_rest(
        self, api: TestClient, api_factory: sessionmaker[Session], world: World
    ) -> None:
        last = f"Secret{uuid.uuid4().hex[:8]}"
        key = f"k-{last}"
        body = {"first_name": "Olga", "last_name": last, "birth_date": "1949-09-09"}
        reply = api.post(
            f"{V1}/patients", json=body, headers={**world.headers("coder"), "Idempotency-Key": key}
        )
        assert reply.status_code == 201
        with api_factory() as session:
            raw = session.execute(
                sa.text("SELECT route, status_code, response FROM idempotency_keys WHERE key = :k"),
                {"k": key},
            ).one()
            assert raw.route == "POST /api/v1/patients" and raw.status_code == 201
            assert raw.response.startswith("mc1:") and last not in raw.response
            row = session.scalars(
                sa.select(IdempotencyKeyRecord).where(IdempotencyKeyRecord.key == key)
            ).one()
            assert row.response["last_name"] == last


@pytest.fixture
def store(session_factory: sessionmaker[Session]) -> DatabaseIdempotency:
    return DatabaseIdempotency(session_factory)


def _scope() -> str:
    return f"{uuid.uuid4().hex} POST /api/v1/things"


class TestDatabaseIdempotency:
    def test_concurrent_same_key_one_runs_the_other_gets_409(
        self, store: DatabaseIdempotency
    ) -> None:
        scope, fp = _scope(), fingerprint({"a": 1})
        started, release = threading.Event(), threading.Event()
        calls: list[str] = []
        outcome: dict[str, Any] = {}

        def slow_create() -> tuple[int, dict[str, str]]:
            calls.append("slow")
            started.set()
            assert release.wait(30)
            return 201, {"id": "first"}

        def first() -> None:
            outcome["first"] = store.run(scope, "k", fp, slow_create)

        worker = threading.Thread(target=first)
        worker.start()
        try:
            assert started.wait(30)
            with pytest.raises(ProblemError, match="still being processed") as caught:
                store.run(scope, "k", fp, lambda: (201, {"id": "second"}))
            assert caught.value.status == 409
            assert caught.value.headers == {"Retry-After": "1"}
        finally:
            release.set()
            worker.join(30)
        assert outcome["first"] == (201, {"id": "first"}, False)
        # Once the first has answered, the retry replays it.
        assert store.run(scope, "k", fp, lambda: (201, {"id": "third"})) == (
            201,
            {"id": "first"},
            True,
        )
        assert calls == ["slow"]

    def test_failure_is_forgotten_so_the_retry_runs(self, store: DatabaseIdempotency) -> None:
        scope = _scope()

        def boom() -> tuple[int, dict[str, str]]:
            raise ProblemError(409, "conflict")

        with pytest.raises(ProblemError, match="conflict"):
            store.run(scope, "k", "fp", boom)
        assert store.run(scope, "k", "fp", lambda: (201, {"ok": "yes"})) == (
            201,
            {"ok": "yes"},
            False,
        )

    def test_keys_expire_after_24_hours(self, session_factory: sessionmaker[Session]) -> None:
        now = [utcnow()]
        store = DatabaseIdempotency(session_factory, clock=lambda: now[0])
        scope = _scope()
        assert store.run(scope, "k", "fp", lambda: (201, {"n": 1}))[2] is False
        now[0] += dt.timedelta(hours=23)
        assert store.run(scope, "k", "fp", lambda: (201, {"n": 2})) == (201, {"n": 1}, True)
        now[0] += dt.timedelta(hours=2)
        # Expired: the key is free again (and the old row is gone).
        assert store.run(scope, "k", "other", lambda: (201, {"n": 3})) == (201, {"n": 3}, False)
        user = scope.split(" ")[0]
        with session_factory() as session:
            rows = session.scalars(
                sa.select(IdempotencyKeyRecord).where(IdempotencyKeyRecord.user_id == user)
            ).all()
            assert [(r.fingerprint, r.response) for r in rows] == [("other", {"n": 3})]

    def test_a_running_key_abandoned_by_a_dead_server_is_taken_over(
        self, session_factory: sessionmaker[Session]
    ) -> None:
        scope = _scope()
        user, route = scope.split(" ", 1)
        with session_factory() as session, session.begin():
            session.add(
                IdempotencyKeyRecord(
                    user_id=user,
                    route=route,
                    key="k",
                    fingerprint="fp",
                    created_at=utcnow() - dt.timedelta(minutes=20),
                )
            )
        store = DatabaseIdempotency(session_factory, stale_seconds=15 * 60)
        assert store.run(scope, "k", "fp", lambda: (201, {"n": 1})) == (201, {"n": 1}, False)

    def test_same_key_for_another_user_or_route_is_another_slot(
        self, store: DatabaseIdempotency
    ) -> None:
        scope = _scope()
        user = scope.split(" ")[0]
        assert store.run(scope, "k", "fp", lambda: (201, {"n": 1}))[1] == {"n": 1}
        assert store.run(f"{user} POST /api/v1/other", "k", "fp", lambda: (201, {"n": 2}))[
            1
        ] == {"n": 2}
        assert store.run(_scope(), "k", "fp", lambda: (201, {"n": 3}))[1] == {"n": 3}

    def test_too_long_key_is_422(self, store: DatabaseIdempotency) -> None:
        with pytest.raises(ProblemError, match="1 to 200 characters"):
            store.run(_scope(), "x" * 201, "fp", lambda: (201, {}))
