"""What every command shares: opening the knowledge base with progress, failing clearly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

import typer

from medcoder.cli._output import err_console
from medcoder.codesets import KnowledgeBase

__all__ = ["fail", "open_kb", "parse_date"]


@contextmanager
def open_kb() -> Iterator[KnowledgeBase]:
    """Open (building on first use, with a progress line on stderr) the knowledge base."""
    with err_console.status("opening the code-set knowledge base") as status:

        def progress(step: str) -> None:
            status.update(f"first use: {step} (one-time build)")

        kb = KnowledgeBase.open(progress=progress)
    if kb.report and not kb.report.reused:
        err_console.print(f"[dim]built knowledge base {kb.path} in {kb.report.seconds:.1f} s[/dim]")
    with kb:
        yield kb


def fail(message: str, *, suggestions: Sequence[str] = (), code: int = 2) -> NoReturn:
    """Print a clear error (and close matches) on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    if suggestions:
        err_console.print("did you mean: " + ", ".join(suggestions[:8]), highlight=False)
    raise typer.Exit(code)


def parse_date(text: str | None) -> dt.date:
    """``YYYY-MM-DD`` (default: today)."""
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--dos must be a date like 2026-05-14, got {text!r}")
