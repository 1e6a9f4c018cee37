"""The one X12 serializer: segments are element lists, delimiters live here only.

A segment is a tuple ``("NM1", "85", "2", "CLINIC", ...)``; a composite element is a tuple
of components, e.g. ``("HC", "99214", "25")``. :func:`render` joins them with the
:class:`Delimiters`, trims trailing empty elements and components, and refuses a value that
contains a delimiter (it would shift every element after it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from medcoder.claims.errors import X12WriteError

__all__ = [
    "Delimiters",
    "Element",
    "Segment",
    "amount",
    "d8",
    "render",
    "segment_count",
    "text",
    "tm",
]

Element = str | tuple[str, ...]
Segment = tuple[Element, ...]


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    @property
    def all(self) -> str:
        return self.element + self.component + self.repetition + self.segment


def _check(value: str, delimiters: Delimiters, where: str) -> str:
    bad = [c for c in delimiters.all if c in value]
    if bad:
        raise X12WriteError(f"{where}: {value!r} contains the delimiter {bad[0]!r}",
                            segment=where.split("-")[0], element=where)
    return value


def _element(value: Element, delimiters: Delimiters, where: str) -> str:
    if isinstance(value, tuple):
        parts = [_check(v, delimiters, where) for v in value]
        while parts and not parts[-1]:
            parts.pop()
        return delimiters.component.join(parts)
    return _check(value, delimiters, where)


def render(segments: Iterable[Segment], delimiters: Delimiters, *, newline: bool = True) -> str:
    """The X12 text of ``segments`` (one per line when ``newline``)."""
    el, comp, end = delimiters.element, delimiters.component, delimiters.segment
    forbidden = re.compile("[" + re.escape(delimiters.all) + "]")
    out: list[str] = []
    for seg in segments:
        seg_id = str(seg[0])
        if seg_id == "ISA":  # fixed width, and ISA11/ISA16 are the delimiters themselves
            out.append(el.join([seg_id, *(str(v) for v in seg[1:])]) + end)
            continue
        elements = [seg_id]
        for value in seg[1:]:
            if isinstance(value, tuple):
                parts = list(value)
                while parts and not parts[-1]:
                    parts.pop()
                elements.append(comp.join(parts))
            else:
                elements.append(value)
        if forbidden.search("".join(elements)):
            # Slow path, only to say which element holds the delimiter.
            for i, v in enumerate(seg[1:], 1):
                _element(v, delimiters, f"{seg_id}-{i:02d}")
        while len(elements) > 1 and not elements[-1]:
            elements.pop()
        out.append(el.join(elements) + end)
    return ("\n" if newline else "").join(out) + ("\n" if newline else "")


def segment_count(segments: Sequence[Segment]) -> int:
    return len(segments)


def amount(value: Decimal) -> str:
    """A monetary amount for an R element: no trailing zeros after the point (``165``,
    ``12.5``, ``0.05``), never exponent notation."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def d8(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def tm(moment: dt.datetime) -> str:
    return moment.strftime("%H%M")


def text(value: str, max_length: int) -> str:
    """Upper-cased, single-spaced, cut to ``max_length`` (X12 basic character set names)."""
    return " ".join(value.upper().split())[:max_length]


def quantity(value: int | Decimal) -> str:
    return str(value)
