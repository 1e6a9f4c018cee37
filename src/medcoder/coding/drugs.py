"""Long-term (current) drug therapy: Z79 codes from the medications a note documents.

I.C.21.c.3 and I.C.4.a.3: a drug the patient takes on a continuing basis is reported with its
Z79 code (insulin Z79.4, anticoagulants Z79.01, aspirin Z79.82 ...). The drug -> code table is
data (``resources/long_term_drugs.json``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from medcoder.errors import InputError

__all__ = ["DrugMention", "LongTermDrug", "LongTermDrugs"]

# A drug named next to these words is not current long-term therapy.
_STOPPED = re.compile(
    r"\b(stopped|discontinued|d/c'?d|held|holding|allerg\w*|intoleran\w*|declined|refused|"
    r"once|single dose|x1|given in (the )?(office|clinic|ed)|started today|new(ly)? started)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class LongTermDrug:
    code: str
    label: str
    drugs: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> LongTermDrug:
        unknown = set(data) - {"code", "label", "drugs"}
        if unknown:
            raise InputError(f"{where}: unknown keys {sorted(unknown)}", field=where)
        return cls(str(data["code"]), str(data["label"]), tuple(str(d) for d in data["drugs"]))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "drugs": list(self.drugs)}


@dataclass(frozen=True, slots=True)
class DrugMention:
    code: str
    label: str
    start: int
    end: int


class LongTermDrugs:
    """Finds drug names and maps them to Z79 codes."""

    def __init__(self, entries: list[LongTermDrug]) -> None:
        self.entries = tuple(entries)
        self._by_name = {name.lower(): e for e in entries for name in e.drugs}
        names = sorted(self._by_name, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<![A-Za-z])(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z])",
            re.IGNORECASE,
        )

    @classmethod
    def load(cls) -> LongTermDrugs:
        raw = resources.files("medcoder.coding").joinpath("resources/long_term_drugs.json")
        data = json.loads(raw.read_text(encoding="utf-8"))
        unknown = set(data) - {"_comment", "version", "entries"}
        if unknown:
            raise InputError(f"long_term_drugs: unknown keys {sorted(unknown)}", field="")
        return cls(
            [LongTermDrug.from_dict(e, f"entries[{i}]") for i, e in enumerate(data["entries"])]
        )

    def find(self, text: str, start: int, end: int) -> list[DrugMention]:
        """Drug mentions in ``text[start:end]`` (one sentence or list item) that look current."""
        unit = text[start:end]
        if _STOPPED.search(unit):
            return []
        found: list[DrugMention] = []
        for m in self._pattern.finditer(unit):
            entry = self._by_name[m.group(1).lower()]
            found.append(DrugMention(entry.code, entry.label, start + m.start(), start + m.end()))
        return found
