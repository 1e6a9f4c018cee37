"""Claims in the database (SQLite and PostgreSQL): build from a stored, reviewed encounter,
store exactly (Numeric), batch a payer's claims into one 837 with database control numbers;
`medcoder claim build` and `claim x12 --payer`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from medcoder.claims.db import DatabaseControlNumbers, build_and_store, write_payer_batch
from medcoder.claims.errors import ClaimEditError, ClaimError, ClaimStateError
from medcoder.claims.model import Frequency
from medcoder.claims.practice import Practice, load_practice
from medcoder.claims.serialize import claim_from_dict, claim_to_dict
from medcoder.claims.state import ClaimStatus, advance
from medcoder.claims.x12.validate import validate_x12
from medcoder.cli import app
from medcoder.codesets import KnowledgeBase
from medcoder.edits.engine import Editor
from medcoder.errors import InputError
from medcoder.store.claims_models import ClaimLineRecord, ClaimRecord, X12Batch
from medcoder.store.models import (
    CodeAssignment,
    Coverage,
    Encounter,
    Organization,
    Patient,
    Payer,
    Provider,
)

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = ROOT / "examples" / "practice" / "practice.yaml"


@pytest.fixture(scope="module")
def practice() -> Practice:
    return load_practice(PRACTICE)


def seed_encounter(session: Session, *, dx: tuple[str, ...] = ("E11.22", "N18.31", "Z79.4"),
                   payer_id: str = "60054", relationship: str = "self") -> str:
    """A reviewed office visit: org, payer, provider, patient, coverage, accepted codes."""
    org = Organization(name="Example Family Medicine")
    session.add(org)
    session.flush()
    payer = Payer(org_id=org.id, payer_id=payer_id, name="EXAMPLE HEALTH PLAN")
    provider = Provider(org_id=org.id, npi="9876543213", name="WELBY", first_name="MARCUS")
    patient = Patient(org_id=org.id, first_name="Jane", last_name="Doe",
                      birth_date=dt.date(1968, 2, 11), sex="F", address_line1="12 Oak St",
                      city="Springfield", state="IL", postal_code="62704")
    session.add_all([payer, provider, patient])
    session.flush()
    coverage = Coverage(org_id=org.id, patient_id=patient.id, payer_id=payer.id, priority=1,
                        member_id="XEP123456789", group_number="GRP1001",
                        subscriber_relationship=relationship,
                        subscriber_first_name="John" if relationship != "self" else None,
                        subscriber_last_name="Doe" if relationship != "self" else None,
                        subscriber_birth_date=dt.date(1966, 3, 1)
                        if relationship != "self" else None)
    encounter = Encounter(org_id=org.id, patient_id=patient.id, provider_id=provider.id,
                          date_of_service=dt.date(2026, 5, 14), place_of_service="11",
                          status="coded")
    session.add_all([coverage, encounter])
    session.flush()
    for i, code in enumerate(dx):
        session.add(CodeAssignment(org_id=org.id, encounter_id=encounter.id, position=i,
                                   code=code, system="ICD10CM", status="accepted"))
    session.add(CodeAssignment(org_id=org.id, encounter_id=encounter.id, position=9,
                               code="R06.2", system="ICD10CM", status="rejected"))
    session.add(CodeAssignment(org_id=org.id, encounter_id=encounter.id, position=10,
                               code="99214", system="CPT", status="accepted",
                               detail={"units": 1, "modifiers": [],
                                       "diagnosis_pointers": list(range(1, len(dx) + 1))}))
    session.add(CodeAssignment(org_id=org.id, encounter_id=encounter.id, position=11,
                               code="82947", system="CPT", status="changed",
                               detail={"units": 2, "diagnosis_pointers": [1]}))
    session.commit()
    return encounter.id


class TestBuildAndBatch:
    def test_build_store_batch(self, session_factory: sessionmaker[Session],
                               kb: KnowledgeBase, practice: Practice) -> None:
        with session_factory() as session:
            enc_id = seed_encounter(session)
            record = build_and_store(session, enc_id, practice, Editor(kb))
            session.commit()
            claim_id = record.id
        with session_factory() as session:
            record = session.get_one(ClaimRecord, claim_id)
            assert record.total_charge == Decimal("183.50")  # 165.00 + 2 x 9.25
            assert isinstance(record.total_charge, Decimal)
            assert record.status == "built" and record.payer_key == "EXAMPLE-PAYER"
            assert session.get_one(Encounter, record.encounter_id).status == "billed"
            lines = session.scalars(select(ClaimLineRecord).where(
                ClaimLineRecord.claim_id == claim_id).order_by(ClaimLineRecord.line_number)
            ).all()
            assert [(ln.code, ln.units, ln.charge) for ln in lines] == [
                ("99214", 1, Decimal("165.00")), ("82947", 2, Decimal("18.50"))]
            claim = claim_from_dict(record.snapshot)
            assert claim.diagnoses == ("E1122", "N1831", "Z794")  # the rejected R06.2 left out
            assert claim.rendering_provider is not None
            assert claim.rendering_provider.npi == "9876543213"

            result = write_payer_batch(session, practice, "EXAMPLE-PAYER",
                                       file_name="b1.837", org_id=record.org_id)
            session.commit()
            assert validate_x12(result.text).errors == ()
            assert f"CLM*{record.patient_control_number}*183.5***11:B:1" in result.text
            assert session.get_one(ClaimRecord, claim_id).status == "submitted"
            batch = session.get_one(X12Batch, result.batch.id)
            assert batch.claim_count == 1 and batch.total_charge == Decimal("183.50")
            assert f"*{batch.control_number:09d}*" in result.text.splitlines()[0]
            # Nothing left to send for this organization.
            with pytest.raises(ClaimError, match="no built, unsubmitted claims"):
                write_payer_batch(session, practice, "60054", file_name="b2.837",
                                  org_id=record.org_id)
            # Submitted once: a second original is refused.
            with pytest.raises(ClaimStateError, match="already has claim .* replacement"):
                build_and_store(session, record.encounter_id, practice, Editor(kb))

    def test_replacement_after_denial(self, session_factory: sessionmaker[Session],
                                      kb: KnowledgeBase, practice: Practice) -> None:
        with session_factory() as session:
            enc_id = seed_encounter(session)
            first = build_and_store(session, enc_id, practice, Editor(kb))
            session.commit()
            write_payer_batch(session, practice, "EXAMPLE-PAYER", file_name="c.837",
                              org_id=first.org_id)
            for step in ("accepted", "denied"):
                first.status = advance(first.status, step).value
            session.commit()
            with pytest.raises(InputError, match="needs original_claim_reference"):
                build_and_store(session, enc_id, practice, Editor(kb),
                                frequency=Frequency.REPLACEMENT)
            session.rollback()
            second = build_and_store(session, enc_id, practice, Editor(kb),
                                     frequency=Frequency.REPLACEMENT,
                                     original_claim_reference="2026135000123")
            session.commit()
            assert second.replaces_claim_id == first.id and second.frequency == "7"
            assert session.get_one(ClaimRecord, first.id).status == "corrected"
            text = write_payer_batch(session, practice, "EXAMPLE-PAYER", file_name="d.837",
                                     org_id=first.org_id).text
            assert "REF*F8*2026135000123~" in text and ":B:7*" in text
            assert validate_x12(text).ok

    def test_rebuild_before_sending_replaces_the_built_claim(
            self, session_factory: sessionmaker[Session], kb: KnowledgeBase,
            practice: Practice) -> None:
        with session_factory() as session:
            enc_id = seed_encounter(session)
            build_and_store(session, enc_id, practice, Editor(kb))
            session.commit()
            build_and_store(session, enc_id, practice, Editor(kb))
            session.commit()
            rows = session.scalars(select(ClaimRecord).where(
                ClaimRecord.encounter_id == enc_id)).all()
            assert len(rows) == 1

    def test_error_edits_store_nothing(self, session_factory: sessionmaker[Session],
                                       kb: KnowledgeBase, practice: Practice) -> None:
        with session_factory() as session:
            enc_id = seed_encounter(session, dx=("J45.909", "R06.2"))
            with pytest.raises(ClaimEditError, match="icd10cm.excludes1"):
                build_and_store(session, enc_id, practice, Editor(kb))
            session.rollback()
            assert session.scalars(select(ClaimRecord).where(
                ClaimRecord.encounter_id == enc_id)).all() == []

    def test_encounter_under_review_is_not_billed(
            self, session_factory: sessionmaker[Session], kb: KnowledgeBase,
            practice: Practice) -> None:
        with session_factory() as session:
            enc_id = seed_encounter(session)
            session.get_one(Encounter, enc_id).status = "to_review"
            session.commit()
            with pytest.raises(InputError, match="is to_review: only a coded encounter"):
                build_and_store(session, enc_id, practice, Editor(kb))

    def test_dependent_coverage(self, session_factory: sessionmaker[Session],
                                kb: KnowledgeBase, practice: Practice) -> None:
        with session_factory() as session:
            enc_id = seed_encounter(session, relationship="spouse")
            record = build_and_store(session, enc_id, practice, Editor(kb))
            claim = claim_from_dict(record.snapshot)
            assert claim.relationship.value == "01" and claim.patient is not None
            assert claim.subscriber.person.first_name == "JOHN"
            session.rollback()

    def test_control_numbers_increase(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory() as session:
            source = DatabaseControlNumbers(session)
            a, b = source.next(), source.next()
            session.commit()
        with session_factory() as session:
            c = DatabaseControlNumbers(session).next()
            session.commit()
        assert a < b < c


class TestConcurrency:
    def test_control_numbers_unique_across_concurrent_sessions(
            self, session_factory: sessionmaker[Session]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        def take(_: int) -> list[int]:
            got = []
            for _ in range(5):
                with session_factory() as session:
                    got.append(DatabaseControlNumbers(session).next())
                    session.commit()
            return got

        with ThreadPoolExecutor(max_workers=6) as pool:
            numbers = [n for chunk in pool.map(take, range(6)) for n in chunk]
        assert len(numbers) == 30 and len(set(numbers)) == 30

    def test_two_concurrent_batches_never_share_a_claim(
            self, session_factory: sessionmaker[Session], kb: KnowledgeBase,
            practice: Practice) -> None:
        from concurrent.futures import ThreadPoolExecutor

        with session_factory() as session:
            enc_ids = [seed_encounter(session) for _ in range(2)]
            orgs = []
            for enc_id in enc_ids:
                record = build_and_store(session, enc_id, practice, Editor(kb))
                orgs.append(record.org_id)
            session.commit()

        def batch(org_id: str) -> tuple[str, ...] | str:
            with session_factory() as session:
                try:
                    result = write_payer_batch(session, practice, "EXAMPLE-PAYER",
                                               file_name="x.837", org_id=org_id)
                except ClaimError as exc:
                    session.rollback()
                    return str(exc)
                session.commit()
                return tuple(c.claim_id for c in result.claims)

        org = orgs[0]
        with ThreadPoolExecutor(max_workers=2) as pool:
            a, b = pool.map(batch, [org, org])
        sent = [r for r in (a, b) if isinstance(r, tuple)]
        refused = [r for r in (a, b) if isinstance(r, str)]
        assert len(sent) == 1 and len(sent[0]) == 1
        assert refused and "no built, unsubmitted claims" in refused[0]


def test_serialize_round_trip() -> None:
    from medcoder.claims.model import ClaimType
    from medcoder.claims.samples import generate_claims

    for kind in ClaimType:
        for claim in generate_claims(10, seed=3, claim_type=kind):
            data = json.loads(json.dumps(claim_to_dict(claim)))
            assert claim_from_dict(data) == claim


def test_cli_build_and_x12_for_payer(db_url: str, session_factory: sessionmaker[Session],
                                     kb: KnowledgeBase, tmp_path: Path) -> None:
    with session_factory() as session:
        enc_id = seed_encounter(session, payer_id="87726X")
        org_id = session.get_one(Encounter, enc_id).org_id
    # The practice bills payer id 87726X under the key CLI-PAYER.
    practice_yaml = PRACTICE.read_text().replace(
        '- {key: EXAMPLE-PAYER, payer_id: "60054"',
        '- {key: CLI-PAYER, payer_id: "87726X", name: CLI PLAN}\n'
        '  - {key: EXAMPLE-PAYER, payer_id: "60054"')
    (tmp_path / "practice.yaml").write_text(practice_yaml)
    (tmp_path / "fee_schedule.csv").write_text(
        (PRACTICE.parent / "fee_schedule.csv").read_text())
    runner = CliRunner()
    result = runner.invoke(app, ["claim", "build", enc_id, "--practice",
                                 str(tmp_path / "practice.yaml"), "--database-url", db_url,
                                 "--json"])
    assert result.exit_code == 0, result.output
    built = json.loads(result.output)
    assert built["total_charge"] == "183.50" and built["payer"] == "CLI-PAYER"
    out = tmp_path / "cli.837"
    result = runner.invoke(app, ["claim", "x12", "--payer", "CLI-PAYER", "--practice",
                                 str(tmp_path / "practice.yaml"), "--database-url", db_url,
                                 "--org", org_id, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["claims"] == [built["patient_control_number"]]
    assert validate_x12(out.read_text()).ok
    with session_factory() as session:
        assert session.get_one(ClaimRecord, built["claim"]).status == ClaimStatus.SUBMITTED
    result = runner.invoke(app, ["claim", "list", "--database-url", db_url, "--payer",
                                 "CLI-PAYER", "--status", "submitted", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(r["claim"], r["total_charge"]) for r in listed] == [(built["claim"], "183.50")]
    result = runner.invoke(app, ["claim", "build", "nope", "--practice",
                                 str(tmp_path / "practice.yaml"), "--database-url", db_url])
    assert result.exit_code == 2 and "no encounter nope" in result.output
