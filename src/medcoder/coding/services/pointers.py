"""Diagnosis pointers: each service line points to the diagnoses that justify it, in order.

A diagnosis justifies a service when it belongs to the service's family (cerumen removal ->
H61.2-, ECG -> cardiac and chest symptoms, vaccine -> Z23, joint injection -> musculoskeletal
codes ...) and is ranked by how close its evidence lies to the service's: same sentence,
same list item, same section, anywhere. Services without a family (or whose family no
assigned diagnosis matches) take the diagnoses documented in the same sentence or list item;
failing that the first-listed diagnosis, with a warning for the coder. At most four pointers
(the 837 limit), 1-based positions in the assigned diagnoses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from medcoder.coding.result import CodeSuggestion, Evidence
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.notes import Note

__all__ = ["DIAGNOSIS_FAMILIES", "assign_pointers", "family_of"]

_VACCINE = ("Z23",)
_SKIN_BIOPSY = ("C43", "C44", "C4A", "D03", "D04", "D22", "D23", "D48", "D49", "L", "R22", "R23")
_JOINT = ("M", "S", "G89")
_HYDRATION = ("E86", "E87", "R11", "A08", "A09", "K52", "N17", "R50", "T67", "E16", "E10", "E11")
_STEROID = ("J45", "J44", "J30", "J01", "J02", "J03", "J06", "J20", "H66", "M", "L", "T78",
            "R21", "R06")  # fmt: skip

#: Service code (or code prefix) -> ICD-10-CM code prefixes (without dots) that justify it.
DIAGNOSIS_FAMILIES: dict[str, tuple[str, ...]] = {
    "69209": ("H612",), "69210": ("H612",), "G0268": ("H612",),
    "9300": ("I", "R00", "R01", "R03", "R06", "R07", "R42", "R55", "Z0181", "E875", "E876"),
    "93010": ("I", "R00", "R01", "R03", "R06", "R07", "R42", "R55", "Z0181", "E875", "E876"),
    "36415": ("E08", "E10", "E11", "E13", "E78", "E03", "E05", "E55", "D5", "D6", "I10", "N18",
              "R53", "R73", "Z13", "Z79", "Z00", "R7"),
    "8100": ("N39", "R30", "R31", "R35", "R39", "N30", "N10", "N20", "R10", "R82", "N28", "O",
             "Z34"),
    "87880": ("J02", "J03", "J06", "J36", "R50", "R070", "Z2081"),
    "87804": ("J09", "J10", "J11", "J06", "J20", "J18", "R50", "R05", "R52", "Z2082"),
    "87811": ("U071", "Z20822", "R05", "R50", "J06", "J12", "R06", "R43", "J20"),
    "87635": ("U071", "Z20822", "R05", "R50", "J06", "J12", "R06", "R43", "J20"),
    "82962": ("E08", "E09", "E10", "E11", "E13", "E16", "R73", "O24", "R53", "R42"),
    "82947": ("E08", "E09", "E10", "E11", "E13", "E16", "R73", "O24", "R53", "R42"),
    "940": ("J44", "J45", "J43", "J41", "J42", "J84", "J98", "R06", "R05", "Z0181"),
    "904": _VACCINE, "906": _VACCINE, "907": _VACCINE, "G0008": _VACCINE, "G0009": _VACCINE,
    "G0010": _VACCINE,
    "G0438": ("Z00", "Z13", "Z71"), "G0439": ("Z00", "Z13", "Z71"), "G0402": ("Z00", "Z13"),
    "1110": _SKIN_BIOPSY,
    "17000": ("L57", "L56"), "17003": ("L57", "L56"), "17004": ("L57", "L56"),
    "1711": ("B07", "B08", "L82", "A63", "D23", "L85"),
    "206": _JOINT,
    "1190": ("L91", "L90", "L40", "L63", "L28", "L30", "L20", "L21", "L71", "L73"),
    "1006": ("L02", "L03", "L05", "L08", "L72", "L73"),
    "120": ("S", "T0", "T1"),
    "1172": ("B351", "L602", "L603", "L608", "L609", "L84", "E08", "E10", "E11", "E13", "I70",
             "I73"),
    "1173": ("L60", "B351", "L03", "S9", "S6"), "11750": ("L60", "B351", "L03"),
    # drugs, by J-code
    "J0696": ("A", "B", "J", "N39", "N10", "L0", "H66", "A54"),
    "J1885": ("M", "R51", "G43", "G44", "R10", "G89", "N23", "N20", "S", "M54"),
    "J2405": ("R11", "K52", "A08", "G43", "K29"), "J2550": ("R11", "K52", "A08", "G43", "K29"),
    "J3420": ("D51", "E538", "D52", "K90", "E53"),
    "J1050": ("Z30", "N92", "N93", "N94", "N80"),
    "J1071": ("E29", "E23", "E89"),
    "J0171": ("T78", "T88", "T63", "L50", "J45"), "J1200": ("T78", "T88", "L50", "L23", "R21"),
    "J1100": _STEROID, "J1020": _STEROID, "J1030": _STEROID, "J1040": _STEROID,
    "J2920": _STEROID, "J2930": _STEROID, "J3301": _STEROID, "J0702": _STEROID,
    "J0561": ("A5", "J02", "J03", "I00", "I01", "I02"),
    "9636": _HYDRATION, "J7030": _HYDRATION, "J7040": _HYDRATION, "J7050": _HYDRATION,
}  # fmt: skip

_ADMIN = frozenset({ServiceKind.ADMINISTRATION, ServiceKind.VACCINE_ADMIN})


def family_of(code: str) -> tuple[str, ...]:
    """The diagnosis prefixes that justify ``code`` (longest matching key), or ``()``."""
    for size in range(len(code), 2, -1):
        found = DIAGNOSIS_FAMILIES.get(code[:size])
        if found is not None:
            return found
    return ()


def _proximity(note: Note, service: Sequence[Evidence], diagnosis: Sequence[Evidence]) -> int:
    """0 same sentence, 1 same list item, 2 same section, 3 elsewhere (best over the spans)."""
    best = 3
    for s in service:
        s_sentence = note.sentence_at(s.start)
        s_section = note.section_at(s.start)
        s_item = next((i for i in note.list_items if i.start <= s.start < i.end), None)
        for d in diagnosis:
            if s_sentence is not None and s_sentence.start <= d.start < s_sentence.end:
                return 0
            if s_item is not None and s_item.start <= d.start < s_item.end:
                best = min(best, 1)
            elif note.section_at(d.start) == s_section:
                best = min(best, 2)
    return best


def _match_length(code: str, family: tuple[str, ...]) -> int:
    """The length of the longest family prefix ``code`` starts with (0: not in the family)."""
    plain = code.replace(".", "")
    return max((len(p) for p in family if plain.startswith(p)), default=0)


_WORD = re.compile(r"[a-z]{4,}")
_GENERIC_WORDS = frozenset(
    {"acute", "chronic", "with", "without", "unspecified", "other", "more",
     "than", "type", "history", "patient", "today", "given", "performed", "stable", "primary",
     "encounter", "disease", "disorder", "pain"}
)  # fmt: skip


def _overlap(note: Note, service: Sequence[Evidence], diagnosis: Sequence[Evidence]) -> int:
    """Words of four letters or more shared by the service's sentences and the diagnosis."""
    words: set[str] = set()
    for s in service:
        sentence = note.sentence_at(s.start)
        words |= set(_WORD.findall(note.text_of(sentence).lower() if sentence else s.text.lower()))
    shared = words & {w for d in diagnosis for w in _WORD.findall(d.text.lower())}
    return len(shared - _GENERIC_WORDS)


def _strong(line: CodedService, diagnoses: Sequence[CodeSuggestion]) -> set[int]:
    family = family_of(line.code)
    return {p for p, dx in enumerate(diagnoses, 1) if _match_length(dx.code, family) >= 3}


def _pointers_for(
    line: CodedService,
    note: Note,
    diagnoses: Sequence[CodeSuggestion],
    claimed_elsewhere: set[int],
) -> tuple[tuple[int, ...], str]:
    family = family_of(line.code)
    ranked = []
    for position, dx in enumerate(diagnoses, 1):
        length = _match_length(dx.code, family)
        if length and length < 3 and position in claimed_elsewhere:
            length = 0  # a broad match ("L") loses a diagnosis another line names exactly
        proximity = _proximity(note, line.evidence, dx.evidence)
        overlap = _overlap(note, line.evidence, dx.evidence)
        ranked.append((length, proximity, -overlap, position))
    # A specific family match (D48.5 for a biopsy) before a broad one (any L code).
    in_family = sorted((length < 3, r, o, p) for length, r, o, p in ranked if length)
    if in_family:
        return tuple(p for _, _, _, p in in_family[:4]), ""
    near = sorted((r, o, p) for _, r, o, p in ranked if r <= 1)
    if near:
        return tuple(p for _, _, p in near[:4]), ""
    named = sorted((o, p) for _, _, o, p in ranked if o < 0)  # "NS ... for dehydration"
    if named:
        return tuple(p for _, p in named[:4]), ""
    return (1,), (
        f"{line.code}: no assigned diagnosis supports it (documented near it or of its kind); "
        f"pointed to the first-listed {diagnoses[0].code}: check medical necessity"
    )


def assign_pointers(
    lines: Sequence[CodedService], note: Note, diagnoses: Sequence[CodeSuggestion]
) -> tuple[list[CodedService], list[str]]:
    """The lines with their diagnosis pointers, and warnings where a pointer is a fallback.

    Args:
        lines: Service lines.
        note: The parsed note (evidence offsets refer to it).
        diagnoses: The assigned diagnoses, first-listed first (pointer 1 is the first).
    """
    if not diagnoses:
        return list(lines), (
            ["no assigned diagnosis: service lines have no pointers"] if lines else []
        )
    out: list[CodedService] = []
    warnings: list[str] = []
    by_start: dict[int, tuple[int, ...]] = {}
    strong = [_strong(line, diagnoses) for line in lines]
    for index, line in enumerate(lines):
        if line.kind in _ADMIN:
            continue
        elsewhere = set().union(*(s for i, s in enumerate(strong) if i != index))
        pointers, warning = _pointers_for(line, note, diagnoses, elsewhere)
        if line.kind is ServiceKind.DRUG and not warning:
            for evidence in line.evidence:
                by_start.setdefault(evidence.start, pointers)
        if warning:
            warnings.append(warning)
        out.append(replace(line, diagnosis_pointers=pointers))
    result: list[CodedService] = []
    done = iter(out)
    for line in lines:
        if line.kind not in _ADMIN:
            result.append(next(done))
            continue
        inherited = [by_start[e.start] for e in line.evidence if e.start in by_start]
        if inherited and line.kind is ServiceKind.ADMINISTRATION:
            merged: list[int] = []
            for group in inherited:
                merged.extend(p for p in group if p not in merged)
            result.append(replace(line, diagnosis_pointers=tuple(merged[:4])))
            continue
        pointers, warning = _pointers_for(line, note, diagnoses, set())
        if warning:
            warnings.append(warning)
        result.append(replace(line, diagnosis_pointers=pointers))
    return result, warnings
