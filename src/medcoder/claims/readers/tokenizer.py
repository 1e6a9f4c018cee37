"""X12 interchange tokenizer: separators from the ISA, envelopes checked, transactions out.

Real payers send quirky files, so the tokenizer takes the separators each interchange declares
(element: the 4th character; repetition: ISA11; component: ISA16; segment terminator: the
character after ISA16), ignores line breaks between segments and reads lower-case content as
upper case. Everything else is checked: ISA/IEA, GS/GE and ST/SE must pair up with matching
control numbers and counts, so a truncated or garbled file is rejected as a whole, with the
segment and its position (1-based ordinal in the file) named in the error.

Example:
    >>> tx = read_x12(text).transactions[0]
    >>> tx.set_id, tx.segments[0].id
    ('835', 'BPR')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcoder.claims.readers.errors import X12ParseError

__all__ = ["Segment", "Separators", "Transaction", "X12File", "read_x12"]

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_ISA_ELEMENTS = 16
# Only these count as layout between segments: the ASCII information separators (0x1C-0x1F),
# which str.strip() would also remove, are legitimate X12 delimiters.
_LAYOUT = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Separators:
    """The delimiters an interchange declares in its ISA segment."""

    element: str
    component: str
    repetition: str | None
    segment: str


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its id, its elements (``elements[0]`` is element 01) and its position."""

    id: str
    elements: tuple[str, ...]
    position: int
    component: str

    def get(self, number: int) -> str:
        """Element ``number`` (1-based), ``""`` when absent."""
        return self.elements[number - 1] if number <= len(self.elements) else ""

    def parts(self, number: int) -> tuple[str, ...]:
        """The components of composite element ``number`` (``HC:99213:25`` -> 3 parts)."""
        value = self.get(number)
        return tuple(value.split(self.component)) if value else ()

    def error(self, message: str, element: int | None = None) -> X12ParseError:
        """An :class:`X12ParseError` pointing at this segment."""
        return X12ParseError(message, segment=self.id, position=self.position, element=element)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One ST..SE transaction set with the envelope values around it.

    ``segments`` holds the body, between ST and SE (both excluded).
    """

    set_id: str
    control_number: str
    implementation: str
    functional_id: str
    group_control_number: str
    interchange_control_number: str
    sender_id: str
    receiver_id: str
    position: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class X12File:
    """Every transaction of every interchange of a file, in order."""

    separators: Separators
    transactions: tuple[Transaction, ...]


def _separators(text: str, position: int) -> Separators:
    """The separators the ISA at the start of ``text`` (segment ``position``) declares."""
    element = text[3] if len(text) > 3 else ""
    if not element or element.isalnum() or element in _LAYOUT:
        raise X12ParseError(
            f"the ISA declares {element!r} as the element separator",
            segment="ISA",
            position=position,
        )
    found, index = 1, 3  # the separator before ISA01 is the first
    while found < _ISA_ELEMENTS:
        index = text.find(element, index + 1)
        if index < 0 or index > 200:
            raise X12ParseError(
                f"the ISA has {found} elements, not 16 (truncated or wrong separators)",
                segment="ISA",
                position=position,
            )
        found += 1
    if len(text) < index + 3:
        raise X12ParseError(
            "the file ends inside the ISA segment", segment="ISA", position=position
        )
    component, terminator = text[index + 1], text[index + 2]
    isa = text[:index].split(element)
    repetition = isa[11] if isa[12] >= "00501" and len(isa[11]) == 1 else None
    if repetition is not None and (repetition.isalnum() or repetition == " "):
        repetition = None
    declared = [element, component, terminator] + ([repetition] if repetition else [])
    if any(c.isalnum() for c in (component, terminator)) or len(set(declared)) != len(declared):
        raise X12ParseError(
            f"separators must be distinct non-alphanumeric characters, got element {element!r}, "
            f"component {component!r}, segment terminator {terminator!r}",
            segment="ISA",
            position=position,
            element=16,
        )
    return Separators(element, component, repetition, terminator)


def _interchange(
    text: str, start: int, seps: Separators, envelopes: _Envelopes, position: int
) -> tuple[int, int]:
    """Feed the segments from ``start`` up to the IEA closing the interchange (or the end of
    the text); return where the next interchange starts and the last segment position."""
    known: set[str] = set()
    index = start
    while index < len(text):
        end = text.find(seps.segment, index)
        if end < 0:
            piece, index = text[index:], len(text)
        else:
            piece, index = text[index:end], end + len(seps.segment)
        piece = piece.strip(_LAYOUT)
        if not piece:
            continue
        parts = piece.split(seps.element)
        segment_id = parts[0]
        position += 1
        if segment_id not in known and not _SEGMENT_ID.match(segment_id):
            shown = piece[:20] + ("..." if len(piece) > 20 else "")
            raise X12ParseError(
                f"{shown!r} is not a segment (garbage or wrong separators)", position=position
            )
        known.add(segment_id)
        envelopes.feed(Segment(segment_id, tuple(parts[1:]), position, seps.component))
        if segment_id == "IEA":
            break
    return index, position


def _count(segment: Segment, number: int) -> int:
    value = segment.get(number)
    if not value.isdigit():
        raise segment.error(f"expected a count, got {value!r}", number)
    return int(value)


def _control(segment: Segment, number: int, expected: str, what: str) -> None:
    if segment.get(number).lstrip("0") != expected.lstrip("0"):
        raise segment.error(
            f"control number {segment.get(number)!r} does not match the {what} {expected!r}",
            number,
        )


class _Envelopes:
    """Walks the segments, pairing ISA/IEA, GS/GE and ST/SE and collecting transactions."""

    def __init__(self) -> None:
        self.transactions: list[Transaction] = []
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.st: Segment | None = None
        self.body: list[Segment] = []
        self.groups = 0
        self.sets = 0

    def feed(self, seg: Segment) -> None:
        handler = getattr(self, "_" + seg.id.lower(), None) if seg.id in _ENVELOPE else None
        if handler is not None:
            handler(seg)
        elif self.st is not None:
            self.body.append(seg)
        elif seg.id == "TA1" and self.isa is not None and self.gs is None:
            return
        else:
            raise seg.error("segment outside a transaction (no ST before it)")

    def _isa(self, seg: Segment) -> None:
        if self.isa is not None:
            raise seg.error("ISA inside an interchange (the previous one has no IEA)")
        if len(seg.elements) != _ISA_ELEMENTS:
            raise seg.error(f"the ISA has {len(seg.elements)} elements, not 16")
        self.isa, self.groups = seg, 0

    def _gs(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None or self.st is not None:
            raise seg.error("GS outside an interchange or inside another group")
        self.gs, self.sets = seg, 0
        self.groups += 1

    def _st(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None:
            raise seg.error("ST outside a functional group or inside another transaction")
        if not 4 <= len(seg.get(2)) <= 9:
            raise seg.error(f"control number {seg.get(2)!r} must have 4 to 9 characters", 2)
        self.st, self.body = seg, []
        self.sets += 1

    def _se(self, seg: Segment) -> None:
        st, gs, isa = self.st, self.gs, self.isa
        if st is None or gs is None or isa is None:
            raise seg.error("SE without an ST")
        counted = len(self.body) + 2
        if _count(seg, 1) != counted:
            raise seg.error(
                f"segment count {seg.get(1)} does not match the {counted} segments of "
                f"transaction {st.get(2)}",
                1,
            )
        _control(seg, 2, st.get(2), "ST02")
        self.transactions.append(
            Transaction(
                set_id=st.get(1),
                control_number=st.get(2),
                implementation=st.get(3) or gs.get(8),
                functional_id=gs.get(1),
                group_control_number=gs.get(6),
                interchange_control_number=isa.get(13),
                sender_id=isa.get(6).strip(),
                receiver_id=isa.get(8).strip(),
                position=st.position,
                segments=tuple(self.body),
            )
        )
        self.st, self.body = None, []

    def _ge(self, seg: Segment) -> None:
        if self.gs is None or self.st is not None:
            raise seg.error("GE without a GS, or inside a transaction (missing SE)")
        if _count(seg, 1) != self.sets:
            raise seg.error(f"GE counts {seg.get(1)} transactions, the group holds {self.sets}", 1)
        _control(seg, 2, self.gs.get(6), "GS06")
        self.gs = None

    def _iea(self, seg: Segment) -> None:
        if self.isa is None or self.gs is not None or self.st is not None:
            raise seg.error("IEA without an ISA, or inside a group (missing GE)")
        if _count(seg, 1) != self.groups:
            raise seg.error(
                f"IEA counts {seg.get(1)} functional groups, the interchange holds {self.groups}",
                1,
            )
        _control(seg, 2, self.isa.get(13), "ISA13")
        self.isa = None

    def finish(self, last: int) -> None:
        open_segment = self.st or self.gs or self.isa
        if open_segment is not None:
            closing = {"ST": "SE", "GS": "GE", "ISA": "IEA"}[open_segment.id]
            raise X12ParseError(
                f"the file ends before the {closing} closing the {open_segment.id} of segment "
                f"{open_segment.position} (truncated)",
                segment=closing,
                position=last + 1,
            )
        if not self.transactions:
            raise X12ParseError("no transaction (ST..SE) in the file", position=last)


_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


def read_x12(text: str) -> X12File:
    """Split an X12 file into checked transactions.

    Several interchanges may follow each other, each with the separators its ISA declares.

    Raises:
        X12ParseError: not X12, truncated, wrong separators, an envelope count or control
            number that does not match, or a segment outside a transaction.
    """
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        raise X12ParseError("the file is empty")
    if body[:3].upper() != "ISA":
        raise X12ParseError(f"an X12 file starts with ISA, this one with {body[:10]!r}", position=1)
    upper = body.upper()
    envelopes = _Envelopes()
    first = seps = _separators(upper, 1)
    index = position = 0
    while True:
        while index < len(upper) and upper[index] in _LAYOUT:
            index += 1
        if index >= len(upper):
            break
        if upper.startswith("ISA", index):
            seps = _separators(upper[index:], position + 1)
        index, position = _interchange(upper, index, seps, envelopes, position)
    envelopes.finish(position)
    return X12File(first, tuple(envelopes.transactions))
