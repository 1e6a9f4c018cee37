"""Read 999 implementation acknowledgments (005010X231A1): was each submitted transaction
accepted, and if not, which segment and element the receiver found at fault.

Example:
    >>> ack = read_999(text)[0]
    >>> ack.status, [t.status for t in ack.transactions]
    ('P', ['A', 'R'])
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from medcoder.claims.readers.errors import X12ParseError
from medcoder.claims.readers.tokenizer import Segment, Transaction, read_x12

__all__ = [
    "ACK_STATUS_TEXT",
    "ElementError",
    "FunctionalGroupAck",
    "SegmentError",
    "TransactionAck",
    "ack_from_transaction",
    "read_999",
]

# IK5-01 / AK9-01
ACK_STATUS_TEXT: dict[str, str] = {
    "A": "accepted",
    "E": "accepted with errors",
    "M": "rejected, message authentication code failed",
    "P": "partially accepted: at least one transaction rejected",
    "R": "rejected",
    "W": "rejected, assurance failed validity tests",
    "X": "rejected, content could not be analyzed after decryption",
}
# IK3-04 implementation segment syntax error codes
SEGMENT_ERROR_TEXT: dict[str, str] = {
    "1": "unrecognized segment id",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}
# IK4-03 implementation data element syntax error codes
ELEMENT_ERROR_TEXT: dict[str, str] = {
    "1": "required data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
}
ACCEPTED = frozenset({"A", "E"})


@dataclass(frozen=True, slots=True)
class ElementError:
    """IK4: one data element the receiver rejected."""

    position: str
    element_reference: str
    code: str
    text: str
    bad_value: str


@dataclass(frozen=True, slots=True)
class SegmentError:
    """IK3 (+ its IK4s): one segment of the submitted transaction at fault."""

    segment_id: str
    position: int
    loop: str
    code: str
    text: str
    context: tuple[str, ...]
    elements: tuple[ElementError, ...]


@dataclass(frozen=True, slots=True)
class TransactionAck:
    """AK2..IK5: the verdict on one submitted transaction (ST01/ST02)."""

    set_id: str
    control_number: str
    status: str
    status_text: str
    accepted: bool
    reasons: tuple[str, ...]
    errors: tuple[SegmentError, ...]


@dataclass(frozen=True, slots=True)
class FunctionalGroupAck:
    """AK1..AK9: the verdict on one submitted functional group (GS01/GS06)."""

    functional_id: str
    group_control_number: str
    version: str
    status: str
    status_text: str
    included: int
    received: int
    accepted: int
    transactions: tuple[TransactionAck, ...]
    ack_control_number: str


@dataclass
class _Set:
    ak2: Segment
    errors: list[SegmentError] = field(default_factory=list)
    context: list[str] = field(default_factory=list)


def _count(seg: Segment, number: int) -> int:
    text = seg.get(number)
    if not text.isdigit():
        raise seg.error(f"expected a count, got {text!r}", number)
    return int(text)


def _segment_error(ik3: Segment) -> SegmentError:
    position = ik3.get(2)
    if not position.isdigit():
        raise ik3.error(f"expected a segment position, got {position!r}", 2)
    return SegmentError(
        segment_id=ik3.get(1),
        position=int(position),
        loop=ik3.get(3),
        code=ik3.get(4),
        text=SEGMENT_ERROR_TEXT.get(ik3.get(4), "unknown error code"),
        context=(),
        elements=(),
    )


def _element_error(ik4: Segment) -> ElementError:
    return ElementError(
        position=ik4.get(1).replace(ik4.component, "."),
        element_reference=ik4.get(2),
        code=ik4.get(3),
        text=ELEMENT_ERROR_TEXT.get(ik4.get(3), "unknown error code"),
        bad_value=ik4.get(4),
    )


def ack_from_transaction(tx: Transaction) -> FunctionalGroupAck:
    """One 999 transaction as a :class:`FunctionalGroupAck`.

    Raises:
        X12ParseError: not a 999, or AK1/AK9/IK5 missing or out of place.
    """
    if tx.set_id != "999":
        raise X12ParseError(
            f"transaction {tx.control_number} is a {tx.set_id}, not a 999",
            segment="ST",
            position=tx.position,
        )
    ak1: Segment | None = None
    ak9: Segment | None = None
    current: _Set | None = None
    done: list[TransactionAck] = []
    for seg in tx.segments:
        if seg.id == "AK1":
            ak1 = seg
        elif seg.id == "AK2":
            current = _Set(seg)
        elif seg.id == "IK3" and current is not None:
            current.errors.append(_segment_error(seg))
        elif seg.id == "IK4" and current is not None and current.errors:
            last = current.errors[-1]
            current.errors[-1] = replace(last, elements=last.elements + (_element_error(seg),))
        elif seg.id == "CTX" and current is not None and current.errors:
            last = current.errors[-1]
            current.errors[-1] = replace(last, context=last.context + (seg.get(1),))
        elif seg.id == "IK5":
            if current is None:
                raise seg.error("IK5 without an AK2")
            status = seg.get(1)
            done.append(
                TransactionAck(
                    set_id=current.ak2.get(1),
                    control_number=current.ak2.get(2),
                    status=status,
                    status_text=ACK_STATUS_TEXT.get(status, "unknown status"),
                    accepted=status in ACCEPTED,
                    reasons=tuple(r for r in seg.elements[1:6] if r),
                    errors=tuple(current.errors),
                )
            )
            current = None
        elif seg.id == "AK9":
            ak9 = seg
    if ak1 is None or ak9 is None:
        raise X12ParseError(
            f"999 transaction {tx.control_number} lacks its {'AK1' if ak1 is None else 'AK9'}",
            segment="AK1" if ak1 is None else "AK9",
            position=tx.position,
        )
    if current is not None:
        raise current.ak2.error("AK2 without its IK5")
    status = ak9.get(1)
    return FunctionalGroupAck(
        functional_id=ak1.get(1),
        group_control_number=ak1.get(2),
        version=ak1.get(3),
        status=status,
        status_text=ACK_STATUS_TEXT.get(status, "unknown status"),
        included=_count(ak9, 2),
        received=_count(ak9, 3),
        accepted=_count(ak9, 4),
        transactions=tuple(done),
        ack_control_number=tx.control_number,
    )


def read_999(text: str) -> tuple[FunctionalGroupAck, ...]:
    """Every 999 transaction of an X12 file, all or nothing.

    Raises:
        X12ParseError: malformed X12 or a transaction that is not a well-formed 999.
    """
    return tuple(ack_from_transaction(tx) for tx in read_x12(text).transactions)
