"""Statements from the ledger and reminders sent once per period, through a real local SMTP
server (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from billing_factories import (
    Practice,
    SmtpInbox,
    read_sample,
    smtp_inbox_fixture,  # noqa: F401 (the fixture)
)
from sqlalchemy.orm import Session, sessionmaker

from medcoder.billing.ledger_store import record_patient_payment
from medcoder.billing.patient_billing import (
    ReminderRun,
    patients_owing,
    send_due_reminders,
    statement_for_patient,
)
from medcoder.billing.reminders import Reminder, SmtpSender
from medcoder.billing.statements import StatementPractice, render_statement_html
from medcoder.errors import InputError
from medcoder.store.billing_models import PatientReminderRecord

PRACTICE = StatementPractice("Riverside Family Practice", ("12 Main St",), "555-0100")


@pytest.fixture
def practice(session_factory: sessionmaker[Session]) -> Practice:
    practice = Practice(session_factory)
    practice.post(read_sample("era_mixed.835"))
    return practice


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def run(practice: Practice, port: int, days: int) -> ReminderRun:
    sender = SmtpSender("127.0.0.1", port, "billing@riverside.example")
    with practice.factory() as s, s.begin():
        return send_due_reminders(
            s,
            practice.org_id,
            sender=sender,
            practice=PRACTICE,
            on=today() + dt.timedelta(days=days),
        )


def test_statement_from_the_ledger(practice: Practice) -> None:
    patient = practice.patients["PCN1002"]
    with practice.factory() as s:
        statement = statement_for_patient(s, practice.org_id, patient, PRACTICE, on=today())
        assert patients_owing(s, practice.org_id, Decimal("5.00")) == [patient]
        with pytest.raises(InputError, match="no patient"):
            statement_for_patient(s, "other-org", patient, PRACTICE, on=today())
    assert statement.balance == Decimal("60.00")
    assert statement.patient.name == "Test Patient1"
    assert statement.patient.address == ("12 Oak St", "Springfield IL 62704")
    html = render_statement_html(statement)
    assert "Coinsurance (PR-2), claim PCN1002" in html and "$35.00" in html


def test_reminders_on_schedule(practice: Practice, smtp_inbox: tuple[SmtpInbox, int]) -> None:
    inbox, port = smtp_inbox
    patient = practice.patients["PCN1002"]
    assert run(practice, port, 10).sent == ()  # not 30 days old yet
    first = run(practice, port, 31)
    assert first.sent == ((patient, "reminder"),) and first.failed == ()
    assert run(practice, port, 31).sent == ()  # the same day again: nothing
    assert run(practice, port, 50).sent == ()  # 19 days after the first
    assert run(practice, port, 62).sent == ((patient, "second_notice"),)
    assert run(practice, port, 95).sent == ((patient, "final_notice"),)
    subjects = [m["Subject"] for _, _, m in inbox.messages]
    assert subjects == [
        "Your statement from Riverside Family Practice: $60.00 due",
        "Second notice from Riverside Family Practice: $60.00 due",
        "Final notice from Riverside Family Practice: $60.00 past due",
    ]
    assert {tuple(to) for _, to, _ in inbox.messages} == {("patient1@example.org",)}
    assert practice.count(PatientReminderRecord) == 3


def test_paid_balance_gets_no_reminder(
    practice: Practice, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    _, port = smtp_inbox
    with practice.factory() as s, s.begin():
        record_patient_payment(
            s,
            practice.org_id,
            patient_id=practice.patients["PCN1002"],
            encounter_id=None,
            amount=Decimal("60.00"),
        )
    assert run(practice, port, 40) == ReminderRun((), ())


def test_unreachable_server_is_reported_and_tried_again(
    practice: Practice, smtp_inbox: tuple[SmtpInbox, int]
) -> None:
    class Refusing:
        def send(self, reminder: Reminder, pdf: bytes | None = None) -> None:
            raise ConnectionRefusedError("no server")

    with practice.factory() as s, s.begin():
        result = send_due_reminders(
            s,
            practice.org_id,
            sender=Refusing(),
            practice=PRACTICE,
            on=today() + dt.timedelta(days=31),
        )
    assert result.failed == ((practice.patients["PCN1002"], "ConnectionRefusedError"),)
    assert practice.count(PatientReminderRecord) == 0
    _, port = smtp_inbox
    assert len(run(practice, port, 31).sent) == 1
