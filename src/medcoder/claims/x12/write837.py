"""Write claims as one 837 file: envelopes, HL hierarchy, counts.

Example:
    >>> text = write_837([claim_a, claim_b], batch)
    >>> validate_x12(text).ok
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from medcoder.claims.errors import X12WriteError
from medcoder.claims.model import Claim, ClaimType
from medcoder.claims.x12.envelope import Batch, envelope
from medcoder.claims.x12.institutional import VERSION_837I, institutional_claim_loop_2300
from medcoder.claims.x12.loops import (
    billing_provider_loop_2010aa,
    header,
    patient_loop_2000c,
    payer_name_loop_2010bb,
    subscriber_loop_2000b,
)
from medcoder.claims.x12.professional import VERSION_837P, professional_claim_loop_2300
from medcoder.claims.x12.segments import Segment, render

__all__ = ["transaction_837", "version_for", "write_837"]


def version_for(claim_type: ClaimType) -> str:
    return VERSION_837P if claim_type is ClaimType.PROFESSIONAL else VERSION_837I


#: What the guides allow per claim: diagnoses, service lines, pointers per line.
_LIMITS = {ClaimType.PROFESSIONAL: (12, 50), ClaimType.INSTITUTIONAL: (25, 999)}


def _check_claim(claim: Claim) -> None:
    """The structural limits pyx12 would otherwise report as a bad file."""
    max_dx, max_lines = _LIMITS[claim.claim_type]

    def bad(message: str, segment: str) -> X12WriteError:
        return X12WriteError(f"claim {claim.claim_id}: {message}", claim_id=claim.claim_id,
                             segment=segment)

    if not 1 <= len(claim.diagnoses) <= max_dx:
        raise bad(f"has {len(claim.diagnoses)} diagnoses; an 837{claim.claim_type.value} "
                  f"carries 1 to {max_dx}", "HI")
    if not 1 <= len(claim.lines) <= max_lines:
        raise bad(f"has {len(claim.lines)} service lines; 1 to {max_lines} allowed", "LX")
    if (claim.original_claim_reference is None) != (claim.frequency.value == "1"):
        raise bad("a replacement or void needs the original claim reference (REF*F8), an "
                  "original has none", "REF")
    for line in claim.lines:
        if claim.claim_type is ClaimType.PROFESSIONAL and not (
                1 <= len(line.diagnosis_pointers) <= 4
                and all(1 <= p <= len(claim.diagnoses) for p in line.diagnosis_pointers)):
            raise bad(f"line {line.number} needs 1 to 4 diagnosis pointers into its "
                      f"{len(claim.diagnoses)} diagnoses, got {list(line.diagnosis_pointers)}",
                      "SV1")
        if claim.claim_type is ClaimType.INSTITUTIONAL and not line.revenue_code:
            raise bad(f"line {line.number} has no revenue code", "SV2")
        if line.units < 1 or line.charge < 0:
            raise bad(f"line {line.number} needs units >= 1 and a charge >= 0", "SV1")


def transaction_837(claims: Sequence[Claim], batch: Batch) -> list[Segment]:
    """ST..SE for ``claims`` (all of one claim type), grouped by billing provider.

    Raises:
        X12WriteError: no claims, mixed claim types, or a duplicate patient control number.
    """
    if not claims:
        raise X12WriteError("an 837 needs at least one claim", segment="CLM")
    kinds = {c.claim_type for c in claims}
    if len(kinds) > 1:
        raise X12WriteError("professional and institutional claims go in separate files",
                            segment="ST")
    seen: set[str] = set()
    for claim in claims:
        if claim.claim_id in seen:
            raise X12WriteError(f"claim {claim.claim_id} is in the batch twice",
                                claim_id=claim.claim_id, segment="CLM", element="CLM01")
        seen.add(claim.claim_id)
    kind = kinds.pop()
    for claim in claims:
        _check_claim(claim)
    version = version_for(kind)
    claim_loop = (professional_claim_loop_2300 if kind is ClaimType.PROFESSIONAL
                  else institutional_claim_loop_2300)

    body: list[Segment] = [("ST", "837", batch.st02, version), *header(batch)]
    hl = 0
    by_provider: dict[str, list[Claim]] = {}
    for claim in claims:
        by_provider.setdefault(claim.billing_provider.npi, []).append(claim)
    for provider_claims in by_provider.values():
        hl += 1
        provider_hl = hl
        body.extend(billing_provider_loop_2010aa(provider_hl, provider_claims[0].billing_provider))
        for claim in provider_claims:
            hl += 1
            subscriber_hl = hl
            body.extend(subscriber_loop_2000b(subscriber_hl, provider_hl, claim))
            body.extend(payer_name_loop_2010bb(claim.payer))
            patient = patient_loop_2000c(subscriber_hl + 1, subscriber_hl, claim)
            if patient:
                hl += 1
                body.extend(patient)
            body.extend(claim_loop(claim))
    body.append(("SE", str(len(body) + 1), batch.st02))
    return body


def write_837(claims: Sequence[Claim], batch: Batch, *, newline: bool = True) -> str:
    """The 837P or 837I file for ``claims`` (one interchange, group and transaction set).

    Raises:
        X12WriteError: see :func:`transaction_837`, or a value containing a delimiter.
    """
    transaction = transaction_837(claims, batch)
    kind = claims[0].claim_type
    return render(envelope(batch, version_for(kind), transaction), batch.delimiters,
                  newline=newline)
