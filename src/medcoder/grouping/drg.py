"""MS-DRG grouping of an inpatient encounter, with documentation opportunities.

:class:`DrgGrouper` is a facade over :class:`msdrg.MsdrgGrouper` (the CMS grouper logic, ported
and validated claim by claim against the CMS Java grouper). It picks the grouper version from
the discharge date, says for every secondary diagnosis whether it counted as a CC or an MCC (or
was excluded by the principal diagnosis, or lost its CC/MCC as a hospital-acquired condition)
and looks for queries worth sending: an unspecified secondary diagnosis whose more specific
codes are CCs or MCCs that would move the stay into a higher-paying DRG.

Example::

    with KnowledgeBase.open() as kb, DrgGrouper(kb) as grouper:
        result = grouper.group(parse_encounter(data))
        result.drg, result.description          # 291, 'Heart Failure and Shock with MCC'
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import msdrg

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.drg_weights import drg_weight
from medcoder.edits.encounter import Encounter, EncounterSetting
from medcoder.errors import InputError, MedcoderError, NoReleaseError

__all__ = [
    "GROUPER_VERSIONS",
    "RELATED_CANDIDATES",
    "CcLevel",
    "DiagnosisRole",
    "DocumentationOpportunity",
    "DrgGrouper",
    "DrgResult",
    "GrouperVersion",
    "ProcedureRole",
    "grouper_version_for",
]

_SYSTEM = "MS-DRG"
# CMS groups at most 24 secondary diagnoses; probes stay within that.
_MAX_SECONDARIES = 24
# A diagnosis family larger than this (S72 has ~2,500 codes) is narrowed to its subcategory.
_MAX_FAMILY = 48
WEIGHT_NOTE = (
    "no CMS Table 5 (relative weights) is vendored for FY{year}; relative weight not given"
)


class CcLevel(StrEnum):
    """Where a diagnosis sits on the CMS CC/MCC list."""

    MCC = "MCC"
    CC = "CC"
    NONE = "NONE"

    @property
    def rank(self) -> int:
        return {"MCC": 2, "CC": 1, "NONE": 0}[self.value]


@dataclass(frozen=True, slots=True)
class GrouperVersion:
    """One MS-DRG grouper release and the discharge dates it applies to."""

    version: int  # msdrg's number: 431 is v43.1
    fiscal_year: int
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"v{self.version // 10}.{self.version % 10}"


def _v(version: int, fy: int, start: str, end: str) -> GrouperVersion:
    return GrouperVersion(version, fy, dt.date.fromisoformat(start), dt.date.fromisoformat(end))


# The releases msdrg 1.2.0 carries (its README, "Supported DRG versions"): the even version is
# the October 1 release of the fiscal year, the odd one the April 1 update. v44.0 (FY2027) is
# the newest; there is no v44.1 yet, so dates from 2027-04-01 cannot be grouped.
GROUPER_VERSIONS: tuple[GrouperVersion, ...] = (
    _v(400, 2023, "2022-10-01", "2023-03-31"),
    _v(401, 2023, "2023-04-01", "2023-09-30"),
    _v(410, 2024, "2023-10-01", "2024-03-31"),
    _v(411, 2024, "2024-04-01", "2024-09-30"),
    _v(420, 2025, "2024-10-01", "2025-03-31"),
    _v(421, 2025, "2025-04-01", "2025-09-30"),
    _v(430, 2026, "2025-10-01", "2026-03-31"),
    _v(431, 2026, "2026-04-01", "2026-09-30"),
    _v(440, 2027, "2026-10-01", "2027-03-31"),
)

# Unspecified codes whose specific alternatives live in another category, so the sibling search
# cannot find them. Each is a query clinical documentation specialists send routinely.
RELATED_CANDIDATES: dict[str, tuple[str, ...]] = {
    "D64.9": ("D62",),  # anemia, unspecified -> acute posthemorrhagic anemia
    "E46": ("E43", "E44.0"),  # protein-calorie malnutrition: severe / moderate
    "R41.82": ("G93.41",),  # altered mental status -> metabolic encephalopathy
}


def grouper_version_for(day: dt.date) -> GrouperVersion:
    """The MS-DRG grouper version in force on a discharge date.

    Raises:
        NoReleaseError: the date is outside the versions msdrg carries.
    """
    for version in GROUPER_VERSIONS:
        if version.start <= day <= version.end:
            return version
    first, last = GROUPER_VERSIONS[0], GROUPER_VERSIONS[-1]
    raise NoReleaseError(
        f"no MS-DRG grouper for discharge date {day.isoformat()}: the installed grouper covers "
        f"discharges from {first.start.isoformat()} to {last.end.isoformat()} "
        f"({first.label} to {last.label})",
        system=_SYSTEM,
        date=day,
        covered=(first.start, last.end),
    )


@dataclass(frozen=True, slots=True)
class DiagnosisRole:
    """What one diagnosis did in the grouping."""

    position: int  # 1-based, as on the encounter
    code: str  # dotted
    title: str
    principal: bool
    present_on_admission: str | None
    level: CcLevel  # its place on the CC/MCC list (the principal's is informational)
    acted_as: Literal["MCC", "CC"] | None  # a secondary that counted towards the DRG
    excluded_by_principal: bool  # CC/MCC excluded because of the principal (CMS CC exclusion)
    hospital_acquired: bool  # HAC not present on admission: its CC/MCC does not count
    valid: bool
    drove_drg: bool  # the grouper used it to pick the DRG


@dataclass(frozen=True, slots=True)
class ProcedureRole:
    """What one ICD-10-PCS procedure did in the grouping."""

    code: str
    operating_room: bool
    drove_drg: bool


@dataclass(frozen=True, slots=True)
class DocumentationOpportunity:
    """A query to the provider: a more specific code would change the DRG."""

    position: int  # the unspecified secondary diagnosis, 1-based
    code: str
    candidates: tuple[str, ...]  # dotted codes at ``level``, all of which the check found
    level: CcLevel
    drg_before: int
    drg_after: int
    description_after: str
    message: str


@dataclass(frozen=True, slots=True)
class DrgResult:
    """The MS-DRG of an inpatient stay and why."""

    encounter_id: str
    grouper_version: str  # "v43.1"
    fiscal_year: int
    discharge_date: dt.date
    drg: int
    description: str
    mdc: int | None
    mdc_description: str
    severity: CcLevel  # the highest secondary level the final DRG used
    return_code: str  # "OK", or why the stay is ungroupable (DRG 999)
    initial_drg: int  # before hospital-acquired conditions were removed
    relative_weight: float | None
    weight_note: str
    diagnoses: tuple[DiagnosisRole, ...]
    procedures: tuple[ProcedureRole, ...]
    opportunities: tuple[DocumentationOpportunity, ...]
    opportunities_complete: bool  # False when the regrouping budget ran out

    @property
    def ungroupable(self) -> bool:
        return self.return_code != "OK"


def _plain(code: str) -> str:
    return code.replace(".", "").replace(" ", "").upper()


def _dotted(code: str) -> str:
    plain = _plain(code)
    return plain if len(plain) <= 3 else f"{plain[:3]}.{plain[3:]}"


_SEX = {"M": 0, "F": 1, "U": 2}


class DrgGrouper:
    """Groups inpatient encounters into MS-DRGs; one native grouper kept open.

    Args:
        kb: the knowledge base (titles and the codes of a diagnosis family).
        max_regroupings: at most this many extra grouper calls per encounter when looking
            for documentation opportunities (0 turns the search off).

    Example::

        with DrgGrouper(kb) as grouper:
            grouper.group(encounter).drg
    """

    def __init__(self, kb: KnowledgeBase, *, max_regroupings: int = 20) -> None:
        if max_regroupings < 0:
            raise InputError(
                f"'max_regroupings' must be 0 or more, got {max_regroupings}",
                field="max_regroupings",
            )
        self._kb = kb
        self._max = max_regroupings
        self._grouper: msdrg.MsdrgGrouper | None = msdrg.MsdrgGrouper()

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        """Free the native grouper (idempotent)."""
        if self._grouper is not None:
            self._grouper.close()
            self._grouper = None

    def __enter__(self) -> DrgGrouper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_grouper", None) is not None:
            warnings.warn(
                "DrgGrouper was not closed; use 'with' or call close()",
                ResourceWarning,
                stacklevel=2,
            )
            self.close()

    # -- grouping ------------------------------------------------------------------------------
    def group(self, encounter: Encounter) -> DrgResult:
        """Group an inpatient encounter.

        The first diagnosis is the principal; the others are secondaries with their POA
        indicators; ``procedures`` are ICD-10-PCS codes. The grouper version comes from the
        discharge date (the date of service when there is none).

        Raises:
            InputError: not an inpatient encounter, or no diagnosis.
            NoReleaseError: no grouper version covers the discharge date.
        """
        if encounter.setting is not EncounterSetting.INPATIENT:
            raise InputError(
                "MS-DRG grouping is for inpatient stays: 'setting' must be 'inpatient', "
                f"got {encounter.setting.value!r}",
                field="setting",
            )
        if not encounter.diagnoses:
            raise InputError(
                "MS-DRG grouping needs a principal diagnosis: 'diagnoses' is empty",
                field="diagnoses",
            )
        version = grouper_version_for(encounter.dos)
        claim = self._claim(encounter, version.version)
        raw = self._run(claim)
        titles = _Titles(self._kb, encounter.dos)
        roles = _roles(encounter, raw, titles)
        opportunities: tuple[DocumentationOpportunity, ...] = ()
        complete = True
        # A stay already in its MCC tier cannot move up by documentation of a secondary.
        if self._max and raw.get("return_code") == "OK" and raw.get("final_severity") != "MCC":
            finder = _OpportunityFinder(self, claim, raw, titles, self._max)
            opportunities, complete = finder.find(roles)
        final_drg = int(raw.get("final_drg") or 999)
        weight = drg_weight(self._kb.con, version.fiscal_year, final_drg)
        return DrgResult(
            encounter_id=encounter.id,
            grouper_version=version.label,
            fiscal_year=version.fiscal_year,
            discharge_date=encounter.dos,
            drg=final_drg,
            description=raw.get("final_drg_description") or "Ungroupable",
            mdc=raw.get("final_mdc"),
            mdc_description=raw.get("final_mdc_description") or "",
            severity=CcLevel(raw.get("final_severity") or "NONE"),
            return_code=str(raw.get("return_code") or ""),
            initial_drg=int(raw.get("initial_drg") or 999),
            relative_weight=weight.weight if weight else None,
            weight_note=(
                f"CMS IPPS FY{version.fiscal_year} Final Rule, Table 5 (geometric mean LOS "
                f"{weight.geometric_mean_los} days)"
                if weight
                else WEIGHT_NOTE.format(year=version.fiscal_year)
            ),
            diagnoses=roles,
            procedures=tuple(
                ProcedureRole(
                    code=p.get("code", ""),
                    operating_room=bool(p.get("is_or")),
                    drove_drg=p.get("drg_impact", "NONE") != "NONE",
                )
                for p in raw.get("proc_output") or ()
            ),
            opportunities=opportunities,
            opportunities_complete=complete,
        )

    def _claim(self, encounter: Encounter, version: int) -> dict[str, Any]:
        principal, *secondaries = encounter.diagnoses
        return {
            "version": version,
            "age": encounter.patient.age,
            "sex": _SEX[encounter.patient.sex.value],
            "discharge_status": encounter.discharge_status,
            "pdx": _dx(principal.code, principal.present_on_admission),
            "sdx": [_dx(d.code, d.present_on_admission) for d in secondaries],
            "procedures": [{"code": _plain(p)} for p in encounter.procedures],
        }

    def _run(self, claim: dict[str, Any]) -> dict[str, Any]:
        if self._grouper is None:
            raise MedcoderError("the DRG grouper is closed; open a new DrgGrouper")
        try:
            result: dict[str, Any] = dict(self._grouper.group(claim))  # type: ignore[arg-type]
        except (ValueError, RuntimeError) as exc:
            raise InputError(f"the MS-DRG grouper rejected the stay: {exc}") from exc
        return result


def _dx(code: str, poa: str | None) -> dict[str, str]:
    out = {"code": _plain(code)}
    # POA "1" (exempt from reporting) is sent as blank, the way the CMS grouper reads it.
    if poa and poa.upper() in ("Y", "N", "U", "W"):
        out["poa"] = poa.upper()
    return out


class _Titles:
    """ICD-10-CM titles for the discharge date; unknown codes get an empty title."""

    def __init__(self, kb: KnowledgeBase, day: dt.date) -> None:
        self._kb = kb
        self._day = day

    def __call__(self, code: str) -> str:
        try:
            return self._kb.icd10cm.title(code, self._day)
        except MedcoderError:
            return ""

    def family(self, code: str) -> tuple[str, ...]:
        """Billable codes of the category of ``code`` (its subcategory when the category is
        large), plus the curated related codes, without ``code`` itself."""
        plain = _plain(code)
        icd = self._kb.icd10cm
        found: list[str] = []
        for parent in (plain[:3], plain[:4]):
            try:
                found = list(icd.billable_descendants(parent, self._day, limit=_MAX_FAMILY + 1))
            except MedcoderError:
                continue
            if len(found) <= _MAX_FAMILY:
                break
        else:
            found = found[:_MAX_FAMILY]
        extra = [c for c in RELATED_CANDIDATES.get(_dotted(plain), ()) if icd.is_billable(c)]
        return tuple(c for c in dict.fromkeys(found + extra) if _plain(c) != plain)


def _by_code(outputs: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    # msdrg returns secondaries sorted by severity, not in claim order: match them by code.
    table: dict[str, list[dict[str, Any]]] = {}
    for out in outputs:
        table.setdefault(out.get("code", ""), []).append(out)
    return table


def _role(
    position: int, code: str, poa: str | None, out: dict[str, Any], title: str
) -> DiagnosisRole:
    flags = set(out.get("flags") or ())
    level = CcLevel(out.get("severity") or "NONE")
    excluded = "EXCLUDED" in flags
    hac = any(h.get("hac_status") == "HAC_CRITERIA_MET" for h in out.get("hacs") or ())
    principal = position == 1
    counts = not principal and level is not CcLevel.NONE and not excluded and not hac
    acted: Literal["MCC", "CC"] | None = None
    if counts:
        acted = "MCC" if level is CcLevel.MCC else "CC"
    return DiagnosisRole(
        position=position,
        code=_dotted(code),
        title=title,
        principal=principal,
        present_on_admission=poa,
        level=level,
        acted_as=acted,
        excluded_by_principal=excluded,
        hospital_acquired=hac,
        valid="VALID" in flags,
        drove_drg=out.get("drg_impact", "NONE") != "NONE",
    )


def _roles(encounter: Encounter, raw: dict[str, Any], titles: _Titles) -> tuple[DiagnosisRole, ...]:
    outputs = _by_code(raw.get("sdx_output") or ())
    roles = []
    for i, dx in enumerate(encounter.diagnoses):
        if i == 0:
            out = raw.get("pdx_output") or {}
        else:
            same = outputs.get(_plain(dx.code)) or [{}]
            out = same.pop(0) if len(same) > 1 else same[0]
        roles.append(_role(i + 1, dx.code, dx.present_on_admission, out, titles(dx.code)))
    return tuple(roles)


class _OpportunityFinder:
    """Regroups with more specific codes of unspecified secondaries, within a call budget."""

    def __init__(
        self,
        owner: DrgGrouper,
        claim: dict[str, Any],
        raw: dict[str, Any],
        titles: _Titles,
        budget: int,
    ) -> None:
        self._owner = owner
        self._claim = claim
        self._drg = int(raw.get("final_drg") or 999)
        self._description = str(raw.get("final_drg_description") or "")
        self._titles = titles
        self._budget = budget
        self._on_claim = {claim["pdx"]["code"], *(d["code"] for d in claim["sdx"])}

    def _spend(self) -> bool:
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True

    def find(
        self, roles: Sequence[DiagnosisRole]
    ) -> tuple[tuple[DocumentationOpportunity, ...], bool]:
        """The opportunities found and whether the search finished within the budget."""
        found: list[DocumentationOpportunity] = []
        for role in roles[1:]:
            if role.level is CcLevel.MCC or "unspecified" not in role.title.lower():
                continue
            family = self._titles.family(role.code)
            candidates = [c for c in family if _plain(c) not in self._on_claim]
            levels = self._levels(candidates)
            if levels is None:
                return tuple(found), False
            current = role.level if role.acted_as else CcLevel.NONE
            for level in (CcLevel.MCC, CcLevel.CC):
                better = [c for c in candidates if levels.get(_plain(c)) is level]
                # Fully specified codes first: they are the documentation worth asking for.
                better.sort(key=lambda c: "unspecified" in self._titles(c).lower())
                if level.rank <= current.rank or not better:
                    continue
                if not self._spend():
                    return tuple(found), False
                after = self._owner._run(self._substitute(role.position, better[0]))
                drg_after = int(after.get("final_drg") or 999)
                if drg_after != self._drg and after.get("return_code") == "OK":
                    # Both levels are reported: the provider may document either acuity.
                    found.append(self._opportunity(role, level, better, after))
        return tuple(found), True

    def _levels(self, candidates: Sequence[str]) -> dict[str, CcLevel] | None:
        """The CC/MCC level of each candidate, excluded ones left out (one call per 24)."""
        levels: dict[str, CcLevel] = {}
        for start in range(0, len(candidates), _MAX_SECONDARIES):
            if not self._spend():
                return None
            chunk = candidates[start : start + _MAX_SECONDARIES]
            # CC exclusions depend on the principal only, so the candidates can share a claim.
            probe = dict(self._claim, sdx=[{"code": _plain(c)} for c in chunk])
            for out in self._owner._run(probe).get("sdx_output") or ():
                if "EXCLUDED" not in (out.get("flags") or ()):
                    levels[out.get("code", "")] = CcLevel(out.get("severity") or "NONE")
        return levels

    def _substitute(self, position: int, code: str) -> dict[str, Any]:
        sdx = [dict(d) for d in self._claim["sdx"]]
        sdx[position - 2]["code"] = _plain(code)
        return dict(self._claim, sdx=sdx)

    def _opportunity(
        self, role: DiagnosisRole, level: CcLevel, codes: Sequence[str], after: dict[str, Any]
    ) -> DocumentationOpportunity:
        drg_after = int(after.get("final_drg") or 999)
        description = after.get("final_drg_description") or ""
        shown = ", ".join(f"{c} {self._titles(c)}" for c in codes[:3])
        more = f" and {len(codes) - 3} more" if len(codes) > 3 else ""
        kind = "an MCC" if level is CcLevel.MCC else "a CC"
        message = (
            f"Query the provider: {role.code} ({role.title}) documented more specifically, "
            f"e.g. {shown}{more}, is {kind} and would change DRG {self._drg} "
            f"({self._description}) to DRG {drg_after} ({description}). Code only what the "
            "provider documents."
        )
        return DocumentationOpportunity(
            position=role.position,
            code=role.code,
            candidates=tuple(codes),
            level=level,
            drg_before=self._drg,
            drg_after=drg_after,
            description_after=description,
            message=message,
        )
