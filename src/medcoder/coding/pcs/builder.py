"""Build one ICD-10-PCS code axis by axis, each step restricted to what the code set allows.

A :class:`Plan` says what the note documents for one procedure (section and root operation or
type, the body part words with their side, and cues for approach, contrast, device and
qualifier). :meth:`AxisBuilder.build` walks the characters in order; at each one it asks the
knowledge base which values can follow the characters chosen so far and takes, in order:

1. the value the procedure word itself fixes (``colonoscopy`` -> via natural opening endoscopic);
2. the value the note's words name (``laparoscopic`` -> percutaneous endoscopic);
3. the only value the table allows;
4. "No Device" / "No Qualifier" when the note names none and the table allows it.

Anything else stops the walk with a query that names the axis and lists the candidates: the
note is not guessed at. The result then carries the prefix built so far.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from medcoder.codesets._pcs_axes import AXIS_NAMES
from medcoder.codesets.icd10pcs import Icd10pcs, PcsAxisValue
from medcoder.coding.pcs.result import PcsAxisChoice

__all__ = ["AxisBuilder", "BodyWord", "BuildOutcome", "Cue", "Plan", "label_key"]

_SIDES = {"right": "right", "left": "left", "bilateral": "bilateral"}
_NOISE = re.compile(r"[^a-z0-9 ]+")
# Sections whose 5th character is an approach (the others: contrast, duration, ...).
_APPROACH_SECTIONS = frozenset("012347890FX")
# Imaging types done without contrast unless the note says otherwise (plain radiography,
# ultrasonography); CT and MRI often use contrast, so there the note must say.
_CONTRAST_RARE = frozenset("04")
# Root operations that usually put a device in (Dilation, Bypass, Reposition, Insertion,
# Replacement, Supplement): without device words the device axis is queried.
_DEVICE_OPERATIONS = frozenset("71SHRU")


@lru_cache(maxsize=8192)
def label_key(label: str) -> tuple[tuple[str, ...], str | None]:
    """A label's words without side words, and its side: ``"Left Radius"`` ->
    ``(("radius",), "left")``."""
    words = _NOISE.sub(" ", label.lower()).split()
    side = next((_SIDES[w] for w in words if w in _SIDES), None)
    kept = tuple(w[:-1] if len(w) > 4 and w.endswith("s") else w for w in words if w not in _SIDES)
    return kept, side


@dataclass(frozen=True, slots=True)
class Cue:
    """Words of the note that name an axis value (``text`` as written, with offsets)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class BodyWord:
    """Anatomical words and the body part labels they may mean, in order of preference."""

    labels: tuple[str, ...]
    cue: Cue
    side: str | None = None
    side_cue: Cue | None = None
    parts: tuple[tuple[str, ...], ...] = ()
    refines: bool = False  # only a more precise value in the table the other words decide


@dataclass(frozen=True, slots=True)
class Plan:
    """What the note documents for one procedure."""

    section: str
    operation: str
    systems: str = ""
    body: tuple[BodyWord, ...] = ()
    fixed: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> (value, why)
    approach: tuple[tuple[str, Cue], ...] = ()
    contrast: tuple[str, Cue] | None = None  # "Z" none, "any" some contrast
    device_labels: tuple[tuple[str, Cue], ...] = ()
    qualifier_labels: tuple[tuple[str, Cue], ...] = ()


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """The code built (7 characters when complete) and, if it stopped, why."""

    prefix: str
    axes: tuple[PcsAxisChoice, ...]
    cues: tuple[Cue, ...]
    missing_axis: str = ""
    missing_position: int = 0
    candidates: tuple[PcsAxisValue, ...] = ()

    @property
    def complete(self) -> bool:
        return len(self.prefix) == 7


class AxisBuilder:
    """Builds codes over ``kb.pcs`` (caches the tables it reads)."""

    def __init__(self, pcs: Icd10pcs) -> None:
        self._pcs = pcs
        self._next: dict[str, tuple[PcsAxisValue, ...]] = {}
        self._by_key: dict[str, dict[tuple[str, ...], list[PcsAxisValue]]] = {}

    def _body_values(self, table: str, key: tuple[str, ...]) -> list[PcsAxisValue]:
        """The table's body-part values whose label reads ``key`` (side words aside)."""
        if table not in self._by_key:
            index: dict[tuple[str, ...], list[PcsAxisValue]] = {}
            for v in self.next_values(table):
                if v.label is not None:
                    index.setdefault(label_key(v.label)[0], []).append(v)
            self._by_key[table] = index
        return self._by_key[table].get(key, [])

    def next_values(self, prefix: str) -> tuple[PcsAxisValue, ...]:
        if prefix not in self._next:
            self._next[prefix] = self._pcs.next_values(prefix)
        return self._next[prefix]

    def tables(self, section: str, operation: str, systems: str = "") -> list[str]:
        """Tables (first three characters) of a section with that root operation / type."""
        found = []
        for system in self.next_values(section):
            if systems and system.value not in systems:
                continue
            if any(v.value == operation for v in self.next_values(section + system.value)):
                found.append(section + system.value + operation)
        if systems:
            found.sort(key=lambda t: systems.index(t[1]))
        return found

    def build(self, plan: Plan) -> BuildOutcome:
        names = AXIS_NAMES.get(plan.section, AXIS_NAMES["0"])
        tables = self.tables(plan.section, plan.operation, plan.systems)
        if not tables:
            return BuildOutcome(plan.section, (), (), names[1], 2)
        cues: list[Cue] = []
        if 4 in plan.fixed:
            value, why = plan.fixed[4]
            table = next(
                (t for t in tables if any(v.value == value for v in self.next_values(t))), None
            )
            if table is None:
                return BuildOutcome(plan.section, (), (), names[3], 4)
            label = next((v.label for v in self.next_values(table) if v.value == value), None)
            body = PcsAxisChoice(4, names[3], value, label, "lexicon", why)
        else:
            chosen = self._refined_body(tables, plan.body, names[3], plan.systems)
            if isinstance(chosen, BuildOutcome):
                return chosen
            table, body, body_cues = chosen
            cues.extend(body_cues)
        axes = [
            PcsAxisChoice(1, names[0], table[0], None, "lexicon"),
            PcsAxisChoice(2, names[1], table[1], None, "lexicon"),
            PcsAxisChoice(3, names[2], table[2], None, "lexicon"),
            body,
        ]
        prefix = table + body.value
        for position in (5, 6, 7):
            values = self.next_values(prefix)
            choice = self._choose(plan, position, names[position - 1], values)
            if choice is None:
                return BuildOutcome(
                    prefix, tuple(axes), tuple(cues), names[position - 1], position, values
                )
            axis, cue = choice
            axes.append(axis)
            if cue is not None:
                cues.append(cue)
            prefix += axis.value
        return BuildOutcome(prefix, tuple(axes), tuple(cues))

    def _refined_body(
        self, tables: Sequence[str], words: Sequence[BodyWord], axis: str, systems: str
    ) -> tuple[str, PcsAxisChoice, list[Cue]] | BuildOutcome:
        refining = [w for w in words if w.refines]
        base = self._body(tables, [w for w in words if not w.refines], axis, systems)
        if refining and not isinstance(base, BuildOutcome):
            # "sigmoid colectomy": Sigmoid Colon in the table "colectomy" decides, 0DT.
            precise = self._body([base[0]], refining, axis, systems)
            if not isinstance(precise, BuildOutcome):
                return precise
        return base

    def _body(
        self, tables: Sequence[str], words: Sequence[BodyWord], axis: str, systems: str = ""
    ) -> tuple[str, PcsAxisChoice, list[Cue]] | BuildOutcome:
        ambiguous: BuildOutcome | None = None
        for word in words:
            for raw in word.labels:
                system, _, label = raw.rpartition(":")
                if system.startswith("+"):
                    # Opt-in label ("+H:Foot Skin"): only for a procedure word that names
                    # that body system (a skin biopsy), never as a fallback.
                    system = system[1:]
                    if not systems or not set(system) <= set(systems):
                        continue
                want, _ = label_key(label)
                for table in tables:
                    if system and table[1] not in system:
                        continue
                    matches = self._body_values(table, want)
                    if not matches:
                        continue
                    side = word.side
                    if side is None and table[0] == "B" and len(matches) > 1:
                        # Imaging of a paired organ with no side named covers both.
                        side = "bilateral"
                    picked = _by_side(matches, side)
                    if picked is None:
                        if ambiguous is None:
                            ambiguous = BuildOutcome(
                                table, (), (word.cue,), axis + " (laterality)", 4, tuple(matches)
                            )
                        continue
                    cues = [word.cue] + ([word.side_cue] if word.side_cue else [])
                    return (
                        table,
                        PcsAxisChoice(4, axis, picked.value, picked.label, "note", word.cue.text),
                        cues,
                    )
            if ambiguous is not None:
                # The nearest organ is named without its side: ask, do not fall back on
                # another organ further away in the sentence.
                return ambiguous
        return BuildOutcome(tables[0][:3] if len(tables) == 1 else tables[0][0], (), (), axis, 4)

    def _choose(
        self, plan: Plan, position: int, axis: str, values: tuple[PcsAxisValue, ...]
    ) -> tuple[PcsAxisChoice, Cue | None] | None:
        by_value = {v.value: v for v in values}
        if position in plan.fixed and plan.fixed[position][0] in by_value:
            value, why = plan.fixed[position]
            return PcsAxisChoice(position, axis, value, by_value[value].label, "lexicon", why), None
        noted = self._from_note(plan, position, values)
        if noted is not None:
            found, cue = noted
            return (
                PcsAxisChoice(position, axis, found.value, found.label, "note", cue.text),
                cue,
            )
        if len(values) == 1:
            only = values[0]
            return PcsAxisChoice(position, axis, only.value, only.label, "only value"), None
        if (
            "Z" in by_value
            and position == 5
            and plan.section == "B"
            and plan.operation in _CONTRAST_RARE
            and plan.contrast is None
        ):
            # Plain films and ultrasound are done without contrast unless the note says so.
            return PcsAxisChoice(position, axis, "Z", by_value["Z"].label, "none documented"), None
        if position == 6 and plan.section == "0" and plan.operation in _DEVICE_OPERATIONS:
            # Stents, grafts, fixation: "no device" is not assumed when the note names none.
            return None
        if "Z" in by_value and position >= 6:
            return PcsAxisChoice(position, axis, "Z", by_value["Z"].label, "none documented"), None
        return None

    def _from_note(
        self, plan: Plan, position: int, values: tuple[PcsAxisValue, ...]
    ) -> tuple[PcsAxisValue, Cue] | None:
        by_value = {v.value: v for v in values}
        if position == 5 and plan.section in _APPROACH_SECTIONS:
            for value, cue in plan.approach:
                if value in by_value:
                    return by_value[value], cue
        if position == 5 and plan.section == "B" and plan.contrast is not None:
            kind, cue = plan.contrast
            if kind == "Z" and "Z" in by_value:
                return by_value["Z"], cue
            with_contrast = [v for v in values if v.value != "Z"]
            if kind == "any" and len(with_contrast) == 1:
                return with_contrast[0], cue
        if position == 6 and plan.section == "0":
            picked = _by_labels(values, plan.device_labels)
            if picked is not None:
                return picked
        if position == 7:
            picked = _by_labels(values, plan.qualifier_labels)
            if picked is not None:
                return picked
        return None


def _by_side(matches: Sequence[PcsAxisValue], side: str | None) -> PcsAxisValue | None:
    if len(matches) == 1:
        return matches[0]
    sides = {label_key(v.label or "")[1]: v for v in matches}
    if side is not None and side in sides:
        return sides[side]
    return sides.get(None)


def _by_labels(
    values: tuple[PcsAxisValue, ...], wanted: Sequence[tuple[str, Cue]]
) -> tuple[PcsAxisValue, Cue] | None:
    for label, cue in wanted:
        if len(label) == 1:
            hit = next((v for v in values if v.value == label), None)
        else:
            key = label_key(label)[0]
            hit = next((v for v in values if v.label and label_key(v.label)[0] == key), None)
        if hit is not None:
            return hit, cue
    return None
