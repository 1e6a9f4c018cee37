"""`medcoder lookup | validate | search | index | neoplasm | drug | external-cause`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from medcoder.cli._common import fail, open_kb, parse_date
from medcoder.cli._output import console, print_json, render
from medcoder.cli._views import code_info_view, index_entry_view
from medcoder.codesets import KnowledgeBase
from medcoder.codesets.cpt import Cpt
from medcoder.codesets.icd10cm.index_models import IndexEntry
from medcoder.codesets.icd10cm.models import CodeInfo
from medcoder.codesets.systems import SystemName, candidate_systems
from medcoder.errors import CodeError, NoReleaseError, TermNotFoundError

__all__ = ["register"]

SystemOpt = Annotated[
    SystemName | None,
    typer.Option("--system", "-s", help="Code system; inferred from the code's shape if omitted."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
DosOpt = Annotated[
    str | None, typer.Option("--dos", help="Date of service YYYY-MM-DD (default: today).")
]


def _lookup_one(kb: KnowledgeBase, system: SystemName, code: str, dos: Any) -> Any:
    if system is SystemName.ICD10CM:
        return kb.icd10cm.lookup(code, dos)
    if system is SystemName.ICD10PCS:
        return kb.pcs.lookup(code)
    if system is SystemName.HCPCS:
        return kb.hcpcs.lookup(code)
    if system is SystemName.MODIFIER:
        return kb.hcpcs.modifier(code)
    if system is SystemName.POS:
        return kb.pos.lookup(code)
    if system is SystemName.CARC:
        return kb.adjustments.carc(code)
    if system is SystemName.RARC:
        return kb.adjustments.rarc(code)
    if system is SystemName.GROUP:
        return kb.adjustments.group(code)
    if system is SystemName.CPT:
        # medcoder's own wording of the CPT codes it assigns, or your imported licensed file.
        return Cpt(kb).lookup(code)
    raise AssertionError(system)


def _resolve(
    kb: KnowledgeBase, code: str, system: SystemName | None, dos: Any
) -> tuple[SystemName, Any]:
    """Look ``code`` up in the given system, or in each system its shape fits, first hit wins."""
    systems = [system] if system else candidate_systems(code)
    if not systems:
        fail(
            f"{code!r} does not look like an ICD-10-CM, ICD-10-PCS, HCPCS, CPT or POS code; "
            "give --system for CARC/RARC/group/modifier codes"
        )
    first_error: CodeError | None = None
    for candidate in systems:
        try:
            return candidate, _lookup_one(kb, candidate, code, dos)
        except CodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    suggestions = getattr(first_error, "suggestions", ())
    fail(str(first_error), suggestions=[str(s) for s in suggestions])


def _first_known(kb: KnowledgeBase, systems: list[SystemName], code: str, dos: Any) -> SystemName:
    for candidate in systems:
        try:
            _lookup_one(kb, candidate, code, dos)
        except CodeError:
            continue
        return candidate
    return systems[0]


def lookup(
    code: Annotated[str, typer.Argument(help="A code: E11.9, e119, 0DTJ4ZZ, J1885, 11 ...")],
    system: SystemOpt = None,
    dos: DosOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show what a code means: title, billable, hierarchy, instructional notes."""
    day = parse_date(dos) if dos else None
    with open_kb() as kb:
        try:
            found_system, info = _resolve(kb, code, system, day)
        except NoReleaseError as exc:
            fail(str(exc))
        if as_json:
            print_json({"system": found_system.value, "result": info})
        elif isinstance(info, CodeInfo):
            console.print(code_info_view(info))
        else:
            console.print(render(info, title=f"{found_system.value} {code}"))


def validate(
    code: Annotated[str, typer.Argument(help="The code to check.")],
    dos: DosOpt = None,
    system: SystemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Is the code valid and billable on the date of service? Exit 1 if not."""
    day = parse_date(dos)
    systems = [system] if system else candidate_systems(code)
    if not systems:
        fail(f"{code!r} does not look like a code of any system medcoder knows")
    with open_kb() as kb:
        try:
            # A shape several systems share (J1885: ICD-10-CM J18.85? HCPCS J1885) is checked
            # in the first system that knows the code.
            target = _first_known(kb, systems, code, day)
            if target is SystemName.ICD10CM:
                result: Any = kb.icd10cm.validate(code, day)
            elif target is SystemName.ICD10PCS:
                result = kb.pcs.validate(code, day)
            elif target is SystemName.HCPCS:
                result = kb.hcpcs.validate(code, day)
            else:
                _, result = _resolve(kb, code, target, day)
        except NoReleaseError as exc:
            fail(str(exc))
        except CodeError as exc:
            fail(str(exc), suggestions=[str(s) for s in getattr(exc, "suggestions", ())])
        if as_json:
            print_json({"system": target.value, "date_of_service": day, "result": result})
        else:
            console.print(render(result, title=f"{target.value} {code} on {day.isoformat()}"))
        if getattr(result, "valid", True) is False:
            raise typer.Exit(1)


def search(
    text: Annotated[str, typer.Argument(help="Words to search, e.g. 'diabetic foot ulcer'.")],
    system: Annotated[
        SystemName, typer.Option("--system", "-s", help="icd10cm, icd10pcs, hcpcs or cpt.")
    ] = SystemName.ICD10CM,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200)] = 15,
    as_json: JsonOpt = False,
) -> None:
    """Ranked full-text search over titles, inclusion terms and index terms."""
    with open_kb() as kb:
        if system is SystemName.ICD10CM:
            hits: Any = kb.icd10cm.search(text, limit=limit)
        elif system is SystemName.ICD10PCS:
            hits = kb.pcs.search(text, limit=limit)
        elif system is SystemName.HCPCS:
            hits = kb.hcpcs.search(text, limit=limit)
        elif system is SystemName.CPT:
            hits = Cpt(kb).search(text, limit=limit)
        else:
            fail(f"search covers icd10cm, icd10pcs, hcpcs and cpt, not {system.value}")
        if not hits:
            fail(f"nothing in {system.value} matches {text!r}", code=1)
        if as_json:
            print_json(hits)
        else:
            console.print(render(hits, title=f"{system.value}: {text}"))


def _split_terms(terms: list[str]) -> list[str]:
    """`"Pneumonia, aspiration"` and `Pneumonia aspiration` (two arguments) both work."""
    parts: list[str] = []
    for term in terms:
        parts.extend(p.strip() for p in term.split(",") if p.strip())
    return parts


def _term_command(kind: str, call: Any, as_json: bool, title: str) -> None:
    try:
        result = call()
    except TermNotFoundError as exc:
        fail(str(exc), suggestions=list(exc.suggestions))
    if as_json:
        print_json(result)
    elif isinstance(result, IndexEntry):
        console.print(index_entry_view(result))
    else:
        console.print(render(result, title=f"{kind}: {title}"))


def index(
    terms: Annotated[
        list[str], typer.Argument(help='Main term and subterms: "Pneumonia, aspiration"')
    ],
    as_json: JsonOpt = False,
) -> None:
    """Walk the ICD-10-CM Alphabetic Index as a coder does (see references followed)."""
    parts = _split_terms(terms)
    with open_kb() as kb:
        _term_command("index", lambda: kb.index.index(*parts), as_json, ", ".join(parts))


def neoplasm(
    site: Annotated[
        list[str], typer.Argument(help='Site and subsites: "breast, upper-outer quadrant"')
    ],
    behavior: Annotated[
        str | None,
        typer.Option(
            help="malignant-primary, malignant-secondary, in-situ, benign, uncertain, unspecified"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Look a site up in the Neoplasm Table (one behavior column, or all)."""
    parts = _split_terms(site)
    with open_kb() as kb:
        _term_command(
            "neoplasm",
            lambda: kb.index.neoplasm(*parts, behavior=behavior),
            as_json,
            ", ".join(parts),
        )


def drug(
    substance: Annotated[list[str], typer.Argument(help="Substance (and subterms)")],
    intent: Annotated[
        str | None,
        typer.Option(
            help="poisoning-accidental, poisoning-intentional, poisoning-assault, "
            "poisoning-undetermined, adverse-effect, underdosing"
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Look a substance up in the Table of Drugs and Chemicals."""
    parts = _split_terms(substance)
    with open_kb() as kb:
        _term_command(
            "drug", lambda: kb.index.drug(*parts, intent=intent), as_json, ", ".join(parts)
        )


def external_cause(
    terms: Annotated[
        list[str], typer.Argument(help='Main term and subterms: "Fall, from, ladder"')
    ],
    as_json: JsonOpt = False,
) -> None:
    """Walk the External Cause of Injuries Index."""
    parts = _split_terms(terms)
    with open_kb() as kb:
        _term_command(
            "external cause", lambda: kb.index.external_cause(*parts), as_json, ", ".join(parts)
        )


def register(app: typer.Typer) -> None:
    app.command()(lookup)
    app.command()(validate)
    app.command()(search)
    app.command()(index)
    app.command()(neoplasm)
    app.command()(drug)
    app.command("external-cause")(external_cause)
