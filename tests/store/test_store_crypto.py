"""Encryption at rest: AES-GCM round trips, keys from file/env/dev default, note text absent
from the database bytes, and key rotation on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from medcoder.store import audit, crypto, keys, repo
from medcoder.store.db import make_engine, make_session_factory, upgrade
from medcoder.store.models import CodeAssignment, CodingRun, Document, Patient

NOTE = (
    "Chief complaint: productive cough and fever for three days. Assessment: community "
    "acquired pneumonia of the right lower lobe; start amoxicillin. Patient Zebulon Quixote."
)
NOTE_WORDS = ["productive cough", "pneumonia", "Pneumonia", "amoxicillin", "Zebulon", "Quixote"]


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


class TestKeyRing:
    def test_round_trip_and_fresh_nonce(self) -> None:
        ring = crypto.KeyRing.of([crypto.generate_key()])
        one = ring.encrypt(b"J18.9 pneumonia", purpose="documents.text")
        two = ring.encrypt(b"J18.9 pneumonia", purpose="documents.text")
        assert one != two  # random nonce per value
        assert one.startswith(f"mc1:{ring.current_id}:")
        assert ring.decrypt(one, purpose="documents.text") == b"J18.9 pneumonia"

    def test_a_value_moved_to_another_column_does_not_decrypt(self) -> None:
        ring = crypto.KeyRing.of([crypto.generate_key()])
        token = ring.encrypt(b"Lovelace", purpose="patients.last_name")
        with pytest.raises(crypto.EncryptionError, match="altered or moved"):
            ring.decrypt(token, purpose="patients.first_name")

    def test_an_altered_value_does_not_decrypt(self) -> None:
        ring = crypto.KeyRing.of([crypto.generate_key()])
        token = ring.encrypt(b"Lovelace", purpose="p")
        body = bytearray(base64.b64decode(token.split(":")[2]))
        body[-1] ^= 1
        altered = f"mc1:{ring.current_id}:{base64.b64encode(bytes(body)).decode()}"
        with pytest.raises(crypto.EncryptionError, match="does not decrypt"):
            ring.decrypt(altered, purpose="p")

    def test_unknown_key_is_named(self) -> None:
        old, new = crypto.KeyRing.of([crypto.generate_key()]), crypto.generate_key()
        token = old.encrypt(b"x", purpose="p")
        with pytest.raises(crypto.EncryptionError, match=f"sealed with key {old.current_id}"):
            crypto.KeyRing.of([new]).decrypt(token, purpose="p")
        assert crypto.KeyRing.of([new, old.current_key]).decrypt(token, purpose="p") == b"x"

    def test_digest_is_keyed(self) -> None:
        a, b = (
            crypto.KeyRing.of([crypto.generate_key()]),
            crypto.KeyRing.of([crypto.generate_key()]),
        )
        assert a.digest("MRN-1", purpose="patients.mrn") == a.digest(
            "MRN-1", purpose="patients.mrn"
        )
        assert a.digest("MRN-1", purpose="patients.mrn") != b.digest(
            "MRN-1", purpose="patients.mrn"
        )
        import hashlib

        assert a.digest("MRN-1", purpose="x") != hashlib.sha256(b"MRN-1").hexdigest()


class TestLoadKeys:
    def test_key_file_first_key_is_current(self, tmp_path: Path) -> None:
        k1, k2 = crypto.generate_key(), crypto.generate_key()
        path = tmp_path / "keys"
        crypto.write_key_file(path, [k1, k2])
        ring = crypto.load_keyring({"MEDCODER_KEY_FILE": str(path)})
        assert ring.current_id == crypto.key_id(k1) and set(ring.keys) == {
            crypto.key_id(k1),
            crypto.key_id(k2),
        }
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_a_key_file_others_can_read_is_warned_about(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        path = tmp_path / "keys"
        crypto.write_key_file(path, [crypto.generate_key()])
        crypto.load_keyring({"MEDCODER_KEY_FILE": str(path)})
        assert "readable by others" not in caplog.text
        path.chmod(0o644)
        crypto.load_keyring({"MEDCODER_KEY_FILE": str(path)})
        assert "readable by others (mode 644)" in caplog.text

    def test_env_key(self) -> None:
        key = crypto.generate_key()
        ring = crypto.load_keyring({"MEDCODER_ENCRYPTION_KEY": _b64(key)})
        assert ring.current_key == key

    @pytest.mark.parametrize(
        "value, message",
        [
            ("not base64!", "base64 of 32 bytes"),
            (_b64(b"short"), "must be 32 bytes, got 5"),
        ],
    )
    def test_bad_env_key_is_refused(self, value: str, message: str) -> None:
        with pytest.raises(crypto.EncryptionError, match=message):
            crypto.load_keyring({"MEDCODER_ENCRYPTION_KEY": value})

    def test_missing_key_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(crypto.EncryptionError, match="key file .*nope does not exist"):
            crypto.load_keyring({"MEDCODER_KEY_FILE": str(tmp_path / "nope")})

    def test_dev_default_generates_a_private_key_file_once(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        first = crypto.load_keyring({}, data_home=tmp_path)
        path = tmp_path / crypto.DEV_KEY_FILENAME
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "generated a development key" in caplog.text
        assert crypto.load_keyring({}, data_home=tmp_path).current_key == first.current_key


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[Engine]:
    eng = make_engine(fresh_db_url)
    yield eng
    eng.dispose()


def _store_note(engine: Engine) -> tuple[repo.Actor, str, str]:
    factory = make_session_factory(engine)
    with factory() as session:
        org = repo.create_organization(session, "Clinic")
        actor = repo.Actor(org_id=org.id, role="coder", name="test")
        patient = repo.create_patient(
            session,
            actor,
            first_name="Zebulon",
            last_name="Quixote",
            birth_date=dt.date(1961, 3, 4),
            sex="M",
            mrn="MRN-424242",
            phone="555-0199",
            address_line1="12 Windmill Road",
        )
        encounter = repo.create_encounter(
            session, actor, patient_id=patient.id, date_of_service=dt.date(2026, 5, 14)
        )
        document = repo.add_document(session, actor, encounter_id=encounter.id, text=NOTE)
        session.add(
            CodeAssignment(
                org_id=org.id,
                encounter_id=encounter.id,
                code="J18.9",
                system="ICD10CM",
                evidence=[{"start": 70, "end": 79, "text": "pneumonia"}],
                reason="changed after talking to Zebulon Quixote",
                rationale="Index: Pneumonia -> J18.9",
                status="changed",
            )
        )
        session.add(
            CodingRun(
                org_id=org.id,
                document_id=document.id,
                encounter_id=encounter.id,
                status="failed",
                error="ValueError: cannot parse 'amoxicillin'",
                warnings=["query: 'productive cough' for how long?"],
            )
        )
        session.commit()
        return actor, patient.id, document.id


class TestAtRest:
    def test_round_trip_through_the_store(self, fresh_engine: Engine) -> None:
        actor, patient_id, document_id = _store_note(fresh_engine)
        with Session(fresh_engine) as session:
            patient = repo.get_patient(session, actor, patient_id)
            assert (patient.first_name, patient.birth_date, patient.mrn) == (
                "Zebulon",
                dt.date(1961, 3, 4),
                "MRN-424242",
            )
            assert repo.get_document(session, actor, document_id).text == NOTE
            raw = session.execute(sa.text("SELECT text, text_hash FROM documents")).one()
            assert raw.text.startswith("mc1:") and NOTE[:20] not in raw.text
            assert raw.text_hash == crypto.digest(NOTE, purpose="documents.text")

    def test_note_words_are_not_in_the_sqlite_file(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'medcoder.db'}"
        upgrade(url)
        engine = make_engine(url)
        _store_note(engine)
        engine.dispose()
        files = [p for p in tmp_path.iterdir() if p.name.startswith("medcoder.db")]
        data = b"".join(p.read_bytes() for p in files)  # the database, its WAL and index
        text = "\n".join(m.decode() for m in re.findall(rb"[\x20-\x7e]{4,}", data))  # `strings`
        assert "Clinic" in text  # the scan does see row data (the organization name is plain)
        for words in [*NOTE_WORDS, "Windmill", "424242", "555-0199", "1961-03-04"]:
            assert words not in text, words

    def test_no_phi_column_holds_plaintext(self, fresh_engine: Engine) -> None:
        _store_note(fresh_engine)
        with fresh_engine.connect() as conn:
            dump = "\n".join(
                repr(row)
                for table in (
                    "patients",
                    "documents",
                    "code_assignments",
                    "audit_events",
                    "coverages",
                    "coding_runs",
                )
                for row in conn.execute(sa.text(f"SELECT * FROM {table}"))
            )
        for words in [*NOTE_WORDS, "Windmill", "424242", "555-0199", "1961-03-04"]:
            assert words not in dump, words


class TestRotation:
    def test_rotate_reseals_everything_and_drops_the_old_key(
        self, fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old_key = crypto.generate_key()
        key_file = tmp_path / "medcoder.keys"
        crypto.write_key_file(key_file, [old_key])
        monkeypatch.setenv("MEDCODER_KEY_FILE", str(key_file))
        crypto.reset_keyring()
        try:
            actor, patient_id, document_id = _store_note(fresh_engine)
            old_id = crypto.key_id(old_key)
            with Session(fresh_engine) as session:
                stored = session.get(Document, document_id)
                assert stored is not None
                old_hash = stored.text_hash
                report = keys.rotate(session, ring=crypto.active_keyring(), key_file=key_file)
            assert report.old_key_ids == (old_id,) and report.new_key_id != old_id
            assert report.resealed["documents.text"] == 1
            assert report.resealed["patients.first_name"] == 1
            assert report.resealed["code_assignments.evidence"] == 1
            assert report.digests == 2  # documents.text_hash, patients.mrn_hash
            # The key file now holds only the new key, and a fresh process reads everything.
            assert key_file.read_text().split() == [_b64(crypto.active_keyring().current_key)]
            crypto.reset_keyring()
            with Session(fresh_engine) as session:
                assert keys.stale_values(session, report.new_key_id) == {}
                document = repo.get_document(session, actor, document_id)
                assert document.text == NOTE and document.text_hash != old_hash
                assert document.text_hash == crypto.digest(NOTE, purpose="documents.text")
                assert repo.list_patients(session, actor, mrn="MRN-424242").total == 1
                patient = session.get(Patient, patient_id)
                assert patient is not None and patient.last_name == "Quixote"
                tokens = session.execute(sa.text("SELECT first_name FROM patients")).scalars()
                assert all(t.startswith(f"mc1:{report.new_key_id}:") for t in tokens)
                assert audit.list_events(session, action="keys.rotate")
                assert audit.verify(session).ok
        finally:
            crypto.reset_keyring()

    def test_failed_rotation_changes_nothing_and_keeps_both_keys(
        self, fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        key_file = tmp_path / "medcoder.keys"
        crypto.write_key_file(key_file, [crypto.generate_key()])
        monkeypatch.setenv("MEDCODER_KEY_FILE", str(key_file))
        crypto.reset_keyring()
        try:
            _store_note(fresh_engine)
            stranger = crypto.KeyRing.of([crypto.generate_key()])
            with fresh_engine.begin() as conn:  # a value no key of the ring opens
                conn.execute(
                    sa.text("UPDATE patients SET city = :c"),
                    {"c": stranger.encrypt(b"Toboso", purpose="patients.city")},
                )
            with fresh_engine.connect() as conn:
                before = conn.execute(sa.text("SELECT text FROM documents")).scalar_one()
            ring = crypto.active_keyring()
            with (
                Session(fresh_engine) as session,
                pytest.raises(
                    crypto.EncryptionError, match=f"sealed with key {stranger.current_id}"
                ),
            ):
                keys.rotate(session, ring=ring, key_file=key_file)
            with fresh_engine.connect() as conn:
                after = conn.execute(sa.text("SELECT text FROM documents")).scalar_one()
            assert after == before  # rolled back: still under the old key
            assert len(key_file.read_text().split()) == 2  # new + old, both readable
            assert key_file.read_text().split()[1] == _b64(ring.current_key)
        finally:
            crypto.reset_keyring()


class TestNoSqlComparisons:
    def test_comparing_an_encrypted_column_is_refused(self) -> None:
        with pytest.raises(TypeError, match="patients.last_name is encrypted"):
            sa.select(Patient).where(Patient.last_name == "Quixote")
        with pytest.raises(TypeError, match="documents.text is encrypted"):
            sa.select(Document).where(Document.text.contains("pneumonia"))
        assert "IS NULL" in str(sa.select(Patient).where(Patient.mrn.is_(None)))


def test_concurrent_first_use_agrees_on_one_dev_key(tmp_path: Path) -> None:
    import threading

    rings: list[crypto.KeyRing] = []
    threads = [
        threading.Thread(target=lambda: rings.append(crypto.load_keyring({}, data_home=tmp_path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(rings) == 8 and len({r.current_key for r in rings}) == 1
    assert [p.name for p in tmp_path.iterdir()] == [crypto.DEV_KEY_FILENAME]  # no temp files left
