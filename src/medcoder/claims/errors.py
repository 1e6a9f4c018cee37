"""The errors claims raise, each a :class:`medcoder.errors.MedcoderError`::

    MedcoderError
    └── ClaimError                    a claim cannot be built, written, moved, sent (.claim_id)
        ├── ClaimEditError            error-severity edits fired (.findings)
        ├── X12WriteError             the claim cannot be written as X12 (.segment, .element)
        ├── ClaimStateError           an impossible state transition (.current, .target)
        └── SubmissionError           the clearinghouse refused or could not be reached
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from medcoder.errors import MedcoderError

if TYPE_CHECKING:
    from medcoder.edits.engine import EditFinding

__all__ = [
    "ClaimEditError",
    "ClaimError",
    "ClaimStateError",
    "SubmissionError",
    "X12WriteError",
]


class ClaimError(MedcoderError):
    """A claim cannot be built, written, moved to another state or submitted."""

    def __init__(self, message: str, *, claim_id: str = "") -> None:
        super().__init__(message)
        self.claim_id = claim_id


class ClaimEditError(ClaimError):
    """The encounter fails error-severity edits; ``findings`` are those errors."""

    def __init__(
        self, message: str, *, claim_id: str = "", findings: Sequence[EditFinding] = ()
    ) -> None:
        super().__init__(message, claim_id=claim_id)
        self.findings = tuple(findings)


class X12WriteError(ClaimError):
    """A value does not fit the X12 element it goes to (``segment``, ``element`` say where)."""

    def __init__(
        self, message: str, *, claim_id: str = "", segment: str = "", element: str = ""
    ) -> None:
        super().__init__(message, claim_id=claim_id)
        self.segment = segment
        self.element = element


class ClaimStateError(ClaimError):
    """A transition the claim state machine does not allow (e.g. paid -> submitted)."""

    def __init__(self, message: str, *, claim_id: str = "", current: str, target: str) -> None:
        super().__init__(message, claim_id=claim_id)
        self.current = current
        self.target = target


class SubmissionError(ClaimError):
    """A claim file could not be handed to the clearinghouse (or was already submitted)."""
