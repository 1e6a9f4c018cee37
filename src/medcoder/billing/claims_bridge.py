"""Where billing meets the claims package: billed claims from :class:`Claim` values, and the
claim status moves an 835 or a 277CA implies (checked by :mod:`medcoder.claims.state`).

An 835 often arrives without a 277CA before it, so a submitted claim that is paid goes
through ``accepted`` first. A move the state machine does not allow (a paid claim paid again
by a correction, say) is not forced: it comes back as a warning, and the money still posts.
"""

from __future__ import annotations

from medcoder.billing.posting import BilledClaim, BilledLine, ClaimOutcome
from medcoder.claims.errors import ClaimStateError
from medcoder.claims.model import Claim
from medcoder.claims.state import ClaimStatus, advance

__all__ = ["billed_from_claim", "status_moves"]

_TARGET = {
    ClaimOutcome.PAID: ClaimStatus.PAID,
    ClaimOutcome.PARTIALLY_PAID: ClaimStatus.PARTIALLY_PAID,
    ClaimOutcome.DENIED: ClaimStatus.DENIED,
}


def billed_from_claim(claim: Claim, *, encounter_id: str, patient_id: str) -> BilledClaim:
    """What posting needs of a claim: its number, charge and lines with their control numbers."""
    return BilledClaim(
        claim_id=claim.claim_id.upper(),
        encounter_id=encounter_id,
        patient_id=patient_id,
        charge=claim.total_charge,
        lines=tuple(BilledLine(ln.control_number, ln.code, ln.charge) for ln in claim.lines),
    )


def status_moves(
    current: ClaimStatus | str, outcome: ClaimOutcome | str | bool
) -> tuple[tuple[ClaimStatus, ...], str | None]:
    """The statuses a claim passes through for an 835 outcome, or a 277CA verdict
    (``True`` accepted, ``False`` rejected); and a warning when the move is impossible.

    A reversal moves nothing (the correction that follows carries the new outcome).
    """
    status = ClaimStatus(current)
    if isinstance(outcome, bool):
        target = ClaimStatus.ACCEPTED if outcome else ClaimStatus.REJECTED
    elif ClaimOutcome(outcome) is ClaimOutcome.REVERSED:
        return (), None
    else:
        target = _TARGET[ClaimOutcome(outcome)]
    if target is status:
        return (), None
    path = [target]
    if status is ClaimStatus.SUBMITTED and target in _TARGET.values():
        path.insert(0, ClaimStatus.ACCEPTED)  # the 835 shows the payer took the claim in
    moved = status
    try:
        for step in path:
            moved = advance(moved, step)
    except ClaimStateError as exc:
        return (), str(exc)
    return tuple(path), None
