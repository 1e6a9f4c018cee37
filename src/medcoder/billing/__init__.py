"""Billing: posting 835 remittances to a per-encounter ledger, the denials worklist.

A short tour::

    from medcoder.billing import AdjustmentRules, BilledClaim, plan_posting
    plan = plan_posting(remittance, {"PCN1001": billed}, AdjustmentRules.default(), texts)
    plan.entries        # balanced double-entry LedgerEntry values, in cents
    plan.claims[0].denials   # DenialItem: CARC/RARC wording, likely cause, action

Persisting a plan (idempotent, one transaction) is :func:`medcoder.billing.store.post_835`.
Patient statements (aging, HTML, PDF) are in :mod:`medcoder.billing.statements`, payment
reminders by e-mail in :mod:`medcoder.billing.reminders`.
"""

from medcoder.billing.adjustment_rules import (
    ACTION_TEXT,
    Action,
    AdjustmentKind,
    AdjustmentRule,
    AdjustmentRules,
)
from medcoder.billing.code_texts import KbCodeTexts
from medcoder.billing.ledger import Account, EntryKind, LedgerEntry, balances, make_entry
from medcoder.billing.posting import (
    BilledClaim,
    BilledLine,
    ClaimOutcome,
    ClaimPosting,
    CodeTexts,
    DenialItem,
    PostingPlan,
    Remark,
    StaticCodeTexts,
    plan_posting,
)

__all__ = [
    "ACTION_TEXT",
    "Account",
    "Action",
    "AdjustmentKind",
    "AdjustmentRule",
    "AdjustmentRules",
    "BilledClaim",
    "BilledLine",
    "ClaimOutcome",
    "ClaimPosting",
    "CodeTexts",
    "DenialItem",
    "EntryKind",
    "KbCodeTexts",
    "LedgerEntry",
    "PostingPlan",
    "Remark",
    "StaticCodeTexts",
    "balances",
    "make_entry",
    "plan_posting",
]
