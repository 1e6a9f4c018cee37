"""`medcoder db upgrade`, `medcoder audit verify|list` and `medcoder keys rotate`.

The database is ``--database-url``, else ``$MEDCODER_DATABASE_URL``, else the SQLite file in
the data home. ``audit verify`` exits 0 when the chain is intact and 1 naming the first bad
event; bad input exits 2.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from medcoder.cli._common import (
    DatabaseUrlOpt,
    database_session,
    fail,
    first_error_line,
    resolve_database_url,
    shown_url,
)
from medcoder.cli._output import console, err_console, print_json

__all__ = ["register"]

db_app = typer.Typer(
    help="The service database: create or migrate its tables.", no_args_is_help=True
)
audit_app = typer.Typer(
    help="The audit trail: verify its hash chain, list events.", no_args_is_help=True
)
keys_app = typer.Typer(help="Encryption keys of the data at rest.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@db_app.command("upgrade")
def db_upgrade(
    database_url: DatabaseUrlOpt = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    as_json: JsonOpt = False,
) -> None:
    """Create the tables, or migrate them to the newest version (safe to run again)."""
    from alembic.util import CommandError

    from medcoder.store.db import current_revision, upgrade

    url = resolve_database_url(database_url)
    try:
        upgrade(url, revision)
        now = current_revision(url)
    except CommandError as exc:
        fail(f"cannot migrate to {revision!r}: {exc}")
    except SQLAlchemyError as exc:
        first = first_error_line(exc)
        fail(f"cannot migrate the database {shown_url(url)}: {first}")
    if as_json:
        print_json({"database": shown_url(url), "revision": now})
        return
    console.print(
        f"database {escape(shown_url(url))} is at revision [bold]{now}[/bold]", highlight=False
    )


def _anchors(given: list[str] | None) -> dict[int, str]:
    pinned: dict[int, str] = {}
    for text in given or []:
        seq, _, digest = text.partition(":")
        if (
            not seq.isdigit()
            or len(digest) != 64
            or not all(c in "0123456789abcdef" for c in digest)
        ):
            fail(f"--anchor must be SEQ:HASH as printed by `medcoder audit head`, got {text!r}")
        pinned[int(seq)] = digest
    return pinned


@audit_app.command("verify")
def audit_verify(
    database_url: DatabaseUrlOpt = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH from an earlier `medcoder audit head`, kept outside the database; "
            "it must still be in the chain (repeatable).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the hash chain of every audit event; exit 1 naming the first bad one."""
    from medcoder.store.audit import verify

    pinned = _anchors(anchor)
    url = resolve_database_url(database_url)
    with database_session(url, read_only=True) as session:
        result = verify(session, anchors=pinned)
    problem = result.problem
    if as_json:
        print_json({"ok": result.ok, "checked": result.checked, "problem": problem})
    elif problem is None:
        console.print(
            f"audit trail intact: {result.checked} events, hash chain unbroken", highlight=False
        )
    else:
        who = f"event {problem.event_id}" if problem.event_id else "event(s)"
        err_console.print(
            f"[bold red]audit trail broken:[/bold red] {problem.kind}: {who} at position "
            f"{problem.position} (seq {problem.seq}): {escape(problem.message)}",
            highlight=False,
        )
    if problem is not None:
        raise typer.Exit(1)


@audit_app.command("head")
def audit_head(database_url: DatabaseUrlOpt = None, as_json: JsonOpt = False) -> None:
    """The newest event as SEQ:HASH — keep it outside the database, check with --anchor."""
    from medcoder.store.audit import head

    url = resolve_database_url(database_url)
    with database_session(url, read_only=True) as session:
        seq, digest = head(session)
    if as_json:
        print_json({"seq": seq, "hash": digest, "anchor": f"{seq}:{digest}"})
        return
    print(f"{seq}:{digest}")  # noqa: T201 - plain, for scripts


def _when(text: str | None, option: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a date or time like 2026-05-14 or 2026-05-14T09:30, got {text!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@audit_app.command("list")
def audit_list(
    database_url: DatabaseUrlOpt = None,
    org: Annotated[str | None, typer.Option(help="Organization id.")] = None,
    actor: Annotated[str | None, typer.Option(help="Actor, e.g. user:<id>, worker.")] = None,
    action: Annotated[
        str | None, typer.Option(help="Action; ending in '.' matches a prefix (patient.).")
    ] = None,
    resource: Annotated[str | None, typer.Option(help="Resource, e.g. patient/<id>.")] = None,
    outcome: Annotated[str | None, typer.Option(help="success, denied or failure.")] = None,
    since: Annotated[str | None, typer.Option(help="From this time (UTC unless given).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this time.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="How many (newest first).")] = 50,
    before_seq: Annotated[
        int | None, typer.Option(help="Page: events older than this seq.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Audit events, newest first, filtered."""
    from medcoder.store.audit import OUTCOMES, list_events

    if outcome is not None and outcome not in OUTCOMES:
        fail(f"--outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    url = resolve_database_url(database_url)
    with database_session(url, read_only=True) as session:
        events = list_events(
            session,
            org_id=org,
            actor=actor,
            action=action,
            resource=resource,
            outcome=outcome,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
            limit=limit,
            before_seq=before_seq,
        )
        rows: list[dict[str, Any]] = [
            {
                "seq": e.seq,
                "id": e.id,
                "at": e.at.isoformat(),
                "org_id": e.org_id,
                "actor": e.actor,
                "action": e.action,
                "resource": e.resource,
                "outcome": e.outcome,
                "ip": e.ip,
                "detail": e.detail,
            }
            for e in events
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"audit events ({len(rows)}, newest first)")
    for col in ("seq", "at (UTC)", "actor", "action", "resource", "outcome", "ip"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["seq"]),
            r["at"][:19].replace("T", " "),
            escape(r["actor"]),
            escape(r["action"]),
            escape(r["resource"]),
            r["outcome"],
            r["ip"] or "—",
        )
    console.print(table)


@keys_app.command("rotate")
def keys_rotate(
    database_url: DatabaseUrlOpt = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the keys (default: $MEDCODER_KEY_FILE, else the dev key file). "
            "Required when the key comes from $MEDCODER_ENCRYPTION_KEY."
        ),
    ] = None,
    keep_old: Annotated[
        bool, typer.Option("--keep-old", help="Keep the old keys in the file, for reading.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-encrypt every encrypted value with a new key, in one transaction."""
    from medcoder.errors import MedcoderError
    from medcoder.store import crypto, keys

    try:
        ring = crypto.active_keyring()
    except MedcoderError as exc:
        fail(str(exc))
    target = key_file
    if target is None and os.environ.get("MEDCODER_KEY_FILE"):
        target = Path(os.environ["MEDCODER_KEY_FILE"])
    if target is None and os.environ.get("MEDCODER_ENCRYPTION_KEY"):
        fail(
            "the key comes from MEDCODER_ENCRYPTION_KEY, which this command cannot change: "
            "give --key-file PATH for the new key, then set MEDCODER_KEY_FILE=PATH and unset "
            "MEDCODER_ENCRYPTION_KEY"
        )
    if target is None:
        target = Path(ring.source)
    url = resolve_database_url(database_url)
    with database_session(url) as session:
        try:
            report = keys.rotate(session, ring=ring, key_file=target, keep_old=keep_old)
        except MedcoderError as exc:
            fail(f"{exc} (nothing was changed; {target} holds the new and the old keys)")
    if as_json:
        print_json(report)
        return
    total = sum(report.resealed.values())
    console.print(
        f"rotated to key {report.new_key_id}: {total} values re-encrypted, "
        f"{report.digests} keyed hashes recomputed; keys in {escape(str(target))}"
        + (" (old keys kept for reading)" if keep_old else " (old keys removed)"),
        highlight=False,
    )
    if os.environ.get("MEDCODER_ENCRYPTION_KEY") and not os.environ.get("MEDCODER_KEY_FILE"):
        err_console.print(
            f"now set MEDCODER_KEY_FILE={escape(str(target))} and unset MEDCODER_ENCRYPTION_KEY, "
            "then restart the service and workers",
            highlight=False,
        )
    else:
        err_console.print(
            "restart the service and workers so they load the new key", highlight=False
        )


@keys_app.command("status")
def keys_status(database_url: DatabaseUrlOpt = None, as_json: JsonOpt = False) -> None:
    """Where the keys come from, the current key id, and how many values each key seals."""
    from medcoder.errors import MedcoderError
    from medcoder.store import crypto, keys

    try:
        ring = crypto.active_keyring()
    except MedcoderError as exc:
        fail(str(exc))
    url = resolve_database_url(database_url)
    with database_session(url, read_only=True) as session:
        usage = keys.key_usage(session)
    status = {
        "source": ring.source,
        "current_key_id": ring.current_id,
        "key_ids": sorted(ring.keys),
        "values_by_key": usage,
        "unknown_key_ids": sorted(k for k in usage if k not in ring.keys),
    }
    if as_json:
        print_json(status)
    else:
        console.print(
            f"keys from {escape(ring.source)}; current key {ring.current_id}; "
            f"{len(ring.keys)} key(s) in the ring",
            highlight=False,
        )
        table = Table(title="stored values by key")
        for col in ("key id", "in ring", "values", "columns"):
            table.add_column(col)
        for kid, columns in sorted(usage.items()):
            mark = "current" if kid == ring.current_id else ("yes" if kid in ring.keys else "NO")
            table.add_row(kid, mark, str(sum(columns.values())), escape(", ".join(sorted(columns))))
        console.print(table)
    if status["unknown_key_ids"]:
        err_console.print(
            "[bold red]values sealed with keys not in the ring:[/bold red] "
            + ", ".join(status["unknown_key_ids"]),
            highlight=False,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `db`, `audit` and `keys` to the `medcoder` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")
