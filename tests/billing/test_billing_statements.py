"""Patient statements (aging, HTML, PDF) and reminders sent to a local SMTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing_factories import SmtpInbox, smtp_inbox_fixture  # noqa: F401 (the fixture)

from medcoder.billing.reminders import ReminderPolicy, SmtpSender, due_reminder
from medcoder.billing.statements import (
    PatientCharge,
    PatientPayment,
    StatementPatient,
    StatementPractice,
    build_statement,
    render_statement_html,
    render_statement_pdf,
)

ON = dt.date(2026, 7, 1)
PATIENT = StatementPatient(
    "A-1002", "Richard <Roe>", ("12 Oak St", "Springfield IL 62704"), email="richard@example.org"
)
PRACTICE = StatementPractice("Riverside Family Practice", ("12 Main St",), "555-0100")


def d(text: str) -> Decimal:
    return Decimal(text)


def charge(days_ago: int, amount: str, what: str = "Coinsurance (PR-2) 99214") -> PatientCharge:
    posted = ON - dt.timedelta(days=days_ago)
    return PatientCharge("enc-1", posted - dt.timedelta(days=10), posted, what, d(amount))


class TestAging:
    def test_buckets_by_days_since_posted(self) -> None:
        charges = [
            charge(5, "10.00"),
            charge(45, "35.00"),
            charge(75, "25.00"),
            charge(120, "8.00"),
        ]
        s = build_statement(PATIENT, PRACTICE, charges, [], on=ON)
        assert s.balance == d("78.00")
        assert (s.aging.current, s.aging.days_31_60, s.aging.days_61_90, s.aging.over_90) == (
            d("10.00"),
            d("35.00"),
            d("25.00"),
            d("8.00"),
        )
        assert s.oldest_unpaid_days == 120
        assert s.due_date == dt.date(2026, 7, 31)

    def test_payments_and_credits_pay_the_oldest_first(self) -> None:
        charges = [charge(5, "10.00"), charge(45, "35.00"), charge(120, "8.00"), charge(2, "-3.00")]
        payments = [PatientPayment(ON - dt.timedelta(days=1), d("20.00"))]
        s = build_statement(PATIENT, PRACTICE, charges, payments, on=ON)
        # 23.00 paid or credited: the 8.00 (120 days) then 15.00 of the 35.00 (45 days)
        assert s.balance == d("30.00") == s.aging.total
        assert (s.aging.current, s.aging.days_31_60, s.aging.over_90) == (
            d("10.00"),
            d("20.00"),
            d("0.00"),
        )
        assert s.oldest_unpaid_days == 45
        assert (s.total_charges, s.total_payments) == (d("53.00"), d("20.00"))


class TestRendering:
    statement = build_statement(
        PATIENT,
        PRACTICE,
        [charge(45, "35.00"), charge(40, "25.00", "Deductible (PR-1) 36415")],
        [],
        on=ON,
    )

    def test_html_shows_the_patient_share_escaped(self) -> None:
        html = render_statement_html(self.statement)
        assert '<span id="balance">$60.00</span>' in html
        assert "Coinsurance (PR-2) 99214" in html and "$35.00" in html
        assert "Deductible (PR-1) 36415" in html and "$25.00" in html
        assert "Richard &lt;Roe&gt;" in html and "<Roe>" not in html

    def test_pdf(self) -> None:
        pdf = render_statement_pdf(self.statement, compress=False)
        assert pdf.startswith(b"%PDF-")
        assert b"Balance due" in pdf and b"$60.00" in pdf and b"Deductible \\(PR-1\\) 36415" in pdf
        assert render_statement_pdf(self.statement).startswith(b"%PDF-")


class TestReminderSchedule:
    policy = ReminderPolicy()

    def test_not_before_30_days(self) -> None:
        s = build_statement(PATIENT, PRACTICE, [charge(29, "40.00")], [], on=ON)
        assert due_reminder(s, last_sent=None, policy=self.policy) is None

    def test_first_second_and_final(self) -> None:
        s = build_statement(PATIENT, PRACTICE, [charge(31, "40.00")], [], on=ON)
        first = due_reminder(s, last_sent=None, policy=self.policy)
        assert first is not None and first.level == "reminder"
        assert due_reminder(s, last_sent=ON - dt.timedelta(days=10), policy=self.policy) is None
        later = due_reminder(s, last_sent=ON - dt.timedelta(days=30), policy=self.policy)
        assert later is not None and later.level == "second_notice"
        old = build_statement(PATIENT, PRACTICE, [charge(95, "40.00")], [], on=ON)
        final = due_reminder(old, last_sent=None, policy=self.policy)
        assert final is not None and final.level == "final_notice"
        assert final.subject == "Final notice from Riverside Family Practice: $40.00 past due"

    def test_small_balance_or_no_email_gets_none(self) -> None:
        small = build_statement(PATIENT, PRACTICE, [charge(60, "4.99")], [], on=ON)
        assert due_reminder(small, last_sent=None, policy=self.policy) is None
        nomail = StatementPatient("A-9", "No Mail")
        s = build_statement(nomail, PRACTICE, [charge(60, "40.00")], [], on=ON)
        assert due_reminder(s, last_sent=None, policy=self.policy) is None


def test_reminder_sent_through_local_smtp_server(smtp_inbox: tuple[SmtpInbox, int]) -> None:
    inbox, port = smtp_inbox
    s = build_statement(PATIENT, PRACTICE, [charge(45, "35.00"), charge(40, "25.00")], [], on=ON)
    reminder = due_reminder(s, last_sent=None, policy=ReminderPolicy())
    assert reminder is not None
    SmtpSender("127.0.0.1", port, "billing@riverside.example").send(
        reminder, render_statement_pdf(s)
    )
    ((sender, recipients, message),) = inbox.messages
    assert (sender, recipients) == ("billing@riverside.example", ["richard@example.org"])
    assert message["Subject"] == "Your statement from Riverside Family Practice: $60.00 due"
    parts = list(message.walk())
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert isinstance(text, bytes)
    assert (
        "Your balance with Riverside Family Practice is $60.00, due by 2026-07-31" in text.decode()
    )
    pdf = next(p for p in parts if p.get_content_type() == "application/pdf")
    assert pdf.get_filename() == "statement-2026-07-01.pdf"
    payload = pdf.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.startswith(b"%PDF-")
