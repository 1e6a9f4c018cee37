"""A stored service line (a CPT/HCPCS :class:`~medcoder.store.models.CodeAssignment`) as the
edits and the claim read it: modifiers, units and diagnosis pointers into the *final* codes.

The engine points a line at the diagnoses that justify it by code (``detail.diagnosis_codes``);
positions change once a coder rejects, changes or adds diagnoses, so the pointers are resolved
against the final diagnosis list each time the codes are read, never stored as positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_POINTERS", "line_fields", "resolve_pointers"]

#: A professional claim line points to at most four diagnoses (SV107).
MAX_POINTERS = 4


def _norm(code: str) -> str:
    return code.replace(".", "").strip().upper()


def resolve_pointers(
    diagnosis_codes: Sequence[str], final_diagnoses: Sequence[tuple[str, str | None]]
) -> list[int]:
    """1-based positions in ``final_diagnoses`` of the codes a line points to, in its order.

    ``final_diagnoses`` holds ``(code, replaced_code)`` per billed diagnosis in claim order: a
    line that pointed at a code the coder changed follows it to the replacement. Codes no longer
    billed are dropped (the edits then report a line without a pointer, for the coder to fix).
    """
    positions: list[int] = []
    for wanted in map(_norm, diagnosis_codes):
        for i, (code, replaced) in enumerate(final_diagnoses, start=1):
            if wanted in (_norm(code), _norm(replaced or "")) and i not in positions:
                positions.append(i)
                break
    return positions[:MAX_POINTERS]


def line_fields(
    code: str, detail: Mapping[str, Any], final_diagnoses: Sequence[tuple[str, str | None]]
) -> dict[str, Any]:
    """The service line of the encounter format (``medcoder.edits.encounter.ServiceLine``).

    Pointers come from ``detail.diagnosis_codes`` (what the engine and the API store); a row
    written with only ``detail.diagnosis_pointers`` is taken to hold positions in the final
    diagnoses already.
    """
    if "diagnosis_codes" in detail:
        pointers = resolve_pointers([str(c) for c in detail["diagnosis_codes"]], final_diagnoses)
    else:
        stored = [int(p) for p in detail.get("diagnosis_pointers", [])]
        pointers = [p for p in stored if 0 < p <= len(final_diagnoses)][:MAX_POINTERS]
    return {
        "code": code,
        "modifiers": [str(m) for m in detail.get("modifiers", [])],
        "units": int(detail.get("units", 1)),
        "diagnosis_pointers": pointers,
    }
