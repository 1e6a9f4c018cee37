"""Store speed: audited writes and reads, audit verify, key rotation — SQLite and PostgreSQL.

    .venv/bin/python benchmarks/store_bench.py [--documents 500] [--events 5000] [--pg URL]

Uses throw-away databases (a temporary SQLite file; a new database on the PostgreSQL server,
dropped at the end) and a random key. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

os.environ.setdefault("MEDCODER_ENCRYPTION_KEY", base64.b64encode(os.urandom(32)).decode())

from medcoder.store import audit, crypto, keys, repo  # noqa: E402
from medcoder.store.db import make_engine, make_session_factory, upgrade  # noqa: E402

NOTE = (
    "Chief complaint: cough and fever for three days. History: type 2 diabetes with chronic "
    "kidney disease stage 3, hypertension. Assessment: community acquired pneumonia, right "
    "lower lobe. Plan: amoxicillin, follow up in one week. "
) * 8


def timed(label: str, count: int, unit: str, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {count:>6} {unit:<10} {seconds:7.2f} s  {count / seconds:9.0f} {unit}/s")


def run(url: str, documents: int, events: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        org = repo.create_organization(session, "Bench")
        actor = repo.Actor(org_id=org.id, role="coder", name="bench")
        patient = repo.create_patient(
            session,
            actor,
            first_name="Ada",
            last_name="King",
            birth_date=dt.date(1980, 1, 1),
            mrn="B-1",
        )
        encounter = repo.create_encounter(
            session, actor, patient_id=patient.id, date_of_service=dt.date(2026, 5, 14)
        )
        session.commit()
    ids: list[str] = []

    def add_documents() -> None:
        for n in range(documents):
            with factory() as session:
                doc = repo.add_document(
                    session, actor, encounter_id=encounter.id, text=f"{NOTE} #{n}"
                )
                session.commit()
                ids.append(doc.id)

    def read_documents() -> None:
        for doc_id in ids:
            with factory() as session:
                assert repo.get_document(session, actor, doc_id).text.startswith("Chief")
                session.commit()

    def record_events() -> None:
        with factory() as session:
            for n in range(events):
                audit.record(session, "bench", "patient.read", f"patient/{n}")
                if n % 100 == 99:
                    session.commit()
            session.commit()

    total_events = 0

    def verify() -> None:
        nonlocal total_events
        with factory() as session:
            result = audit.verify(session)
            assert result.ok, result.problem
            total_events = result.checked

    timed("add document (encrypt + audit, 1 tx each)", documents, "docs", add_documents)
    timed("read document (decrypt + audit, 1 tx each)", documents, "docs", read_documents)
    timed("audit.record (100 per transaction)", events, "events", record_events)
    with factory() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEvent)) or 0
    timed("audit verify (whole chain)", int(count), "events", verify)
    key_file = Path(tempfile.mkdtemp()) / "keys"
    crypto.write_key_file(key_file, [crypto.active_keyring().current_key])

    def rotate() -> None:
        with factory() as session:
            keys.rotate(
                session,
                ring=crypto.KeyRing.of([crypto.active_keyring().current_key], source=str(key_file)),
                key_file=key_file,
            )

    timed("keys rotate (documents + patients)", documents + 1, "rows", rotate)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({tmp}/bench.db)")
        run(f"sqlite:///{tmp}/bench.db", args.documents, args.events)

    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    name = f"medcoder_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL at {args.pg} unreachable, skipped: {exc.orig}")
        return
    try:
        url = sa.engine.make_url(args.pg).set(database=name).render_as_string(hide_password=False)
        print(f"PostgreSQL ({name})")
        run(url, args.documents, args.events)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
