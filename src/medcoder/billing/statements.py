"""Patient statements: what the patient owes, aged, as HTML (Jinja2) and PDF (fpdf2).

:func:`build_statement` is pure: it takes the patient's charges (their share of each claim, as
posted from 835s) and payments, applies payments and credits to the oldest charges first, and
ages what is left by the days since it was posted (0-30, 31-60, 61-90, over 90).

Example:
    >>> s = build_statement(patient, practice, charges, payments, on=dt.date(2026, 7, 1))
    >>> s.balance, s.aging.days_31_60
    (Decimal('60.00'), Decimal('60.00'))
    >>> html = render_statement_html(s); pdf = render_statement_pdf(s)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

import jinja2

from medcoder.claims.practice import Practice

__all__ = [
    "AgingBuckets",
    "PatientCharge",
    "PatientPayment",
    "Statement",
    "StatementPatient",
    "StatementPractice",
    "build_statement",
    "render_statement_html",
    "render_statement_pdf",
]

_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class PatientCharge:
    """The patient's share of one claim line (or a credit, when negative)."""

    encounter_id: str
    date_of_service: dt.date
    posted_on: dt.date
    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PatientPayment:
    """A payment the patient made."""

    paid_on: dt.date
    amount: Decimal
    memo: str = ""


@dataclass(frozen=True, slots=True)
class StatementPatient:
    """Who the statement is for (shown on it; never logged)."""

    account: str
    name: str
    address: tuple[str, ...] = ()
    email: str | None = None


@dataclass(frozen=True, slots=True)
class StatementPractice:
    """Who sends it and where to pay."""

    name: str
    address: tuple[str, ...] = ()
    phone: str = ""
    pay_instructions: str = "Pay by phone or mail a check with the stub below."

    @classmethod
    def of(cls, practice: Practice | None) -> StatementPractice:
        """The billing provider of a practice file (name, address, phone), or a generic
        sender when there is none."""
        if practice is None:
            return cls("Your medical practice")
        provider = practice.billing_provider
        address: tuple[str, ...] = ()
        if provider.address is not None:
            a = provider.address
            city = f"{a.city} {a.state} {a.postal_code}"
            address = tuple(x for x in (a.line1, a.line2, city) if x)
        phone = practice.spec.submitter.phone
        return cls(provider.name, address, f"{phone[:3]}-{phone[3:6]}-{phone[6:]}")


@dataclass(frozen=True, slots=True)
class AgingBuckets:
    """The unpaid balance by days since each charge was posted."""

    current: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal

    @property
    def total(self) -> Decimal:
        """The sum of the buckets (the balance, when it is not a credit)."""
        return self.current + self.days_31_60 + self.days_61_90 + self.over_90


@dataclass(frozen=True, slots=True)
class Statement:
    """One patient statement."""

    patient: StatementPatient
    practice: StatementPractice
    statement_date: dt.date
    due_date: dt.date
    charges: tuple[PatientCharge, ...]
    payments: tuple[PatientPayment, ...]
    total_charges: Decimal
    total_payments: Decimal
    balance: Decimal
    aging: AgingBuckets
    oldest_unpaid_days: int


def _age(
    charges: Sequence[PatientCharge], credit: Decimal, on: dt.date
) -> tuple[AgingBuckets, int]:
    buckets = [_ZERO, _ZERO, _ZERO, _ZERO]
    oldest = 0
    for charge in sorted((c for c in charges if c.amount > 0), key=lambda c: c.posted_on):
        applied = min(credit, charge.amount)
        credit -= applied
        left = charge.amount - applied
        if left <= 0:
            continue
        days = max(0, (on - charge.posted_on).days)
        oldest = max(oldest, days)
        index = 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3
        buckets[index] += left
    return AgingBuckets(*buckets), oldest


def build_statement(
    patient: StatementPatient,
    practice: StatementPractice,
    charges: Sequence[PatientCharge],
    payments: Sequence[PatientPayment],
    *,
    on: dt.date,
    due_in_days: int = 30,
) -> Statement:
    """The statement as of ``on``: payments and credits go to the oldest charges first."""
    shown = tuple(sorted(charges, key=lambda c: (c.date_of_service, c.posted_on)))
    paid = tuple(sorted(payments, key=lambda p: p.paid_on))
    total_charges = sum((c.amount for c in shown if c.amount > 0), _ZERO)
    credits = -sum((c.amount for c in shown if c.amount < 0), _ZERO)
    total_payments = sum((p.amount for p in paid), _ZERO)
    aging, oldest = _age(shown, credits + total_payments, on)
    return Statement(
        patient=patient,
        practice=practice,
        statement_date=on,
        due_date=on + dt.timedelta(days=due_in_days),
        charges=shown,
        payments=paid,
        total_charges=total_charges,
        total_payments=total_payments,
        balance=total_charges - credits - total_payments,
        aging=aging,
        oldest_unpaid_days=oldest,
    )


def _money(value: Decimal) -> str:
    return f"${value:,.2f}" if value >= 0 else f"-${-value:,.2f}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (
                resources.files("medcoder.billing")
                .joinpath(f"resources/{name}")
                .read_text(encoding="utf-8")
            )
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = _money
    return env


def render_statement_html(statement: Statement) -> str:
    """The statement as a standalone HTML page (values escaped)."""
    return _environment().get_template("statement.html.j2").render(s=statement)


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render_statement_pdf(statement: Statement, *, compress: bool = True) -> bytes:
    """The statement as a one-or-more-page PDF (core fonts; non Latin-1 characters become ?)."""
    from fpdf import FPDF  # imported on use: it takes a second to load

    s = statement
    pdf = FPDF(format="Letter")
    pdf.set_compression(compress)
    pdf.set_title(_latin1(f"Statement {s.statement_date.isoformat()}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(s.practice.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (*s.practice.address, s.practice.phone):
        if line:
            pdf.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "Patient statement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (
        s.patient.name,
        *s.patient.address,
        f"Account {s.patient.account}",
        f"Statement date {s.statement_date.isoformat()}",
        f"Please pay by {s.due_date.isoformat()}",
    ):
        pdf.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (28, 110, 40)
    pdf.set_font("Helvetica", "B", 10)
    for width, title in zip(widths, ("Date", "Description", "Amount"), strict=True):
        pdf.cell(width, 6, title, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    rows = [(c.date_of_service.isoformat(), c.description, _money(c.amount)) for c in s.charges]
    rows += [(p.paid_on.isoformat(), "Payment - thank you", _money(-p.amount)) for p in s.payments]
    for row in rows:
        for width, value, align in zip(widths, row, ("L", "L", "R"), strict=True):
            pdf.cell(width, 6, _latin1(value), align=align)
        pdf.ln()
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(widths[0] + widths[1], 7, "Balance due")
    pdf.cell(widths[2], 7, _money(s.balance), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    aging = s.aging
    pdf.cell(
        0,
        5,
        f"Current {_money(aging.current)}   31-60 days {_money(aging.days_31_60)}   "
        f"61-90 days {_money(aging.days_61_90)}   Over 90 days {_money(aging.over_90)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.multi_cell(0, 5, _latin1(s.practice.pay_instructions))
    return bytes(pdf.output())
