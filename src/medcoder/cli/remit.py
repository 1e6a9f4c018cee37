"""`medcoder remit read|post FILE.835` and `medcoder ack read FILE.999|277`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

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
from medcoder.cli._common import fail
from medcoder.cli._output import console, to_jsonable

__all__ = ["ack_app", "dump_json", "read_x12_file", "register", "remit_app"]

remit_app = typer.Typer(help="835 remittances: read (no database) and post to the ledger.")
ack_app = typer.Typer(help="999 and 277CA acknowledgements.")
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
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Read an 835: payer, payee, total, each claim with adjustments, remarks, PLB (no database)."""
    remittances = read_x12_file(file, read_835)
    if as_json:
        dump_json([remittance_json(r) for r in remittances])
        return
    for r in remittances:
        _render_remittance(r)


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
