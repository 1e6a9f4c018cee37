"""One original (frequency 1) claim per encounter, guaranteed by the database (the partial
unique index of migration 0005), and two concurrent ``build_and_store`` of one encounter on
PostgreSQL: one stores its claim, the other gets the clear "already has an original claim"."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from test_claims_db import PRACTICE, seed_encounter

from medcoder.claims.db import build_and_store
from medcoder.claims.errors import ClaimStateError
from medcoder.claims.model import Frequency
from medcoder.claims.practice import Practice, load_practice
from medcoder.codesets import KnowledgeBase
from medcoder.edits.engine import Editor
from medcoder.store.claims_models import ClaimRecord
from medcoder.store.db import make_engine
from medcoder.store.models import Encounter


@pytest.fixture(scope="module")
def practice() -> Practice:
    return load_practice(PRACTICE)


def _originals(factory: sessionmaker[Session], encounter_id: str) -> list[ClaimRecord]:
    with factory() as session:
        return list(
            session.scalars(
                sa.select(ClaimRecord).where(
                    ClaimRecord.encounter_id == encounter_id, ClaimRecord.frequency == "1"
                )
            )
        )


def _row_like(record: ClaimRecord, frequency: str) -> ClaimRecord:
    return ClaimRecord(
        org_id=record.org_id, encounter_id=record.encounter_id,
        patient_control_number=record.patient_control_number, payer_key=record.payer_key,
        payer_id=record.payer_id, claim_type=record.claim_type, frequency=frequency,
        status="built", total_charge=Decimal("1.00"), snapshot={"copy": True},
        replaces_claim_id=record.id if frequency != "1" else None,
    )


class TestDatabaseGuarantee:
    def test_a_second_original_row_is_refused_a_replacement_is_not(
        self, session_factory: sessionmaker[Session], kb: KnowledgeBase, practice: Practice
    ) -> None:
        with session_factory() as session:
            encounter_id = seed_encounter(session)
            record = build_and_store(session, encounter_id, practice, Editor(kb))
            session.commit()
            session.expunge(record)
        with session_factory() as session:
            session.add(_row_like(record, "1"))
            with pytest.raises(IntegrityError):
                session.flush()
            session.rollback()
        with session_factory() as session, session.begin():
            session.add(_row_like(record, "7"))  # replacements are not originals
        assert [r.id for r in _originals(session_factory, encounter_id)] == [record.id]


def _wait_until_blocked(factory: sessionmaker[Session], application: str) -> None:
    """Until the PostgreSQL backend of ``application`` waits on a lock (the unique index)."""
    with factory() as session:
        for _ in range(600):
            waiting = session.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app"
                    " AND wait_event_type = 'Lock'"
                ),
                {"app": application},
            ).scalar_one()
            if waiting:
                return
            session.rollback()
            time.sleep(0.05)
    raise AssertionError(f"{application} never waited on the unique index")


class TestConcurrentBuilds:
    # Two writers at once need PostgreSQL: SQLite runs one writer at a time, so the race
    # cannot happen there (the index itself is tested on both databases above).
    @pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
    def test_two_builds_store_one_original_the_other_is_told_clearly(
        self, db_backend: str, db_url: str, kb: KnowledgeBase, practice: Practice
    ) -> None:
        engines = [
            make_engine(db_url, connect_args={"application_name": f"medcoder-race-{n}"})
            for n in ("a", "b")
        ]
        factories = [sessionmaker(e, expire_on_commit=False) for e in engines]
        try:
            with factories[0]() as session:
                encounter_id = seed_encounter(session)
            first = factories[0]()
            second = factories[1]()
            # A builds and flushes: its original is in the index, not yet committed.
            built = build_and_store(first, encounter_id, practice, Editor(kb), actor="a")
            outcome: dict[str, Any] = {}

            def build_second() -> None:
                try:
                    # B started before A committed: it sees no claim and inserts its own.
                    outcome["record"] = build_and_store(
                        second, encounter_id, practice, Editor(kb), actor="b"
                    )
                except ClaimStateError as exc:
                    outcome["error"] = exc
                    second.rollback()

            thread = threading.Thread(target=build_second)
            thread.start()
            _wait_until_blocked(factories[0], "medcoder-race-b")
            first.commit()
            thread.join(60)
            assert not thread.is_alive()
            assert "record" not in outcome
            error = outcome["error"]
            assert isinstance(error, ClaimStateError)
            assert f"encounter {encounter_id} already has an original claim" in str(error)
            assert [r.id for r in _originals(factories[0], encounter_id)] == [built.id]
            # B's session is usable again, and its encounter untouched by the failed build.
            assert second.get_one(Encounter, encounter_id).status == "billed"
            first.close()
            second.close()
            # A later original build, as before, replaces the unsent original in place.
            with factories[1]() as session:
                again = build_and_store(session, encounter_id, practice, Editor(kb))
                session.commit()
                assert again.frequency == Frequency.ORIGINAL.value
            assert [r.id for r in _originals(factories[0], encounter_id)] == [again.id]
        finally:
            for engine in engines:
                engine.dispose()
