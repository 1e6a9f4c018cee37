"""Payment reminders: which patients get one (pure), and sending it by e-mail (SMTP).

A reminder goes out when the balance is at least ``minimum_balance`` and its oldest unpaid
charge is ``first_after_days`` old, then again every ``repeat_every_days``; from
``final_after_days`` it is the final notice. The message says the amount and the due date,
with the PDF statement attached; nothing of it is logged.

Example:
    >>> reminder = due_reminder(statement, last_sent=None, policy=ReminderPolicy())
    >>> SmtpSender("127.0.0.1", 8025, "billing@example.org").send(reminder, pdf)
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from typing import Literal

from medcoder.billing.statements import Statement

__all__ = ["Reminder", "ReminderPolicy", "SmtpSender", "due_reminder", "reminder_message"]

Level = Literal["reminder", "second_notice", "final_notice"]


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """When reminders go out."""

    first_after_days: int = 30
    repeat_every_days: int = 30
    final_after_days: int = 90
    minimum_balance: Decimal = Decimal("5.00")


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder due for one statement."""

    to: str
    level: Level
    subject: str
    body: str
    statement: Statement


def due_reminder(
    statement: Statement, *, last_sent: dt.date | None, policy: ReminderPolicy
) -> Reminder | None:
    """The reminder due on the statement's date, or None (nothing owed, too early, no e-mail)."""
    email = statement.patient.email
    if not email or statement.balance < policy.minimum_balance:
        return None
    age = statement.oldest_unpaid_days
    if age < policy.first_after_days:
        return None
    if last_sent is not None:
        if (statement.statement_date - last_sent).days < policy.repeat_every_days:
            return None
    if age >= policy.final_after_days:
        level: Level = "final_notice"
    elif last_sent is not None:
        level = "second_notice"
    else:
        level = "reminder"
    return reminder_message(statement, email, level)


_SUBJECT = {
    "reminder": "Your statement from {practice}: {balance} due",
    "second_notice": "Second notice from {practice}: {balance} due",
    "final_notice": "Final notice from {practice}: {balance} past due",
}


def reminder_message(statement: Statement, to: str, level: Level) -> Reminder:
    """The subject and plain-text body of a reminder."""
    s = statement
    balance = f"${s.balance:,.2f}"
    subject = _SUBJECT[level].format(practice=s.practice.name, balance=balance)
    body = "\n".join(
        [
            f"Dear {s.patient.name},",
            "",
            f"Your balance with {s.practice.name} is {balance}, due by {s.due_date.isoformat()}.",
            f"The oldest amount has been open for {s.oldest_unpaid_days} days.",
            "Your statement is attached.",
            "",
            s.practice.pay_instructions,
            f"Questions: {s.practice.phone}" if s.practice.phone else "",
            "",
            s.practice.name,
        ]
    )
    return Reminder(to=to, level=level, subject=subject, body=body, statement=s)


@dataclass(frozen=True, slots=True)
class SmtpSender:
    """Sends reminders through an SMTP server (STARTTLS and login when configured)."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def send(self, reminder: Reminder, pdf: bytes | None = None) -> None:
        """Send one reminder, with the PDF statement attached when given.

        Raises:
            smtplib.SMTPException / OSError: the server refused it or cannot be reached.
        """
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = reminder.to
        message["Subject"] = reminder.subject
        message.set_content(reminder.body)
        if pdf is not None:
            name = f"statement-{reminder.statement.statement_date.isoformat()}.pdf"
            message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)
