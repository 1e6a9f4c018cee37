"""The claim scrubber: edits payers apply, run on a coded encounter."""

from medcoder.edits.encounter import (
    Diagnosis,
    Encounter,
    EncounterSetting,
    Patient,
    ServiceLine,
    encounter_json_schema,
    parse_encounter,
)
from medcoder.edits.engine import (
    EditCategory,
    EditConfig,
    EditContext,
    EditFinding,
    Editor,
    EditResult,
    EditRule,
    Severity,
    register,
    registered_rules,
)

__all__ = [
    "Diagnosis",
    "EditCategory",
    "EditConfig",
    "EditContext",
    "EditFinding",
    "EditResult",
    "EditRule",
    "Editor",
    "Severity",
    "register",
    "registered_rules",
    "Encounter",
    "EncounterSetting",
    "Patient",
    "ServiceLine",
    "encounter_json_schema",
    "parse_encounter",
]
