"""Claims and remittances through HTTP on SQLite and PostgreSQL: coded encounter -> claim ->
837 (pyx12 clean) -> 835 posted once -> ledger balances -> denial in the worklist, resolved;
and who may do what (billers write, coders read, other organizations see nothing)."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from api_world import PASSWORD, TestClient, World, patient_cookie
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from medcoder.claims.readers.sample_835 import SampleClaim, SampleLine, write_sample_835
from medcoder.claims.x12.validate import validate_x12
from medcoder.store.audit import verify
from medcoder.store.billing_models import LedgerEntryRecord
from medcoder.store.models import AuditEvent, CodeAssignment, Coverage, Encounter, Payer

V1 = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]
PRACTICE = ROOT / "examples" / "practice" / "practice.yaml"
ACK_277 = ROOT / "tests" / "remit" / "data" / "claimack.277"
ACK_999 = ROOT / "tests" / "remit" / "data" / "ack_partial.999"
PAYER = "EXAMPLE-PAYER"


@pytest.fixture(autouse=True)
def practice_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCODER_PRACTICE_FILE", str(PRACTICE))


def insured_patient(
    api: TestClient, factory: sessionmaker[Session], world: World, last: str = "Claimant"
) -> str:
    """A patient with an address (through the API) and coverage by the practice's payer."""
    reply = api.post(
        f"{V1}/patients",
        json={
            "first_name": "Rita",
            "last_name": last,
            "birth_date": "1961-07-04",
            "sex": "F",
            "address_line1": "12 Oak St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62704",
        },
        headers=world.headers("coder"),
    )
    assert reply.status_code == 201, reply.text
    patient_id = str(reply.json()["id"])
    with factory() as session:
        payer = session.scalar(
            select(Payer).where(Payer.org_id == world.org_id, Payer.payer_id == "60054")
        )
        if payer is None:
            payer = Payer(org_id=world.org_id, payer_id="60054", name="EXAMPLE HEALTH PLAN")
            session.add(payer)
            session.flush()
        session.add(
            Coverage(
                org_id=world.org_id,
                patient_id=patient_id,
                payer_id=payer.id,
                member_id=f"XEP{uuid.uuid4().hex[:9].upper()}",
            )
        )
        session.commit()
    return patient_id


def coded_encounter(
    api: TestClient, factory: sessionmaker[Session], world: World, patient_id: str
) -> str:
    """An encounter the coder codes through the API (diagnosis + two services): ``coded``."""
    reply = api.post(
        f"{V1}/encounters",
        json={"patient_id": patient_id, "date_of_service": "2026-05-12", "place_of_service": "11"},
        headers=world.headers("coder"),
    )
    assert reply.status_code == 201, reply.text
    encounter_id = str(reply.json()["id"])
    for code, system in (("E11.9", "ICD10CM"), ("99214", "CPT"), ("82947", "CPT")):
        line = {"diagnosis_codes": ["E11.9"]} if system == "CPT" else {}
        added = api.post(
            f"{V1}/encounters/{encounter_id}/codes",
            json={"code": code, "system": system, "reason": "documented in the note", **line},
            headers=world.headers("coder"),
        )
        assert added.status_code == 201, added.text
    final = api.get(f"{V1}/encounters/{encounter_id}/final", headers=world.headers("coder"))
    assert final.json()["status"] == "coded", final.text
    assert not [f for f in final.json()["findings"] if f["severity"] == "error"], final.text
    return encounter_id


def patient_login(api: TestClient, world: World, patient_id: str) -> dict[str, str]:
    """A patient user for ``patient_id`` (created by the admin), logged in: its cookie."""
    username = f"pt-{patient_id[:12]}"
    created = api.post(
        f"{V1}/users",
        json={
            "username": username,
            "password": PASSWORD,
            "role": "patient",
            "patient_id": patient_id,
        },
        headers=world.headers("admin"),
    )
    assert created.status_code == 201, created.text
    reply = api.post(f"{V1}/auth/login", json={"username": username, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    cookie = reply.cookies["medcoder_session"]
    api.cookies.clear()
    return {"Cookie": f"medcoder_session={cookie}"}


def build(api: TestClient, world: World, encounter_id: str) -> dict[str, object]:
    reply = api.post(
        f"{V1}/claims", json={"encounter_id": encounter_id}, headers=world.headers("biller")
    )
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def sample_835(claims: list[tuple[dict[str, object], str]], trace: str) -> str:
    """An 835 paying (or not) the claims as they came back from the API."""
    samples = []
    for claim, outcome in claims:
        lines = claim["lines"]
        assert isinstance(lines, list)
        samples.append(
            SampleClaim(
                str(claim["patient_control_number"]),
                tuple(
                    SampleLine(
                        ln["code"],
                        Decimal(ln["charge"]),
                        ln["control_number"],
                        tuple(ln["modifiers"]),
                    )
                    for ln in lines
                ),
                outcome,  # type: ignore[arg-type]
            )
        )
    return write_sample_835(samples, trace_number=trace)


def post_x12(api: TestClient, world: World, path: str, text: str) -> httpx.Response:
    reply: httpx.Response = api.post(
        f"{V1}{path}",
        content=text.encode(),
        headers={**world.headers("biller"), "Content-Type": "application/edi-x12"},
    )
    return reply


class TestClaimsToLedger:
    def test_round_trip(
        self, api: TestClient, api_factory: sessionmaker[Session], world: World
    ) -> None:
        biller, coder = world.headers("biller"), world.headers("coder")
        patients = [insured_patient(api, api_factory, world, f"Round{i}") for i in range(2)]
        encounters = [coded_encounter(api, api_factory, world, p) for p in patients]

        # Build, with an idempotency key: the retry gets the same claim back.
        key = {"Idempotency-Key": f"build-{encounters[0]}"}
        first = api.post(
            f"{V1}/claims", json={"encounter_id": encounters[0]}, headers={**biller, **key}
        )
        assert first.status_code == 201, first.text
        again = api.post(
            f"{V1}/claims", json={"encounter_id": encounters[0]}, headers={**biller, **key}
        )
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        claims = [first.json(), build(api, world, encounters[1])]
        assert [c["status"] for c in claims] == ["built", "built"]
        assert [ln["code"] for ln in claims[0]["lines"]] == ["99214", "82947"]
        assert Decimal(claims[0]["total_charge"]) == sum(
            Decimal(ln["charge"]) for ln in claims[0]["lines"]
        )
        assert Decimal(claims[0]["total_charge"]) > 0

        # Coders read claims (list filtered by status, one claim, its FHIR Claim).
        listed = api.get(f"{V1}/claims", params={"status": "built", "limit": 200}, headers=coder)
        assert listed.status_code == 200
        assert {c["id"] for c in claims} <= {c["id"] for c in listed.json()["items"]}
        one = api.get(f"{V1}/claims/{claims[1]['id']}", headers=coder)
        assert one.json()["encounter_id"] == encounters[1]
        fhir = api.get(f"{V1}/claims/{claims[0]['id']}/fhir", headers=coder)
        assert fhir.status_code == 200, fhir.text
        assert fhir.headers["content-type"].startswith("application/fhir+json")
        resource = fhir.json()
        assert resource["resourceType"] == "Claim"
        assert Decimal(str(resource["total"]["value"])) == Decimal(claims[0]["total_charge"])
        assert [i["productOrService"]["coding"][0]["code"] for i in resource["item"]] == [
            "99214",
            "82947",
        ]

        # One 837 for the payer: pyx12-clean, control number recorded, claims submitted.
        x12 = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=biller)
        assert x12.status_code == 201, x12.text
        assert x12.headers["content-type"].startswith("application/edi-x12")
        assert "attachment" in x12.headers["content-disposition"]
        assert x12.text.startswith("ISA*") and "ST*837*" in x12.text
        assert validate_x12(x12.text).ok
        number = x12.headers["X-Control-Number"]
        assert number.isdigit() and f"*{int(number)}*" in x12.text.split("~")[1]  # GS06
        pcns = [str(c["patient_control_number"]) for c in claims]
        assert set(pcns) <= set(x12.headers["X-Claim-Ids"].split(","))
        for claim in claims:
            now = api.get(f"{V1}/claims/{claim['id']}", headers=biller).json()
            assert now["status"] == "submitted" and now["batch_id"] == x12.headers["X-Batch-Id"]
        batches = api.get(f"{V1}/claims/batches", headers=coder).json()["items"]
        ours = [b for b in batches if b["id"] == x12.headers["X-Batch-Id"]]
        assert len(ours) == 1 and ours[0]["control_number"] == int(number)
        assert ours[0]["claim_count"] >= 2 and ours[0]["transaction_set"] == "837P"
        nothing_left = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=biller)
        assert nothing_left.status_code == 404
        # Submitting again, or building a second original claim, conflicts.
        resubmit = api.post(f"{V1}/claims/{claims[0]['id']}/submit", headers=biller)
        assert resubmit.status_code == 409
        assert "submitted claim cannot become submitted" in resubmit.json()["detail"]
        second = api.post(f"{V1}/claims", json={"encounter_id": encounters[0]}, headers=biller)
        assert second.status_code == 409, second.text

        # The 277CA accepts the first claim.
        ack = ACK_277.read_text().replace("PCN1001", pcns[0])
        applied = post_x12(api, world, "/acknowledgements", ack)
        assert applied.status_code == 200, applied.text
        assert applied.json()["changes"] == [
            {"claim_id": pcns[0], "before": "submitted", "after": "accepted"}
        ]
        assert applied.json()["unmatched"] == ["PCN1002"]

        # The 835: the first claim partly paid, the second denied. Posted once.
        era = sample_835(
            [(claims[0], "partly_paid"), (claims[1], "denied")], f"EFT{uuid.uuid4().hex[:12]}"
        )
        posted = post_x12(api, world, "/remittances", era)
        assert posted.status_code == 201, posted.text
        result = posted.json()
        assert (result["already_posted"], result["posted"]) == (False, 1)
        outcomes = {c["claim_id"]: c["outcome"] for c in result["remittances"][0]["claims"]}
        assert outcomes == {pcns[0].upper(): "partially_paid", pcns[1].upper(): "denied"}
        twice = post_x12(api, world, "/remittances", era)
        assert twice.status_code == 200, twice.text
        assert (twice.json()["already_posted"], twice.json()["duplicates"]) == (True, 1)
        statuses = [api.get(f"{V1}/claims/{c['id']}", headers=biller).json() for c in claims]
        assert [s["status"] for s in statuses] == ["partially_paid", "denied"]
        remittances = api.get(f"{V1}/remittances", headers=coder).json()["items"]
        posted_here = [
            r for r in remittances if r["id"] == result["remittances"][0]["remittance_id"]
        ]
        assert len(posted_here) == 1 and posted_here[0]["posted_claims"] == 2

        # The ledger: the payer owes nothing more; the patient owes their share.
        ledger = api.get(f"{V1}/encounters/{encounters[0]}/ledger", headers=coder).json()
        total = Decimal(claims[0]["total_charge"])
        assert Decimal(ledger["balances"]["charges"]) == total
        assert Decimal(ledger["insurance_balance"]) == 0
        paid = Decimal(ledger["balances"]["cash"])
        owed = Decimal(ledger["patient_balance"])
        written_down = Decimal(ledger["balances"]["contractual"])
        assert paid > 0 and owed > 0 and written_down > 0
        assert paid + owed + written_down == total
        balance = api.get(f"{V1}/patients/{patients[0]}/balance", headers=biller).json()
        assert Decimal(balance["balance"]) == owed
        # The patient reads their own statement (and nobody else's).
        mine = patient_login(api, world, patients[0])
        statement = api.get(f"{V1}/patients/{patients[0]}/statement", headers=mine)
        assert statement.status_code == 200, statement.text
        assert Decimal(statement.json()["balance"]) == owed
        assert sorted(c["description"].split(" (")[0] for c in statement.json()["charges"]) == [
            "Coinsurance",
            "Deductible",
        ]
        assert statement.json()["practice"]["name"] == "EXAMPLE FAMILY MEDICINE"
        html = api.get(
            f"{V1}/patients/{patients[0]}/statement", params={"format": "html"}, headers=mine
        )
        assert html.headers["content-type"].startswith("text/html")
        assert f"${owed:,.2f}" in html.text
        pdf = api.get(
            f"{V1}/patients/{patients[0]}/statement", params={"format": "pdf"}, headers=mine
        )
        assert pdf.content.startswith(b"%PDF")
        assert api.get(f"{V1}/patients/{patients[1]}/statement", headers=mine).status_code == 404
        # The patient pays part of it at the desk; a retried request posts it once.
        pay = f"{V1}/patients/{patients[0]}/payments"
        part = (owed / 2).quantize(Decimal("0.01"))
        body = {"amount": str(part), "encounter_id": encounters[0], "memo": "desk"}
        key = {**biller, "Idempotency-Key": f"pay-{patients[0]}"}
        paid_once = api.post(pay, json=body, headers=key)
        assert paid_once.status_code == 201, paid_once.text
        assert Decimal(paid_once.json()["balance"]) == owed - part
        paid_again = api.post(pay, json=body, headers=key)
        assert paid_again.json()["id"] == paid_once.json()["id"]
        after_payment = api.get(f"{V1}/patients/{patients[0]}/balance", headers=mine).json()
        assert Decimal(after_payment["balance"]) == owed - part
        for bad in ("0", "-5.00", "1.005"):
            refused_pay = api.post(pay, json={"amount": bad}, headers=biller)
            assert refused_pay.status_code == 422, bad
        assert api.post(pay, json={"amount": "1.00"}, headers=coder).status_code == 403
        wrong_encounter = api.post(
            pay, json={"amount": "1.00", "encounter_id": encounters[1]}, headers=biller
        )
        assert wrong_encounter.status_code == 422
        assert api.get(f"{V1}/patients/{patients[1]}/balance", headers=mine).status_code == 404

        # The denial waits in the worklist (one item per denied line) until resolved.
        worklist = api.get(
            f"{V1}/denials", params={"encounter_id": encounters[1]}, headers=coder
        ).json()
        items = worklist["items"]
        assert sorted(d["procedure"] for d in items) == ["82947", "99214"]
        assert {(d["claim_id"], d["carc"], d["action"]) for d in items} == {
            (pcns[1].upper(), "16", "correct_and_resubmit")
        }
        assert all(d["remarks"][0]["code"] == "M51" and d["action_text"] for d in items)
        denied = Decimal(
            api.get(f"{V1}/encounters/{encounters[1]}/ledger", headers=coder).json()["balances"][
                "denials"
            ]
        )
        assert denied == Decimal(claims[1]["total_charge"])
        # A CO denial is the practice's: it may not be billed to the patient.
        refused = api.post(
            f"{V1}/denials/{items[0]['id']}/resolve",
            json={"resolution": "billed_patient"},
            headers=biller,
        )
        assert refused.status_code == 422 and "CO denial" in refused.json()["detail"]
        assert (
            api.post(
                f"{V1}/denials/{items[0]['id']}/resolve",
                json={"resolution": "written_off"},
                headers=coder,
            ).status_code
            == 403
        )
        done = api.post(
            f"{V1}/denials/{items[0]['id']}/resolve",
            json={"resolution": "written_off"},
            headers=biller,
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "written_off"
        assert (
            api.post(
                f"{V1}/denials/{items[0]['id']}/resolve",
                json={"resolution": "closed"},
                headers=biller,
            ).status_code
            == 409
        )
        after = api.get(f"{V1}/encounters/{encounters[1]}/ledger", headers=coder).json()
        assert Decimal(after["balances"]["write_offs"]) == Decimal(items[0]["amount"])
        assert Decimal(after["balances"]["denials"]) == denied - Decimal(items[0]["amount"])
        left = api.get(
            f"{V1}/denials", params={"encounter_id": encounters[1]}, headers=coder
        ).json()
        assert [d["id"] for d in left["items"]] == [items[1]["id"]]

        # Every claim read and change is in the (intact) audit trail, naming no patient.
        with api_factory() as session:
            events = session.scalars(
                select(AuditEvent).where(AuditEvent.org_id == world.org_id)
            ).all()
            actions = {e.action for e in events if claims[0]["id"] in e.resource}
            assert {"claim.build", "claim.read"} <= actions
            assert any(e.action == "claim.batch" for e in events)
            assert any(e.action == "remittance.post" for e in events)
            assert any(e.action == "denial.resolve" for e in events)
            assert all("Round0" not in str(e.detail) for e in events)
            assert verify(session).ok

    def test_malformed_835_posts_nothing(
        self, api: TestClient, api_factory: sessionmaker[Session], world: World
    ) -> None:
        patient = insured_patient(api, api_factory, world)
        claim = build(api, world, coded_encounter(api, api_factory, world, patient))
        x12 = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=world.headers("biller"))
        assert x12.status_code == 201, x12.text
        era = sample_835([(claim, "paid")], f"EFT{uuid.uuid4().hex[:12]}")
        segments = era.replace("~\n", "~").split("~")
        broken_at = next(i for i, s in enumerate(segments) if s.startswith("CLP"))
        segments[broken_at] = "CLP*" + claim["patient_control_number"]  # type: ignore[operator]
        before = api.get(f"{V1}/remittances", headers=world.headers("biller")).json()["total"]
        reply = post_x12(api, world, "/remittances", "~".join(segments))
        assert reply.status_code == 422, reply.text
        problem = reply.json()
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert "CLP" in problem["detail"] and problem["field"].startswith("x12.segment[")
        assert f"segment {broken_at + 1}" in problem["detail"]
        after = api.get(f"{V1}/remittances", headers=world.headers("biller")).json()["total"]
        assert after == before
        status = api.get(f"{V1}/claims/{claim['id']}", headers=world.headers("biller"))
        assert status.json()["status"] == "submitted"
        with api_factory() as session:
            encounter = session.get_one(Encounter, claim["encounter_id"])
            assert (
                session.scalar(
                    select(LedgerEntryRecord.id).where(
                        LedgerEntryRecord.encounter_id == encounter.id
                    )
                )
                is None
            )
        empty = post_x12(api, world, "/remittances", "   ")
        assert empty.status_code == 422
        # A 277CA is not an 835, an 835 is not an acknowledgement: refused, nothing applied.
        not_835 = post_x12(api, world, "/remittances", ACK_277.read_text())
        assert not_835.status_code == 422 and "835" in not_835.json()["detail"]
        not_ack = post_x12(api, world, "/acknowledgements", era)
        assert not_ack.status_code == 422
        assert (
            api.get(f"{V1}/claims/{claim['id']}", headers=world.headers("biller")).json()["status"]
            == "submitted"
        )
        huge = post_x12(api, world, "/remittances", "ISA" + "*" * 2_100_000)
        assert huge.status_code == 413

    def test_batch_retry_and_replacement_claim(
        self, api: TestClient, api_factory: sessionmaker[Session], world: World
    ) -> None:
        biller = world.headers("biller")
        encounter_id = coded_encounter(
            api, api_factory, world, insured_patient(api, api_factory, world)
        )
        original = build(api, world, encounter_id)
        key = {**biller, "Idempotency-Key": f"batch-{encounter_id}"}
        first = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=key)
        assert first.status_code == 201, first.text
        # A retry (the answer was lost) gets the same file, not a second batch.
        retry = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=key)
        assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
        assert retry.text == first.text
        assert retry.headers["X-Control-Number"] == first.headers["X-Control-Number"]
        # The clearinghouse's 999 rejects a transaction of that file (its group control
        # number is the batch's): the file's claims are rejected; applying it again moves
        # nothing.
        number = int(first.headers["X-Control-Number"])
        ack = ACK_999.read_text().replace("AK1*HC*101*", f"AK1*HC*{number}*")
        rejected = post_x12(api, world, "/acknowledgements", ack)
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["changes"] == [
            {
                "claim_id": original["patient_control_number"],
                "before": "submitted",
                "after": "rejected",
            }
        ]
        assert post_x12(api, world, "/acknowledgements", ack).json()["changes"] == []
        # A replacement (frequency 7) of the rejected claim: built, pointing at the original,
        # which becomes corrected; it goes out in a file of its own with a new control number.
        replacement = api.post(
            f"{V1}/claims",
            json={
                "encounter_id": encounter_id,
                "frequency": "7",
                "original_claim_reference": "ICN0001",
            },
            headers=biller,
        )
        assert replacement.status_code == 201, replacement.text
        assert replacement.json()["replaces_claim_id"] == original["id"]
        assert replacement.json()["frequency"] == "7"
        old = api.get(f"{V1}/claims/{original['id']}", headers=biller).json()
        assert old["status"] == "corrected"
        second = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=biller)
        assert second.status_code == 201, second.text
        assert int(second.headers["X-Control-Number"]) > int(first.headers["X-Control-Number"])
        assert validate_x12(second.text).ok
        assert "REF*F8*ICN0001" in second.text
        void_without_claim = api.post(
            f"{V1}/claims",
            json={
                "encounter_id": coded_encounter(
                    api, api_factory, world, insured_patient(api, api_factory, world)
                ),
                "frequency": "8",
                "original_claim_reference": "ICN0002",
            },
            headers=biller,
        )
        assert void_without_claim.status_code == 409

    def test_error_edits_answer_422_naming_them(
        self, api: TestClient, api_factory: sessionmaker[Session], world: World
    ) -> None:
        patient = insured_patient(api, api_factory, world)
        encounter_id = coded_encounter(api, api_factory, world, patient)
        # The codes change behind the review (a heading code, not billable): the claim edits
        # run again when the claim is built, and stop it.
        with api_factory() as session:
            row = session.scalar(
                select(CodeAssignment).where(
                    CodeAssignment.encounter_id == encounter_id, CodeAssignment.code == "E11.9"
                )
            )
            assert row is not None
            row.code = "E11"
            session.commit()
        reply = api.post(
            f"{V1}/claims", json={"encounter_id": encounter_id}, headers=world.headers("biller")
        )
        assert reply.status_code == 422, reply.text
        assert "icd10cm.code_invalid" in reply.json()["detail"]
        assert reply.json()["field"] == "edits"
        listed = api.get(
            f"{V1}/claims", params={"encounter_id": encounter_id}, headers=world.headers("biller")
        )
        assert listed.json()["total"] == 0

    def test_uncoded_encounter_is_refused(
        self, api: TestClient, api_factory: sessionmaker[Session], world: World
    ) -> None:
        patient = insured_patient(api, api_factory, world)
        reply = api.post(
            f"{V1}/encounters",
            json={"patient_id": patient, "date_of_service": "2026-05-12"},
            headers=world.headers("coder"),
        )
        claim = api.post(
            f"{V1}/claims",
            json={"encounter_id": reply.json()["id"]},
            headers=world.headers("biller"),
        )
        assert claim.status_code == 422
        assert "no accepted codes" in claim.json()["detail"]


class TestBillingAccess:
    def test_roles_and_organizations(
        self,
        api: TestClient,
        api_factory: sessionmaker[Session],
        world: World,
        other_world: World,
    ) -> None:
        patient = insured_patient(api, api_factory, world)
        encounter_id = coded_encounter(api, api_factory, world, patient)
        body = {"encounter_id": encounter_id}
        # Only billers and admins build claims.
        for role in ("coder", "auditor", "provider"):
            refused = api.post(f"{V1}/claims", json=body, headers=world.headers(role))
            assert refused.status_code == 403, role
        assert api.post(f"{V1}/claims", json=body).status_code == 401
        assert api.get(f"{V1}/claims").status_code == 401
        assert api.post(f"{V1}/remittances", content=b"ISA").status_code == 401
        claim = build(api, world, encounter_id)
        path = f"{V1}/claims/{claim['id']}"
        # Coders, auditors, providers read; patients do not see claims at all.
        for role in ("coder", "auditor", "provider", "admin"):
            assert api.get(path, headers=world.headers(role)).status_code == 200, role
        assert api.get(path, headers=patient_cookie(api, world, "patient_a")).status_code == 403
        assert api.post(f"{path}/submit", headers=world.headers("coder")).status_code == 403
        assert (
            api.post(
                f"{V1}/claims/x12", params={"payer": PAYER}, headers=world.headers("coder")
            ).status_code
            == 403
        )
        # Another organization sees nothing: 404 for the claim, its FHIR, its encounter.
        other = other_world.headers("biller")
        assert api.get(path, headers=other).status_code == 404
        assert api.get(f"{path}/fhir", headers=other).status_code == 404
        assert api.post(f"{path}/submit", headers=other).status_code == 404
        assert api.post(f"{V1}/claims", json=body, headers=other).status_code == 404
        assert api.get(f"{V1}/encounters/{encounter_id}/ledger", headers=other).status_code == 404
        foreign_payment = api.post(
            f"{V1}/patients/{patient}/payments", json={"amount": "5.00"}, headers=other
        )
        assert foreign_payment.status_code == 404
        listed = api.get(f"{V1}/claims", params={"limit": 200}, headers=other).json()
        assert claim["id"] not in {c["id"] for c in listed["items"]}
        # Org B's batch does not pick up org A's built claim, and org B's 835 cannot pay it.
        assert (
            api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=other).status_code == 404
        )
        submitted = api.post(f"{path}/submit", headers=world.headers("admin"))
        assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
        era = sample_835([(claim, "paid")], f"EFT{uuid.uuid4().hex[:12]}")
        foreign = api.post(
            f"{V1}/remittances",
            content=era.encode(),
            headers={**other, "Content-Type": "text/plain"},
        )
        assert foreign.status_code == 201, foreign.text
        assert foreign.json()["remittances"][0]["unmatched"] == [
            str(claim["patient_control_number"]).upper()
        ]
        assert api.get(path, headers=world.headers("biller")).json()["status"] == "submitted"

    def test_patient_sees_only_their_own_balance(self, api: TestClient, world: World) -> None:
        mine = patient_cookie(api, world, "patient_a")
        own = api.get(f"{V1}/patients/{world.patient_a}/balance", headers=mine)
        assert own.status_code == 200 and own.json()["balance"] == "0.00"
        other = api.get(f"{V1}/patients/{world.patient_b}/balance", headers=mine)
        assert other.status_code == 404
        assert api.get(f"{V1}/denials", headers=mine).status_code == 403
        assert api.get(f"{V1}/remittances", headers=mine).status_code == 403

    def test_denial_of_another_organization_is_404(
        self, api: TestClient, other_world: World
    ) -> None:
        reply = api.post(
            f"{V1}/denials/{'0' * 32}/resolve",
            json={"resolution": "closed"},
            headers=other_world.headers("biller"),
        )
        assert reply.status_code == 404
        bad = api.post(
            f"{V1}/denials/{'0' * 32}/resolve",
            json={"resolution": "forgiven"},
            headers=other_world.headers("biller"),
        )
        assert bad.status_code == 422


def test_no_practice_file_is_503(
    api: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDCODER_PRACTICE_FILE")
    reply = api.post(f"{V1}/claims/x12", params={"payer": PAYER}, headers=world.headers("biller"))
    assert reply.status_code == 503
    assert "MEDCODER_PRACTICE_FILE" in reply.json()["detail"]


def test_same_835_posted_concurrently_posts_once(
    api: TestClient, api_factory: sessionmaker[Session], world: World
) -> None:
    claim = build(
        api,
        world,
        coded_encounter(api, api_factory, world, insured_patient(api, api_factory, world)),
    )
    submitted = api.post(f"{V1}/claims/{claim['id']}/submit", headers=world.headers("biller"))
    assert submitted.status_code == 200, submitted.text
    era = sample_835([(claim, "paid")], f"EFT{uuid.uuid4().hex[:12]}")
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(lambda _: post_x12(api, world, "/remittances", era), range(3)))
    assert sorted(r.status_code for r in replies) == [200, 200, 201], [r.text for r in replies]
    ledger = api.get(
        f"{V1}/encounters/{claim['encounter_id']}/ledger", headers=world.headers("biller")
    ).json()
    charges = [e for e in ledger["entries"] if e["kind"] == "charge"]
    assert len(charges) == 1 and Decimal(ledger["insurance_balance"]) == 0


def test_concurrent_builds_leave_one_claim(
    api: TestClient, api_factory: sessionmaker[Session], world: World
) -> None:
    encounter_id = coded_encounter(
        api, api_factory, world, insured_patient(api, api_factory, world)
    )

    def post(_: int) -> httpx.Response:
        reply: httpx.Response = api.post(
            f"{V1}/claims", json={"encounter_id": encounter_id}, headers=world.headers("biller")
        )
        return reply

    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(post, range(3)))
    # A claim not yet sent is rebuilt in place: every build succeeds, one claim remains.
    assert [r.status_code for r in replies] == [201, 201, 201], [r.text for r in replies]
    listed = api.get(
        f"{V1}/claims", params={"encounter_id": encounter_id}, headers=world.headers("biller")
    ).json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] in {r.json()["id"] for r in replies}
    sent = api.post(
        f"{V1}/claims/{listed['items'][0]['id']}/submit", headers=world.headers("biller")
    )
    assert sent.status_code == 200


def test_concurrent_submits_move_the_claim_once(
    api: TestClient, api_factory: sessionmaker[Session], world: World
) -> None:
    claim = build(
        api,
        world,
        coded_encounter(api, api_factory, world, insured_patient(api, api_factory, world)),
    )

    def submit(_: int) -> int:
        reply = api.post(f"{V1}/claims/{claim['id']}/submit", headers=world.headers("biller"))
        return int(reply.status_code)

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = sorted(pool.map(submit, range(3)))
    assert statuses == [200, 409, 409]
    with api_factory() as session:
        submits = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "claim.submit", AuditEvent.resource == f"claim/{claim['id']}"
            )
        ).all()
        assert len(submits) == 1


def test_claim_list_pages_and_filters(
    api: TestClient, api_factory: sessionmaker[Session], world: World
) -> None:
    biller = world.headers("biller")
    ids = [
        build(
            api,
            world,
            coded_encounter(api, api_factory, world, insured_patient(api, api_factory, world)),
        )["id"]
        for _ in range(2)
    ]
    api.post(f"{V1}/claims/{ids[0]}/submit", headers=biller)
    pages = [
        api.get(f"{V1}/claims", params={"limit": 1, "offset": n}, headers=biller).json()
        for n in (0, 1)
    ]
    assert [len(p["items"]) for p in pages] == [1, 1]
    assert pages[0]["total"] == pages[1]["total"] >= 2
    assert pages[0]["items"][0]["id"] == ids[1]  # newest first
    assert pages[1]["items"][0]["id"] == ids[0]
    built = api.get(
        f"{V1}/claims", params={"status": "built", "payer": "60054", "limit": 200}, headers=biller
    ).json()
    assert ids[1] in {c["id"] for c in built["items"]}
    assert ids[0] not in {c["id"] for c in built["items"]}
    assert all(c["status"] == "built" for c in built["items"])
    assert api.get(f"{V1}/claims", params={"status": "lost"}, headers=biller).status_code == 422
    api.post(f"{V1}/claims/{ids[1]}/submit", headers=biller)  # leave nothing built behind


def test_no_coverage_on_the_date_is_422(
    api: TestClient, api_factory: sessionmaker[Session], world: World
) -> None:
    patient = insured_patient(api, api_factory, world)
    encounter_id = coded_encounter(api, api_factory, world, patient)
    with api_factory() as session:
        for coverage in session.scalars(select(Coverage).where(Coverage.patient_id == patient)):
            coverage.end_date = dt.date(2026, 1, 1)
        session.commit()
    reply = api.post(
        f"{V1}/claims", json={"encounter_id": encounter_id}, headers=world.headers("biller")
    )
    assert reply.status_code == 422
    assert reply.json()["field"] == "coverage" and "no coverage" in reply.json()["detail"]
