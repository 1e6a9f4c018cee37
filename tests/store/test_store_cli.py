"""`medcoder db upgrade`, `audit verify`, `audit list` and `keys rotate` from the command line,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from medcoder.cli import app
from medcoder.store import crypto, repo
from medcoder.store.db import current_revision, make_engine, make_session_factory

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _activity(url: str) -> list[str]:
    """Three audited actions; returns the audit event ids in order."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            org = repo.create_organization(session, "Clinic")
            actor = repo.Actor(org_id=org.id, role="coder", name="test", ip="10.9.9.9")
            patient = repo.create_patient(
                session, actor, first_name="Ada", last_name="King", birth_date=dt.date(1980, 1, 1)
            )
            repo.get_patient(session, actor, patient.id)
            session.commit()
            rows = session.execute(sa.text("SELECT id FROM audit_events ORDER BY seq"))
            return list(rows.scalars())
    finally:
        engine.dispose()


def _tamper(url: str, *statements: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            else:
                conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
                conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


class TestDbUpgrade:
    def test_creates_the_tables_and_says_the_revision(self, empty_db_url: str) -> None:
        code, out = invoke("db", "upgrade", "--database-url", empty_db_url, "--json")
        assert code == 0, out
        head = current_revision(empty_db_url)
        assert head is not None and json.loads(out)["revision"] == head
        code, out = invoke("db", "upgrade", "--database-url", empty_db_url)
        assert code == 0 and f"is at revision {head}" in " ".join(out.split())

    def test_unknown_revision_is_a_clear_error(self, empty_db_url: str) -> None:
        code, out = invoke("db", "upgrade", "--database-url", empty_db_url, "--revision", "9999")
        assert code == 2 and "cannot migrate to '9999'" in out

    def test_not_a_url(self) -> None:
        code, out = invoke("db", "upgrade", "--database-url", "not a url")
        assert code == 2 and "is not a database URL" in out


class TestAuditVerify:
    def test_passes_untouched_then_fails_naming_the_edited_event(self, fresh_db_url: str) -> None:
        ids = _activity(fresh_db_url)
        code, out = invoke("audit", "verify", "--database-url", fresh_db_url)
        assert code == 0, out
        assert f"audit trail intact: {len(ids)} events" in out

        _tamper(fresh_db_url, "UPDATE audit_events SET ip = '192.0.2.1' WHERE seq = 2")
        code, out = invoke("audit", "verify", "--database-url", fresh_db_url)
        flat = " ".join(out.split())
        assert code == 1
        assert f"edited: event {ids[1]} at position 2 (seq 2)" in flat

    def test_json_names_a_deleted_event(self, fresh_db_url: str) -> None:
        ids = _activity(fresh_db_url)
        _tamper(fresh_db_url, "DELETE FROM audit_events WHERE seq = 1")
        code, out = invoke("audit", "verify", "--database-url", fresh_db_url, "--json")
        assert code == 1
        data = json.loads(out)
        assert data["ok"] is False
        assert data["problem"]["kind"] == "deleted" and data["problem"]["event_id"] == ids[1]

    def test_missing_sqlite_file_is_not_created(self, tmp_path: Path) -> None:
        path = tmp_path / "nothing.db"
        code, out = invoke("audit", "verify", "--database-url", f"sqlite:///{path}")
        assert code == 2 and "medcoder db upgrade" in out and not path.exists()

    def test_unmigrated_database_is_a_clear_error(self, empty_db_url: str) -> None:
        engine = make_engine(empty_db_url)  # connect once: the SQLite file then exists
        engine.connect().close()
        engine.dispose()
        code, out = invoke("audit", "verify", "--database-url", empty_db_url)
        assert code == 2 and "run `medcoder db upgrade`" in " ".join(out.split())


class TestAuditList:
    def test_filters_and_json(self, fresh_db_url: str) -> None:
        _activity(fresh_db_url)
        code, out = invoke(
            "audit", "list", "--database-url", fresh_db_url, "--action", "patient.", "--json"
        )
        assert code == 0, out
        rows = json.loads(out)
        assert [r["action"] for r in rows] == ["patient.read", "patient.create"]
        assert rows[0]["ip"] == "10.9.9.9" and rows[0]["actor"] == "test"
        code, out = invoke("audit", "list", "--database-url", fresh_db_url)
        assert code == 0 and "audit events (3, newest first)" in out and "success" in out

    def test_bad_outcome_and_time(self, fresh_db_url: str) -> None:
        code, out = invoke("audit", "list", "--database-url", fresh_db_url, "--outcome", "ok")
        assert code == 2 and "--outcome must be one of success, denied, failure" in out
        code, out = invoke("audit", "list", "--database-url", fresh_db_url, "--since", "May 1")
        assert code == 2 and "--since must be a date or time" in out


class TestKeysRotate:
    def test_rotates_and_data_stays_readable(
        self, fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key_file = tmp_path / "keys"
        crypto.write_key_file(key_file, [crypto.generate_key()])
        monkeypatch.setenv("MEDCODER_KEY_FILE", str(key_file))
        crypto.reset_keyring()
        try:
            _activity(fresh_db_url)
            old = key_file.read_text()
            code, out = invoke("keys", "rotate", "--database-url", fresh_db_url, "--json")
            assert code == 0, out
            report = json.loads(out)
            assert report["resealed"]["patients.last_name"] == 1
            assert key_file.read_text() != old and len(key_file.read_text().split()) == 1
            crypto.reset_keyring()
            engine = make_engine(fresh_db_url)
            with engine.connect() as conn:
                token = conn.execute(sa.text("SELECT last_name FROM patients")).scalar_one()
            engine.dispose()
            assert token.startswith(f"mc1:{report['new_key_id']}:")
            assert crypto.decrypt(token, purpose="patients.last_name") == "King"
        finally:
            crypto.reset_keyring()

    def test_env_key_needs_a_key_file(
        self, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("MEDCODER_KEY_FILE", raising=False)
        code, out = invoke("keys", "rotate", "--database-url", fresh_db_url)
        assert code == 2 and "give --key-file PATH" in " ".join(out.split())


class TestKeysStatus:
    def test_counts_values_by_key_and_flags_unknown_keys(
        self, fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key_file = tmp_path / "keys"
        crypto.write_key_file(key_file, [crypto.generate_key()])
        monkeypatch.setenv("MEDCODER_KEY_FILE", str(key_file))
        crypto.reset_keyring()
        try:
            _activity(fresh_db_url)  # one patient: first and last name, birth date
            current = crypto.active_keyring().current_id
            code, out = invoke("keys", "status", "--database-url", fresh_db_url, "--json")
            assert code == 0, out
            status = json.loads(out)
            assert status["current_key_id"] == current
            assert status["values_by_key"] == {
                current: {
                    "patients.birth_date": 1,
                    "patients.first_name": 1,
                    "patients.last_name": 1,
                }
            }
            # A key file that lost a key: the values it sealed are flagged, exit 1.
            crypto.write_key_file(key_file, [crypto.generate_key()])
            crypto.reset_keyring()
            code, out = invoke("keys", "status", "--database-url", fresh_db_url)
            assert code == 1 and f"values sealed with keys not in the ring: {current}" in out
        finally:
            crypto.reset_keyring()


class TestAuditHead:
    def test_head_then_verify_with_anchor(self, fresh_db_url: str) -> None:
        ids = _activity(fresh_db_url)
        code, out = invoke("audit", "head", "--database-url", fresh_db_url)
        assert code == 0
        anchor = out.strip()
        assert anchor.startswith(f"{len(ids)}:") and len(anchor.split(":")[1]) == 64
        code, out = invoke("audit", "verify", "--database-url", fresh_db_url, "--anchor", anchor)
        assert code == 0, out
        wrong = f"{len(ids)}:{'0' * 64}"
        code, out = invoke("audit", "verify", "--database-url", fresh_db_url, "--anchor", wrong)
        assert code == 1 and "not the anchored" in " ".join(out.split())

    def test_bad_anchor(self, fresh_db_url: str) -> None:
        code, out = invoke("audit", "verify", "--database-url", fresh_db_url, "--anchor", "x:y")
        assert code == 2 and "--anchor must be SEQ:HASH" in out
