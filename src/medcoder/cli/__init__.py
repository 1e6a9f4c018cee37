"""The `medcoder` command line (Typer + Rich): a thin shell around the core."""

from __future__ import annotations

import logging

import typer

from medcoder.cli import (
    audit,
    check,
    claims,
    codesets,
    coding,
    cpt,
    demo,
    grouping,
    ncci,
    remit,
    serve,
    worker,
)
from medcoder.cli.kb import kb_app
from medcoder.errors import MedcoderError

__all__ = ["app", "main"]

app = typer.Typer(
    name="medcoder",
    help="Offline, explainable medical coding: code sets, note coding, edits, claims.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kb_app, name="kb")
codesets.register(app)
coding.register(app)
check.register(app)
grouping.register(app)
ncci.register(app)
cpt.register(app)
claims.register(app)
remit.register(app)
serve.register(app)
worker.register(app)
audit.register(app)
app.command("demo")(demo.demo)


def main() -> None:
    """Console entry point: known errors become a one-line message and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except MedcoderError as exc:
        from medcoder.cli._common import fail

        fail(str(exc))
