"""A :class:`Claim` as plain JSON values and back, exactly (amounts as decimal strings).

Used to keep the claim as built in the database (``claims.snapshot``) and for ``--json``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from medcoder.claims.model import (
    Address,
    Claim,
    ClaimLine,
    ClaimType,
    Frequency,
    Institutional,
    Payer,
    Person,
    Procedure,
    Provider,
    Relationship,
    Subscriber,
)

__all__ = ["claim_from_dict", "claim_to_dict"]


def _address(a: Address | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {"line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state,
            "postal_code": a.postal_code}


def _person(p: Person) -> dict[str, Any]:
    return {"last_name": p.last_name, "first_name": p.first_name,
            "birth_date": p.birth_date.isoformat(), "sex": p.sex, "address": _address(p.address)}


def _provider(p: Provider | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"npi": p.npi, "name": p.name, "first_name": p.first_name, "taxonomy": p.taxonomy,
            "tax_id": p.tax_id, "address": _address(p.address)}


def claim_to_dict(claim: Claim) -> dict[str, Any]:
    """JSON-ready values (dates ISO, money as strings like ``"165.00"``)."""
    inst = claim.institutional
    return {
        "claim_id": claim.claim_id,
        "claim_type": claim.claim_type.value,
        "frequency": claim.frequency.value,
        "billing_provider": _provider(claim.billing_provider),
        "payer": {"key": claim.payer.key, "payer_id": claim.payer.payer_id,
                  "name": claim.payer.name, "claim_filing_code": claim.payer.claim_filing_code},
        "subscriber": {"person": _person(claim.subscriber.person),
                       "member_id": claim.subscriber.member_id,
                       "group_number": claim.subscriber.group_number,
                       "payer_responsibility": claim.subscriber.payer_responsibility},
        "relationship": claim.relationship.value,
        "patient": _person(claim.patient) if claim.patient else None,
        "place_of_service": claim.place_of_service,
        "date_of_service": claim.date_of_service.isoformat(),
        "diagnoses": list(claim.diagnoses),
        "lines": [{"number": ln.number, "code": ln.code, "modifiers": list(ln.modifiers),
                   "units": ln.units, "charge": f"{ln.charge:.2f}",
                   "diagnosis_pointers": list(ln.diagnosis_pointers),
                   "date_of_service": ln.date_of_service.isoformat(),
                   "control_number": ln.control_number, "revenue_code": ln.revenue_code,
                   "system": ln.system} for ln in claim.lines],
        "rendering_provider": _provider(claim.rendering_provider),
        "original_claim_reference": claim.original_claim_reference,
        "institutional": None if inst is None else {
            "facility_code": inst.facility_code,
            "statement_from": inst.statement_from.isoformat(),
            "statement_to": inst.statement_to.isoformat(),
            "admission_date": inst.admission_date.isoformat() if inst.admission_date else None,
            "admission_type": inst.admission_type,
            "admission_source": inst.admission_source,
            "patient_status": inst.patient_status,
            "procedures": [{"code": p.code, "date": p.date.isoformat()}
                           for p in inst.procedures],
            "present_on_admission": list(inst.present_on_admission),
        },
        "encounter_id": claim.encounter_id,
        "total_charge": f"{claim.total_charge:.2f}",
    }


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _address_from(d: dict[str, Any] | None) -> Address | None:
    if d is None:
        return None
    return Address(d["line1"], d["city"], d["state"], d["postal_code"], d.get("line2"))


def _person_from(d: dict[str, Any]) -> Person:
    address = _address_from(d["address"])
    assert address is not None
    return Person(d["last_name"], d["first_name"], _d(d["birth_date"]), d["sex"], address)


def _provider_from(d: dict[str, Any] | None) -> Provider | None:
    if d is None:
        return None
    return Provider(d["npi"], d["name"], d.get("first_name"), d.get("taxonomy"),
                    d.get("tax_id"), _address_from(d.get("address")))


def claim_from_dict(d: dict[str, Any]) -> Claim:
    """The inverse of :func:`claim_to_dict`."""
    inst = d.get("institutional")
    billing = _provider_from(d["billing_provider"])
    assert billing is not None
    return Claim(
        claim_id=d["claim_id"],
        claim_type=ClaimType(d["claim_type"]),
        frequency=Frequency(d["frequency"]),
        billing_provider=billing,
        payer=Payer(**d["payer"]),
        subscriber=Subscriber(_person_from(d["subscriber"]["person"]),
                              d["subscriber"]["member_id"], d["subscriber"]["group_number"],
                              d["subscriber"]["payer_responsibility"]),
        relationship=Relationship(d["relationship"]),
        patient=_person_from(d["patient"]) if d.get("patient") else None,
        place_of_service=d["place_of_service"],
        date_of_service=_d(d["date_of_service"]),
        diagnoses=tuple(d["diagnoses"]),
        lines=tuple(ClaimLine(
            number=ln["number"], code=ln["code"], modifiers=tuple(ln["modifiers"]),
            units=ln["units"], charge=Decimal(ln["charge"]),
            diagnosis_pointers=tuple(ln["diagnosis_pointers"]),
            date_of_service=_d(ln["date_of_service"]), control_number=ln["control_number"],
            revenue_code=ln.get("revenue_code"), system=ln.get("system", "HC"))
            for ln in d["lines"]),
        rendering_provider=_provider_from(d.get("rendering_provider")),
        original_claim_reference=d.get("original_claim_reference"),
        institutional=None if inst is None else Institutional(
            facility_code=inst["facility_code"],
            statement_from=_d(inst["statement_from"]),
            statement_to=_d(inst["statement_to"]),
            admission_date=_d(inst["admission_date"]) if inst.get("admission_date") else None,
            admission_type=inst.get("admission_type"),
            admission_source=inst.get("admission_source"),
            patient_status=inst["patient_status"],
            procedures=tuple(Procedure(p["code"], _d(p["date"])) for p in inst["procedures"]),
            present_on_admission=tuple(inst["present_on_admission"]),
        ),
        encounter_id=d.get("encounter_id", ""),
    )
