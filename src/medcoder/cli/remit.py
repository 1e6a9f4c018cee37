"""`medcoder remit read|post FILE.835` and `medcoder ack read FILE.999|277`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from medcoder.claims.readers import (
    Acknowledgement,
    Adjustment,
    ClaimAcknowledgement,
    FunctionalGroupAck,
    Remittance,
    X12ParseError,
    read_835,
    read_acknowledgements,
)
from medcoder.cli._common import DatabaseUrlOpt, database_session, fail, resolve_database_url
from medcoder.cli._output import console, to_jsonable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["ack_app", "dump_json", "read_x12_file", "register", "remit_app"]

remit_app = typer.Typer(
    help="835 remittances: read (no database), post to the ledger, denials, statements.",
    no_args_is_help=True,
)
ack_app = typer.Typer(help="999 and 277CA acknowledgements.", no_args_is_help=True)
_CENT = Decimal("0.01")
T = TypeVar("T")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(_CENT)) if value == value.quantize(_CENT) else str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump_json(value: Any) -> None:
    """Indented JSON on stdout; money as exact decimal strings (``"120.00"``)."""
    sys.stdout.write(json.dumps(_plain(to_jsonable(value)), indent=2, ensure_ascii=False) + "\n")


def read_x12_file(path: Path, reader: Callable[[str], T]) -> T:
    """Read an X12 file with ``reader``; a missing file or malformed X12 exits with code 2."""
    if not path.is_file():
        fail(f"no such file: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    try:
        return reader(text)
    except X12ParseError as exc:
        fail(f"{path}: {exc} (nothing was read)")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _adjustments(adjustments: Sequence[Adjustment]) -> str:
    return "\n".join(f"{a.group}-{a.reason} {_money(a.amount)}" for a in adjustments)


def remittance_json(remittance: Remittance) -> dict[str, Any]:
    """A remittance as JSON values, with each claim's ``is_reversal``."""
    data: dict[str, Any] = to_jsonable(remittance)
    for claim, source in zip(data["claims"], remittance.claims, strict=True):
        claim["is_reversal"] = source.is_reversal
    return data


def _render_remittance(r: Remittance) -> None:
    console.print(
        f"[bold]835 {escape(r.control_number)}[/bold] from [cyan]{escape(r.payer.name)}[/cyan] "
        f"({escape(r.payer.id)}) to [cyan]{escape(r.payee.name)}[/cyan] ({escape(r.payee.id)}): "
        f"{_money(r.total_paid)} by {r.payment_method or '?'}, trace {escape(r.trace_number)}"
    )
    table = Table(show_lines=False)
    for column in ("claim", "status", "charge", "paid", "patient", "adjustments", "remarks"):
        table.add_column(column, overflow="fold")
    for c in r.claims:
        remarks = list(c.remarks) + [m for line in c.lines for m in line.remarks]
        table.add_row(
            escape(c.patient_control_number),
            f"{c.status} {c.status_text}",
            _money(c.charge),
            _money(c.paid),
            _money(c.patient_responsibility),
            escape(_adjustments(c.all_adjustments())),
            "\n".join(remarks),
        )
    console.print(table)
    for plb in r.provider_adjustments:
        console.print(
            f"provider adjustment {plb.reason} {escape(plb.reference)}: {_money(plb.amount)}"
        )
    for warning in r.warnings:
        console.print(f"[magenta]warning[/magenta] {escape(warning)}")


@remit_app.command("read")
def remit_read(
    file: Annotated[Path, typer.Argument(help="An 835 file.")],
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Add each denial's CARC/RARC wording, cause and action."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Read an 835: payer, payee, total, each claim with adjustments, remarks, PLB (no database)."""
    remittances = read_x12_file(file, read_835)
    denials: list[list[Any]] = [[] for _ in remittances]
    if explain:
        from medcoder.billing.code_texts import KbCodeTexts
        from medcoder.billing.explain import explain_denials
        from medcoder.cli._common import open_kb

        with open_kb() as kb:
            texts = KbCodeTexts(kb)
            denials = [list(explain_denials(r, texts)) for r in remittances]
    if as_json:
        rows = [remittance_json(r) for r in remittances]
        if explain:
            for row, items in zip(rows, denials, strict=True):
                row["denials"] = to_jsonable(items)
        dump_json(rows)
        return
    for r, items in zip(remittances, denials, strict=True):
        _render_remittance(r)
        for d in items:
            remarks = "; ".join(f"{m.code} {m.text}" for m in d.remarks)
            console.print(
                f"[red]denied[/red] {escape(d.claim_id)} {escape(d.line or 'claim')} "
                f"{d.group}-{d.carc} {_money(d.amount)}: {escape(d.carc_text)}"
                + (f" [dim]{escape(remarks)}[/dim]" if remarks else "")
                + f"\n  cause: {escape(d.cause)}\n  action: {escape(d.action_text)}"
            )


def _render_ack(ack: Acknowledgement) -> None:
    if isinstance(ack, FunctionalGroupAck):
        console.print(
            f"[bold]999[/bold] for group {escape(ack.group_control_number)} "
            f"({ack.functional_id}): {ack.status} {ack.status_text}; "
            f"{ack.accepted} of {ack.included} transaction(s) accepted"
        )
        table = Table()
        for column in ("transaction", "status", "errors"):
            table.add_column(column, overflow="fold")
        for t in ack.transactions:
            errors = [
                f"{e.segment_id} at {e.position}: {e.text}"
                + "".join(f"; element {el.position}: {el.text}" for el in e.elements)
                for e in t.errors
            ]
            table.add_row(
                f"{t.set_id} {t.control_number}", f"{t.status} {t.status_text}", "\n".join(errors)
            )
        console.print(table)
        return
    assert isinstance(ack, ClaimAcknowledgement)
    console.print(f"[bold]277CA[/bold] {escape(ack.reference)} from {escape(ack.payer_name)}")
    table = Table()
    for column in ("claim", "payer claim #", "accepted", "statuses"):
        table.add_column(column, overflow="fold")
    for c in ack.claims:
        verdict = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "?"}[c.accepted]
        statuses = "; ".join(f"{s.category} {s.category_text} ({s.status})" for s in c.statuses)
        table.add_row(
            escape(c.patient_control_number),
            escape(c.payer_claim_control_number),
            verdict,
            escape(statuses),
        )
    console.print(table)


@ack_app.command("read")
def ack_read(
    file: Annotated[Path, typer.Argument(help="A 999 or 277CA file.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Read a 999 (transaction accepted/rejected, segment errors) or a 277CA (claim status)."""
    acks = read_x12_file(file, read_acknowledgements)
    if as_json:
        dump_json(
            [
                {"type": "999" if isinstance(a, FunctionalGroupAck) else "277CA", **to_jsonable(a)}
                for a in acks
            ]
        )
        return
    for ack in acks:
        _render_ack(ack)


def register(app: typer.Typer) -> None:
    """Add ``remit`` and ``ack`` to the `medcoder` app."""
    app.add_typer(remit_app, name="remit")
    app.add_typer(ack_app, name="ack")


OrgOpt = Annotated[
    str | None, typer.Option("--org", help="Organization id (default: the only one).")
]


def _org_id(session: Any, given: str | None) -> str:
    from sqlalchemy import select

    from medcoder.store.models import Organization

    ids = list(session.scalars(select(Organization.id).limit(3)))
    if given is not None:
        if session.get(Organization, given) is None:
            fail(f"no organization {given!r} in this database")
        return given
    if len(ids) != 1:
        fail(
            "the database has no organization"
            if not ids
            else "the database has several organizations: pass --org ID"
        )
    return str(ids[0])


@contextmanager
def _org_database(
    database_url: str | None, org: str | None, *, transaction: bool = False
) -> Iterator[tuple[Session, str]]:
    """A session on the database and the organization id (``--org``, else the only one);
    with ``transaction``, both inside one transaction that commits on success."""
    with database_session(resolve_database_url(database_url)) as session:
        if not transaction:
            yield session, _org_id(session, org)
            return
        with session.begin():
            yield session, _org_id(session, org)


def _posting_json(report: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in report.postings:
        row: dict[str, Any] = {
            "control_number": p.control_number,
            "trace_number": p.trace_number,
            "payer": p.payer,
            "total_paid": p.total_paid,
            "duplicate": p.duplicate,
            "remittance_id": p.remittance_id,
        }
        if p.plan is not None:
            row["claims"] = [
                {
                    "claim_id": c.claim_id,
                    "outcome": c.outcome.value,
                    "paid": c.paid,
                    "patient_responsibility": c.patient_responsibility,
                    "denials": [
                        {
                            "line": d.line,
                            "group": d.group,
                            "carc": d.carc,
                            "amount": d.amount,
                            "action": d.action.value,
                        }
                        for d in c.denials
                    ],
                }
                for c in p.plan.claims
            ]
            row["unmatched"] = list(p.plan.unmatched)
            row["warnings"] = list(p.plan.warnings)
        rows.append(row)
    return rows


@remit_app.command("post")
def remit_post(
    file: Annotated[Path, typer.Argument(help="An 835 file.")],
    org: OrgOpt = None,
    database_url: DatabaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Post an 835 to the ledger: payments, adjustments, patient share, denials (once)."""
    from medcoder.billing.claims_store import StoredClaimSource
    from medcoder.billing.code_texts import KbCodeTexts
    from medcoder.billing.store import post_835
    from medcoder.cli._common import open_kb

    text = read_x12_file(file, lambda t: t)
    read_x12_file(file, read_835)  # malformed input: exit 2 before the database is opened
    url = resolve_database_url(database_url)
    # One transaction: the whole file posts, or nothing does.
    with open_kb() as kb, _org_database(url, org, transaction=True) as (session, org_id):
        report = post_835(
            text,
            session=session,
            org_id=org_id,
            claims=StoredClaimSource(session, org_id),
            texts=KbCodeTexts(kb),
            posted_by="cli",
        )
    if as_json:
        dump_json(_posting_json(report))
        return
    for p in report.postings:
        if p.duplicate or p.plan is None:
            console.print(
                f"835 {escape(p.control_number)} trace {escape(p.trace_number)} from "
                f"{escape(p.payer)}: [yellow]already posted[/yellow], nothing done"
            )
            continue
        plan = p.plan
        denials = sum(len(c.denials) for c in plan.claims)
        console.print(
            f"835 {escape(p.control_number)} trace {escape(p.trace_number)} from "
            f"{escape(p.payer)}: [green]posted[/green] {len(plan.claims)} claim(s), "
            f"{_money(p.total_paid)}; {len(plan.unmatched)} unmatched; {denials} denial(s)"
        )
        for warning in plan.warnings:
            console.print(f"[magenta]warning[/magenta] {escape(warning)}")


@remit_app.command("denials")
def remit_denials(
    org: OrgOpt = None,
    database_url: DatabaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The open denials worklist: claim, line, CARC/RARC, cause and action."""
    from medcoder.billing.adjustment_rules import ACTION_TEXT, Action
    from medcoder.billing.denials_store import open_denials

    with _org_database(database_url, org) as (session, org_id):
        items = open_denials(session, org_id)
        rows: list[dict[str, Any]] = [
            {
                "id": d.id,
                "claim_id": d.claim_id,
                "line": d.line,
                "procedure": d.procedure,
                "amount": d.amount,
                "group": d.group_code,
                "carc": d.carc,
                "carc_text": d.carc_text,
                "remarks": d.remarks,
                "cause": d.cause,
                "action": d.action,
                "action_text": ACTION_TEXT[Action(d.action)],
                "payer_claim_control_number": d.payer_claim_control_number,
            }
            for d in items
        ]
    if as_json:
        dump_json(rows)
        return
    if not rows:
        console.print("[green]no open denials[/green]")
        return
    table = Table(title=f"{len(rows)} open denial(s)")
    for column in ("claim", "line", "amount", "reason", "remarks", "cause", "action"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            escape(r["claim_id"]),
            escape(r["line"]),
            _money(r["amount"]),
            escape(f"{r['group']}-{r['carc']} {r['carc_text']}"),
            escape("\n".join(f"{m['code']} {m['text']}" for m in r["remarks"])),
            escape(r["cause"]),
            escape(r["action_text"]),
        )
    console.print(table)


@ack_app.command("post")
def ack_post(
    file: Annotated[Path, typer.Argument(help="A 999 or 277CA file.")],
    org: OrgOpt = None,
    database_url: DatabaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Apply a 277CA (claims accepted/rejected) or a 999 (rejected file) to the stored claims."""
    from medcoder.billing.acknowledgements import apply_acknowledgements

    acks = read_x12_file(file, read_acknowledgements)
    with _org_database(database_url, org, transaction=True) as (session, org_id):
        result = apply_acknowledgements(acks, session=session, org_id=org_id)
    if as_json:
        dump_json(result)
        return
    for change in result.changes:
        console.print(f"claim {escape(change.claim_id)}: {change.before} -> {change.after}")
    if not result.changes:
        console.print("no claim changed status")
    for number in result.unmatched:
        console.print(f"[yellow]not found[/yellow] {escape(number)}")
    for warning in result.warnings:
        console.print(f"[magenta]warning[/magenta] {escape(warning)}")


@remit_app.command("resolve")
def remit_resolve(
    denial_id: Annotated[str, typer.Argument(help="The denial id (remit denials --json).")],
    resolution: Annotated[
        str,
        typer.Argument(help="appealed, resubmitted, written_off, billed_patient or closed."),
    ],
    org: OrgOpt = None,
    database_url: DatabaseUrlOpt = None,
) -> None:
    """Close a denial worklist item; its amount moves out of the denials account."""
    from medcoder.billing.denials_store import resolve_denial
    from medcoder.errors import InputError

    with _org_database(database_url, org, transaction=True) as (session, org_id):
        try:
            item = resolve_denial(session, org_id, denial_id, resolution)
        except InputError as exc:
            fail(str(exc))
        console.print(
            f"denial {escape(item.id)} (claim {escape(item.claim_id)}, "
            f"{_money(item.amount)}): {item.status}"
        )


PracticeOpt = Annotated[
    Path | None,
    typer.Option("--practice", help="Practice file (name, address and phone on the statement)."),
]
OnOpt = Annotated[str | None, typer.Option("--on", help="Statement date (default: today).")]


def _statement_practice(path: Path | None) -> Any:
    from medcoder.billing.statements import StatementPractice
    from medcoder.claims.practice import load_practice
    from medcoder.errors import MedcoderError

    if path is None:
        return StatementPractice.of(None)
    try:
        return StatementPractice.of(load_practice(path))
    except MedcoderError as exc:
        fail(f"{path}: {exc}")


@remit_app.command("statement")
def remit_statement(
    patient_id: Annotated[str, typer.Argument(help="The patient id.")],
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML here.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the PDF here.")] = None,
    practice_file: PracticeOpt = None,
    on: OnOpt = None,
    org: OrgOpt = None,
    database_url: DatabaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """A patient's statement: their share of each claim, payments, balance and aging."""
    from medcoder.billing.patient_billing import statement_for_patient
    from medcoder.billing.statements import render_statement_html, render_statement_pdf
    from medcoder.cli._common import parse_date
    from medcoder.errors import InputError

    practice = _statement_practice(practice_file)
    day = parse_date(on)
    with _org_database(database_url, org) as (session, org_id):
        try:
            statement = statement_for_patient(session, org_id, patient_id, practice, on=day)
        except InputError as exc:
            fail(str(exc))
    if html is not None:
        html.write_text(render_statement_html(statement), encoding="utf-8")
    if pdf is not None:
        pdf.write_bytes(render_statement_pdf(statement))
    if as_json:
        dump_json(statement)
        return
    aging = statement.aging
    console.print(
        f"balance {_money(statement.balance)} (current {_money(aging.current)}, 31-60 "
        f"{_money(aging.days_31_60)}, 61-90 {_money(aging.days_61_90)}, over 90 "
        f"{_money(aging.over_90)}); {len(statement.charges)} charge(s), "
        f"{len(statement.payments)} payment(s)"
    )


@remit_app.command("remind")
def remit_remind(
    smtp_host: Annotated[str, typer.Option("--smtp-host", help="SMTP server.")],
    sender: Annotated[str, typer.Option("--from", help="The From address.")],
    smtp_port: Annotated[int, typer.Option("--smtp-port", help="SMTP port.")] = 587,
    starttls: Annotated[bool, typer.Option("--starttls/--no-starttls")] = True,
    smtp_user: Annotated[
        str | None,
        typer.Option("--smtp-user", help="Login (password from $MEDCODER_SMTP_PASSWORD)."),
    ] = None,
    practice_file: PracticeOpt = None,
    on: OnOpt = None,
    org: OrgOpt = None,
    database_url: DatabaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Send the payment reminders due today (run it daily); each is sent once per period."""
    import os

    from medcoder.billing.patient_billing import send_due_reminders
    from medcoder.billing.reminders import SmtpSender
    from medcoder.cli._common import parse_date

    practice = _statement_practice(practice_file)
    smtp = SmtpSender(
        smtp_host,
        smtp_port,
        sender,
        starttls=starttls,
        username=smtp_user,
        password=os.environ.get("MEDCODER_SMTP_PASSWORD"),
    )
    with _org_database(database_url, org, transaction=True) as (session, org_id):
        result = send_due_reminders(
            session, org_id, sender=smtp, practice=practice, on=parse_date(on)
        )
    if as_json:
        dump_json(result)
        return
    console.print(f"{len(result.sent)} reminder(s) sent, {len(result.failed)} not sent")
    for patient_id, error in result.failed:
        console.print(f"[red]not sent[/red] patient {escape(patient_id)}: {escape(error)}")
    if result.failed:
        raise typer.Exit(1)
