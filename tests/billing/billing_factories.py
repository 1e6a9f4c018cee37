"""Billed claims matching the hand-made 835s of tests/remit/data, and a practice in the
database with those claims stored (shared by the billing tests)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session, sessionmaker

from medcoder.billing import BilledClaim, BilledLine, StaticCodeTexts
from medcoder.billing.store import InMemoryClaimSource, PostingReport, post_835
from medcoder.store.all_models import Base
from medcoder.store.claims_models import ClaimLineRecord, ClaimRecord
from medcoder.store.models import Encounter, Organization, Patient

REMIT_DATA = Path(__file__).resolve().parents[1] / "remit" / "data"
TEXTS = StaticCodeTexts({"16": "Claim/service lacks information"}, {"M51": "Missing code"})
PCNS = ("PCN1001", "PCN1002", "PCN1003")


def read_sample(name: str) -> str:
    return (REMIT_DATA / name).read_text()


def billed_claims(
    encounter_ids: dict[str, str] | None = None,
    patient_ids: dict[str, str] | None = None,
    charge_posted: bool = False,
) -> dict[str, BilledClaim]:
    """PCN1001 (99213 150), PCN1002 (99214-25 200 + 36415 100), PCN1003 (99203 250)."""
    enc = encounter_ids or {p: f"enc-{p}" for p in ("PCN1001", "PCN1002", "PCN1003")}
    pat = patient_ids or {p: f"pat-{p}" for p in ("PCN1001", "PCN1002", "PCN1003")}
    lines = {
        "PCN1001": (BilledLine("PCN1001-1", "99213", Decimal("150.00")),),
        "PCN1002": (
            BilledLine("PCN1002-1", "99214", Decimal("200.00")),
            BilledLine("PCN1002-2", "36415", Decimal("100.00")),
        ),
        "PCN1003": (BilledLine("PCN1003-1", "99203", Decimal("250.00")),),
    }
    return {
        pcn: BilledClaim(
            claim_id=pcn,
            encounter_id=enc[pcn],
            patient_id=pat[pcn],
            charge=sum((line.charge for line in claim_lines), Decimal("0.00")),
            lines=claim_lines,
            charge_posted=charge_posted,
        )
        for pcn, claim_lines in lines.items()
    }


class Practice:
    """An organization of its own with three patients, one encounter each."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        with factory() as s, s.begin():
            org = Organization(name="billing test practice")
            s.add(org)
            s.flush()
            self.org_id = org.id
            self.encounters: dict[str, str] = {}
            self.patients: dict[str, str] = {}
            for number, pcn in enumerate(PCNS):
                patient = Patient(
                    org_id=org.id,
                    first_name="Test",
                    last_name=f"Patient{number}",
                    birth_date=dt.date(1960, 1, 1 + number),
                    email=f"patient{number}@example.org",
                    address_line1="12 Oak St",
                    city="Springfield",
                    state="IL",
                    postal_code="62704",
                )
                s.add(patient)
                s.flush()
                encounter = Encounter(
                    org_id=org.id,
                    patient_id=patient.id,
                    date_of_service=dt.date(2026, 4, 15 + number),
                )
                s.add(encounter)
                s.flush()
                self.patients[pcn], self.encounters[pcn] = patient.id, encounter.id
        self.source = InMemoryClaimSource(billed_claims(self.encounters, self.patients))

    def post(self, text: str) -> PostingReport:
        with self.factory() as s, s.begin():
            return post_835(
                text,
                session=s,
                org_id=self.org_id,
                claims=self.source,
                texts=TEXTS,
                posted_by="test",
            )

    def count(self, model: type[Base]) -> int:
        with self.factory() as s:
            return int(
                s.scalar(sa.select(sa.func.count()).where(model.org_id == self.org_id))  # type: ignore[attr-defined]
                or 0
            )


def store_claims(practice: Practice, status: str = "submitted") -> dict[str, str]:
    ids: dict[str, str] = {}
    with practice.factory() as s, s.begin():
        for pcn, billed in billed_claims(practice.encounters, practice.patients).items():
            record = ClaimRecord(
                org_id=practice.org_id,
                encounter_id=billed.encounter_id,
                patient_control_number=pcn.lower() if pcn == "PCN1002" else pcn,
                payer_key="ACME",
                payer_id="ACME01",
                claim_type="P",
                status=status,
                total_charge=billed.charge,
                snapshot={},
            )
            s.add(record)
            s.flush()
            ids[pcn] = record.id
            for number, line in enumerate(billed.lines, start=1):
                s.add(
                    ClaimLineRecord(
                        org_id=practice.org_id,
                        claim_id=record.id,
                        line_number=number,
                        code=line.code,
                        units=1,
                        charge=line.charge,
                        control_number=line.control_number,
                    )
                )
    return ids


class SmtpInbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(name="smtp_inbox")
def smtp_inbox_fixture() -> Iterator[tuple[SmtpInbox, int]]:
    """A real SMTP server on a loopback port, for the test's duration."""
    inbox = SmtpInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def wrap_835(body: list[str], *, total: str, trace: str, control: int = 201) -> str:
    """An 835 interchange around ``body`` (the segments after the payee loop)."""
    header = [
        f"BPR*I*{total}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260602",
        f"TRN*1*{trace}*1512345678",
        "N1*PR*ACME HEALTH PLAN",
        "REF*2U*ACME01",
        "N1*PE*RIVERSIDE FAMILY PRACTICE*XX*1234567893",
    ]
    content = header + body
    segments = [
        "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*PRACTICE01     *260602*1200*^*00501"
        f"*{control:09d}*0*T*:",
        f"GS*HP*ACMEPAYER*PRACTICE01*20260602*1200*{control}*X*005010X221A1",
        "ST*835*0001",
        *content,
        f"SE*{len(content) + 2}*0001",
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return "~".join(segments) + "~"
