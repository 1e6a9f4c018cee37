"""Made-up claims for benchmarks, demos and tests (no real person, payer or provider).

Example:
    >>> claims = generate_claims(1000, seed=7)
    >>> text = write_837(claims, sample_batch(1))
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

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
from medcoder.claims.x12.envelope import Batch

__all__ = ["SAMPLE_BILLING_PROVIDER", "SAMPLE_PAYER", "generate_claims", "sample_batch"]

SAMPLE_BILLING_PROVIDER = Provider(
    npi="1234567893", name="EXAMPLE FAMILY MEDICINE", taxonomy="207Q00000X",
    tax_id="123456789",
    address=Address("100 MAIN ST", "SPRINGFIELD", "IL", "627011234"))
SAMPLE_RENDERING = Provider(npi="9876543213", name="WELBY", first_name="MARCUS",
                            taxonomy="207Q00000X")
SAMPLE_PAYER = Payer(key="EXAMPLE-PAYER", payer_id="60054", name="EXAMPLE HEALTH PLAN")

_DIAGNOSES = ("E1122", "N1831", "Z794", "I10", "J020", "J189", "E785", "M545", "R0602", "K219",
              "F329", "E039", "J449", "I4891", "N390")
_SERVICES = (("99213", Decimal("110.00")), ("99214", Decimal("165.00")),
             ("99203", Decimal("145.00")), ("36415", Decimal("12.00")),
             ("85025", Decimal("21.75")), ("80053", Decimal("38.50")),
             ("93000", Decimal("48.00")), ("J3420", Decimal("18.60")),
             ("96372", Decimal("28.00")), ("87880", Decimal("19.50")))
_LAST = ("DOE", "ROE", "SMITH", "NGUYEN", "GARCIA", "O'NEIL", "LEE", "PATEL")
_FIRST = ("JANE", "JOHN", "ALEX", "MARIA", "WEI", "SAM", "RUTH", "OMAR")


def sample_batch(control_number: int, *, payer: Payer = SAMPLE_PAYER) -> Batch:
    return Batch(sender_id="EXFAMMED01", sender_name="EXAMPLE FAMILY MEDICINE",
                 contact_name="BILLING OFFICE", contact_phone="5555550100",
                 receiver_id=payer.payer_id, receiver_name=payer.name,
                 control_number=control_number, created=dt.datetime(2026, 5, 20, 9, 30),
                 usage="T")


def _person(rng: random.Random, born: dt.date) -> Person:
    return Person(rng.choice(_LAST), rng.choice(_FIRST), born, rng.choice("MF"),
                  Address(f"{rng.randint(1, 9999)} OAK ST", "SPRINGFIELD", "IL",
                          f"{rng.randint(60000, 62999)}"))


def generate_claims(
    n: int, *, seed: int = 0, claim_type: ClaimType = ClaimType.PROFESSIONAL
) -> list[Claim]:
    """``n`` distinct, valid claims for one payer (deterministic for a ``seed``)."""
    rng = random.Random(seed)
    claims: list[Claim] = []
    for i in range(n):
        dos = dt.date(2026, 5, 1) + dt.timedelta(days=rng.randint(0, 30))
        dx = tuple(rng.sample(_DIAGNOSES, rng.randint(1, 6)))
        claim_id = f"S{seed}-{i + 1}"
        lines = []
        for number, (code, fee) in enumerate(rng.sample(_SERVICES, rng.randint(1, 4)), 1):
            units = rng.randint(1, 3)
            pointers = tuple(rng.sample(range(1, len(dx) + 1), min(len(dx), rng.randint(1, 4))))
            lines.append(ClaimLine(
                number=number, code=code, modifiers=("25",) if code.startswith("99") else (),
                units=units, charge=fee * units, diagnosis_pointers=pointers,
                date_of_service=dos, control_number=f"{claim_id}-{number}",
                revenue_code="0510" if claim_type is ClaimType.INSTITUTIONAL else None))
        subscriber = _person(rng, dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 20000)))
        dependent = rng.random() < 0.3
        frequency = rng.choice((Frequency.ORIGINAL, Frequency.ORIGINAL, Frequency.REPLACEMENT))
        claims.append(Claim(
            claim_id=claim_id,
            claim_type=claim_type,
            frequency=frequency,
            billing_provider=SAMPLE_BILLING_PROVIDER,
            payer=SAMPLE_PAYER,
            subscriber=Subscriber(subscriber, f"XEP{rng.randint(10**8, 10**9 - 1)}",
                                  rng.choice((None, "GRP1001"))),
            relationship=Relationship.CHILD if dependent else Relationship.SELF,
            patient=_person(rng, dt.date(2012, 6, 1)) if dependent else None,
            place_of_service="11" if claim_type is ClaimType.PROFESSIONAL else "13",
            date_of_service=dos,
            diagnoses=dx,
            lines=tuple(lines),
            rendering_provider=SAMPLE_RENDERING,
            original_claim_reference=(f"PCN{rng.randint(10**9, 10**10)}"
                                      if frequency is not Frequency.ORIGINAL else None),
            institutional=(Institutional("13", dos, dos, procedures=(
                Procedure("0DJ08ZZ", dos),) if rng.random() < 0.2 else ())
                if claim_type is ClaimType.INSTITUTIONAL else None),
        ))
    return claims
