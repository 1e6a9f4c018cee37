"""Interchange (ISA/IEA) and functional group (GS/GE) envelopes around one transaction set.

:class:`Batch` says who sends to whom, when, and under which control number; one number
gives ISA13 (9 digits), GS06 and ST02 so that all three are unique whenever the number is
(:mod:`medcoder.claims.control` hands them out and persists the last one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from medcoder.claims.errors import X12WriteError
from medcoder.claims.x12.segments import Delimiters, Segment, d8, tm

__all__ = ["MAX_CONTROL_NUMBER", "Batch", "envelope"]

MAX_CONTROL_NUMBER = 999_999_999


@dataclass(frozen=True, slots=True)
class Batch:
    """Sender, receiver, contact and control number of one 837 file.

    Attributes:
        sender_id: ISA06/GS02 and the submitter id (NM109 of 1000A).
        receiver_id: ISA08/GS03 and the receiver id (NM109 of 1000B).
        control_number: ISA13, GS06 and ST02 (1..999999999).
        usage: ISA15, ``P`` production or ``T`` test.
    """

    sender_id: str
    sender_name: str
    contact_name: str
    contact_phone: str
    receiver_id: str
    receiver_name: str
    control_number: int
    created: dt.datetime
    usage: Literal["P", "T"] = "P"
    delimiters: Delimiters = Delimiters()

    @property
    def isa13(self) -> str:
        return f"{self.control_number:09d}"

    @property
    def st02(self) -> str:
        return f"{self.control_number:04d}"


def envelope(batch: Batch, version: str, transaction: Sequence[Segment]) -> list[Segment]:
    """ISA, GS, the transaction set (ST..SE), GE, IEA.

    Raises:
        X12WriteError: a control number out of range or an id longer than 15 characters.
    """
    if not 1 <= batch.control_number <= MAX_CONTROL_NUMBER:
        raise X12WriteError(f"control number {batch.control_number} is outside 1..999999999",
                            segment="ISA", element="ISA13")
    for name, value in (("sender", batch.sender_id), ("receiver", batch.receiver_id)):
        if not 2 <= len(value) <= 15:
            raise X12WriteError(f"the {name} id {value!r} must have 2 to 15 characters",
                                segment="ISA", element="ISA06" if name == "sender" else "ISA08")
    d = batch.delimiters
    isa: Segment = (
        "ISA", "00", " " * 10, "00", " " * 10,
        "ZZ", batch.sender_id.ljust(15), "ZZ", batch.receiver_id.ljust(15),
        batch.created.strftime("%y%m%d"), tm(batch.created), d.repetition, "00501",
        batch.isa13, "0", batch.usage, d.component,
    )
    gs: Segment = ("GS", "HC", batch.sender_id, batch.receiver_id, d8(batch.created.date()),
                   tm(batch.created), str(batch.control_number), "X", version)
    return [isa, gs, *transaction, ("GE", "1", str(batch.control_number)),
            ("IEA", "1", batch.isa13)]
