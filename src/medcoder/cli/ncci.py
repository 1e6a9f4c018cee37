"""`medcoder ncci import DIR --quarter 2026Q1` and `medcoder ncci list`: newer NCCI quarters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from medcoder.cli._common import fail
from medcoder.cli._output import console, print_json
from medcoder.codesets.kb import default_data_home
from medcoder.codesets.ncci import Setting
from medcoder.codesets.ncci_import import NcciImportResult, import_ncci_quarter, ncci_quarters
from medcoder.errors import MedcoderError

__all__ = ["register"]

ncci_app = typer.Typer(
    help="Load a newer NCCI quarter from the CMS files and list the quarters available.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@ncci_app.command("import")
def import_quarter(
    folder: Annotated[
        Path, typer.Argument(help="Folder (or .zip) of the CMS NCCI files as downloaded.")
    ],
    quarter: Annotated[str, typer.Option(help="The NCCI quarter, e.g. 2026Q1.")],
    effective: Annotated[
        str | None,
        typer.Option(help="First day in force, YYYY-MM-DD (default: the quarter's first day)."),
    ] = None,
    setting: Annotated[
        str | None,
        typer.Option(
            help="practitioner, outpatient_hospital or dme: the setting of a PTP/MUE file "
            "whose name does not say it."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Convert the CMS PTP, MUE and add-on code files into the user data folder.

    The knowledge base is rebuilt with the new quarter on its next use.
    """
    start: dt.date | None = None
    if effective:
        try:
            start = dt.date.fromisoformat(effective)
        except ValueError:
            fail(f"--effective must be a date like 2026-01-01, got {effective!r}")
    if setting is not None and setting not in ("practitioner", "outpatient_hospital", "dme"):
        fail(f"--setting must be practitioner, outpatient_hospital or dme, got {setting!r}")
    chosen: Setting | None = setting  # type: ignore[assignment]  # checked just above
    try:
        result = import_ncci_quarter(
            folder, default_data_home(), quarter=quarter, effective=start, setting=chosen
        )
    except MedcoderError as exc:
        fail(f"{exc}; nothing was imported")
    if as_json:
        print_json(result)
        return
    _print_result(result)


def _print_result(result: NcciImportResult) -> None:
    table = Table(title=f"{result.label} imported to {result.folder}")
    for col in ("CMS file", "table", "rows", "skipped"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for f in result.files:
        skipped = ", ".join(f"{n:,} {why}" for why, n in f.skipped.items())
        table.add_row(escape(f.name), f.table, f"{f.rows:,}", skipped or "-")
    console.print(table)
    console.print(
        "tables: " + ", ".join(f"{name} {rows:,}" for name, rows in result.tables.items()),
        highlight=False,
    )
    if result.ignored:
        console.print("not read: " + escape(", ".join(result.ignored)), highlight=False)
    console.print(
        f"in force from {result.effective_from.isoformat()}"
        + (" (replaced the earlier import)" if result.replaced else "")
        + "; the knowledge base is rebuilt on next use",
        highlight=False,
    )


@ncci_app.command("list")
def list_quarters(as_json: JsonOpt = False) -> None:
    """The NCCI quarters available: the one shipped with medcoder and those imported."""
    quarters = ncci_quarters(default_data_home())
    rows: list[dict[str, Any]] = [
        {
            "release_id": q.release_id,
            "label": q.label,
            "effective_from": q.effective_from,
            "nominal_end": q.nominal_end,
            "source": "vendored" if q.data is None else q.source,
        }
        for q in quarters
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(title="NCCI quarters")
    for col in ("quarter", "in force from", "published through", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["label"],
            r["effective_from"].isoformat(),
            r["nominal_end"].isoformat(),
            escape(str(r["source"])),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(ncci_app, name="ncci")
