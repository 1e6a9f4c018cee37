"""FHIR R4 ``Claim`` export, validated by ``fhir.resources``.

fhir.resources 8.x models R5 at its top level and R4B (4.3.0) under ``fhir.resources.R4B``;
it ships no 4.0.1 package. The ``Claim`` resource did not change between R4 and R4B, so the
R4B model is the R4 validator here. The claim is self-contained: the patient, the
subscriber's coverage, the billing organization, the rendering practitioner and the payer
are contained resources referenced as ``#id``.

Example:
    >>> resource = claim_to_fhir(claim, created=dt.date(2026, 5, 20))
    >>> resource["resourceType"], resource["total"]
    ('Claim', {'value': 165.0, 'currency': 'USD'})
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from medcoder.claims.errors import ClaimError
from medcoder.claims.model import Address, Claim, ClaimType, Person, Relationship

__all__ = ["FHIR_VERSION", "claim_fhir_json", "claim_to_fhir", "validate_fhir_claim"]

FHIR_VERSION = "4.0.1"  # what the resource claims to be; validated with the R4B model
_CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
_ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
_ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
_CPT = "http://www.ama-assn.org/go/cpt"
_HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
_NPI = "http://hl7.org/fhir/sid/us-npi"
_POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
_REVENUE = "https://www.nubc.org/CodeSystem/RevenueCodes"
_RELATIONSHIP = {Relationship.SELF: "self", Relationship.SPOUSE: "spouse",
                 Relationship.CHILD: "child", Relationship.OTHER: "other"}
_GENDER = {"M": "male", "F": "female", "U": "unknown"}


def _address(a: Address) -> dict[str, Any]:
    lines = [a.line1] + ([a.line2] if a.line2 else [])
    return {"line": lines, "city": a.city, "state": a.state, "postalCode": a.postal_code,
            "country": "US"}


def _patient(rid: str, person: Person) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": rid,
            "name": [{"family": person.last_name, "given": [person.first_name]}],
            "gender": _GENDER.get(person.sex, "unknown"),
            "birthDate": person.birth_date.isoformat(), "address": [_address(person.address)]}


def _money(value: Decimal) -> dict[str, Any]:
    return {"value": value, "currency": "USD"}  # Decimal: exact, written as a JSON number


def _service_system(code: str) -> str:
    return _HCPCS if code[:1].isalpha() else _CPT


def claim_to_fhir(claim: Claim, *, created: dt.date) -> dict[str, Any]:
    """The claim as a FHIR R4 ``Claim`` (a JSON-ready dict), validated.

    Raises:
        ClaimError: the resource does not validate (a bug: the message says where).
    """
    billing = claim.billing_provider
    patient = claim.patient_person
    subscriber = claim.subscriber
    contained: list[dict[str, Any]] = [
        _patient("patient", patient),
        {"resourceType": "Organization", "id": "billing",
         "identifier": [{"system": _NPI, "value": billing.npi}], "name": billing.name,
         **({"address": [_address(billing.address)]} if billing.address else {})},
        {"resourceType": "Organization", "id": "payer",
         "identifier": [{"value": claim.payer.payer_id}], "name": claim.payer.name},
        {"resourceType": "Coverage", "id": "coverage", "status": "active",
         "subscriberId": subscriber.member_id,
         "beneficiary": {"reference": "#patient"},
         "relationship": {"coding": [{
             "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
             "code": _RELATIONSHIP[claim.relationship]}]},
         "payor": [{"reference": "#payer"}],
         **({"class": [{"type": {"coding": [{
             "system": "http://terminology.hl7.org/CodeSystem/coverage-class",
             "code": "group"}]}, "value": subscriber.group_number}]}
            if subscriber.group_number else {})},
    ]
    care_team = []
    if claim.rendering_provider is not None:
        r = claim.rendering_provider
        contained.append({"resourceType": "Practitioner", "id": "rendering",
                          "identifier": [{"system": _NPI, "value": r.npi}],
                          "name": [{"family": r.name, "given": [r.first_name or ""]}]})
        care_team.append({"sequence": 1, "provider": {"reference": "#rendering"},
                          "role": {"coding": [{
                              "system": "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
                              "code": "primary"}]}})
    institutional = claim.claim_type is ClaimType.INSTITUTIONAL
    items = []
    for line in claim.lines:
        item: dict[str, Any] = {
            "sequence": line.number,
            "productOrService": ({"coding": [{"system": _service_system(line.code),
                                              "code": line.code}]} if line.code else
                                 {"text": "accommodation"}),
            "servicedDate": line.date_of_service.isoformat(),
            "quantity": {"value": line.units},
            "net": _money(line.charge),
        }
        if line.modifiers:
            item["modifier"] = [{"coding": [{"system": _CPT, "code": m}]}
                                for m in line.modifiers]
        if line.diagnosis_pointers:
            item["diagnosisSequence"] = list(line.diagnosis_pointers)
        if line.revenue_code:
            item["revenue"] = {"coding": [{"system": _REVENUE, "code": line.revenue_code}]}
        if care_team:
            item["careTeamSequence"] = [1]
        if not institutional:
            item["locationCodeableConcept"] = {"coding": [{"system": _POS,
                                                           "code": claim.place_of_service}]}
        items.append(item)
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "id": claim.claim_id.replace("_", "-")[:64],
        "contained": contained,
        "identifier": [{"system": "urn:medcoder:patient-control-number",
                        "value": claim.claim_id}],
        "status": "cancelled" if claim.frequency.value == "8" else "active",
        "type": {"coding": [{"system": _CLAIM_TYPE,
                             "code": "institutional" if institutional else "professional"}]},
        "use": "claim",
        "patient": {"reference": "#patient"},
        "billablePeriod": {
            "start": (claim.institutional.statement_from if claim.institutional
                      else claim.date_of_service).isoformat(),
            "end": (claim.institutional.statement_to if claim.institutional
                    else max(line.date_of_service for line in claim.lines)).isoformat()},
        "created": created.isoformat(),
        "provider": {"reference": "#billing"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority",
                                 "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "#coverage"}}],
        "diagnosis": [{"sequence": i, "diagnosisCodeableConcept": {"coding": [{
            "system": _ICD10CM, "code": _dotted(code)}]}}
            for i, code in enumerate(claim.diagnoses, start=1)],
        "item": items,
        "total": _money(claim.total_charge),
    }
    if care_team:
        resource["careTeam"] = care_team
    if claim.original_claim_reference:
        resource["related"] = [{"reference": {"value": claim.original_claim_reference},
                                "relationship": {"coding": [{
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                              "related-claim-relationship",
                                    "code": "prior"}]}}]
    if claim.institutional and claim.institutional.procedures:
        resource["procedure"] = [
            {"sequence": i, "date": p.date.isoformat(),
             "procedureCodeableConcept": {"coding": [{"system": _ICD10PCS, "code": p.code}]}}
            for i, p in enumerate(claim.institutional.procedures, start=1)]
    validate_fhir_claim(resource)
    return resource


def _dotted(code: str) -> str:
    return code if len(code) <= 3 or "." in code else f"{code[:3]}.{code[3:]}"


def claim_fhir_json(claim: Claim, *, created: dt.date, indent: int | None = 2) -> str:
    """The FHIR R4 Claim as JSON text (amounts written exactly, as JSON numbers)."""
    model = validate_fhir_claim(claim_to_fhir(claim, created=created))
    text: str = model.model_dump_json(exclude_none=True)
    return json.dumps(json.loads(text), indent=indent) if indent else text


def validate_fhir_claim(resource: dict[str, Any]) -> Any:
    """Validate a Claim resource with fhir.resources (R4B model, identical for Claim);
    returns the validated model.

    Raises:
        ClaimError: the first validation problem.
    """
    from fhir.resources.R4B.claim import Claim as FhirClaim
    from pydantic import ValidationError

    try:
        return FhirClaim.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ClaimError(f"FHIR Claim is invalid at {where}: {first['msg']}",
                         claim_id=str(resource.get("id", ""))) from exc
