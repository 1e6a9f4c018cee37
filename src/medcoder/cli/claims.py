"""`medcoder claim x12|fhir|build`: coded encounters become 837 files and FHIR Claims.

Without a database: ``medcoder claim x12 --from CLAIM.json --practice PRACTICE.yaml -o
out.837`` (claim files: examples/claims/, format in docs/claims.md). Every file is validated
with pyx12 before it is written; an invalid file is not written (exit 1). Bad input exits 2.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from medcoder.cli._common import database_session, fail, open_kb, resolve_database_url
from medcoder.cli._output import console, err_console, print_json

if TYPE_CHECKING:

    from medcoder.claims.model import Claim
    from medcoder.claims.practice import Practice
    from medcoder.claims.x12.envelope import Batch

__all__ = ["register"]

claim_app = typer.Typer(
    help="Claims: build them from coded encounters, write 837P/837I and FHIR.",
    no_args_is_help=True,
)

FromOpt = Annotated[
    list[Path],
    typer.Option("--from", help="Claim file (JSON: encounter + patient/subscriber); repeatable."),
]
PracticeOpt = Annotated[
    Path | None, typer.Option("--practice", help="Practice file (YAML with providers, payers, "
                                                 "fee schedule).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a summary as JSON.")]


def _practice(path: Path | None) -> Practice:
    from medcoder.claims.practice import load_practice
    from medcoder.errors import MedcoderError

    if path is None:
        fail("--practice PRACTICE.yaml is required (see examples/practice/practice.yaml)")
    try:
        return load_practice(path)
    except MedcoderError as exc:
        fail(str(exc))


def _claims_from_files(files: list[Path], practice_path: Path | None) -> list[Claim]:
    from medcoder.claims.assemble import build_claim
    from medcoder.claims.details import load_claim_file
    from medcoder.claims.errors import ClaimEditError
    from medcoder.edits.engine import Editor
    from medcoder.errors import MedcoderError

    practice = _practice(practice_path)
    loaded = []
    for path in files:
        try:
            loaded.append((path, *load_claim_file(path)))
        except MedcoderError as exc:
            fail(str(exc))
    claims = []
    with open_kb() as kb:
        editor = Editor(kb)
        for path, encounter, details in loaded:
            try:
                claims.append(build_claim(encounter, details, practice,
                                          edits=editor.edit(encounter)))
            except ClaimEditError as exc:
                err_console.print(f"[bold red]error:[/bold red] {escape(str(path))}: "
                                  f"{escape(str(exc))}", highlight=False)
                for f in exc.findings:
                    err_console.print(f"  {f.edit_id}: {escape(f.message)} — fix: "
                                      f"{escape(f.fix)}", highlight=False)
                raise typer.Exit(1) from None
            except MedcoderError as exc:
                fail(f"{path}: {exc}")
    return claims


@claim_app.command("x12")
def x12(
    claim_files: FromOpt = [],  # noqa: B006 - Typer reads the default, never mutates it
    practice: PracticeOpt = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="The 837 file to write (required).")] = None,
    payer: Annotated[str | None, typer.Option(
        "--payer", help="Database mode: batch every built, unsubmitted claim for this payer.")
    ] = None,
    counter: Annotated[Path | None, typer.Option(
        "--control-number-file", help="Counter file (default: claims/control-number in the "
                                      "data home).")] = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="Database mode: SQLAlchemy URL (default "
                               "$MEDCODER_DATABASE_URL).")] = None,
    org_id: Annotated[str | None, typer.Option(
        "--org", help="Database mode: the organization (when several bill this payer).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write claims as one 837P or 837I file (validated with pyx12 before it is written)."""
    if output is None:
        fail("give the file to write with -o FILE.837")
    if payer is not None:
        if claim_files:
            fail("give either --from files or --payer (database), not both")
        _x12_for_payer(payer, output, practice, database_url, as_json, org_id)
        return
    if not claim_files:
        fail("give --from CLAIM.json (repeatable) with --practice, or --payer P (database)")
    from medcoder.claims.batching import batch_for, group_for_files
    from medcoder.claims.control import FileControlNumbers
    from medcoder.errors import MedcoderError

    claims = _claims_from_files(claim_files, practice)
    groups = group_for_files(claims)
    if len(groups) > 1:
        named = ", ".join(f"{p} ({t.value})" for p, t in groups)
        fail(f"one file goes to one payer with one claim type; these claims go to {named}")
    prac = _practice(practice)
    try:
        number = FileControlNumbers(counter).next()
    except MedcoderError as exc:
        fail(str(exc))
    batch = batch_for(prac, claims[0].payer.key, number, dt.datetime.now().replace(microsecond=0))
    _write_validated(claims, batch, output, as_json)


def _write_validated(claims: list[Claim], batch: Batch, output: Path, as_json: bool) -> None:
    from medcoder.claims.x12.validate import validate_x12
    from medcoder.claims.x12.write837 import write_837
    from medcoder.errors import MedcoderError

    try:
        text = write_837(claims, batch)
    except MedcoderError as exc:
        fail(str(exc))
    report = validate_x12(text)
    if not report.ok:
        err_console.print(f"[bold red]error:[/bold red] pyx12 found {len(report.errors)} "
                          f"error(s); {output} not written", highlight=False)
        for e in report.errors[:20]:
            err_console.print(f"  {escape(e)}", highlight=False)
        raise typer.Exit(1)
    output.write_text(text, encoding="ascii")
    total = sum((c.total_charge for c in claims), Decimal("0.00"))
    summary = {
        "file": str(output), "transaction": f"837{claims[0].claim_type.value}",
        "control_number": batch.isa13, "payer": claims[0].payer.payer_id,
        "claims": [c.claim_id for c in claims], "total_charge": str(total),
        "pyx12_errors": 0,
    }
    if as_json:
        print_json(summary)
    else:
        console.print(f"wrote {escape(str(output))}: {summary['transaction']}, "
                      f"{len(claims)} claim(s), total {total}, control number {batch.isa13}, "
                      "pyx12: 0 errors", highlight=False)


@claim_app.command("fhir")
def fhir(
    claim_files: FromOpt = [],  # noqa: B006
    practice: PracticeOpt = None,
) -> None:
    """Print each claim as a FHIR R4 Claim resource (JSON, validated)."""
    import json

    from medcoder.claims.fhir import claim_to_fhir, validate_fhir_claim

    if not claim_files:
        fail("give --from CLAIM.json (repeatable) with --practice")
    claims = _claims_from_files(claim_files, practice)
    out = []
    for claim in claims:
        model = validate_fhir_claim(claim_to_fhir(claim, created=dt.date.today()))
        out.append(json.loads(model.model_dump_json(exclude_none=True)))
    print_json(out[0] if len(out) == 1 else out)


@claim_app.command("build")
def build(
    encounter: Annotated[str, typer.Argument(help="Encounter id in the database.")],
    practice: PracticeOpt = None,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="SQLAlchemy URL (default $MEDCODER_DATABASE_URL).")] = None,
    frequency: Annotated[str, typer.Option(
        "--frequency", help="1 original, 7 replacement, 8 void (7/8 need --original).")] = "1",
    original: Annotated[str | None, typer.Option(
        "--original", help="The payer's claim control number of the claim replaced or "
                           "voided (REF*F8).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build (and store, status built) the claim of a coded encounter in the database."""
    _build_from_database(encounter, practice, database_url, as_json, frequency, original)


def _x12_for_payer(payer: str, output: Path, practice: Path | None, url: str | None,
                   as_json: bool, org_id: str | None = None) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from medcoder.claims.db import write_payer_batch
    from medcoder.claims.x12.validate import validate_x12
    from medcoder.errors import MedcoderError

    prac = _practice(practice)
    try:
        with database_session(resolve_database_url(url)) as session:
            result = write_payer_batch(session, prac, payer, file_name=output.name,
                                       org_id=org_id)
            report = validate_x12(result.text)
            if not report.ok:
                session.rollback()
                err_console.print(f"[bold red]error:[/bold red] pyx12 found "
                                  f"{len(report.errors)} error(s); nothing written",
                                  highlight=False)
                for e in report.errors[:20]:
                    err_console.print(f"  {escape(e)}", highlight=False)
                raise typer.Exit(1)
            # The file and the "submitted" status land together: written under a temporary
            # name, committed, then renamed (a failed commit leaves no file behind).
            partial = output.with_name(f".{output.name}.part")
            partial.write_text(result.text, encoding="ascii")
            try:
                session.commit()
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.replace(output)
    except MedcoderError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
    summary = {"file": str(output), "transaction": result.batch.transaction_set,
               "control_number": f"{result.batch.control_number:09d}",
               "payer": result.batch.payer_id,
               "claims": [c.claim_id for c in result.claims],
               "total_charge": f"{result.batch.total_charge:.2f}", "pyx12_errors": 0}
    if as_json:
        print_json(summary)
    else:
        console.print(f"wrote {escape(str(output))}: {summary['transaction']}, "
                      f"{len(result.claims)} claim(s) now submitted, total "
                      f"{summary['total_charge']}, control number {summary['control_number']}",
                      highlight=False)


def _build_from_database(encounter: str, practice: Path | None, url: str | None,
                         as_json: bool, frequency: str = "1",
                         original: str | None = None) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from medcoder.claims.db import build_and_store
    from medcoder.claims.errors import ClaimEditError
    from medcoder.claims.model import Frequency
    from medcoder.edits.engine import Editor
    from medcoder.errors import MedcoderError

    prac = _practice(practice)
    try:
        freq = Frequency(frequency)
    except ValueError:
        fail(f"--frequency must be 1, 7 or 8, got {frequency!r}")
    with open_kb() as kb:
        editor = Editor(kb)
        try:
            with database_session(resolve_database_url(url)) as session:
                record = build_and_store(session, encounter, prac, editor, frequency=freq,
                                         original_claim_reference=original)
                session.commit()
                summary = {"claim": record.id, "patient_control_number":
                           record.patient_control_number, "encounter": record.encounter_id,
                           "payer": record.payer_key, "claim_type": record.claim_type,
                           "frequency": record.frequency, "status": record.status,
                           "total_charge": f"{record.total_charge:.2f}"}
        except ClaimEditError as exc:
            err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}",
                              highlight=False)
            raise typer.Exit(1) from None
        except MedcoderError as exc:
            fail(str(exc))
        except SQLAlchemyError as exc:
            fail(f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
    if as_json:
        print_json(summary)
    else:
        console.print(f"built claim {summary['claim']} ({summary['patient_control_number']}) "
                      f"for payer {summary['payer']}: 837{summary['claim_type']}, total "
                      f"{summary['total_charge']}, status built", highlight=False)


@claim_app.command("list")
def list_claims(
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    payer: Annotated[str | None, typer.Option("--payer", help="Practice payer key or payer "
                                                              "id.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 100,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="SQLAlchemy URL (default $MEDCODER_DATABASE_URL).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Claims in the database, newest first (no patient data: ids, payer, status, total)."""
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from medcoder.claims.state import ClaimStatus
    from medcoder.store.claims_models import ClaimRecord

    if status is not None and status not in {s.value for s in ClaimStatus}:
        fail(f"--status must be one of {', '.join(s.value for s in ClaimStatus)}, got "
             f"{status!r}")
    query = select(ClaimRecord).order_by(ClaimRecord.created_at.desc()).limit(limit)
    if status is not None:
        query = query.where(ClaimRecord.status == status)
    if payer is not None:
        query = query.where((ClaimRecord.payer_key == payer) | (ClaimRecord.payer_id == payer))
    try:
        with database_session(resolve_database_url(database_url)) as session:
            rows = [{"claim": r.id, "patient_control_number": r.patient_control_number,
                     "encounter": r.encounter_id, "payer": r.payer_key,
                     "claim_type": r.claim_type, "frequency": r.frequency, "status": r.status,
                     "total_charge": f"{r.total_charge:.2f}",
                     "created_at": r.created_at.isoformat(timespec="seconds")}
                    for r in session.scalars(query)]
    except SQLAlchemyError as exc:
        fail(f"database error: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}")
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} claim(s)")
    for name in ("patient control number", "payer", "type", "freq", "status", "total",
                 "created"):
        table.add_column(name)
    for r in rows:
        table.add_row(r["patient_control_number"], r["payer"], r["claim_type"], r["frequency"],
                      r["status"], r["total_charge"], r["created_at"])
    console.print(table)


def _clearinghouse(outbox: Path | None, sftp: str | None, user: str | None,
                   host_key: Path | None) -> Any:
    import os

    from medcoder.claims.submit import (
        OutboxClearinghouse,
        SftpClearinghouse,
        host_key_from_line,
    )
    from medcoder.codesets.kb import default_data_home
    from medcoder.errors import MedcoderError

    if sftp is None:
        return OutboxClearinghouse(outbox or default_data_home() / "clearinghouse")
    host, _, port = sftp.rpartition(":")
    if not host or not port.isdigit():
        fail(f"--sftp must be HOST:PORT, got {sftp!r}")
    if not user or host_key is None:
        fail("--sftp needs --user and --host-key (the server's public key, OpenSSH format)")
    password = os.environ.get("MEDCODER_SFTP_PASSWORD")
    if not password:
        fail("set MEDCODER_SFTP_PASSWORD for the SFTP login")
    try:
        key = host_key_from_line(host_key.read_text(encoding="utf-8").strip())
    except OSError as exc:
        fail(f"cannot read {host_key}: {exc.strerror}")
    except MedcoderError as exc:
        fail(str(exc))
    return SftpClearinghouse(host, int(port), user, host_key=key, password=password)


OutboxOpt = Annotated[Path | None, typer.Option(
    "--outbox", help="Clearinghouse folder (outbox/ and inbox/ inside; default: "
                     "clearinghouse/ in the data home).")]
SftpOpt = Annotated[str | None, typer.Option(
    "--sftp", help="HOST:PORT of the clearinghouse SFTP server (password from "
                   "$MEDCODER_SFTP_PASSWORD).")]
UserOpt = Annotated[str | None, typer.Option("--user", help="SFTP user name.")]
HostKeyOpt = Annotated[Path | None, typer.Option(
    "--host-key", help="File with the server's public key line (ssh-ed25519 AAAA...).")]


@claim_app.command("submit")
def submit(
    files: Annotated[list[Path], typer.Argument(help="837 files to hand over.")],
    outbox: OutboxOpt = None,
    sftp: SftpOpt = None,
    user: UserOpt = None,
    host_key: HostKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hand 837 files to the clearinghouse (outbox folder, or SFTP); each name goes once."""
    from medcoder.claims.x12.validate import validate_x12
    from medcoder.errors import MedcoderError

    house = _clearinghouse(outbox, sftp, user, host_key)
    texts = []
    for path in files:
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {path} as X12 text: {exc}")
        if not validate_x12(text).ok:
            fail(f"{path} does not validate with pyx12: not submitted")
        texts.append((path.name, text))
    done = []
    for name, text in texts:
        try:
            done.append(house.submit(name, text))
        except MedcoderError as exc:
            fail(str(exc))
    if as_json:
        print_json(done)
    else:
        for sub in done:
            console.print(f"submitted {escape(sub.name)} -> {escape(sub.location)} "
                          f"(sha256 {sub.sha256[:12]}...)", highlight=False)


@claim_app.command("inbox")
def inbox(
    into: Annotated[Path, typer.Option("-d", "--dir", help="Folder to save responses in.")],
    outbox: OutboxOpt = None,
    sftp: SftpOpt = None,
    user: UserOpt = None,
    host_key: HostKeyOpt = None,
) -> None:
    """Fetch the clearinghouse's responses (999, 277CA, 835) into a folder."""
    from medcoder.errors import MedcoderError

    house = _clearinghouse(outbox, sftp, user, host_key)
    try:
        files = house.receive()
    except MedcoderError as exc:
        fail(str(exc))
    into.mkdir(parents=True, exist_ok=True)
    for f in files:
        (into / f.name).write_text(f.text, encoding="ascii", errors="replace")
    console.print(f"received {len(files)} file(s) into {escape(str(into))}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `medcoder claim ...` to the app."""
    app.add_typer(claim_app, name="claim")
