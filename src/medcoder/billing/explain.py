"""The denials of an 835 explained without a database: what each denied line means (CARC and
RARC wording), its likely cause and the action, as posting would put it on the worklist.

Example:
    >>> [(d.claim_id, d.carc, d.action.value) for d in explain_denials(remittance, texts)]
    [('PCN1003', '16', 'correct_and_resubmit')]
"""

from __future__ import annotations

from medcoder.billing.adjustment_rules import AdjustmentRules
from medcoder.billing.posting import BilledClaim, BilledLine, CodeTexts, DenialItem, plan_posting
from medcoder.claims.readers.remittance import Remittance

__all__ = ["explain_denials"]


def explain_denials(
    remittance: Remittance, texts: CodeTexts, rules: AdjustmentRules | None = None
) -> tuple[DenialItem, ...]:
    """The worklist items posting ``remittance`` would create (claims taken as billed as the
    payer lists them; encounter and patient ids are empty)."""
    billed = {
        c.patient_control_number.upper(): BilledClaim(
            claim_id=c.patient_control_number.upper(),
            encounter_id="",
            patient_id="",
            charge=c.charge,
            lines=tuple(
                BilledLine(ln.line_item_control_number, ln.code, ln.charge) for ln in c.lines
            ),
        )
        for c in remittance.claims
        if not c.is_reversal
    }
    plan = plan_posting(remittance, billed, rules or AdjustmentRules.default(), texts)
    return tuple(d for claim in plan.claims for d in claim.denials)
