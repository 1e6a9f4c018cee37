"""`medcoder group ENCOUNTER.json` (MS-DRG) and `medcoder hcc ENCOUNTER.json` (CMS-HCC V28)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medcoder.cli._common import fail, open_kb
from medcoder.cli._output import console, print_json
from medcoder.edits import Encounter, parse_encounter
from medcoder.errors import MedcoderError
from medcoder.grouping import (
    DrgGrouper,
    DrgResult,
    DualStatus,
    HccDemographics,
    HccResult,
    score,
)

__all__ = ["register"]

EncounterArg = Annotated[Path, typer.Argument(help="Coded encounter JSON file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the full result as JSON.")]


def _read(path: Path) -> Encounter:
    if not path.is_file():
        fail(f"no such encounter file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{path} is not a JSON encounter: {exc}")
    try:
        return parse_encounter(data)
    except MedcoderError as exc:
        fail(f"{path}: {exc}")


def group(path: EncounterArg, as_json: JsonOpt = False) -> None:
    """MS-DRG of an inpatient stay: DRG, MDC, CC/MCC per diagnosis, documentation queries."""
    encounter = _read(path)
    with open_kb() as kb, DrgGrouper(kb) as grouper:
        try:
            result = grouper.group(encounter)
        except MedcoderError as exc:
            fail(str(exc))
    if as_json:
        print_json(result)
        return
    _show_drg(result)


def _show_drg(result: DrgResult) -> None:
    console.print(
        f"[bold]DRG {result.drg:03d}[/bold] {escape(result.description)}  "
        f"(MDC {result.mdc if result.mdc is not None else '—'} "
        f"{escape(result.mdc_description)})",
        highlight=False,
    )
    console.print(
        f"grouper {result.grouper_version} (FY{result.fiscal_year}), discharge "
        f"{result.discharge_date.isoformat()}; relative weight: "
        + (
            f"{result.relative_weight:.4f} ({escape(result.weight_note)})"
            if result.relative_weight is not None
            else f"not given ({escape(result.weight_note)})"
        ),
        highlight=False,
    )
    if result.ungroupable:
        console.print(f"[red]ungroupable: {escape(result.return_code)}[/red]")
    if result.initial_drg != result.drg:
        console.print(
            f"hospital-acquired conditions moved the stay from DRG {result.initial_drg:03d}"
        )
    table = Table(title="Diagnoses", title_justify="left")
    for column in ("#", "code", "title", "POA", "CC/MCC list", "counted as"):
        table.add_column(column)
    for dx in result.diagnoses:
        if dx.principal:
            role = "principal"
        elif dx.excluded_by_principal:
            role = "excluded by principal"
        elif dx.hospital_acquired:
            role = "HAC: not counted"
        else:
            role = dx.acted_as or "—"
        table.add_row(
            str(dx.position),
            dx.code,
            escape(dx.title or "(not in ICD-10-CM)"),
            dx.present_on_admission or "",
            "" if dx.principal or dx.level.value == "NONE" else dx.level.value,
            role,
        )
    console.print(table)
    if result.procedures:
        procedures = Table(title="Procedures", title_justify="left")
        for column in ("code", "OR", "drove DRG"):
            procedures.add_column(column)
        for p in result.procedures:
            procedures.add_row(
                p.code, "yes" if p.operating_room else "", "yes" if p.drove_drg else ""
            )
        console.print(procedures)
    for opportunity in result.opportunities:
        console.print(f"[yellow]query[/yellow] {escape(opportunity.message)}", highlight=False)
    if not result.opportunities_complete:
        console.print("[dim]documentation search stopped at its regrouping limit[/dim]")


def hcc(
    path: EncounterArg,
    year: Annotated[int, typer.Option("--year", help="Payment year: 2025, 2026, 2027.")] = 2026,
    dual: Annotated[
        DualStatus, typer.Option("--dual", help="Medicaid dual eligibility.")
    ] = DualStatus.NONE,
    institutional: Annotated[
        bool, typer.Option("--institutional", help="Long-term institutional beneficiary.")
    ] = False,
    originally_disabled: Annotated[
        bool, typer.Option("--originally-disabled", help="Entitled originally by disability.")
    ] = False,
    new_enrollee: Annotated[bool, typer.Option("--new-enrollee", help="New enrollee.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """CMS-HCC V28: HCCs after hierarchies, the diagnoses behind them, RAF score."""
    encounter = _read(path)
    try:
        patient = HccDemographics.from_patient(encounter.patient)
        demographics = HccDemographics(
            age=patient.age,
            sex=patient.sex,
            dual=dual,
            institutional=institutional,
            originally_disabled=originally_disabled,
            new_enrollee=new_enrollee,
        )
        result = score(encounter, demographics, payment_year=year)
    except MedcoderError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
        return
    _show_hcc(result)


def _show_hcc(result: HccResult) -> None:
    console.print(
        f"[bold]RAF {result.risk_score:.3f}[/bold]  {result.model}, payment year "
        f"{result.payment_year}, {result.segment} (demographic {result.demographic_score:.3f}"
        f" + conditions {result.hcc_score:.3f})",
        highlight=False,
    )
    table = Table(title="HCCs after hierarchies", title_justify="left")
    for column in ("HCC", "label", "coefficient", "diagnoses"):
        table.add_column(column)
    for h in result.hccs:
        table.add_row(h.hcc, escape(h.label), f"{h.coefficient:.3f}", ", ".join(h.diagnoses))
    console.print(table if result.hccs else "no HCC")
    for s in result.superseded:
        console.print(
            f"HCC {s.hcc} ({escape(s.label)}; {', '.join(s.diagnoses)}) superseded by HCC "
            + ", ".join(s.superseded_by or ("(V28 rule)",)),
            highlight=False,
        )
    parts = Table(title="RAF components", title_justify="left")
    for column in ("component", "kind", "coefficient"):
        parts.add_column(column)
    for c in result.components:
        parts.add_row(c.name, c.kind, f"{c.coefficient:.3f}")
    console.print(parts)
    if result.diagnoses_without_hcc:
        console.print("no HCC: " + ", ".join(result.diagnoses_without_hcc), highlight=False)
    for excluded in result.excluded:
        console.print(
            f"[yellow]not counted[/yellow] {excluded.code}: {escape(excluded.reason)}",
            highlight=False,
        )
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/dim]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(group)
    app.command()(hcc)
