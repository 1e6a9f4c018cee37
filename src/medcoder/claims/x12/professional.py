"""837P (005010X222A1) claim loops: 2300 claim information, 2310B rendering provider and
2400 service lines."""

from __future__ import annotations

from medcoder.claims.model import Claim, ClaimLine
from medcoder.claims.x12.loops import provider_name
from medcoder.claims.x12.segments import Segment, amount, d8

__all__ = ["VERSION_837P", "professional_claim_loop_2300"]

VERSION_837P = "005010X222A1"
FACILITY_QUALIFIER_PLACE_OF_SERVICE = "B"
DX_PRINCIPAL = "ABK"
DX_OTHER = "ABF"
PROVIDER_SIGNATURE_ON_FILE = "Y"
ASSIGNMENT_ACCEPTED = "A"
BENEFITS_ASSIGNED = "Y"
RELEASE_SIGNED = "Y"


def _diagnoses(claim: Claim) -> Segment:
    parts = [(DX_PRINCIPAL if i == 0 else DX_OTHER, code)
             for i, code in enumerate(claim.diagnoses)]
    return ("HI", *parts)


def service_line_loop_2400(line: ClaimLine) -> list[Segment]:
    """LX, SV1 (code + modifiers, charge, units, pointers), DTP*472 and REF*6R."""
    return [
        ("LX", str(line.number)),
        ("SV1", (line.system, line.code, *line.modifiers), amount(line.charge), "UN",
         str(line.units), "", "", tuple(str(p) for p in line.diagnosis_pointers)),
        ("DTP", "472", "D8", d8(line.date_of_service)),
        ("REF", "6R", line.control_number),
    ]


def professional_claim_loop_2300(claim: Claim) -> list[Segment]:
    """CLM, REF*F8 (replacement/void), HI, 2310B and the 2400 lines of one claim."""
    segs: list[Segment] = [
        ("CLM", claim.claim_id, amount(claim.total_charge), "", "",
         (claim.place_of_service, FACILITY_QUALIFIER_PLACE_OF_SERVICE, claim.frequency.value),
         PROVIDER_SIGNATURE_ON_FILE, ASSIGNMENT_ACCEPTED, BENEFITS_ASSIGNED, RELEASE_SIGNED),
    ]
    if claim.original_claim_reference:
        segs.append(("REF", "F8", claim.original_claim_reference))
    segs.append(_diagnoses(claim))
    rendering = claim.rendering_provider
    if rendering is not None and rendering.npi != claim.billing_provider.npi:
        segs.append(provider_name("82", rendering))
        if rendering.taxonomy:
            segs.append(("PRV", "PE", "PXC", rendering.taxonomy))
    for line in claim.lines:
        segs.extend(service_line_loop_2400(line))
    return segs
