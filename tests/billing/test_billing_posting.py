"""Planning the posting of an 835 (pure core): ledger entries, patient balance, denials."""

from __future__ import annotations

from decimal import Decimal

import pytest
from billing_factories import billed_claims, read_sample, wrap_835

from medcoder.billing import (
    Account,
    Action,
    AdjustmentRules,
    BilledClaim,
    BilledLine,
    ClaimOutcome,
    EntryKind,
    KbCodeTexts,
    PostingPlan,
    StaticCodeTexts,
    balances,
    plan_posting,
)
from medcoder.claims.readers import read_835
from medcoder.codesets import KnowledgeBase
from medcoder.errors import InputError

RULES = AdjustmentRules.default()
NO_TEXTS = StaticCodeTexts({}, {})


def d(text: str) -> Decimal:
    return Decimal(text)


@pytest.fixture(scope="module")
def plan(kb: KnowledgeBase) -> PostingPlan:
    remittance = read_835(read_sample("era_mixed.835"))[0]
    return plan_posting(remittance, billed_claims(), RULES, KbCodeTexts(kb))


class TestMixedRemittance:
    def test_paid_claim_settles_insurance_with_contractual_write_down(
        self, plan: PostingPlan
    ) -> None:
        paid = plan.claims[0]
        assert paid.outcome is ClaimOutcome.PAID
        assert balances(paid.entries) == {
            Account.INSURANCE_AR: d("0.00"),
            Account.CHARGES: d("150.00"),
            Account.CASH: d("120.00"),
            Account.CONTRACTUAL: d("30.00"),
        }
        assert paid.denials == ()
        assert [e.line for e in paid.entries if e.kind is EntryKind.CONTRACTUAL] == ["PCN1001-1"]

    def test_partly_paid_claim_moves_deductible_and_coinsurance_to_patient(
        self, plan: PostingPlan
    ) -> None:
        claim = plan.claims[1]
        assert claim.outcome is ClaimOutcome.PARTIALLY_PAID
        assert claim.patient_responsibility == d("60")
        totals = balances(claim.entries)
        assert totals[Account.PATIENT_AR] == d("60.00")
        assert totals[Account.INSURANCE_AR] == d("0.00")
        assert totals[Account.CONTRACTUAL] == d("100.00")
        assert totals[Account.CASH] == d("140.00")
        patient = [
            (e.line, e.group, e.reason, e.amount)
            for e in claim.entries
            if e.kind is EntryKind.PATIENT_RESPONSIBILITY
        ]
        assert patient == [
            ("PCN1002-1", "PR", "2", d("35.00")),
            ("PCN1002-2", "PR", "1", d("25.00")),
        ]
        assert claim.denials == ()

    def test_denied_claim_goes_to_worklist_with_texts_cause_and_action(
        self, plan: PostingPlan
    ) -> None:
        claim = plan.claims[2]
        assert claim.outcome is ClaimOutcome.DENIED
        (item,) = claim.denials
        assert (item.claim_id, item.line, item.procedure) == ("PCN1003", "PCN1003-1", "99203")
        assert (item.group, item.carc, item.amount) == ("CO", "16", d("250"))
        assert item.carc_text.startswith(
            "Claim/service lacks information or has submission/billing error"
        )
        assert [r.code for r in item.remarks] == ["M51", "N290", "MA130"]
        assert item.remarks[0].text.startswith("Missing/incomplete/invalid procedure code")
        assert item.remarks[1].text.startswith("Missing/incomplete/invalid rendering provider")
        assert item.action is Action.CORRECT_AND_RESUBMIT
        assert "frequency 7" in item.action_text
        assert item.cause.startswith("Information is missing")
        assert item.payer_claim_control_number == "ACME1003"
        assert balances(claim.entries)[Account.DENIALS] == d("250.00")
        assert balances(claim.entries)[Account.INSURANCE_AR] == d("0.00")

    def test_provider_adjustment_and_cash_equal_the_payment(self, plan: PostingPlan) -> None:
        (plb,) = plan.provider_entries
        assert (plb.debit, plb.credit, plb.amount) == (
            Account.PROVIDER_ADJUSTMENTS,
            Account.CASH,
            d("87.70"),
        )
        assert balances(plan.entries)[Account.CASH] == d("172.30")  # BPR02

    def test_whole_plan_balances_to_the_cent(self, plan: PostingPlan) -> None:
        entries = plan.entries
        assert all(e.amount > 0 and e.amount == e.amount.quantize(d("0.01")) for e in entries)
        totals = balances(entries)
        assets_and_expenses = sum(v for a, v in totals.items() if a is not Account.CHARGES)
        assert assets_and_expenses == totals[Account.CHARGES] == d("700.00")
        assert plan.unmatched == ()


class TestReversalAndCorrection:
    def test_reversal_undoes_the_first_payment_and_the_correction_posts_the_new_one(self) -> None:
        first = plan_posting(
            read_835(read_sample("era_mixed.835"))[0], billed_claims(), RULES, NO_TEXTS
        )
        later = plan_posting(
            read_835(read_sample("era_reversal.835"))[0],
            billed_claims(charge_posted=True),
            RULES,
            NO_TEXTS,
        )
        reversal, correction = later.claims
        assert reversal.outcome is ClaimOutcome.REVERSED
        assert correction.outcome is ClaimOutcome.PAID
        assert not any(e.kind is EntryKind.CHARGE for e in later.entries)
        assert balances(reversal.entries) == {
            Account.CASH: d("-120.00"),
            Account.INSURANCE_AR: d("150.00"),
            Account.CONTRACTUAL: d("-30.00"),
        }
        claim_entries = first.claims[0].entries + reversal.entries + correction.entries
        assert balances(claim_entries) == {
            Account.INSURANCE_AR: d("0.00"),
            Account.CHARGES: d("150.00"),
            Account.CASH: d("130.00"),
            Account.CONTRACTUAL: d("20.00"),
        }
        assert reversal.denials == ()


class TestMatching:
    def test_unmatched_claim_posts_only_its_cash_as_unapplied(self) -> None:
        billed = billed_claims()
        del billed["PCN1002"]
        plan = plan_posting(read_835(read_sample("era_mixed.835"))[0], billed, RULES, NO_TEXTS)
        assert plan.unmatched == ("PCN1002",)
        assert [c.claim_id for c in plan.claims] == ["PCN1001", "PCN1003"]
        (held,) = plan.unapplied_entries  # its 140.00 waits, unapplied, with the cash
        assert (held.debit, held.credit, held.amount) == (
            Account.CASH,
            Account.UNAPPLIED,
            d("140.00"),
        )
        assert balances(plan.entries)[Account.CASH] == d("172.30")
        assert "claim PCN1002: no billed claim has this patient control number" in plan.warnings

    def test_line_without_control_number_matches_by_code_and_charge(self) -> None:
        text = (
            read_sample("era_mixed.835")
            .replace("REF*6R*PCN1002-2~", "")
            .replace("SE*52*", "SE*51*")
        )
        plan = plan_posting(read_835(text)[0], billed_claims(), RULES, NO_TEXTS)
        lines = {e.line for e in plan.claims[1].entries if e.line}
        assert lines == {"PCN1002-1", "PCN1002-2"}
        assert plan.claims[1].warnings == ()

    def test_line_matching_nothing_is_a_warning(self) -> None:
        text = read_sample("era_mixed.835").replace("SVC*HC:36415*100*", "SVC*HC:85025*100*")
        text = text.replace("REF*6R*PCN1002-2", "REF*6R*UNKNOWN")
        plan = plan_posting(read_835(text)[0], billed_claims(), RULES, NO_TEXTS)
        assert plan.claims[1].warnings == (
            "claim PCN1002: line 2 (85025) matches no billed line; posted to the claim",
        )
        unmatched = [e for e in plan.claims[1].entries if e.reason == "1"]  # its PR-1
        assert [e.line for e in unmatched] == [""]

    def test_charge_differing_from_billed_is_a_warning(self) -> None:
        billed = billed_claims()
        billed["PCN1001"] = BilledClaim("PCN1001", "e", "p", d("175.00"), billed["PCN1001"].lines)
        plan = plan_posting(read_835(read_sample("era_mixed.835"))[0], billed, RULES, NO_TEXTS)
        assert plan.claims[0].warnings == (
            "claim PCN1001: the payer lists a charge of 150, 175.00 was billed",
        )
        # the billed charge is what the ledger carries: 25.00 stays open with the payer
        assert balances(plan.claims[0].entries)[Account.INSURANCE_AR] == d("25.00")


class TestRules:
    @pytest.mark.parametrize(
        ("group", "carc", "kind", "action"),
        [
            ("CO", "45", "contractual", Action.WRITE_OFF),
            ("PR", "1", "patient", Action.BILL_PATIENT),
            ("PR", "3", "patient", Action.BILL_PATIENT),
            ("OA", "23", "other", Action.WRITE_OFF),
            ("CO", "16", "denial", Action.CORRECT_AND_RESUBMIT),
            ("CO", "50", "denial", Action.APPEAL),
            ("PR", "50", "denial", Action.BILL_PATIENT),  # the payer put it on the patient
            ("CO", "204", "denial", Action.WRITE_OFF),  # CO: the patient may not be billed
            ("PR", "204", "denial", Action.BILL_PATIENT),
            ("CO", "97", "denial", Action.CORRECT_AND_RESUBMIT),
            ("co", "b16", "denial", Action.CORRECT_AND_RESUBMIT),
            ("CO", "999", "denial", Action.APPEAL),  # unknown CARC: the group default
        ],
    )
    def test_classify(self, group: str, carc: str, kind: str, action: Action) -> None:
        rule = RULES.classify(group, carc)
        assert (rule.kind.value, rule.action) == (kind, action)

    def test_rules_reject_unknown_keys(self) -> None:
        with pytest.raises(InputError, match=r"'rules\[0\]\.color' is not a adjustment rule key"):
            AdjustmentRules.from_dict(
                {
                    "defaults": {
                        g: {"kind": "denial", "cause": "x", "action": "appeal"}
                        for g in ("CO", "PR", "OA", "PI", "CR")
                    },
                    "rules": [
                        {
                            "carc": "1",
                            "kind": "patient",
                            "cause": "x",
                            "action": "bill_patient",
                            "color": "red",
                        }
                    ],
                }
            )

    def test_rules_reject_unknown_action(self) -> None:
        with pytest.raises(InputError, match=r"'defaults\.CO\.action' is not an action: 'pray'"):
            AdjustmentRules.from_dict(
                {
                    "defaults": {"CO": {"kind": "denial", "cause": "x", "action": "pray"}},
                    "rules": [],
                }
            )


def test_claim_level_adjustments_and_negative_plb_post_balanced() -> None:
    remittance = read_835(read_sample("era_institutional.835"))[0]
    billed = {
        "IP2026A": BilledClaim("IP2026A", "enc-ip", "pat-1", d("24000.00")),
        "OP2026B": BilledClaim(
            "OP2026B",
            "enc-op",
            "pat-2",
            d("2100.00"),
            (
                BilledLine("OP2026B-1", "0450", d("1500.00")),
                BilledLine("OP2026B-2", "0300", d("600.00")),
            ),
        ),
    }
    plan = plan_posting(remittance, billed, RULES, NO_TEXTS)
    inpatient, outpatient = plan.claims
    assert inpatient.outcome is ClaimOutcome.PARTIALLY_PAID
    assert balances(inpatient.entries) == {
        Account.INSURANCE_AR: d("0.00"),
        Account.CHARGES: d("24000.00"),
        Account.CASH: d("17250.35"),
        Account.CONTRACTUAL: d("5749.65"),
        Account.PATIENT_AR: d("1000.00"),
    }
    assert outpatient.outcome is ClaimOutcome.PAID
    assert outpatient.warnings == ()
    # interest paid by the payer (PLB L6 -15.00) adds to the cash received
    assert balances(plan.entries)[Account.CASH] == remittance.total_paid == d("18890.09")


class TestSecondaryPayer:
    """The secondary payer pays part of what the primary left to the patient (crossover)."""

    SECONDARY = wrap_835(
        [
            "LX*1",
            "CLP*PCN1002*2*300*48*12*12*SEC1002*11*1",
            "CAS*OA*23*240",
            "CAS*PR*2*12",
        ],
        total="48",
        trace="EFT2NDARY1",
    )

    def test_secondary_payment_reduces_the_patient_balance(self) -> None:
        primary = plan_posting(
            read_835(read_sample("era_mixed.835"))[0], billed_claims(), RULES, NO_TEXTS
        )
        secondary = plan_posting(
            read_835(self.SECONDARY)[0], billed_claims(charge_posted=True), RULES, NO_TEXTS
        )
        (claim,) = secondary.claims
        assert claim.outcome is ClaimOutcome.PARTIALLY_PAID
        assert claim.patient_responsibility == d("12")
        assert balances(claim.entries) == {
            Account.CASH: d("48.00"),
            Account.PATIENT_AR: d("-48.00"),
        }
        both = balances(primary.claims[1].entries + claim.entries)
        assert both[Account.PATIENT_AR] == d("12.00")
        assert both[Account.INSURANCE_AR] == d("0.00")
        assert both[Account.CASH] == d("188.00")
        assert not any(e.kind is EntryKind.CHARGE for e in claim.entries)
