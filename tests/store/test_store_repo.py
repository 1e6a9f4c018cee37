"""The repository layer: organization and patient scoping, review of codes, audit events."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from medcoder.errors import InputError
from medcoder.store import audit, repo
from medcoder.store.models import CodeAssignment, Patient, User

DOS = dt.date(2026, 5, 14)


def _org(session: Session, name: str) -> repo.Actor:
    org = repo.create_organization(session, name)
    coder = User(org_id=org.id, username=f"coder-{org.id}", password_hash="x", role="coder")
    session.add(coder)
    session.flush()
    return repo.Actor(org_id=org.id, role="coder", user_id=coder.id, ip="10.1.1.1")


def _patient(
    session: Session, actor: repo.Actor, last: str = "Lovelace", mrn: str = "MRN-1"
) -> Patient:
    return repo.create_patient(
        session,
        actor,
        first_name="Ada",
        last_name=last,
        birth_date=dt.date(1970, 1, 2),
        sex="F",
        mrn=mrn,
        phone="555-0100",
        city="London",
    )


class TestScoping:
    def test_an_organization_sees_only_its_own_records(self, session: Session) -> None:
        a, b = _org(session, "A"), _org(session, "B")
        patient = _patient(session, a)
        encounter = repo.create_encounter(session, a, patient_id=patient.id, date_of_service=DOS)
        document = repo.add_document(session, a, encounter_id=encounter.id, text="Cough.")
        session.commit()

        assert repo.get_patient(session, a, patient.id).last_name == "Lovelace"
        for call in (
            lambda: repo.get_patient(session, b, patient.id),
            lambda: repo.get_encounter(session, b, encounter.id),
            lambda: repo.get_document(session, b, document.id),
            lambda: repo.create_encounter(session, b, patient_id=patient.id, date_of_service=DOS),
            lambda: repo.add_document(session, b, encounter_id=encounter.id, text="x"),
        ):
            with pytest.raises(repo.RecordNotFound, match="^no (patient|encounter|document) "):
                call()
        assert repo.list_patients(session, b).total == 0
        assert repo.list_encounters(session, b).items == []
        assert repo.find_duplicate_document(session, b, "Cough.") is None
        duplicate = repo.find_duplicate_document(session, a, "Cough.")
        assert duplicate is not None and duplicate.id == document.id

    def test_a_patient_sees_only_their_own_records(self, session: Session) -> None:
        staff = _org(session, "C")
        mine, other = (
            _patient(session, staff, "Mine", "M1"),
            _patient(session, staff, "Other", "M2"),
        )
        enc_mine = repo.create_encounter(session, staff, patient_id=mine.id, date_of_service=DOS)
        enc_other = repo.create_encounter(session, staff, patient_id=other.id, date_of_service=DOS)
        doc_other = repo.add_document(session, staff, encounter_id=enc_other.id, text="Private.")
        session.commit()
        me = repo.Actor(org_id=staff.org_id, role="patient", user_id="u-pat", patient_id=mine.id)

        assert repo.get_patient(session, me, mine.id).last_name == "Mine"
        assert [e.id for e in repo.list_encounters(session, me).items] == [enc_mine.id]
        with pytest.raises(repo.RecordNotFound):
            repo.get_patient(session, me, other.id)
        with pytest.raises(repo.RecordNotFound):
            repo.get_encounter(session, me, enc_other.id)
        with pytest.raises(repo.RecordNotFound):
            repo.get_document(session, me, doc_other.id)

    def test_find_by_mrn_uses_the_keyed_hash(self, session: Session) -> None:
        actor = _org(session, "D")
        _patient(session, actor, "One", "MRN-77")
        _patient(session, actor, "Two", "MRN-78")
        session.commit()
        found = repo.list_patients(session, actor, mrn="MRN-77")
        assert [p.last_name for p in found.items] == ["One"] and found.total == 1
        assert found.items[0].mrn_hash and "MRN" not in found.items[0].mrn_hash


class TestWorkQueueAndReview:
    def test_queue_pagination_and_status(self, session: Session) -> None:
        actor = _org(session, "E")
        patient = _patient(session, actor)
        ids = [
            repo.create_encounter(
                session, actor, patient_id=patient.id, date_of_service=DOS + dt.timedelta(days=n)
            ).id
            for n in range(5)
        ]
        repo.set_encounter_status(session, actor, ids[1], "to_review")
        session.commit()
        page = repo.list_encounters(session, actor, status="to_code", limit=2, offset=2)
        assert page.total == 4 and [e.id for e in page.items] == [ids[3], ids[4]]
        assert [e.id for e in repo.list_encounters(session, actor, status="to_review").items] == [
            ids[1]
        ]
        with pytest.raises(InputError, match="status must be one of"):
            repo.list_encounters(session, actor, status="done")
        with pytest.raises(InputError, match=r"limit must be 1\.\.500, got 0"):
            repo.list_encounters(session, actor, limit=0)

    def test_accept_change_reject_add_give_the_final_codes(self, session: Session) -> None:
        actor = _org(session, "F")
        patient = _patient(session, actor)
        encounter = repo.create_encounter(
            session, actor, patient_id=patient.id, date_of_service=DOS
        )
        suggested = [
            CodeAssignment(
                org_id=actor.org_id,
                encounter_id=encounter.id,
                code=code,
                system="ICD10CM",
                position=n,
                score=0.9,
                evidence=[{"start": 0, "end": 5, "text": "cough"}],
            )
            for n, code in enumerate(["R05.9", "J18.9", "E11.9"], start=1)
        ]
        session.add_all(suggested)
        session.flush()
        repo.review_assignment(session, actor, suggested[0].id, decision="accepted")
        changed = repo.review_assignment(
            session,
            actor,
            suggested[1].id,
            decision="changed",
            new_code="j15.9",
            reason="organism documented",
        )
        repo.review_assignment(
            session, actor, suggested[2].id, decision="rejected", reason="not supported"
        )
        repo.add_code(
            session,
            actor,
            encounter_id=encounter.id,
            code="Z79.4",
            system="ICD10CM",
            reason="insulin use documented",
        )
        session.commit()

        assert (changed.code, changed.replaced_code, changed.by_user_id) == (
            "J15.9",
            "J18.9",
            actor.user_id,
        )
        final = repo.final_codes(session, actor, encounter.id)
        assert [(a.code, a.status) for a in final] == [
            ("R05.9", "accepted"),
            ("J15.9", "changed"),
            ("Z79.4", "added"),
        ]
        assert final[0].evidence == [{"start": 0, "end": 5, "text": "cough"}]
        with pytest.raises(InputError, match="a rejected code needs a reason"):
            repo.review_assignment(session, actor, suggested[0].id, decision="rejected")

    def test_every_phi_read_and_change_is_audited(self, session: Session) -> None:
        actor = _org(session, "G")
        patient = _patient(session, actor)
        repo.get_patient(session, actor, patient.id)
        repo.list_patients(session, actor)
        session.commit()
        events = audit.list_events(session, org_id=actor.org_id)
        assert [(e.action, e.resource, e.actor, e.ip) for e in reversed(events)] == [
            ("organization.create", f"organization/{actor.org_id}", "cli", None),
            ("patient.create", f"patient/{patient.id}", actor.label, "10.1.1.1"),
            ("patient.read", f"patient/{patient.id}", actor.label, "10.1.1.1"),
            ("patient.list", "patient", actor.label, "10.1.1.1"),
        ]
        assert "Lovelace" not in repr([e.detail for e in events])
