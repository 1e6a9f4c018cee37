"""837I (005010X223A2) claim loops: 2300 (bill type, statement dates, admission, CL1,
diagnoses with POA, ICD-10-PCS procedures), 2310A attending provider, 2400 revenue lines."""

from __future__ import annotations

from medcoder.claims.model import Claim, ClaimLine, Institutional
from medcoder.claims.x12.loops import provider_name
from medcoder.claims.x12.segments import Segment, amount, d8

__all__ = ["VERSION_837I", "institutional_claim_loop_2300"]

VERSION_837I = "005010X223A2"
BILL_TYPE_QUALIFIER = "A"  # uniform billing claim form bill type
DX_PRINCIPAL = "ABK"
DX_ADMITTING = "ABJ"
DX_OTHER = "ABF"
PROC_PRINCIPAL = "BBR"
PROC_OTHER = "BBQ"
ASSIGNMENT_ACCEPTED = "A"
BENEFITS_ASSIGNED = "Y"
RELEASE_SIGNED = "Y"
HI_PER_SEGMENT = 12


#: POA indicators 5010 carries; "1" (exempt, 4010) and blank are sent as no indicator.
POA_VALUES = frozenset({"Y", "N", "U", "W"})


def _dx(qualifier: str, code: str, poa: str | None, inpatient: bool) -> tuple[str, ...]:
    if inpatient and poa in POA_VALUES:
        return (qualifier, code, "", "", "", "", "", "", poa)
    return (qualifier, code)


def _chunks(parts: list[tuple[str, ...]]) -> list[Segment]:
    return [("HI", *parts[i:i + HI_PER_SEGMENT]) for i in range(0, len(parts), HI_PER_SEGMENT)]


def _diagnoses(claim: Claim, inst: Institutional) -> list[Segment]:
    poa = list(inst.present_on_admission) + [None] * len(claim.diagnoses)
    principal = claim.diagnoses[0]
    segs: list[Segment] = [("HI", _dx(DX_PRINCIPAL, principal, poa[0], inst.inpatient))]
    if inst.inpatient:
        segs.append(("HI", (DX_ADMITTING, principal)))
    others = [_dx(DX_OTHER, code, poa[i], inst.inpatient)
              for i, code in enumerate(claim.diagnoses) if i > 0]
    segs.extend(_chunks(others))
    if inst.procedures:
        first, *rest = inst.procedures
        segs.append(("HI", (PROC_PRINCIPAL, first.code, "D8", d8(first.date))))
        segs.extend(_chunks([(PROC_OTHER, p.code, "D8", d8(p.date)) for p in rest]))
    return segs


def service_line_loop_2400(line: ClaimLine) -> list[Segment]:
    """LX, SV2 (revenue code, HCPCS + modifiers, charge, units), DTP*472 and REF*6R."""
    procedure: tuple[str, ...] = (line.system, line.code, *line.modifiers) if line.code else ()
    unit = "DA" if not line.code else "UN"  # accommodation lines count days
    return [
        ("LX", str(line.number)),
        ("SV2", line.revenue_code or "", procedure, amount(line.charge), unit, str(line.units)),
        ("DTP", "472", "D8", d8(line.date_of_service)),
        ("REF", "6R", line.control_number),
    ]


def institutional_claim_loop_2300(claim: Claim) -> list[Segment]:
    """CLM with the type of bill, dates, CL1, REF*F8, HI segments, 2310A and 2400 lines."""
    inst = claim.institutional
    if inst is None:
        raise ValueError(f"claim {claim.claim_id} has no institutional details")
    segs: list[Segment] = [
        ("CLM", claim.claim_id, amount(claim.total_charge), "", "",
         (inst.facility_code, BILL_TYPE_QUALIFIER, claim.frequency.value), "",
         ASSIGNMENT_ACCEPTED, BENEFITS_ASSIGNED, RELEASE_SIGNED),
        ("DTP", "434", "RD8", f"{d8(inst.statement_from)}-{d8(inst.statement_to)}"),
    ]
    if inst.admission_date is not None:
        segs.append(("DTP", "435", "D8", d8(inst.admission_date)))
    segs.append(("CL1", inst.admission_type or "", inst.admission_source or "",
                 inst.patient_status))
    if claim.original_claim_reference:
        segs.append(("REF", "F8", claim.original_claim_reference))
    segs.extend(_diagnoses(claim, inst))
    attending = claim.rendering_provider
    if attending is not None:
        segs.append(provider_name("71", attending))
        if attending.taxonomy:
            segs.append(("PRV", "AT", "PXC", attending.taxonomy))
    for line in claim.lines:
        segs.extend(service_line_loop_2400(line))
    return segs
