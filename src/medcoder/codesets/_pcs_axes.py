"""Read the meaning of each ICD-10-PCS character back from the code list's long descriptions.

The PCS tables (the XML that names each axis value) are not vendored; only ``code,description``
is. A PCS long description is composed from the labels of the code's axis values, so two codes
of the same table that differ in one character differ in their descriptions exactly where that
character's label is written. This module uses that:

* **characters 4-7** (body part, approach, device, qualifier and their per-section namesakes):
  for each code and position, the words where it differs from its *siblings* (codes equal in the
  other six characters) are that character's label in that code's description. The union over
  siblings is taken, stripped of connectives (``with``, ``of``, ``to``...), then stretched over
  neighbouring words that no other character claims up to a comma or connective (so
  ``Autologous Tissue`` + ``Substitute``). Each (table, position, value) takes the label most of
  its codes agree on. A value with no words (``Z``) is "No Device"/"No Qualifier"/"None".
* **character 3** (root operation / type): the words all descriptions of a table start with,
  up to the body part or a connective, e.g. ``Plain Radiography`` for ``B00``; section 0 uses
  the 31 official root operation names (its descriptions add words: "Control Bleeding in").
* **characters 1-2** (section, body system): not written in descriptions; taken from the
  published PCS structure below (every section; body systems of section 0, Medical and
  Surgical). Other sections' body systems are left unnamed rather than guessed.

The result is a heuristic. A value whose codes are all alike at the other positions (a table
with a single approach, say) has no siblings and gets no label unless it is ``Z`` or a standard
approach; such labels are None, never invented.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

__all__ = ["AXIS_NAMES", "BODY_SYSTEMS", "ROOT_OPERATIONS", "SECTIONS", "infer_labels"]

#: Section character -> section name (ICD-10-PCS Official Guidelines, A.1).
SECTIONS: dict[str, str] = {
    "0": "Medical and Surgical",
    "1": "Obstetrics",
    "2": "Placement",
    "3": "Administration",
    "4": "Measurement and Monitoring",
    "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies",
    "7": "Osteopathic",
    "8": "Other Procedures",
    "9": "Chiropractic",
    "B": "Imaging",
    "C": "Nuclear Medicine",
    "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology",
    "G": "Mental Health",
    "H": "Substance Abuse Treatment",
    "X": "New Technology",
}


def _axes(names: str) -> tuple[str, ...]:
    return tuple(names.split("|"))


_SURGICAL = _axes("Section|Body System|Root Operation|Body Part|Approach|Device|Qualifier")
_OPERATION = "Section|Body System|Root Operation|"
#: Section character -> the names of its seven axes (they differ by section).
AXIS_NAMES: dict[str, tuple[str, ...]] = {
    "0": _SURGICAL,
    "1": _SURGICAL,
    "2": _axes(_OPERATION + "Body Region|Approach|Device|Qualifier"),
    "3": _axes(_OPERATION + "Body System / Region|Approach|Substance|Qualifier"),
    "4": _axes(_OPERATION + "Body System|Approach|Function / Device|Qualifier"),
    "5": _axes(_OPERATION + "Body System|Duration|Function|Qualifier"),
    "6": _axes(_OPERATION + "Body System|Duration|Qualifier|Qualifier"),
    "7": _axes(_OPERATION + "Body Region|Approach|Method|Qualifier"),
    "8": _axes(_OPERATION + "Body Region|Approach|Method|Qualifier"),
    "9": _axes(_OPERATION + "Body Region|Approach|Method|Qualifier"),
    "B": _axes("Section|Body System|Type|Body Part|Contrast|Qualifier|Qualifier"),
    "C": _axes("Section|Body System|Type|Body Part|Radionuclide|Qualifier|Qualifier"),
    "D": _axes("Section|Body System|Modality|Treatment Site|Modality Qualifier|Isotope|Qualifier"),
    "F": _axes(
        "Section|Section Qualifier|Type|Body System / Region|Type Qualifier|Equipment|Qualifier"
    ),
    "G": _axes("Section|Body System|Type|Qualifier|Qualifier|Qualifier|Qualifier"),
    "H": _axes("Section|Body System|Type|Qualifier|Qualifier|Qualifier|Qualifier"),
    "X": _axes(_OPERATION + "Body Part|Approach|Device / Substance / Technology|Qualifier"),
}

#: Body systems of section 0 (Medical and Surgical), character 2.
BODY_SYSTEMS: dict[str, str] = {
    "00": "Central Nervous System and Cranial Nerves",
    "01": "Peripheral Nervous System",
    "02": "Heart and Great Vessels",
    "03": "Upper Arteries",
    "04": "Lower Arteries",
    "05": "Upper Veins",
    "06": "Lower Veins",
    "07": "Lymphatic and Hemic Systems",
    "08": "Eye",
    "09": "Ear, Nose, Sinus",
    "0B": "Respiratory System",
    "0C": "Mouth and Throat",
    "0D": "Gastrointestinal System",
    "0F": "Hepatobiliary System and Pancreas",
    "0G": "Endocrine System",
    "0H": "Skin and Breast",
    "0J": "Subcutaneous Tissue and Fascia",
    "0K": "Muscles",
    "0L": "Tendons",
    "0M": "Bursae and Ligaments",
    "0N": "Head and Facial Bones",
    "0P": "Upper Bones",
    "0Q": "Lower Bones",
    "0R": "Upper Joints",
    "0S": "Lower Joints",
    "0T": "Urinary System",
    "0U": "Female Reproductive System",
    "0V": "Male Reproductive System",
    "0W": "Anatomical Regions, General",
    "0X": "Anatomical Regions, Upper Extremities",
    "0Y": "Anatomical Regions, Lower Extremities",
    "10": "Pregnancy",
}

#: The 31 root operations of section 0 (character 3 means the same in every body system).
#: Descriptions write some of them with extra words ("Control Bleeding in", "Map Conduction
#: Mechanism of"), so the official names are used for this section.
ROOT_OPERATIONS: dict[str, str] = {
    "0": "Alteration",
    "1": "Bypass",
    "2": "Change",
    "3": "Control",
    "4": "Creation",
    "5": "Destruction",
    "6": "Detachment",
    "7": "Dilation",
    "8": "Division",
    "9": "Drainage",
    "B": "Excision",
    "C": "Extirpation",
    "D": "Extraction",
    "F": "Fragmentation",
    "G": "Fusion",
    "H": "Insertion",
    "J": "Inspection",
    "K": "Map",
    "L": "Occlusion",
    "M": "Reattachment",
    "N": "Release",
    "P": "Removal",
    "Q": "Repair",
    "R": "Replacement",
    "S": "Reposition",
    "T": "Resection",
    "U": "Supplement",
    "V": "Restriction",
    "W": "Revision",
    "X": "Transfer",
    "Y": "Transplantation",
}

#: Approach values shared by every section whose fifth axis is the approach.
_APPROACHES: dict[str, str] = {
    "0": "Open",
    "3": "Percutaneous",
    "4": "Percutaneous Endoscopic",
    "7": "Via Natural or Artificial Opening",
    "8": "Via Natural or Artificial Opening Endoscopic",
    "F": "Via Natural or Artificial Opening With Percutaneous Endoscopic Assistance",
    "X": "External",
}

_TOKEN = re.compile(r"[^\s,]+|,")
# Words that join labels in a description; never the first or last word of a label.
_CONNECTIVES = frozenset(
    {"with", "to", "of", "using", "into", "from", "in", "on", "for", "at", ","}
)
_MAX_SIBLINGS = 8  # enough to find a sibling that shares no edge word with the label


def _diff_span(a: list[str], b: list[str]) -> tuple[int, int]:
    """The token range of ``a`` that differs from ``b`` (common prefix and suffix removed)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    j = 0
    while j < n - i and a[-1 - j] == b[-1 - j]:
        j += 1
    return i, len(a) - j


def _trim(tokens: list[str], start: int, end: int) -> tuple[int, int]:
    while start < end and tokens[start].lower() in _CONNECTIVES:
        start += 1
    while end > start and tokens[end - 1].lower() in _CONNECTIVES:
        end -= 1
    return start, end


def _join(tokens: Iterable[str]) -> str:
    return " ".join(tokens).replace(" ,", ",")


def _empty_label(section: str, position: int) -> str:
    name = AXIS_NAMES.get(section, _SURGICAL)[position]
    if name == "Device":
        return "No Device"
    if name == "Qualifier":
        return "No Qualifier"
    return "None"


def infer_labels(descriptions: dict[str, str]) -> dict[tuple[str, int, str], str]:
    """Labels of characters 3-7 of every table, from the codes and their descriptions.

    Args:
        descriptions: PCS code -> long description, the whole code set.

    Returns:
        ``(table, position, value) -> label`` where ``table`` is the first three characters
        and ``position`` is 0-based (2 = third character ... 6 = seventh). Values whose label
        cannot be read are absent.
    """
    tokens = {code: _TOKEN.findall(text) for code, text in descriptions.items()}
    # spans[code][position] = token range of that character's label in the code's description
    spans: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    for position in range(3, 7):
        groups: dict[str, list[str]] = defaultdict(list)
        for code in tokens:
            groups[code[:position] + "_" + code[position + 1 :]].append(code)
        for members in groups.values():
            if len(members) < 2:
                continue
            for code in members:
                own = tokens[code]
                start, end = len(own), 0
                for other in members[:_MAX_SIBLINGS]:
                    if other == code:
                        continue
                    s, e = _trim(own, *_diff_span(own, tokens[other]))
                    if s < e:
                        start, end = min(start, s), max(end, e)
                spans[code][position] = (start, end) if start < end else (0, 0)

    votes: dict[tuple[str, int, str], Counter[str]] = defaultdict(Counter)
    for code, by_position in spans.items():
        own = tokens[code]
        claimed = {i for s, e in by_position.values() for i in range(s, e)}
        for position, (start, end) in by_position.items():
            if start < end:
                # Stretch over unclaimed words up to a comma or connective ("Substitute").
                while (
                    end < len(own) and end not in claimed and own[end].lower() not in _CONNECTIVES
                ):
                    end += 1
                label = _join(own[start:end])
            else:
                label = ""
            votes[(code[:3], position, code[position])][label] += 1

    labels: dict[tuple[str, int, str], str] = {}
    for key, counter in votes.items():
        table, position, value = key
        label = counter.most_common(1)[0][0]
        if label:
            labels[key] = label
    _fill_fixed_values(tokens, labels)
    _fill_root_operations(tokens, labels)
    return labels


def _fill_fixed_values(
    tokens: dict[str, list[str]], labels: dict[tuple[str, int, str], str]
) -> None:
    """Values whose meaning PCS fixes across tables override what the words suggested.

    ``Z`` is "None"/"No Device"/"No Qualifier" wherever it appears after the third character;
    approaches are one value set in every section with an approach axis; the qualifier of a
    New Technology code is its New Technology Group.
    """
    for code in tokens:
        section, table = code[0], code[:3]
        names = AXIS_NAMES.get(section, _SURGICAL)
        for position in range(3, 7):
            if code[position] == "Z":
                labels[(table, position, "Z")] = _empty_label(section, position)
        if names[4] == "Approach" and code[4] in _APPROACHES:
            labels[(table, 4, code[4])] = _APPROACHES[code[4]]
        if section == "X":
            labels[(table, 6, code[6])] = f"New Technology Group {code[6]}"


def _fill_root_operations(
    tokens: dict[str, list[str]], labels: dict[tuple[str, int, str], str]
) -> None:
    """Character 3: the words every description of the table starts with, before the body part."""
    by_table: dict[str, list[str]] = defaultdict(list)
    for code in tokens:
        by_table[code[:3]].append(code)
    body_words: dict[str, set[str]] = defaultdict(set)
    for (table, position, _), label in labels.items():
        if position == 3:
            body_words[table].update(_TOKEN.findall(label))
    for table, codes in by_table.items():
        prefix = list(tokens[codes[0]])
        for code in codes[1:]:
            own = tokens[code]
            n = 0
            while n < min(len(prefix), len(own)) and prefix[n] == own[n]:
                n += 1
            prefix = prefix[:n]
        cut = 0
        while (
            cut < len(prefix)
            and prefix[cut] not in body_words[table]
            and (prefix[cut].lower() not in _CONNECTIVES)
        ):
            cut += 1
        if table[0] == "0" and table[2] in ROOT_OPERATIONS:
            labels[(table, 2, table[2])] = ROOT_OPERATIONS[table[2]]
        elif cut:
            labels[(table, 2, table[2])] = _join(prefix[:cut])
