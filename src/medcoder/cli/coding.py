"""`medcoder code NOTE` and `medcoder code-batch DIR`: diagnosis and procedure coding."""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from medcoder.cli._common import fail, open_kb, parse_date
from medcoder.cli._output import console, err_console, print_json, to_jsonable
from medcoder.cli.check import edit_result_json, render_findings
from medcoder.codesets import KnowledgeBase
from medcoder.coding.diagnosis import CodingConfig, DiagnosisCoder
from medcoder.coding.procedures import ProcedureCoder, ProcedureResult, procedures_to_dict
from medcoder.coding.result import CodingResult
from medcoder.edits.encounter import Encounter, Sex
from medcoder.edits.encounter import Patient as EncounterPatient
from medcoder.edits.engine import EditConfig, Editor, EditResult
from medcoder.edits.export import encounter_from_coding, encounter_to_json, patient_from_note
from medcoder.errors import MedcoderError
from medcoder.notes import Document, parse_note, read_document

__all__ = ["register"]

SettingOpt = Annotated[
    str | None,
    typer.Option("--setting", help="outpatient (default) or inpatient; overrides the envelope."),
]
DosOpt = Annotated[
    str | None,
    typer.Option("--dos", help="Date of service YYYY-MM-DD (default: envelope or today)."),
]


def _read(path: Path, setting: str | None, dos: str | None) -> Document:
    data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    return read_document(
        data,
        source=path.stem if str(path) != "-" else "stdin",
        setting=setting,
        date_of_service=parse_date(dos) if dos else None,
    )


def _highlighted(text: str, result: CodingResult) -> Text:
    rich_text = Text(text)
    for i, dx in enumerate(result.diagnoses):
        style = "bold black on yellow" if dx.assigned else "black on grey70"
        for ev in dx.evidence:
            rich_text.stylize(style, ev.start, ev.end)
        if i > 40:
            break
    return rich_text


def code(
    note: Annotated[
        Path,
        typer.Argument(
            help="Note file (text, JSON envelope or FHIR DocumentReference), or - for stdin."
        ),
    ],
    setting: SettingOpt = None,
    dos: DosOpt = None,
    min_score: Annotated[float, typer.Option(help="Lowest score to show.")] = 0.1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")] = False,
    medicare: Annotated[
        bool | None,
        typer.Option(
            "--medicare/--not-medicare",
            help="The payer is (not) Medicare: vaccine administration G0008-G0010, Part B "
            "vaccines, QW, G0268, prolonged service codes. Default: read from the note.",
        ),
    ] = None,
    encounter: Annotated[
        Path | None,
        typer.Option(
            "--encounter",
            help="Also write the assigned codes as an encounter for `medcoder check` (needs "
            "the patient's age from a JSON envelope).",
        ),
    ] = None,
) -> None:
    """Code one note: codes with evidence and rationale, documentation queries, edits."""
    if str(note) != "-" and not note.is_file():
        fail(f"no such note file: {note}")
    try:
        document = _read(note, setting, dos)
    except MedcoderError as exc:
        fail(str(exc))
    patient = patient_from_note(document.patient)
    if encounter is not None and patient is None:
        fail(
            "--encounter needs the patient's age: give the note as a JSON envelope with "
            '"patient": {"age": ..., "sex": ...}'
        )
    with open_kb() as kb:
        try:
            result = DiagnosisCoder(kb, CodingConfig(min_score=min_score)).code(document)
            procedures = ProcedureCoder(kb).code(parse_note(document), result, medicare=medicare)
            exported, edits = _edit(kb, result, patient, procedures)
        except MedcoderError as exc:
            fail(str(exc))
    if encounter is not None:
        encounter.write_text(encounter_to_json(exported), encoding="utf-8")
    if as_json:
        payload = _with_procedures(to_jsonable(result), procedures)
        payload["edits"] = edit_result_json(edits)
        print_json(payload)
        return
    highlighted = _highlighted(document.text, result)
    for line in procedures.services:  # the services' words, next to the diagnoses'
        for ev in line.evidence:
            highlighted.stylize("bold black on cyan", ev.start, ev.end)
    console.print(highlighted)
    table = Table(title=f"ICD-10-CM ({result.setting}, {result.date_of_service.isoformat()})")
    for col in ("#", "code", "title", "score", "evidence", "why"):
        table.add_column(col, overflow="fold")
    for i, dx in enumerate(result.diagnoses, 1):
        table.add_row(
            str(i),
            Text(dx.code, style="bold green" if dx.assigned else "dim"),
            escape(dx.title),
            f"{dx.score:.2f}",
            escape("; ".join(f"“{e.text}”" for e in dx.evidence[:2])),
            escape(dx.rationale + (f" [{', '.join(dx.rules)}]" if dx.rules else "")),
        )
    console.print(table)
    for q in result.queries:
        console.print(f"[yellow]query[/yellow] {q.topic}: {q.message}")
    _print_procedures(procedures)
    for w in (*result.warnings, *procedures.warnings):
        console.print(f"[magenta]warning[/magenta] {escape(w)}")
    if patient is None:
        console.print(
            "[dim]age and sex edits skipped: the note does not give the patient's age[/dim]"
        )
    render_findings(edits)
    if encounter is not None:
        console.print(f"encounter written to {escape(str(encounter))}")


def _with_procedures(payload: dict[str, Any], procedures: ProcedureResult) -> dict[str, Any]:
    """The JSON of a coded note with ``em``, ``services``, ``pcs`` and every warning."""
    extra = procedures_to_dict(procedures)
    warnings = [*payload.get("warnings", []), *extra.pop("warnings")]
    return {**payload, **extra, "warnings": warnings}


def _print_procedures(procedures: ProcedureResult) -> None:
    em = procedures.em
    if em is not None:
        console.print(
            f"[bold]E/M {em.code}[/bold] ({em.basis.value}, {em.visit_type.value}): "
            f"{escape(em.rationale)}"
        )
        mdm = Table(title=f"MDM {em.mdm.level.value}")
        for col in ("element", "level", "why", "evidence"):
            mdm.add_column(col, overflow="fold")
        for name, element in (("problems", em.mdm.problems), ("data", em.mdm.data),
                              ("risk", em.mdm.risk)):  # fmt: skip
            mdm.add_row(name, element.level.value, escape(element.summary),
                        escape("; ".join(f"“{e.text}”" for e in element.evidence[:2])))  # fmt: skip
        console.print(mdm)
    if not procedures.lines and procedures.pcs is None:
        return
    table = Table(title="Procedures and services")
    for col in ("code", "mod", "units", "dx", "description", "why"):
        table.add_column(col, overflow="fold")
    for line in procedures.lines:
        table.add_row(
            Text(line.code, style="bold green"), " ".join(line.modifiers), str(line.units),
            ",".join(map(str, line.diagnosis_pointers)), escape(line.description),
            escape(line.rationale),
        )  # fmt: skip
    for pcs in procedures.pcs.suggestions if procedures.pcs else ():
        table.add_row(
            Text(pcs.code, style="bold green" if pcs.assigned else "dim"), "", "", "",
            escape(pcs.description), escape(pcs.rationale),
        )  # fmt: skip
    console.print(table)
    for added in procedures.added_diagnoses:
        console.print(f"[green]added[/green] {added.code} {escape(added.title)}: {added.rationale}")


def _edit(
    kb: KnowledgeBase,
    result: CodingResult,
    patient: EncounterPatient | None,
    procedures: ProcedureResult | None = None,
) -> tuple[Encounter, EditResult]:
    """The edits on the assigned codes. Without the patient's age the age/sex (MCE) edits
    cannot run: they (and the age-specific procedure edits) are turned off."""
    config = EditConfig() if patient else EditConfig(disabled=frozenset({"mce.", "procedure."}))
    who = patient or EncounterPatient(age=0, sex=Sex.UNKNOWN)
    exported = encounter_from_coding(result, patient=who, procedure_result=procedures)
    return exported, Editor(kb, config).edit(exported)


# -- batch -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    path: str
    setting: str | None
    dos: str | None
    min_score: float
    procedures: bool = False


_worker_coder: DiagnosisCoder | None = None
_worker_kb: KnowledgeBase | None = None
_worker_procedures: ProcedureCoder | None = None


def _init_worker() -> None:
    global _worker_coder, _worker_kb, _worker_procedures
    _worker_kb = KnowledgeBase.open()
    _worker_coder = DiagnosisCoder(_worker_kb)
    _worker_procedures = ProcedureCoder(_worker_kb)


def _code_one(job: _Job) -> tuple[str, dict[str, Any] | None, str | None]:
    assert _worker_coder is not None
    path = Path(job.path)
    try:
        document = _read(path, job.setting, job.dos)
        result = _worker_coder.code(document)
        procedures = None
        if job.procedures and _worker_procedures is not None:
            procedures = _worker_procedures.code(parse_note(document), result)
    except MedcoderError as exc:
        return path.stem, None, str(exc)
    rows = [d for d in result.diagnoses if d.score >= job.min_score]
    payload = to_jsonable(result)
    payload["diagnoses"] = [to_jsonable(d) for d in rows]
    if procedures is not None:
        payload = _with_procedures(payload, procedures)
    return path.stem, payload, None


def _procedure_rows(payload: dict[str, Any]) -> list[tuple[str, float, str]]:
    """(code, score, system) of the service lines and PCS codes of a batch payload."""
    rows = [(s["code"], s["score"], s["system"]) for s in payload.get("services", [])]
    pcs = payload.get("pcs") or {}
    rows.extend((c["code"], c["score"], c["system"]) for c in pcs.get("codes", []))
    return rows


def _run(jobs: list[_Job], workers: int) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    global _worker_coder, _worker_kb, _worker_procedures
    if workers <= 1:
        _init_worker()
        try:
            for job in jobs:
                yield _code_one(job)
        finally:
            if _worker_kb is not None:
                _worker_kb.close()
            _worker_kb = _worker_coder = _worker_procedures = None
        return
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(workers, initializer=_init_worker) as pool:
        yield from pool.imap(_code_one, jobs, chunksize=4)


def code_batch(
    directory: Annotated[
        Path, typer.Argument(help="Folder of *.txt notes (or JSON envelopes *.json).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="TSV: doc_id, code, score.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    min_score: Annotated[float, typer.Option(help="Lowest score written.")] = 0.1,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="Also write full results here.")
    ] = None,
    setting: SettingOpt = None,
    dos: DosOpt = None,
    procedures: Annotated[
        bool,
        typer.Option(
            "--procedures/--no-procedures",
            help="Also code procedures (E/M, CPT/HCPCS services, inpatient ICD-10-PCS): TSV "
            "rows then get a 4th column, the system (ICD10CM, CPT, HCPCS, PCS); JSONL lines "
            "get em, services and pcs. Off by default: CodiEsp-D scoring reads every row "
            "as a diagnosis.",
        ),
    ] = False,
) -> None:
    """Code every note in DIR; rows of a document in descending score (>= 0.5 = assigned)."""
    if not directory.is_dir():
        fail(f"not a folder: {directory}")
    # A note may come as text or as a JSON envelope; when both exist for one name, the
    # envelope wins because it carries the setting and the date of service.
    by_stem = {f.stem: f for f in sorted(directory.glob("*.txt"))}
    by_stem.update({f.stem: f for f in sorted(directory.glob("*.json"))})
    files = [by_stem[stem] for stem in sorted(by_stem)]
    if not files:
        fail(f"no *.txt or *.json notes in {directory}")
    # Build (or reuse) the knowledge base once, before any worker starts.
    with open_kb():
        pass
    batch = [_Job(str(f), setting, dos, min_score, procedures) for f in files]
    failures: list[tuple[str, str]] = []
    coded = 0
    jsonl_file = jsonl.open("w", encoding="utf-8") if jsonl else None
    try:
        with (
            output.open("w", encoding="utf-8") as out,
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err_console,
            ) as progress,
        ):
            task = progress.add_task("coding notes", total=len(batch))
            for doc_id, payload, error in _run(batch, jobs):
                progress.advance(task)
                if error is not None or payload is None:
                    failures.append((doc_id, error or "unknown error"))
                    progress.console.print(f"[red]skipped[/red] {doc_id}: {error}")
                    continue
                coded += 1
                rows = sorted(payload["diagnoses"], key=lambda d: -d["score"])
                for d in rows:
                    system = "\tICD10CM" if procedures else ""
                    out.write(f"{doc_id}\t{d['code']}\t{d['score']:.4f}{system}\n")
                for code_, score, system_name in _procedure_rows(payload):
                    out.write(f"{doc_id}\t{code_}\t{score:.4f}\t{system_name}\n")
                if jsonl_file:
                    jsonl_file.write(json.dumps({"doc_id": doc_id, **payload}) + "\n")
    finally:
        if jsonl_file:
            jsonl_file.close()
    err_console.print(
        f"coded {coded} of {len(batch)} notes -> {output}"
        + (f"; {len(failures)} failed (listed above)" if failures else "")
    )


def register(app: typer.Typer) -> None:
    app.command()(code)
    app.command("code-batch")(code_batch)
