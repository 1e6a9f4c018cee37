"""The claim state machine: which status may follow which.

::

    built ──► submitted ──► accepted ──► paid | partially_paid | denied
                   │                           │
                   └──► rejected               └──► corrected | appealed | closed
    rejected ──► corrected | closed

A claim is submitted once. ``corrected`` means a replacement (frequency 7) or void
(frequency 8) claim was built for it: that new claim starts at ``built`` and goes through
the machine itself. Any other move raises :class:`ClaimStateError`.

Example:
    >>> advance(ClaimStatus.BUILT, ClaimStatus.SUBMITTED)
    <ClaimStatus.SUBMITTED: 'submitted'>
    >>> advance(ClaimStatus.PAID, ClaimStatus.SUBMITTED)
    Traceback (most recent call last):
    ClaimStateError: a paid claim cannot become submitted ...
"""

from __future__ import annotations

from enum import StrEnum

from medcoder.claims.errors import ClaimStateError
from medcoder.claims.model import Frequency

__all__ = ["TRANSITIONS", "ClaimStatus", "advance", "allowed", "check_resubmission"]


class ClaimStatus(StrEnum):
    BUILT = "built"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"  # 999/277CA: the payer took it in
    REJECTED = "rejected"  # 999/277CA: refused before adjudication
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    CORRECTED = "corrected"  # superseded by a frequency 7/8 claim
    APPEALED = "appealed"
    CLOSED = "closed"


_S = ClaimStatus
_ADJUDICATED = frozenset({_S.CORRECTED, _S.APPEALED, _S.CLOSED})

#: Every allowed move; a status not in the keys is final.
TRANSITIONS: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    _S.BUILT: frozenset({_S.SUBMITTED}),
    _S.SUBMITTED: frozenset({_S.ACCEPTED, _S.REJECTED}),
    _S.ACCEPTED: frozenset({_S.PAID, _S.PARTIALLY_PAID, _S.DENIED}),
    _S.REJECTED: frozenset({_S.CORRECTED, _S.CLOSED}),
    _S.PAID: _ADJUDICATED,
    _S.PARTIALLY_PAID: _ADJUDICATED,
    _S.DENIED: _ADJUDICATED,
    _S.APPEALED: frozenset({_S.PAID, _S.PARTIALLY_PAID, _S.DENIED, _S.CLOSED}),
    _S.CORRECTED: frozenset({_S.CLOSED}),
}


def allowed(current: ClaimStatus) -> frozenset[ClaimStatus]:
    """The statuses ``current`` may move to (empty when final)."""
    return TRANSITIONS.get(current, frozenset())


def advance(current: ClaimStatus | str, target: ClaimStatus | str, *,
            claim_id: str = "") -> ClaimStatus:
    """``target`` when the move is allowed.

    Raises:
        ClaimStateError: the move is impossible (the message lists what is allowed).
    """
    cur, nxt = ClaimStatus(current), ClaimStatus(target)
    if nxt not in allowed(cur):
        options = ", ".join(sorted(allowed(cur))) or "nothing (final)"
        raise ClaimStateError(
            f"a {cur.value} claim cannot become {nxt.value} (allowed: {options})",
            claim_id=claim_id, current=cur.value, target=nxt.value)
    return nxt


def check_resubmission(original: ClaimStatus | str, frequency: Frequency, *,
                       claim_id: str = "") -> None:
    """A claim already submitted may go again only as a replacement (7) or void (8).

    Raises:
        ClaimStateError: an original (frequency 1) claim for a claim already submitted.
    """
    if ClaimStatus(original) is not ClaimStatus.BUILT and frequency is Frequency.ORIGINAL:
        raise ClaimStateError(
            f"claim {claim_id} was already submitted ({ClaimStatus(original).value}): "
            "resubmit it as a replacement (frequency 7) or void (frequency 8)",
            claim_id=claim_id, current=ClaimStatus(original).value,
            target=ClaimStatus.SUBMITTED.value)
