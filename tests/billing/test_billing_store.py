"""Posting 835s to the database (SQLite and PostgreSQL): ledger, balances, idempotency."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from billing_factories import (
    TEXTS,
    Practice,
    billed_claims,
    read_sample,
    store_claims,
    wrap_835,
)
from sqlalchemy.orm import Session, sessionmaker

from medcoder.billing import Account, balances
from medcoder.billing.claims_store import StoredClaimSource
from medcoder.billing.denials_store import open_denials, resolve_denial
from medcoder.billing.ledger_store import (
    account_balance,
    encounter_entries,
    patient_balance,
    patient_statement_items,
    record_patient_payment,
)
from medcoder.billing.statements import (
    StatementPatient,
    StatementPractice,
    build_statement,
    render_statement_html,
)
from medcoder.billing.store import InMemoryClaimSource, PostingReport, post_835
from medcoder.claims.readers import X12ParseError
from medcoder.errors import InputError
from medcoder.store.all_models import Base
from medcoder.store.billing_models import (
    DenialRecord,
    LedgerEntryRecord,
    RemittanceRecord,
)
from medcoder.store.claims_models import ClaimRecord
from medcoder.store.db import make_engine

BILLING_TABLES = {"remittances", "ledger_entries", "denials", "patient_reminders"}


@pytest.fixture
def practice(session_factory: sessionmaker[Session]) -> Practice:
    return Practice(session_factory)


def d(text: str) -> Decimal:
    return Decimal(text)


class TestPosting:
    def test_mixed_remittance_posts_ledger_patient_balance_and_denials(
        self, practice: Practice
    ) -> None:
        report = practice.post(read_sample("era_mixed.835"))
        assert (report.posted, report.duplicates) == (1, 0)
        with practice.factory() as s:
            paid = balances(encounter_entries(s, practice.org_id, practice.encounters["PCN1001"]))
            assert paid == {
                Account.INSURANCE_AR: d("0.00"),
                Account.CHARGES: d("150.00"),
                Account.CASH: d("120.00"),
                Account.CONTRACTUAL: d("30.00"),
            }
            assert patient_balance(s, practice.org_id, practice.patients["PCN1002"]) == d("60.00")
            assert patient_balance(s, practice.org_id, practice.patients["PCN1001"]) == d("0.00")
            assert account_balance(s, practice.org_id, Account.CASH) == d("172.30")
            assert account_balance(s, practice.org_id, Account.INSURANCE_AR) == d("0.00")
            assert account_balance(s, practice.org_id, Account.DENIALS) == d("250.00")
            assert account_balance(s, practice.org_id, Account.PROVIDER_ADJUSTMENTS) == d("87.70")
            (denial,) = open_denials(s, practice.org_id)
            assert (denial.claim_id, denial.carc, denial.amount) == (
                "PCN1003",
                "16",
                d("250.00"),
            )
            assert denial.encounter_id == practice.encounters["PCN1003"]
            assert denial.action == "correct_and_resubmit"
            assert denial.carc_text == "Claim/service lacks information"
            assert [r["code"] for r in denial.remarks] == ["M51", "N290", "MA130"]
        assert practice.source.outcomes == [
            ("PCN1001", "paid"),
            ("PCN1002", "partially_paid"),
            ("PCN1003", "denied"),
        ]

    def test_ledger_balances_to_the_cent(self, practice: Practice) -> None:
        practice.post(read_sample("era_mixed.835"))
        practice.post(read_sample("era_reversal.835"))
        with practice.factory() as s:
            rows = s.execute(
                sa.select(LedgerEntryRecord.debit_account, LedgerEntryRecord.amount).where(
                    LedgerEntryRecord.org_id == practice.org_id
                )
            ).all()
            assert all(amount == amount.quantize(d("0.01")) > 0 for _, amount in rows)
            # debits minus credits over every account: one amount on each side of every entry
            net = {a: account_balance(s, practice.org_id, a) for a in Account}
            assert sum(net.values()) == d("0.00")
            assert net[Account.CHARGES] == d("-700.00")
            corrected = balances(
                encounter_entries(s, practice.org_id, practice.encounters["PCN1001"])
            )
            assert corrected == {
                Account.INSURANCE_AR: d("0.00"),
                Account.CHARGES: d("150.00"),
                Account.CASH: d("130.00"),
                Account.CONTRACTUAL: d("20.00"),
            }
            assert account_balance(s, practice.org_id, Account.CASH) == d("182.30")


class TestIdempotency:
    def test_same_835_posted_twice_posts_once(self, practice: Practice) -> None:
        practice.post(read_sample("era_mixed.835"))
        entries = practice.count(LedgerEntryRecord)
        again = practice.post(read_sample("era_mixed.835"))
        assert (again.posted, again.duplicates) == (0, 1)
        assert practice.count(LedgerEntryRecord) == entries
        assert practice.count(RemittanceRecord) == 1
        assert practice.count(DenialRecord) == 1

    def test_same_content_in_another_layout_is_the_same_835(self, practice: Practice) -> None:
        practice.post(read_sample("era_mixed.835"))
        relaid = read_sample("era_mixed.835").replace("~", "~\n").lower()
        assert practice.post(relaid).duplicates == 1

    def test_other_content_with_the_same_trace_posts(self, practice: Practice) -> None:
        practice.post(read_sample("era_mixed.835"))
        changed = read_sample("era_mixed.835").replace("DTM*405*20260501", "DTM*405*20260503")
        assert practice.post(changed).posted == 1


class TestNothingPosted:
    def test_malformed_file_posts_nothing(self, practice: Practice) -> None:
        truncated = read_sample("era_mixed.835")[:-40]
        with pytest.raises(X12ParseError):
            practice.post(truncated)
        assert practice.count(RemittanceRecord) == 0
        assert practice.count(LedgerEntryRecord) == 0

    def test_second_transaction_bad_posts_nothing_of_the_first(self, practice: Practice) -> None:
        good = read_sample("era_mixed.835")
        bad = read_sample("era_reversal.835").replace("CLP*PCN1001*22*-150", "CLP*PCN1001*22*X")
        with pytest.raises(X12ParseError, match=r"\(CLP\) element 03"):
            practice.post(good + bad)
        assert practice.count(LedgerEntryRecord) == 0

    def test_a_database_failure_rolls_the_whole_file_back(self, practice: Practice) -> None:
        claims = billed_claims(
            {**practice.encounters, "PCN1003": "0" * 32}, practice.patients
        )  # PCN1003 points at an encounter that does not exist: its rows fail the foreign key
        practice.source = InMemoryClaimSource(claims)
        with pytest.raises(sa.exc.IntegrityError):
            practice.post(read_sample("era_mixed.835"))
        assert practice.count(RemittanceRecord) == 0
        assert practice.count(LedgerEntryRecord) == 0


def test_billing_migration_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    mine = [diff for diff in diffs if any(t in repr(diff) for t in BILLING_TABLES)]
    assert mine == []


def test_cents_refuse_fractions_of_a_cent(practice: Practice) -> None:
    with (
        practice.factory() as s,
        pytest.raises(sa.exc.StatementError, match="whole number of cents"),
    ):
        s.add(
            LedgerEntryRecord(
                org_id=practice.org_id,
                kind="payment",
                debit_account="cash",
                credit_account="insurance_ar",
                amount=d("1.005"),
            )
        )
        s.flush()


class TestPatientStatement:
    def test_statement_shows_the_pr_amounts_and_payments(self, practice: Practice) -> None:
        practice.post(read_sample("era_mixed.835"))
        patient = practice.patients["PCN1002"]
        with practice.factory() as s, s.begin():
            record_patient_payment(
                s,
                practice.org_id,
                patient_id=patient,
                encounter_id=practice.encounters["PCN1002"],
                amount=d("20.00"),
                memo="card",
            )
        with practice.factory() as s:
            charges, payments = patient_statement_items(s, practice.org_id, patient)
            assert patient_balance(s, practice.org_id, patient) == d("40.00")
        assert sorted((c.description, c.amount) for c in charges) == [
            ("Coinsurance (PR-2), claim PCN1002", d("35.00")),
            ("Deductible (PR-1), claim PCN1002", d("25.00")),
        ]
        assert all(c.date_of_service == dt.date(2026, 4, 16) for c in charges)
        assert [(p.amount, p.memo) for p in payments] == [(d("20.00"), "card")]
        today = charges[0].posted_on
        statement = build_statement(
            StatementPatient("A-2", "Test Patient1"),
            StatementPractice("Test practice"),
            charges,
            payments,
            on=today,
        )
        assert statement.balance == d("40.00")
        html = render_statement_html(statement)
        assert "$35.00" in html and "$25.00" in html and '<span id="balance">$40.00</span>' in html

    def test_payment_must_be_positive_cents(self, practice: Practice) -> None:
        with (
            practice.factory() as s,
            pytest.raises(InputError, match="positive whole cents"),
        ):
            record_patient_payment(
                s,
                practice.org_id,
                patient_id=practice.patients["PCN1001"],
                encounter_id=None,
                amount=d("0"),
            )


class TestStoredClaims:
    """Claims as x12out stores them (claims + claim_lines), matched and moved by posting."""

    def statuses(self, practice: Practice, ids: dict[str, str]) -> dict[str, str]:
        with practice.factory() as s:
            return {pcn: s.get_one(ClaimRecord, claim_id).status for pcn, claim_id in ids.items()}

    def post(self, practice: Practice, text: str) -> PostingReport:
        with practice.factory() as s, s.begin():
            return post_835(
                text,
                session=s,
                org_id=practice.org_id,
                claims=StoredClaimSource(s, practice.org_id),
                texts=TEXTS,
            )

    def test_posting_matches_stored_claims_and_moves_their_status(self, practice: Practice) -> None:
        ids = store_claims(practice)
        report = self.post(practice, read_sample("era_mixed.835"))
        (posting,) = report.postings
        assert posting.plan is not None and posting.plan.unmatched == ()
        assert posting.status_warnings == ()
        assert self.statuses(practice, ids) == {
            "PCN1001": "paid",
            "PCN1002": "partially_paid",
            "PCN1003": "denied",
        }
        with practice.factory() as s:
            assert patient_balance(s, practice.org_id, practice.patients["PCN1002"]) == d("60.00")
            lines = {
                e.line
                for e in encounter_entries(s, practice.org_id, practice.encounters["PCN1002"])
            }
        assert lines >= {"PCN1002-1", "PCN1002-2"}
        again = self.post(practice, read_sample("era_reversal.835"))
        assert again.postings[0].status_warnings == ()
        assert self.statuses(practice, ids)["PCN1001"] == "paid"

    def test_a_move_the_machine_refuses_is_a_warning_and_the_money_posts(
        self, practice: Practice
    ) -> None:
        ids = store_claims(practice, status="closed")
        (posting,) = self.post(practice, read_sample("era_mixed.835")).postings
        assert posting.plan is not None and len(posting.plan.claims) == 3
        assert posting.status_warnings[0].startswith(
            "claim PCN1001: a closed claim cannot become paid"
        )
        assert set(self.statuses(practice, ids).values()) == {"closed"}
        with practice.factory() as s:
            assert account_balance(s, practice.org_id, Account.CASH) == d("172.30")

    def test_unsubmitted_claims_are_still_matched(self, practice: Practice) -> None:
        store_claims(practice, status="built")
        (posting,) = self.post(practice, read_sample("era_mixed.835")).postings
        assert posting.plan is not None and posting.plan.unmatched == ()
        assert "a built claim cannot become" in posting.status_warnings[0]


def test_two_posters_at_once_post_the_file_once(practice: Practice) -> None:
    """Whichever transaction commits first posts; the other meets the unique key (PostgreSQL)
    or the committed row (SQLite serializes writers) and reports a duplicate."""
    text = read_sample("era_mixed.835")
    first = practice.factory()
    first.begin()
    report_a = post_835(
        text, session=first, org_id=practice.org_id, claims=practice.source, texts=TEXTS
    )
    reports: list[PostingReport] = []

    def other() -> None:
        with practice.factory() as s, s.begin():
            reports.append(
                post_835(
                    text, session=s, org_id=practice.org_id, claims=practice.source, texts=TEXTS
                )
            )

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=0.5)  # still waiting for the first transaction's lock
    first.commit()
    first.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    (report_b,) = reports
    assert (report_a.posted, report_b.posted, report_b.duplicates) == (1, 0, 1)
    assert practice.count(RemittanceRecord) == 1
    assert practice.count(DenialRecord) == 1


class TestResolvingDenials:
    def denial_id(self, practice: Practice) -> str:
        practice.post(read_sample("era_mixed.835"))
        with practice.factory() as s:
            (item,) = open_denials(s, practice.org_id)
            return item.id

    def resolve(self, practice: Practice, denial_id: str, resolution: str) -> None:
        with practice.factory() as s, s.begin():
            resolve_denial(s, practice.org_id, denial_id, resolution)

    def test_resubmitted_amount_is_owed_by_the_payer_again(self, practice: Practice) -> None:
        denial_id = self.denial_id(practice)
        self.resolve(practice, denial_id, "resubmitted")
        with practice.factory() as s:
            assert account_balance(s, practice.org_id, Account.DENIALS) == d("0.00")
            assert account_balance(s, practice.org_id, Account.INSURANCE_AR) == d("250.00")
            assert open_denials(s, practice.org_id) == []
            assert s.get_one(DenialRecord, denial_id).status == "resubmitted"
        with pytest.raises(InputError, match="no open denial"):
            self.resolve(practice, denial_id, "closed")

    def test_write_off(self, practice: Practice) -> None:
        denial_id = self.denial_id(practice)
        self.resolve(practice, denial_id, "written_off")
        with practice.factory() as s:
            assert account_balance(s, practice.org_id, Account.WRITE_OFFS) == d("250.00")
            assert account_balance(s, practice.org_id, Account.DENIALS) == d("0.00")

    def test_co_denial_cannot_be_billed_to_the_patient(self, practice: Practice) -> None:
        denial_id = self.denial_id(practice)
        with pytest.raises(InputError, match="may not be billed to the patient"):
            self.resolve(practice, denial_id, "billed_patient")
        with pytest.raises(InputError, match="resolution must be one of"):
            self.resolve(practice, denial_id, "prayed")


def test_reversed_denial_closes_its_worklist_item(practice: Practice) -> None:
    practice.post(read_sample("era_mixed.835"))
    overturned = wrap_835(
        [
            "LX*1",
            "CLP*PCN1003*22*-250*0*0*12*ACME1003*11*1",
            "SVC*HC:99203*-250*0**-1",
            "CAS*CO*16*-250",
            "REF*6R*PCN1003-1",
            "CLP*PCN1003*1*250*200*0*12*ACME1003B*11*1",
            "SVC*HC:99203*250*200**1",
            "CAS*CO*45*50",
            "REF*6R*PCN1003-1",
        ],
        total="200",
        trace="EFT0009999",
    )
    (posting,) = practice.post(overturned).postings
    assert posting.plan is not None and posting.plan.warnings == ()
    with practice.factory() as s:
        assert open_denials(s, practice.org_id) == []
        (item,) = s.scalars(sa.select(DenialRecord).where(DenialRecord.org_id == practice.org_id))
        assert item.status == "closed" and item.resolved_at is not None
        assert account_balance(s, practice.org_id, Account.DENIALS) == d("0.00")
        assert account_balance(s, practice.org_id, Account.INSURANCE_AR) == d("0.00")
        paid = balances(encounter_entries(s, practice.org_id, practice.encounters["PCN1003"]))
        assert (paid[Account.CASH], paid[Account.CONTRACTUAL]) == (d("200.00"), d("50.00"))


class TestPatientResponsibleDenial:
    """PR-204 (not covered by the plan): the patient owes it at once; the worklist item says so."""

    def post(self, practice: Practice) -> str:
        era = wrap_835(
            [
                "LX*1",
                "CLP*PCN1001*1*150*0*150*12*ACME1001*11*1",
                "SVC*HC:99213*150*0**1",
                "CAS*PR*204*150",
                "REF*6R*PCN1001-1",
                "LQ*HE*N130",
            ],
            total="0",
            trace="EFT0000204",
        )
        (posting,) = practice.post(era).postings
        assert posting.plan is not None and posting.plan.claims[0].outcome.value == "denied"
        with practice.factory() as s:
            (item,) = open_denials(s, practice.org_id)
            assert (item.group_code, item.carc, item.action) == ("PR", "204", "bill_patient")
            return item.id

    def balances(self, practice: Practice) -> tuple[Decimal, Decimal, Decimal]:
        with practice.factory() as s:
            return (
                patient_balance(s, practice.org_id, practice.patients["PCN1001"]),
                account_balance(s, practice.org_id, Account.DENIALS),
                account_balance(s, practice.org_id, Account.WRITE_OFFS),
            )

    def test_billed_to_the_patient_moves_nothing_more(self, practice: Practice) -> None:
        denial_id = self.post(practice)
        assert self.balances(practice) == (d("150.00"), d("0.00"), d("0.00"))
        with practice.factory() as s, s.begin():
            resolve_denial(s, practice.org_id, denial_id, "billed_patient")
        assert self.balances(practice) == (d("150.00"), d("0.00"), d("0.00"))

    def test_written_off_clears_the_patient_balance(self, practice: Practice) -> None:
        denial_id = self.post(practice)
        with practice.factory() as s, s.begin():
            resolve_denial(s, practice.org_id, denial_id, "written_off")
        assert self.balances(practice) == (d("0.00"), d("0.00"), d("150.00"))
