"""What every command shares: opening the knowledge base with progress, opening the service
database, failing clearly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from medcoder.cli._output import err_console
from medcoder.codesets import KnowledgeBase

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

__all__ = [
    "DatabaseUrlOpt",
    "database_session",
    "fail",
    "first_error_line",
    "open_kb",
    "parse_date",
    "resolve_database_url",
    "shown_url",
]

DatabaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL (default: $MEDCODER_DATABASE_URL, else medcoder.db in the data home).",
        show_default=False,
    ),
]


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


def resolve_database_url(given: str | None) -> str:
    """``--database-url``, else ``$MEDCODER_DATABASE_URL``, else the SQLite file in the data
    home; exit 2 when it is not a database URL."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from medcoder.store.db import database_url

    url = given or database_url()
    try:
        make_url(url)
    except ArgumentError:
        fail(f"--database-url is not a database URL: {url!r}")
    return url


def shown_url(url: str) -> str:
    """``url`` with its password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def first_error_line(exc: SQLAlchemyError) -> str:
    """The driver's message without SQLAlchemy's statement dump (never row values)."""
    orig = getattr(exc, "orig", None)
    return (str(orig if orig is not None else exc).splitlines() or [type(exc).__name__])[0]


@contextmanager
def database_session(url: str, *, read_only: bool = False) -> Iterator[Session]:
    """A session on the service database at ``url`` (from :func:`resolve_database_url`); exit 2
    with a clear message when it is missing, cannot be opened or fails."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from medcoder.store.db import make_engine, make_session_factory

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        if not Path(parsed.database).is_file():
            fail(f"no database at {parsed.database}: create it with `medcoder db upgrade`")
    try:
        engine = make_engine(url)
    except (ArgumentError, ValueError, ImportError) as exc:
        fail(f"cannot open the database {shown_url(url)}: {exc}")
    try:
        with make_session_factory(engine, read_only=read_only)() as session:
            yield session
    except SQLAlchemyError as exc:
        first = first_error_line(exc)
        fail(
            f"database {shown_url(url)}: {first} "
            "(is it reachable, and migrated? run `medcoder db upgrade`)"
        )
    finally:
        engine.dispose()
