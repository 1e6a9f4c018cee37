"""`medcoder kb build | info`: the code-set knowledge base."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from medcoder.cli._output import console, err_console, print_json
from medcoder.codesets import KnowledgeBase, default_cache_dir
from medcoder.codesets.build import build_knowledge_base
from medcoder.codesets.kb import default_data_home

__all__ = ["kb_app"]

kb_app = typer.Typer(help="Build and inspect the code-set knowledge base.", no_args_is_help=True)


@kb_app.command("build")
def build(
    force: Annotated[
        bool, typer.Option(help="Rebuild even if the cached file is current.")
    ] = False,
) -> None:
    """Build the knowledge base from the vendored official files (prints build time)."""
    with err_console.status("building") as status:
        report = build_knowledge_base(
            default_cache_dir(),
            force=force,
            progress=lambda s: status.update(s),
            user_data=default_data_home(),
        )
    if report.reused:
        console.print(f"knowledge base is current: {report.path}")
        return
    table = Table(title=f"built {report.path}")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    table.add_column("rows")
    for name, seconds, counts in report.steps:
        table.add_row(name, f"{seconds:.2f}", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    console.print(table)
    size_mb = report.path.stat().st_size / 1e6
    console.print(f"total {report.seconds:.1f} s, {size_mb:.1f} MB")


@kb_app.command("info")
def info(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Releases held, with the dates they are in force."""
    with KnowledgeBase.open() as kb:
        if as_json:
            print_json({"path": kb.path, "meta": kb.meta(), "releases": kb.releases})
            return
        table = Table(title=str(kb.path))
        for col in ("system", "release", "in force from", "until", "published through"):
            table.add_column(col)
        for r in kb.releases:
            table.add_row(
                r.system.value,
                r.label,
                r.effective_from.isoformat(),
                r.effective_to.isoformat() if r.effective_to else "(newest)",
                r.nominal_end.isoformat() if r.nominal_end else "",
            )
        console.print(table)
