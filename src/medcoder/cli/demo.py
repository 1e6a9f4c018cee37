"""`medcoder demo`: the main job as it stands, on the embedded defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from medcoder.cli._common import open_kb
from medcoder.cli._output import console, render
from medcoder.cli._views import code_info_view
from medcoder.coding import DiagnosisCoder
from medcoder.notes import read_document

__all__ = ["demo"]

# The bundled sample notes live in the repository's examples/ folder.
_EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "notes"


def demo(
    notes: Annotated[
        Path | None, typer.Option(help="Folder of JSON note envelopes to code (default: examples).")
    ] = None,
) -> None:
    """Build the knowledge base, show lookups and Index walks, then code the sample notes."""
    folder = notes or _EXAMPLES
    with open_kb() as kb:
        console.print(Panel.fit("medcoder demo — 1. the code-set knowledge base", style="bold"))
        for release in kb.releases:
            console.print(f"  {release.system.value:<11} {release.label}")
        dos = dt.date(2026, 5, 14)
        console.rule("lookup E11.22")
        console.print(code_info_view(kb.icd10cm.lookup("E11.22")))
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("validate S72.001 (no 7th character)", lambda: kb.icd10cm.validate("S72.001", dos)),
            ("index: Pneumonia, aspiration", lambda: kb.index.index("Pneumonia", "aspiration")),
            (
                "neoplasm: breast, upper-outer quadrant (malignant primary)",
                lambda: kb.index.neoplasm(
                    "breast", "upper-outer quadrant", behavior="malignant-primary"
                ),
            ),
            (
                "drug: acetaminophen, accidental poisoning",
                lambda: kb.index.drug("acetaminophen", intent="poisoning-accidental"),
            ),
            ("search: diabetic foot ulcer", lambda: kb.icd10cm.search("diabetic foot ulcer", 5)),
        ]
        for title, call in steps:
            console.rule(title)
            console.print(render(call()))

        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if not files:
            console.print(f"[yellow]no sample notes found in {folder}[/yellow]")
            return
        console.print(Panel.fit("medcoder demo — 2. coding sample notes", style="bold"))
        coder = DiagnosisCoder(kb)
        for path in files:
            document = read_document(path.read_bytes(), source=path.stem)
            result = coder.code(document)
            console.rule(f"{path.stem} ({result.setting}, {result.date_of_service})")
            table = Table(box=None, show_header=True, header_style="bold")
            for col in ("code", "title", "score", "evidence", "why"):
                table.add_column(col, overflow="fold")
            for dx in result.assigned:
                table.add_row(
                    f"[bold green]{dx.code}[/bold green]",
                    escape(dx.title),
                    f"{dx.score:.2f}",
                    escape("; ".join(f"“{e.text}”" for e in dx.evidence[:2])),
                    escape(dx.rationale),
                )
            console.print(table)
            for query in result.queries:
                console.print(f"  [yellow]query[/yellow] {query.message}")
        console.print(
            "\nTry: medcoder code examples/notes/soap_progress_note.json   "
            "medcoder lookup J44.1   medcoder index Pneumonia aspiration"
        )
