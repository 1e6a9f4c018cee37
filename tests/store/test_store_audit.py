"""The audit trail: append-only on both databases, and `verify` names the first edited, deleted
or reordered event after someone tampers with the table in raw SQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from medcoder.store import audit
from medcoder.store.db import make_engine, make_session_factory
from medcoder.store.models import AuditEvent


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[Engine]:
    eng = make_engine(fresh_db_url)
    yield eng
    eng.dispose()


def _record_five(engine: Engine) -> list[str]:
    """Five events in two transactions; returns their ids in order."""
    factory = make_session_factory(engine)
    ids = []
    with factory() as session:
        for n in range(3):
            ids.append(
                audit.record(
                    session,
                    "user:alice",
                    "patient.read",
                    f"patient/p{n}",
                    ip="10.0.0.1",
                    org_id="org1",
                ).id
            )
        session.commit()
        for n in range(3, 5):
            ids.append(
                audit.record(
                    session,
                    "worker",
                    "document.code",
                    f"document/d{n}",
                    detail={"codes": n, "note": "no phi"},
                ).id
            )
        session.commit()
    return ids


def _drop_protection(engine: Engine) -> None:
    """What an administrator who means harm would do first."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")


def _verify(engine: Engine) -> audit.VerifyResult:
    with Session(engine) as session:
        return audit.verify(session)


class TestRecord:
    def test_events_are_numbered_and_chained(self, fresh_engine: Engine) -> None:
        ids = _record_five(fresh_engine)
        with Session(fresh_engine) as session:
            events = list(reversed(audit.list_events(session)))
        assert [e.id for e in events] == ids
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert events[0].prev_hash == audit.GENESIS_HASH
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
        assert events[0].at.tzinfo is not None
        assert events[4].detail == {"codes": 4, "note": "no phi"}

    def test_unknown_outcome_is_refused(self, session: Session) -> None:
        with pytest.raises(ValueError, match="outcome must be one of success, denied, failure"):
            audit.record(session, "cli", "db.upgrade", "database", outcome="ok")

    def test_list_filters(self, fresh_engine: Engine) -> None:
        _record_five(fresh_engine)
        with Session(fresh_engine) as session:
            assert [e.resource for e in audit.list_events(session, org_id="org1", limit=2)] == [
                "patient/p2",
                "patient/p1",
            ]
            assert len(audit.list_events(session, action="document.")) == 2
            assert len(audit.list_events(session, actor="user:alice")) == 3
            assert [e.seq for e in audit.list_events(session, before_seq=3)] == [2, 1]


def test_missing_chain_head_is_a_clear_error(fresh_engine: Engine) -> None:
    with fresh_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_chain_head")
    with Session(fresh_engine) as session:
        with pytest.raises(audit.AuditError, match="create the database with `medcoder db"):
            audit.record(session, "cli", "x", "y")


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET actor = 'mallory'",
            "DELETE FROM audit_events",
        ],
    )
    def test_database_refuses_update_and_delete(self, fresh_engine: Engine, statement: str) -> None:
        _record_five(fresh_engine)
        with pytest.raises(DatabaseError, match="audit events are append-only"):
            with fresh_engine.begin() as conn:
                conn.exec_driver_sql(statement)
        assert _verify(fresh_engine).ok


class TestVerify:
    def test_untouched_chain_passes(self, fresh_engine: Engine) -> None:
        _record_five(fresh_engine)
        result = _verify(fresh_engine)
        assert result.ok and result.checked == 5

    def test_empty_chain_passes(self, fresh_engine: Engine) -> None:
        result = _verify(fresh_engine)
        assert result.ok and result.checked == 0

    def test_edited_column_is_named(self, fresh_engine: Engine) -> None:
        ids = _record_five(fresh_engine)
        _drop_protection(fresh_engine)
        with fresh_engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_events SET actor = 'user:bob' WHERE seq = 3")
        problem = _verify(fresh_engine).problem
        assert problem is not None
        assert (problem.kind, problem.event_id, problem.position) == ("edited", ids[2], 3)

    def test_edited_row_with_recomputed_hash_is_named(self, fresh_engine: Engine) -> None:
        ids = _record_five(fresh_engine)
        _drop_protection(fresh_engine)
        with Session(fresh_engine) as session:
            event = session.scalars(sa.select(AuditEvent).where(AuditEvent.seq == 2)).one()
            event.outcome = "denied"
            new_hash = audit.event_hash(event)
        with fresh_engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE audit_events SET outcome = 'denied', hash = :h WHERE seq = 2"),
                {"h": new_hash},
            )
        problem = _verify(fresh_engine).problem
        assert problem is not None
        assert (problem.kind, problem.event_id, problem.position) == ("edited", ids[1], 2)

    def test_deleted_event_is_named(self, fresh_engine: Engine) -> None:
        ids = _record_five(fresh_engine)
        _drop_protection(fresh_engine)
        with fresh_engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = 2")
        problem = _verify(fresh_engine).problem
        assert problem is not None
        assert (problem.kind, problem.event_id, problem.position) == ("deleted", ids[2], 2)
        assert "seq 2..2" in problem.message

    def test_deleted_last_event_is_noticed(self, fresh_engine: Engine) -> None:
        _record_five(fresh_engine)
        _drop_protection(fresh_engine)
        with fresh_engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = 5")
        problem = _verify(fresh_engine).problem
        assert problem is not None
        assert (problem.kind, problem.position, problem.seq) == ("deleted", 5, 5)

    def test_swapped_events_are_named(self, fresh_engine: Engine) -> None:
        ids = _record_five(fresh_engine)
        _drop_protection(fresh_engine)
        with fresh_engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_events SET seq = -1 WHERE seq = 3")
            conn.exec_driver_sql("UPDATE audit_events SET seq = 3 WHERE seq = 4")
            conn.exec_driver_sql("UPDATE audit_events SET seq = 4 WHERE seq = -1")
        problem = _verify(fresh_engine).problem
        assert problem is not None
        assert (problem.kind, problem.event_id, problem.position) == ("reordered", ids[3], 3)
        assert ids[2] in problem.message


class TestConcurrentWriters:
    def test_parallel_writers_keep_one_unbroken_chain(self, fresh_engine: Engine) -> None:
        """Eight threads, each with its own connection, append 15 events each."""
        factory = make_session_factory(fresh_engine)
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(15):
                    with factory() as session:
                        audit.record(session, f"user:u{n}", "patient.read", f"patient/{n}-{i}")
                        session.commit()
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        result = _verify(fresh_engine)
        assert result.ok and result.checked == 120


def _rewrite_from(engine: Engine, seq: int) -> None:
    """What an administrator who knows the scheme can do: change event ``seq`` and rehash the
    rest of the chain and its head — undetectable without an anchor kept elsewhere."""
    _drop_protection(engine)
    with Session(engine) as session:
        events = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
        session.expunge_all()
    previous = events[seq - 2].hash if seq > 1 else audit.GENESIS_HASH
    with engine.begin() as conn:
        for event in events[seq - 1 :]:
            if event.seq == seq:
                event.actor = "user:somebody-else"
            event.prev_hash = previous
            event.hash = audit.event_hash(event)
            previous = event.hash
            conn.execute(
                sa.text(
                    "UPDATE audit_events SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s"
                ),
                {"a": event.actor, "p": event.prev_hash, "h": event.hash, "s": event.seq},
            )
        conn.execute(sa.text("UPDATE audit_chain_head SET hash = :h"), {"h": previous})


class TestAnchors:
    def test_anchor_catches_a_rewritten_chain(self, fresh_engine: Engine) -> None:
        ids = _record_five(fresh_engine)
        with Session(fresh_engine) as session:
            anchor = audit.head(session)
            assert anchor[0] == 5
            assert audit.verify(session, anchors=dict([anchor])).ok
        _rewrite_from(fresh_engine, 3)
        with Session(fresh_engine) as session:
            assert audit.verify(session).ok  # the chain alone cannot tell
            problem = audit.verify(session, anchors=dict([anchor])).problem
        assert problem is not None
        assert (problem.kind, problem.event_id, problem.seq) == ("edited", ids[4], 5)
        assert "rewritten" in problem.message

    def test_anchor_catches_events_cut_from_the_end(self, fresh_engine: Engine) -> None:
        _record_five(fresh_engine)
        with Session(fresh_engine) as session:
            anchor = audit.head(session)
            fourth = session.scalars(sa.select(AuditEvent.hash).where(AuditEvent.seq == 4)).one()
        _drop_protection(fresh_engine)
        with fresh_engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq = 5")
            conn.execute(sa.text("UPDATE audit_chain_head SET seq = 4, hash = :h"), {"h": fourth})
        with Session(fresh_engine) as session:
            assert audit.verify(session).ok
            problem = audit.verify(session, anchors=dict([anchor])).problem
        assert problem is not None and (problem.kind, problem.seq) == ("deleted", 5)
