"""The E/M code families: codes by MDM level, time thresholds, prolonged service, age bands.

CPT code numbers only: the descriptions here are medcoder's own short wording, not the AMA
descriptors (which medcoder does not ship). Time thresholds are the minimum total minutes on
the date of the encounter that must be met or exceeded (office: CPT 2024+; hospital
inpatient/observation: CPT 2023+).
"""

from __future__ import annotations

from dataclasses import dataclass

from medcoder.coding.em.model import EmFamily, MdmLevel

__all__ = [
    "DESCRIPTIONS",
    "FAMILIES",
    "PREVENTIVE_AGE_BANDS",
    "INTERPRETED_TESTS",
    "CodeFamily",
    "Prolonged",
    "discharge_code",
    "preventive_code",
    "prolonged_units",
    "tests_reported_separately",
]

_SF, _LOW, _MOD, _HIGH = MdmLevel


@dataclass(frozen=True, slots=True)
class Prolonged:
    """A prolonged-service add-on: one unit per full 15 minutes beyond ``base`` minutes."""

    code: str
    base: int  # first unit at base + 15 minutes

    @property
    def first_unit_at(self) -> int:
        return self.base + 15


@dataclass(frozen=True, slots=True)
class CodeFamily:
    """Codes of one family by MDM level, with the minutes each code needs (None: no time)."""

    family: EmFamily
    by_level: dict[MdmLevel, str]
    minutes: dict[str, int] | None = None
    prolonged_ama: Prolonged | None = None
    prolonged_medicare: Prolonged | None = None

    def code_for(self, level: MdmLevel) -> str:
        return self.by_level[level]

    def code_for_time(self, minutes: int) -> str | None:
        """The highest code whose minimum time is met, or None (time below the lowest)."""
        if self.minutes is None:
            return None
        met = [code for code, needed in self.minutes.items() if minutes >= needed]
        return max(met, key=lambda code: self.minutes[code] if self.minutes else 0, default=None)

    @property
    def top_code(self) -> str:
        return self.by_level[MdmLevel.HIGH]

    def rank(self, code: str) -> int:
        """The position of ``code`` in the family (higher is a higher level)."""
        return sorted(set(self.by_level.values())).index(code)


FAMILIES: dict[EmFamily, CodeFamily] = {
    EmFamily.OFFICE_NEW: CodeFamily(
        EmFamily.OFFICE_NEW,
        {_SF: "99202", _LOW: "99203", _MOD: "99204", _HIGH: "99205"},
        {"99202": 15, "99203": 30, "99204": 45, "99205": 60},
        Prolonged("99417", 60),  # AMA: 75 minutes and each full 15 beyond
        Prolonged("G2212", 74),  # Medicare: 89 minutes and each full 15 beyond
    ),
    EmFamily.OFFICE_ESTABLISHED: CodeFamily(
        EmFamily.OFFICE_ESTABLISHED,
        {_SF: "99212", _LOW: "99213", _MOD: "99214", _HIGH: "99215"},
        {"99212": 10, "99213": 20, "99214": 30, "99215": 40},
        Prolonged("99417", 40),  # AMA: 55 minutes
        Prolonged("G2212", 54),  # Medicare: 69 minutes
    ),
    EmFamily.HOSPITAL_INITIAL: CodeFamily(
        EmFamily.HOSPITAL_INITIAL,
        {_SF: "99221", _LOW: "99221", _MOD: "99222", _HIGH: "99223"},
        {"99221": 40, "99222": 55, "99223": 75},
        Prolonged("99418", 75),  # AMA: 90 minutes
        Prolonged("G0316", 90),  # Medicare: 105 minutes
    ),
    EmFamily.HOSPITAL_SUBSEQUENT: CodeFamily(
        EmFamily.HOSPITAL_SUBSEQUENT,
        {_SF: "99231", _LOW: "99231", _MOD: "99232", _HIGH: "99233"},
        {"99231": 25, "99232": 35, "99233": 50},
        Prolonged("99418", 50),  # AMA: 65 minutes
        Prolonged("G0316", 65),  # Medicare: 80 minutes
    ),
    EmFamily.EMERGENCY: CodeFamily(
        EmFamily.EMERGENCY,
        {_SF: "99282", _LOW: "99283", _MOD: "99284", _HIGH: "99285"},
    ),
}

#: Preventive medicine codes by age band: (lowest age, highest age, new, established).
PREVENTIVE_AGE_BANDS: tuple[tuple[int, int, str, str], ...] = (
    (0, 0, "99381", "99391"),
    (1, 4, "99382", "99392"),
    (5, 11, "99383", "99393"),
    (12, 17, "99384", "99394"),
    (18, 39, "99385", "99395"),
    (40, 64, "99386", "99396"),
    (65, 200, "99387", "99397"),
)
_BAND_WORDS = ("under 1 year", "1-4 years", "5-11 years", "12-17 years", "18-39 years",
               "40-64 years", "65 years and over")  # fmt: skip

#: medcoder's own short wording of every code it can return.
DESCRIPTIONS: dict[str, str] = {
    "99202": "Office/outpatient visit, new patient, straightforward MDM or 15+ min",
    "99203": "Office/outpatient visit, new patient, low MDM or 30+ min",
    "99204": "Office/outpatient visit, new patient, moderate MDM or 45+ min",
    "99205": "Office/outpatient visit, new patient, high MDM or 60+ min",
    "99211": "Office/outpatient visit, established patient, nurse/staff visit",
    "99212": "Office/outpatient visit, established patient, straightforward MDM or 10+ min",
    "99213": "Office/outpatient visit, established patient, low MDM or 20+ min",
    "99214": "Office/outpatient visit, established patient, moderate MDM or 30+ min",
    "99215": "Office/outpatient visit, established patient, high MDM or 40+ min",
    "99221": "Initial hospital inpatient/observation care, straightforward/low MDM or 40+ min",
    "99222": "Initial hospital inpatient/observation care, moderate MDM or 55+ min",
    "99223": "Initial hospital inpatient/observation care, high MDM or 75+ min",
    "99231": "Subsequent hospital inpatient/observation care, straightforward/low MDM or 25+ min",
    "99232": "Subsequent hospital inpatient/observation care, moderate MDM or 35+ min",
    "99233": "Subsequent hospital inpatient/observation care, high MDM or 50+ min",
    "99238": "Hospital inpatient/observation discharge day, 30 min or less",
    "99239": "Hospital inpatient/observation discharge day, more than 30 min",
    "99281": "Emergency department visit, no physician/QHP decision making needed",
    "99282": "Emergency department visit, straightforward MDM",
    "99283": "Emergency department visit, low MDM",
    "99284": "Emergency department visit, moderate MDM",
    "99285": "Emergency department visit, high MDM",
    "99417": "Prolonged outpatient E/M by time, each 15 min beyond the top level",
    "G2212": "Prolonged outpatient E/M by time, each 15 min (Medicare)",
    "99418": "Prolonged inpatient/observation E/M by time, each 15 min beyond the top level",
    "G0316": "Prolonged hospital inpatient/observation E/M by time, each 15 min (Medicare)",
}
for _low, _high, _new, _established in PREVENTIVE_AGE_BANDS:
    _words = _BAND_WORDS[PREVENTIVE_AGE_BANDS.index((_low, _high, _new, _established))]
    DESCRIPTIONS[_new] = f"Preventive medicine visit, new patient, age {_words}"
    DESCRIPTIONS[_established] = f"Preventive medicine visit, established patient, age {_words}"


def preventive_code(age: int, *, new_patient: bool) -> str:
    """The preventive medicine code for an age in years.

    Example:
        >>> preventive_code(45, new_patient=False)
        '99396'
    """
    for low, high, new, established in PREVENTIVE_AGE_BANDS:
        if low <= age <= high:
            return new if new_patient else established
    raise ValueError(f"age must be 0 or more, got {age}")


def discharge_code(minutes: int | None) -> str:
    """99239 for more than 30 minutes, else 99238."""
    return "99239" if minutes is not None and minutes > 30 else "99238"


def prolonged_units(prolonged: Prolonged, minutes: int) -> int:
    """Units of a prolonged-service code for ``minutes`` of total time (0 when not reached).

    Example:
        >>> prolonged_units(FAMILIES[EmFamily.OFFICE_ESTABLISHED].prolonged_ama, 70)
        2
    """
    return max(0, (minutes - prolonged.base) // 15)


#: CPT codes of tests whose professional interpretation is part of the code, by the E/M
#: lexicon label of the test: when the same provider reports one, the test does not count as
#: E/M data. Radiology codes 73000-73725 (extremity x-rays) map to every "x-ray".
INTERPRETED_TESTS: dict[str, str] = {
    "93000": "ecg",
    "93010": "ecg",
    "93040": "ecg",
    "93042": "ecg",
    "94010": "spirometry",
    "94060": "spirometry",
    "71045": "chest x-ray",
    "71046": "chest x-ray",
    "71047": "chest x-ray",
    "71048": "chest x-ray",
    "93306": "echocardiogram",
    "93307": "echocardiogram",
    "93224": "holter",
    "93227": "holter",
}


def tests_reported_separately(codes: frozenset[str]) -> dict[str, str]:
    """The E/M test labels that reported ``codes`` take out of the data, by code.

    Example:
        >>> tests_reported_separately(frozenset({"93000", "73610", "99213"}))
        {'73610': 'x-ray', '93000': 'ecg'}
    """
    found: dict[str, str] = {}
    for code in sorted(codes):
        if code in INTERPRETED_TESTS:
            found[code] = INTERPRETED_TESTS[code]
        elif code.isdigit() and 73000 <= int(code) <= 73725:
            found[code] = "x-ray"
    return found
