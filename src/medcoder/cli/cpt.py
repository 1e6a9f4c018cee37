"""`medcoder cpt import FILE`, `cpt lookup CODE`, `cpt search TEXT`: CPT wording.

medcoder ships no AMA descriptors: it words the CPT numbers it detects itself. A licensed user
imports their CPT file once; lookups, searches and coding output then show the licensed text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medcoder.cli._common import fail, open_kb
from medcoder.cli._output import console, print_json
from medcoder.codesets.cpt import Cpt, CptCode, import_cpt_file
from medcoder.codesets.kb import default_data_home
from medcoder.errors import CodeError, MedcoderError

__all__ = ["register"]

cpt_app = typer.Typer(
    help="CPT wording: import your licensed CPT file; look codes up and search them.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@cpt_app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            help="Your licensed CPT file: CSV, TSV or fixed-width text (code, descriptors)."
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Load a licensed CPT descriptor file into your data folder (replaces an earlier one).

    The code column and the short / long descriptor columns are found from the header or the
    content. The knowledge base is rebuilt with it on its next use.
    """
    try:
        result = import_cpt_file(file, default_data_home())
    except MedcoderError as exc:
        fail(f"{exc}; nothing was imported")
    if as_json:
        print_json(result)
        return
    console.print(
        f"imported {result.rows:,} CPT codes ({result.format}; code column "
        f"{escape(result.code_column)}, short {escape(result.short_column)}, long "
        f"{escape(result.long_column)}) to {escape(str(result.path))}"
        + (f"; {result.duplicates} duplicate rows skipped" if result.duplicates else "")
    )


def _table(codes: tuple[CptCode, ...], title: str) -> Table:
    table = Table(title=title)
    for col in ("code", "short", "long", "source"):
        table.add_column(col, overflow="fold")
    for c in codes:
        table.add_row(c.code, escape(c.short_description), escape(c.long_description), c.source)
    return table


@cpt_app.command("lookup")
def lookup(
    code: Annotated[str, typer.Argument(help="A CPT code, e.g. 96372.")],
    as_json: JsonOpt = False,
) -> None:
    """The wording of a CPT code: licensed text if imported, else medcoder's own words."""
    with open_kb() as kb:
        try:
            found = Cpt(kb).lookup(code)
        except CodeError as exc:
            fail(str(exc))
    if as_json:
        print_json(found)
    else:
        console.print(_table((found,), f"CPT {found.code}"))


@cpt_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words to find, e.g. 'joint injection'.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 15,
    as_json: JsonOpt = False,
) -> None:
    """CPT codes whose wording holds every word of TEXT."""
    with open_kb() as kb:
        hits = Cpt(kb).search(text, limit=limit)
    if not hits:
        fail(f"no CPT wording matches {text!r}", code=1)
    if as_json:
        print_json(hits)
    else:
        console.print(_table(hits, f"CPT: {text}"))


def register(app: typer.Typer) -> None:
    """Add `medcoder cpt ...` to the app."""
    app.add_typer(cpt_app, name="cpt")
