"""`medcoder serve`: the HTTP API (uvicorn), with TLS when given a certificate and key;
`--demo` seeds a throwaway SQLite database and prints how to try it."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medcoder.cli._common import fail
from medcoder.cli._output import console

if TYPE_CHECKING:
    from medcoder.api.settings import Settings

__all__ = ["register", "serve"]

# The bundled sample notes live in the repository's examples/ folder.
_EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "notes"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    certfile: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM); serve HTTPS with --keyfile.")
    ] = None,
    keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    inline_coding: Annotated[
        bool,
        typer.Option(
            "--inline-coding/--no-inline-coding",
            help="Also code uploads in a worker thread of the server (no `medcoder worker`).",
        ),
    ] = False,
    database: Annotated[
        str | None,
        typer.Option("--database-url", help="Database URL (default: $MEDCODER_DATABASE_URL)."),
    ] = None,
    practice: Annotated[
        Path | None,
        typer.Option(
            "--practice",
            help="Practice file of the claim routes (default: $MEDCODER_PRACTICE_FILE).",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Throwaway SQLite database with demo users and coded sample notes."
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI at /api/v1/docs). Ctrl-C stops it."""
    import uvicorn

    from medcoder.api import Settings, create_app
    from medcoder.claims.practice import load_practice
    from medcoder.errors import MedcoderError

    if (certfile is None) != (keyfile is None):
        fail("give both --certfile and --keyfile to serve HTTPS")
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            fail(f"no such file: {path}")
    tls = certfile is not None
    scheme = "https" if tls else "http"
    workdir: Path | None = None
    if demo:
        workdir = Path(tempfile.mkdtemp(prefix="medcoder-demo-"))
        database = f"sqlite:///{workdir / 'demo.db'}"
        # A throwaway key for a throwaway database (never the user's own key file).
        os.environ["MEDCODER_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()
        os.environ.pop("MEDCODER_KEY_FILE", None)
        inline_coding = True
    try:
        settings = Settings.from_env(
            database_url=database,
            secure_cookies=tls or None,
            inline_coding=inline_coding or None,
            practice_file=practice,
        )
    except ValueError as exc:  # pydantic's ValidationError
        fail(f"bad setting: {exc}")
    if settings.practice_file is not None:
        # Checked here so a bad file is a clear message, not a traceback from the app factory.
        try:
            load_practice(settings.practice_file)
        except MedcoderError as exc:
            fail(f"bad practice file: {exc}")
        os.environ["MEDCODER_PRACTICE_FILE"] = str(settings.practice_file.resolve())
    try:
        if demo:
            _prepare_demo(settings, f"{scheme}://{host}:{port}")
        ssl = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)} if tls else {}
        if workers > 1:
            # Migrate once here, not racing in every process; each builds its app from the
            # environment.
            from medcoder.store.db import database_url as default_url
            from medcoder.store.db import upgrade

            url = settings.database_url or default_url()
            if not demo:
                upgrade(url)
            os.environ["MEDCODER_DATABASE_URL"] = url
            os.environ["MEDCODER_UPGRADE_DATABASE"] = "false"
            os.environ["MEDCODER_SECURE_COOKIES"] = str(settings.secure_cookies).lower()
            os.environ["MEDCODER_INLINE_CODING"] = str(settings.inline_coding).lower()
            uvicorn.run(
                "medcoder.api.app:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                **ssl,  # type: ignore[arg-type]
            )
        else:
            app = create_app(settings.model_copy(update={"upgrade_database": not demo}))
            console.print(f"medcoder API on {scheme}://{host}:{port}/api/v1/docs (Ctrl-C stops)")
            uvicorn.run(app, host=host, port=port, log_level="warning", **ssl)  # type: ignore[arg-type]
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    console.print("stopped")


def _prepare_demo(settings: Settings, base_url: str) -> None:
    from medcoder.api.demo import code_queued, seed_demo
    from medcoder.cli._common import open_kb
    from medcoder.store.db import make_engine, make_session_factory, upgrade

    assert settings.database_url
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        data = seed_demo(factory, _EXAMPLES)
        with open_kb() as kb:
            with console.status("coding the sample notes"):
                coded = code_queued(factory, lambda: kb)
    finally:
        engine.dispose()
    table = Table(title="demo users (this run only)")
    for col in ("role", "username", "password"):
        table.add_column(col)
    for user in data.users:
        table.add_row(user.role, user.username, user.password)
    console.print(table)
    coder = next(u for u in data.users if u.role == "coder")
    api = f"{base_url}/api/v1"
    console.print(
        f"{len(data.encounter_ids)} sample notes in {len(data.encounter_ids)} encounters: "
        f"{coded.done} coded, {coded.failed + coded.dead} failed"
    )
    console.print(f"credential demo-coder {coder.password}", highlight=False)
    console.print("Try:", highlight=False)
    auth = '-H "Authorization: Bearer $TOKEN"'
    first = f"{api}/encounters/{data.encounter_ids[0]}"
    examples = [
        f"TOKEN=$(curl -s -X POST {api}/auth/token -H 'Content-Type: application/json' "
        f"-d '{{\"username\": \"{coder.username}\", \"password\": \"{coder.password}\"}}' "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')",
        f"curl -s {auth} '{api}/encounters?queue=to_review'",
        f"curl -s {auth} {first}/codes",
        f"curl -s {auth} {first}/final",
    ]
    for line in examples:
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    console.print(f"URL {base_url}/api/v1/docs", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `medcoder serve` to the `medcoder` app."""
    app.command("serve")(serve)
