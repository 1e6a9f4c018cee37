"""Batching: one 837 file per payer and claim type, with the practice's envelope values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from medcoder.claims.model import Claim, ClaimType
from medcoder.claims.practice import Practice
from medcoder.claims.x12.envelope import Batch

__all__ = ["batch_for", "group_for_files"]


def batch_for(
    practice: Practice, payer_key: str, control_number: int, created: dt.datetime
) -> Batch:
    """The envelope values for a file to ``payer_key`` (receiver id: the payer's
    ``receiver_id``, else its payer id)."""
    payer = practice.payer(payer_key)
    submitter = practice.spec.submitter
    return Batch(
        sender_id=submitter.id,
        sender_name=submitter.name,
        contact_name=submitter.contact,
        contact_phone=submitter.phone,
        receiver_id=payer.receiver_id or payer.payer_id,
        receiver_name=payer.name,
        control_number=control_number,
        created=created,
        usage=practice.spec.usage,
    )


def group_for_files(claims: Iterable[Claim]) -> dict[tuple[str, ClaimType], list[Claim]]:
    """Claims grouped by (payer key, claim type): each group is one file, in input order."""
    groups: dict[tuple[str, ClaimType], list[Claim]] = {}
    for claim in claims:
        groups.setdefault((claim.payer.key, claim.claim_type), []).append(claim)
    return groups
