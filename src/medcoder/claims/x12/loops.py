"""The 837 loops professional and institutional claims share (header, 2000A-2010CA).

Each function returns the segments of one loop, named by its meaning with the loop id as a
suffix, so the structure of the guide is the structure of the code.
"""

from __future__ import annotations

from medcoder.claims.model import Address, Claim, Payer, Person, Provider, Relationship
from medcoder.claims.x12.envelope import Batch
from medcoder.claims.x12.segments import Segment, d8, text, tm

__all__ = [
    "ENTITY_ORGANIZATION",
    "ENTITY_PERSON",
    "address_segments",
    "billing_provider_loop_2010aa",
    "header",
    "patient_loop_2000c",
    "payer_name_loop_2010bb",
    "subscriber_loop_2000b",
]

ENTITY_PERSON = "1"
ENTITY_ORGANIZATION = "2"
ID_NPI = "XX"
ID_ETIN = "46"  # electronic transmitter identification number
ID_MEMBER = "MI"
ID_PAYER = "PI"
HL_BILLING_PROVIDER = "20"
HL_SUBSCRIBER = "22"
HL_PATIENT = "23"
BHT_ORIGINAL = "00"
BHT_CHARGEABLE = "CH"


def header(batch: Batch) -> list[Segment]:
    """BHT and loops 1000A (submitter) and 1000B (receiver)."""
    return [
        ("BHT", "0019", BHT_ORIGINAL, batch.isa13, d8(batch.created.date()), tm(batch.created),
         BHT_CHARGEABLE),
        # 1000A submitter
        ("NM1", "41", ENTITY_ORGANIZATION, text(batch.sender_name, 60), "", "", "", "", ID_ETIN,
         batch.sender_id),
        ("PER", "IC", text(batch.contact_name, 60), "TE", batch.contact_phone),
        # 1000B receiver
        ("NM1", "40", ENTITY_ORGANIZATION, text(batch.receiver_name, 60), "", "", "", "",
         ID_ETIN, batch.receiver_id),
    ]


def address_segments(address: Address) -> list[Segment]:
    """N3 (street) and N4 (city, state, ZIP)."""
    n3: Segment = ("N3", text(address.line1, 55)) + (
        (text(address.line2, 55),) if address.line2 else ())
    return [n3, ("N4", text(address.city, 30), address.state, address.postal_code)]


def billing_provider_loop_2010aa(hl: int, provider: Provider) -> list[Segment]:
    """HL 2000A (with the taxonomy in PRV) and 2010AA: name, NPI, address, tax id."""
    segs: list[Segment] = [("HL", str(hl), "", HL_BILLING_PROVIDER, "1")]
    if provider.taxonomy:
        segs.append(("PRV", "BI", "PXC", provider.taxonomy))
    segs.append(_provider_name("85", provider))
    if provider.address is not None:
        segs.extend(address_segments(provider.address))
    segs.append(("REF", "EI", provider.tax_id or ""))
    return segs


def _provider_name(entity_code: str, provider: Provider) -> Segment:
    if provider.is_person:
        return ("NM1", entity_code, ENTITY_PERSON, text(provider.name, 60),
                text(provider.first_name or "", 35), "", "", "", ID_NPI, provider.npi)
    return ("NM1", entity_code, ENTITY_ORGANIZATION, text(provider.name, 60), "", "", "", "",
            ID_NPI, provider.npi)


def provider_name(entity_code: str, provider: Provider) -> Segment:
    """NM1 for a provider loop (rendering 82, attending 71)."""
    return _provider_name(entity_code, provider)


def _demographics(person: Person) -> Segment:
    return ("DMG", "D8", d8(person.birth_date), person.sex)


def subscriber_loop_2000b(hl: int, parent: int, claim: Claim) -> list[Segment]:
    """HL 2000B, SBR and 2010BA (subscriber name, member id, address, demographics)."""
    sub = claim.subscriber
    is_patient = claim.relationship is Relationship.SELF
    segs: list[Segment] = [
        ("HL", str(hl), str(parent), HL_SUBSCRIBER, "0" if is_patient else "1"),
        ("SBR", sub.payer_responsibility, Relationship.SELF.value if is_patient else "",
         sub.group_number or "", "", "", "", "", "", claim.payer.claim_filing_code),
        ("NM1", "IL", ENTITY_PERSON, text(sub.person.last_name, 60),
         text(sub.person.first_name, 35), "", "", "", ID_MEMBER, sub.member_id),
        *address_segments(sub.person.address),
    ]
    if is_patient:
        segs.append(_demographics(sub.person))
    return segs


def payer_name_loop_2010bb(payer: Payer) -> list[Segment]:
    return [("NM1", "PR", ENTITY_ORGANIZATION, text(payer.name, 60), "", "", "", "", ID_PAYER,
             payer.payer_id)]


def patient_loop_2000c(hl: int, parent: int, claim: Claim) -> list[Segment]:
    """HL 2000C, PAT and 2010CA, for a patient who is not the subscriber (else nothing)."""
    if claim.relationship is Relationship.SELF or claim.patient is None:
        return []
    pat = claim.patient
    return [
        ("HL", str(hl), str(parent), HL_PATIENT, "0"),
        ("PAT", claim.relationship.value),
        ("NM1", "QC", ENTITY_PERSON, text(pat.last_name, 60), text(pat.first_name, 35)),
        *address_segments(pat.address),
        _demographics(pat),
    ]
