"""`medcoder check ENCOUNTER.json`: run the claim edits on a coded encounter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from medcoder.cli._common import fail, open_kb
from medcoder.cli._output import console, print_json, to_jsonable
from medcoder.edits.encounter import Encounter, encounter_json_schema, parse_encounter
from medcoder.edits.engine import EditConfig, Editor, EditResult, Severity
from medcoder.errors import MedcoderError

__all__ = ["check", "edit_result_json", "read_encounter", "register", "render_findings"]

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def read_encounter(path: Path) -> Encounter:
    """Read and validate an encounter file (exits 2 with the field path on bad input)."""
    if not path.is_file():
        fail(f"no such encounter file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    except json.JSONDecodeError as exc:
        fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    try:
        return parse_encounter(data)
    except MedcoderError as exc:
        fail(f"{path}: {exc}")


def edit_result_json(result: EditResult) -> dict[str, Any]:
    """The edit result as plain JSON values, with ``passed`` (no error-severity edit)."""
    payload: dict[str, Any] = to_jsonable(result)
    payload["passed"] = result.passed
    return payload


def render_findings(result: EditResult) -> None:
    """Print the findings as a table (severity, edit id, message, fix, line)."""
    for warning in result.warnings:
        console.print(f"[magenta]warning[/magenta] {escape(warning)}")
    if not result.findings:
        console.print(f"[green]passed[/green]: no edits fired ({len(result.rules_run)} rules run)")
        return
    errors = len(result.errors)
    table = Table(
        title=f"Edits for {result.encounter_id or 'encounter'} "
        f"({result.date_of_service.isoformat()}): {errors} error(s), "
        f"{len(result.findings) - errors} other",
    )
    table.add_column("severity", no_wrap=True)
    table.add_column("edit", no_wrap=True)  # ids are what --disable takes: keep them whole
    table.add_column("message", overflow="fold", ratio=3)
    table.add_column("fix", overflow="fold", ratio=2)
    table.add_column("line", no_wrap=True)
    for f in result.findings:
        table.add_row(
            Text(f.severity.value, style=_STYLE[f.severity]),
            f.edit_id,
            escape(f.message),
            escape(f.fix),
            "" if f.line is None else str(f.line + 1),
        )
    console.print(table)


def check(
    encounter: Annotated[
        Path | None, typer.Argument(help="Encounter JSON file (see docs/encounter-schema.json).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    disable: Annotated[
        list[str] | None,
        typer.Option("--disable", help="Edit id (or prefix ending in '.') not to run; repeat."),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Payer rules YAML (custom edits, disable).")
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the encounter JSON Schema and exit.")
    ] = False,
) -> None:
    """Run the claim edits on ENCOUNTER.json; exit 1 when an error-severity edit fires."""
    if schema:
        print_json(encounter_json_schema())
        return
    if encounter is None:
        fail("give an encounter file: medcoder check ENCOUNTER.json (or --schema)")
    parsed = read_encounter(encounter)
    config = EditConfig(disabled=frozenset(disable or ()))
    if rules is not None:
        from medcoder.edits.payer_rules import edit_config_from_file

        if not rules.is_file():
            fail(f"no such rules file: {rules}")
        try:
            config = edit_config_from_file(rules, config)
        except MedcoderError as exc:
            fail(f"{rules}: {exc}")
    with open_kb() as kb:
        try:
            result = Editor(kb, config).edit(parsed)
        except MedcoderError as exc:
            fail(str(exc))
    if as_json:
        print_json(edit_result_json(result))
    else:
        render_findings(result)
    if not result.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(check)
