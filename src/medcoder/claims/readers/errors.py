"""The error every X12 reader raises on input it cannot read."""

from __future__ import annotations

from medcoder.errors import InputError

__all__ = ["X12ParseError"]


class X12ParseError(InputError):
    """Malformed X12: ``segment`` is the segment id (``SE``, ``CLP``...) or ``""`` when none
    could be read, ``position`` its 1-based ordinal in the file (0 before the first segment),
    ``element`` the 1-based element number when one element is at fault."""

    def __init__(
        self, message: str, *, segment: str = "", position: int = 0, element: int | None = None
    ) -> None:
        where = f"segment {position}" + (f" ({segment})" if segment else "")
        if element is not None:
            where += f" element {element:02d}"
        super().__init__(f"{where}: {message}", field=f"x12.segment[{position}]")
        self.segment = segment
        self.position = position
        self.element = element
