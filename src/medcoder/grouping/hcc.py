"""CMS-HCC V28 risk adjustment of coded encounters, through the ``hccinfhir`` package.

:func:`score` maps diagnoses to HCCs, applies the V28 hierarchies, and sums the coefficients of
the beneficiary's segment (community non-dual aged, full-dual disabled, institutional, ...)
into a RAF score, using the CMS tables ``hccinfhir`` ships for payment years 2025-2027. Every
HCC names the diagnoses that drove it, and every HCC a hierarchy dropped names the one that
superseded it.

Which diagnoses count follows CMS's encounter filtering: an inpatient stay counts all its
diagnoses; an outpatient encounter counts its diagnoses only when one of its service lines is
a risk-adjustment-eligible CPT/HCPCS code (CMS's list, as ``hccinfhir`` ships it); an
outpatient encounter without service lines has no eligible service, so none of its diagnoses
count (pass the codes directly to score them without the filter).

Example::

    result = score(["E11.9", "I50.9"], HccDemographics(age=70, sex="F"))
    result.risk_score        # 1.033 (payment year 2026)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Literal

from medcoder.edits.encounter import Encounter, EncounterSetting, Patient
from medcoder.errors import InputError

__all__ = [
    "MODEL",
    "PAYMENT_YEARS",
    "DualStatus",
    "ExcludedDiagnosis",
    "HccCategory",
    "HccDemographics",
    "HccResult",
    "RafComponent",
    "SupersededHcc",
    "score",
]

MODEL = "CMS-HCC Model V28"


@dataclass(frozen=True, slots=True)
class _YearFiles:
    dx_to_cc: str
    hierarchies: str
    coefficients: str
    eligible_services: str
    note: str = ""


# The files hccinfhir 0.4.0 ships per payment year. It has no 2027 hierarchy file (V28's
# hierarchies are the 2026 ones) and only CMS's *proposed* 2027 coefficients.
PAYMENT_YEARS: dict[int, _YearFiles] = {
    2025: _YearFiles(
        "ra_dx_to_cc_2025.csv",
        "ra_hierarchies_2025.csv",
        "ra_coefficients_2025.csv",
        "ra_eligible_cpt_hcpcs_2025.csv",
    ),
    2026: _YearFiles(
        "ra_dx_to_cc_2026.csv",
        "ra_hierarchies_2026.csv",
        "ra_coefficients_2026.csv",
        "ra_eligible_cpt_hcpcs_2026.csv",
    ),
    2027: _YearFiles(
        "ra_dx_to_cc_2027.csv",
        "ra_hierarchies_2026.csv",
        "ra_proposed_coefficients_2027.csv",
        "ra_eligible_cpt_hcpcs_2027.csv",
        note="payment year 2027 uses CMS's proposed coefficients; check the final rate notice",
    ),
}
_LABELS = "ra_labels_2026.csv"  # the only label file shipped; V28 labels do not change by year


class DualStatus(StrEnum):
    """Medicare-Medicaid dual eligibility, as the model's segments use it."""

    NONE = "none"
    PARTIAL = "partial"  # e.g. QMB only, SLMB only
    FULL = "full"  # e.g. QMB plus, SLMB plus, other full benefit


# A representative CMS dual eligibility code for each status (hccinfhir's constants).
_DUAL_CODE = {DualStatus.NONE: "00", DualStatus.PARTIAL: "01", DualStatus.FULL: "02"}

_SEGMENTS = {
    "CNA_": "community, non-dual, aged",
    "CND_": "community, non-dual, disabled",
    "CFA_": "community, full-benefit dual, aged",
    "CFD_": "community, full-benefit dual, disabled",
    "CPA_": "community, partial-benefit dual, aged",
    "CPD_": "community, partial-benefit dual, disabled",
    "INS_": "long-term institutional",
    "NE_": "new enrollee",
    "SNPNE_": "new enrollee in a special needs plan",
}


@dataclass(frozen=True, slots=True)
class HccDemographics:
    """The beneficiary facts the model's segments and interactions use.

    Defaults describe the most common beneficiary: community-dwelling, not Medicaid-eligible,
    entitled by age (not originally disabled), not a new enrollee.
    """

    age: int
    sex: Literal["M", "F"]
    dual: DualStatus = DualStatus.NONE
    institutional: bool = False  # long-term institutional (90+ days in a nursing facility)
    originally_disabled: bool = False  # original entitlement by disability (OREC 1)
    new_enrollee: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.age <= 130:
            raise InputError(f"'age' must be between 0 and 130, got {self.age}", field="age")
        if self.sex not in ("M", "F"):
            raise InputError(
                f"HCC scoring needs the beneficiary's sex, M or F, got {self.sex!r}", field="sex"
            )

    @classmethod
    def from_patient(cls, patient: Patient) -> HccDemographics:
        """The encounter's age and sex with the documented defaults for the rest."""
        sex = patient.sex.value
        if sex not in ("M", "F"):
            raise InputError(
                f"HCC scoring needs the beneficiary's sex, M or F: 'patient.sex' is {sex!r}",
                field="patient.sex",
            )
        return cls(age=patient.age, sex="M" if sex == "M" else "F")


@dataclass(frozen=True, slots=True)
class HccCategory:
    """An HCC that counts after hierarchies."""

    hcc: str  # "226"
    label: str
    coefficient: float
    diagnoses: tuple[str, ...]  # the dotted ICD-10-CM codes that map to it
    chronic: bool


@dataclass(frozen=True, slots=True)
class SupersededHcc:
    """An HCC dropped by a hierarchy (a more severe HCC of the same family counts)."""

    hcc: str
    label: str
    diagnoses: tuple[str, ...]
    superseded_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RafComponent:
    """One coefficient in the sum."""

    name: str  # "F70_74", "226", "DIABETES_HF_V28", "D2"
    kind: Literal["demographic", "hcc", "interaction", "count"]
    coefficient: float


@dataclass(frozen=True, slots=True)
class ExcludedDiagnosis:
    """A diagnosis left out by the encounter filter, and why."""

    code: str
    encounter_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class HccResult:
    """The V28 HCCs and RAF score of a beneficiary for a payment year."""

    model: str
    payment_year: int
    demographics: HccDemographics
    segment: str  # "community, non-dual, aged"
    risk_score: float  # the sum of every component (no coding-intensity or normalization)
    demographic_score: float
    hcc_score: float  # risk_score - demographic_score
    hccs: tuple[HccCategory, ...]
    superseded: tuple[SupersededHcc, ...]
    components: tuple[RafComponent, ...]
    diagnoses_counted: tuple[str, ...]
    diagnoses_without_hcc: tuple[str, ...]
    excluded: tuple[ExcludedDiagnosis, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Tables:
    dx_to_cc: dict[Any, Any]
    hierarchies: dict[Any, Any]
    coefficients: dict[Any, Any]
    eligible: frozenset[str]
    chronic: dict[Any, Any]
    labels: dict[Any, Any]


@lru_cache(maxsize=1)
def _hccinfhir() -> Any:
    """The parts of ``hccinfhir`` used here, imported on first use.

    Imported lazily because its import reads its default tables (~0.3 s), and inside a
    warnings filter because it reads them with ``importlib.resources.path``, which Python 3.11
    deprecates: that DeprecationWarning is the package's, not a problem of the caller.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import hccinfhir  # type: ignore[import-untyped]
        from hccinfhir import defaults, model_coefficients, utils

    return SimpleNamespace(
        ServiceLevelData=hccinfhir.ServiceLevelData,
        apply_filter=hccinfhir.apply_filter,
        calculate_raf=hccinfhir.calculate_raf,
        edits=defaults.edits_default,
        segment_prefix=model_coefficients.get_coefficent_prefix,
        utils=utils,
    )


@lru_cache(maxsize=3)
def _tables(payment_year: int) -> _Tables:
    files = PAYMENT_YEARS[payment_year]
    utils = _hccinfhir().utils
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # see _hccinfhir
        return _Tables(
            dx_to_cc=utils.load_dx_to_cc_mapping(files.dx_to_cc),
            hierarchies=utils.load_hierarchies(files.hierarchies),
            coefficients=utils.load_coefficients(files.coefficients),
            eligible=frozenset(utils.load_proc_filtering(files.eligible_services)),
            chronic=utils.load_is_chronic("hcc_is_chronic.csv"),
            labels=utils.load_labels(_LABELS),
        )


def _plain(code: str) -> str:
    return code.replace(".", "").replace(" ", "").upper()


def _dotted(code: str) -> str:
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _filter(
    encounter: Encounter, tables: _Tables, year: int
) -> tuple[list[str], list[ExcludedDiagnosis]]:
    """The diagnoses of one encounter that count, and the ones left out with the reason."""
    codes = [_plain(d.code) for d in encounter.diagnoses]
    if encounter.setting is EncounterSetting.INPATIENT:
        return codes, []
    if not encounter.lines:
        reason = (
            "outpatient encounter without service lines: CMS counts diagnoses only from a "
            "risk-adjustment-eligible service (add the CPT/HCPCS lines, or score the codes "
            "directly)"
        )
    else:
        # Outpatient hospital claims are filtered as bill type 13X, office claims as
        # professional claims; both keep only lines with an eligible CPT/HCPCS code.
        facility = ("1", "3") if encounter.setting is EncounterSetting.OUTPATIENT_HOSPITAL else None
        lines = [
            _hccinfhir().ServiceLevelData(
                procedure_code=line.code,
                claim_diagnosis_codes=codes,
                facility_type=facility[0] if facility else None,
                service_type=facility[1] if facility else None,
            )
            for line in encounter.lines
        ]
        if _hccinfhir().apply_filter(lines, professional_cpt=tables.eligible):
            return codes, []
        services = ", ".join(line.code for line in encounter.lines)
        reason = (
            f"no service line is risk-adjustment eligible for payment year {year} "
            f"({services} not on CMS's CPT/HCPCS list)"
        )
    return [], [ExcludedDiagnosis(_dotted(c), encounter.id, reason) for c in codes]


def _component_kind(
    name: str, category: str | None, hccs: set[str]
) -> Literal["demographic", "hcc", "interaction", "count"]:
    if name == category:
        return "demographic"
    if name in hccs:
        return "hcc"
    if name[:1] == "D" and name[1:].isdigit():
        return "count"
    return "interaction"


def score(
    source: Encounter | Sequence[Encounter] | Sequence[str],
    demographics: HccDemographics | None = None,
    *,
    payment_year: int = 2026,
) -> HccResult:
    """CMS-HCC V28 HCCs and RAF score.

    Args:
        source: one encounter, several encounters of the same beneficiary (their diagnoses
            pooled, as CMS does over a year), or ICD-10-CM codes given directly (no filter).
        demographics: the beneficiary; by default the first encounter's age and sex with the
            :class:`HccDemographics` defaults (community, non-dual, aged).
        payment_year: 2025, 2026 or 2027 (proposed coefficients).

    Returns:
        An :class:`HccResult`.

    Raises:
        InputError: an unsupported payment year, no demographics for bare codes, a sex the
            model cannot use, or an empty code.
    """
    if payment_year not in PAYMENT_YEARS:
        years = ", ".join(str(y) for y in PAYMENT_YEARS)
        raise InputError(
            f"HCC payment year must be one of {years} (the CMS tables hccinfhir ships), "
            f"got {payment_year}",
            field="payment_year",
        )
    tables = _tables(payment_year)
    encounters, codes = _split(source)
    notes: list[str] = []
    excluded: list[ExcludedDiagnosis] = []
    counted: list[str] = list(codes)
    for encounter in encounters:
        kept, left = _filter(encounter, tables, payment_year)
        counted.extend(kept)
        excluded.extend(left)
        if encounter.dos.year != payment_year - 1:
            notes.append(
                f"encounter {encounter.id or '(no id)'} is from {encounter.dos.year}: payment "
                f"year {payment_year} is based on dates of service in {payment_year - 1}"
            )
    if demographics is None:
        if not encounters:
            raise InputError(
                "HCC scoring of bare diagnosis codes needs the beneficiary's demographics "
                "(age and sex)",
                field="demographics",
            )
        demographics = HccDemographics.from_patient(encounters[0].patient)
    if PAYMENT_YEARS[payment_year].note:
        notes.append(PAYMENT_YEARS[payment_year].note)
    unique = list(dict.fromkeys(counted))
    raf = _hccinfhir().calculate_raf(
        diagnosis_codes=unique,
        model_name=MODEL,
        age=demographics.age,
        sex=demographics.sex,
        dual_elgbl_cd=_DUAL_CODE[demographics.dual],
        orec="1" if demographics.originally_disabled else "0",
        crec="0",
        new_enrollee=demographics.new_enrollee,
        lti=demographics.institutional,
        dx_to_cc_mapping=tables.dx_to_cc,
        is_chronic_mapping=tables.chronic,
        hierarchies_mapping=tables.hierarchies,
        coefficients_mapping=tables.coefficients,
        labels_mapping=tables.labels,
        edits_mapping=_hccinfhir().edits,
    )
    return _result(raf, tables, demographics, payment_year, unique, excluded, notes)


def _split(
    source: Encounter | Sequence[Encounter] | Sequence[str],
) -> tuple[list[Encounter], list[str]]:
    if isinstance(source, Encounter):
        return [source], []
    encounters = [s for s in source if isinstance(s, Encounter)]
    codes = [s for s in source if isinstance(s, str)]
    for i, code in enumerate(codes):
        if not _plain(code):
            raise InputError(f"'codes[{i}]' is empty", field=f"codes[{i}]")
    return encounters, [_plain(c) for c in codes]


def _hcc_key(hcc: str) -> tuple[int, str]:
    return (int(hcc) if hcc.isdigit() else 10**6, hcc)


def _result(
    raf: Any,
    tables: _Tables,
    demographics: HccDemographics,
    year: int,
    counted: list[str],
    excluded: list[ExcludedDiagnosis],
    notes: list[str],
) -> HccResult:
    kept = set(raf.hcc_list)
    cc_to_dx: dict[str, set[str]] = raf.cc_to_dx

    def label(hcc: str) -> str:
        return str(tables.labels.get((hcc, MODEL), ""))

    def diagnoses(hcc: str) -> tuple[str, ...]:
        return tuple(sorted(_dotted(c) for c in cc_to_dx.get(hcc, ())))

    hccs = tuple(
        HccCategory(
            hcc=hcc,
            label=label(hcc),
            coefficient=float(raf.coefficients.get(hcc, 0.0)),
            diagnoses=diagnoses(hcc),
            chronic=bool(tables.chronic.get((hcc, MODEL), False)),
        )
        for hcc in sorted(kept, key=_hcc_key)
    )
    superseded = tuple(
        SupersededHcc(
            hcc=hcc,
            label=label(hcc),
            diagnoses=diagnoses(hcc),
            superseded_by=tuple(
                sorted(
                    (p for p in kept if hcc in tables.hierarchies.get((p, MODEL), ())),
                    key=_hcc_key,
                )
            ),
        )
        for hcc in sorted(set(cc_to_dx) - kept, key=_hcc_key)
    )
    category = raf.demographics.category
    order = {"demographic": 0, "hcc": 1, "interaction": 2, "count": 3}
    components = tuple(
        sorted(
            (
                RafComponent(name, _component_kind(name, category, kept), float(value))
                for name, value in raf.coefficients.items()
            ),
            key=lambda c: (order[c.kind], _hcc_key(c.name) if c.kind == "hcc" else (0, c.name)),
        )
    )
    mapped = {c for codes in cc_to_dx.values() for c in codes}
    prefix = _hccinfhir().segment_prefix(raf.demographics, MODEL)
    return HccResult(
        model="CMS-HCC V28",
        payment_year=year,
        demographics=demographics,
        segment=_SEGMENTS.get(prefix, prefix.rstrip("_")),
        risk_score=round(float(raf.risk_score), 3),
        demographic_score=round(float(raf.risk_score_demographics), 3),
        hcc_score=round(float(raf.risk_score_hcc), 3),
        hccs=hccs,
        superseded=superseded,
        components=components,
        diagnoses_counted=tuple(_dotted(c) for c in counted),
        diagnoses_without_hcc=tuple(_dotted(c) for c in counted if c not in mapped),
        excluded=tuple(excluded),
        notes=tuple(notes),
    )
