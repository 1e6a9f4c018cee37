"""Patient billing against the database: statements from the ledger, reminders sent once.

Run :func:`send_due_reminders` on a schedule (daily, from cron or the worker): it finds every
patient who owes at least the policy's minimum, builds the statement as of ``on``, and sends
the reminder :func:`~medcoder.billing.reminders.due_reminder` says is due, at most one per
``repeat_every_days`` (the ``patient_reminders`` table remembers what was sent). A reminder that
cannot be sent is reported and tried again on the next run. Nothing of the message is logged.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.orm import Session

from medcoder.billing.ledger import Account
from medcoder.billing.ledger_store import patient_statement_items
from medcoder.billing.reminders import Reminder, ReminderPolicy, due_reminder
from medcoder.billing.statements import (
    Statement,
    StatementPatient,
    StatementPractice,
    build_statement,
    render_statement_pdf,
)
from medcoder.errors import InputError
from medcoder.store import audit
from medcoder.store.billing_models import LedgerEntryRecord, PatientReminderRecord
from medcoder.store.models import Patient

__all__ = [
    "ReminderRun",
    "ReminderSender",
    "patients_owing",
    "send_due_reminders",
    "statement_for_patient",
]


class ReminderSender(Protocol):
    """Sends one reminder (``SmtpSender``; tests may pass a recorder)."""

    def send(self, reminder: Reminder, pdf: bytes | None = None) -> None:
        """Deliver the reminder with the PDF statement attached."""


@dataclass(frozen=True, slots=True)
class ReminderRun:
    """What a run did: (patient id, level) sent, (patient id, error) not sent."""

    sent: tuple[tuple[str, str], ...]
    failed: tuple[tuple[str, str], ...]


def statement_for_patient(
    session: Session,
    org_id: str,
    patient_id: str,
    practice: StatementPractice,
    *,
    on: dt.date,
) -> Statement:
    """The patient's statement as of ``on`` (their share of each claim, their payments).

    Raises:
        InputError: no such patient in the organization.
    """
    patient = session.get(Patient, patient_id)
    if patient is None or patient.org_id != org_id:
        raise InputError(f"no patient {patient_id!r}", field="patient")
    city = " ".join(p for p in (patient.city, patient.state, patient.postal_code) if p)
    address = tuple(a for a in (patient.address_line1, patient.address_line2, city) if a)
    who = StatementPatient(
        account=patient.mrn or patient.id[:8].upper(),
        name=f"{patient.first_name} {patient.last_name}",
        address=address,
        email=patient.email,
    )
    charges, payments = patient_statement_items(session, org_id, patient_id)
    return build_statement(who, practice, charges, payments, on=on)


def patients_owing(session: Session, org_id: str, minimum: Decimal) -> list[str]:
    """The ids of the patients whose ``patient_ar`` balance is at least ``minimum``."""
    cents = type_coerce(LedgerEntryRecord.amount, BigInteger)
    signed = case(
        (LedgerEntryRecord.debit_account == Account.PATIENT_AR.value, cents), else_=-cents
    )
    rows = session.execute(
        select(LedgerEntryRecord.patient_id, func.sum(signed))
        .where(
            LedgerEntryRecord.org_id == org_id,
            LedgerEntryRecord.patient_id.is_not(None),
            (LedgerEntryRecord.debit_account == Account.PATIENT_AR.value)
            | (LedgerEntryRecord.credit_account == Account.PATIENT_AR.value),
        )
        .group_by(LedgerEntryRecord.patient_id)
        .order_by(LedgerEntryRecord.patient_id)
    ).all()
    return [str(pid) for pid, total in rows if int(total or 0) >= int(minimum * 100)]


def send_due_reminders(
    session: Session,
    org_id: str,
    *,
    sender: ReminderSender,
    practice: StatementPractice,
    on: dt.date,
    policy: ReminderPolicy | None = None,
    actor: str = "cli",
) -> ReminderRun:
    """Send every reminder due on ``on``; each one sent is recorded (and audited) at once."""
    chosen = policy or ReminderPolicy()
    sent: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    for patient_id in patients_owing(session, org_id, chosen.minimum_balance):
        last = session.scalar(
            select(func.max(PatientReminderRecord.statement_date)).where(
                PatientReminderRecord.org_id == org_id,
                PatientReminderRecord.patient_id == patient_id,
            )
        )
        statement = statement_for_patient(session, org_id, patient_id, practice, on=on)
        reminder = due_reminder(statement, last_sent=last, policy=chosen)
        if reminder is None:
            continue
        try:
            sender.send(reminder, render_statement_pdf(statement))
        except (smtplib.SMTPException, OSError) as exc:
            failed.append((patient_id, type(exc).__name__))
            continue
        session.add(
            PatientReminderRecord(
                org_id=org_id,
                patient_id=patient_id,
                level=reminder.level,
                balance=statement.balance,
                statement_date=on,
            )
        )
        audit.record(
            session,
            actor,
            "patient.remind",
            f"patient/{patient_id}",
            org_id=org_id,
            detail={"level": reminder.level},
        )
        session.flush()
        sent.append((patient_id, reminder.level))
    return ReminderRun(tuple(sent), tuple(failed))
