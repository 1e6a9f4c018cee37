"""Verify in the Tabular List: complete an Index code to a billable code the note supports.

The Index often stops short of a billable code ("Fracture, traumatic, radius" -> S52.9-).
A coder then reads the subdivisions in the Tabular List and takes the one the documentation
supports (site, laterality, type), an *unspecified* one when the note is silent — which is a
documentation query — and the 7th character from the encounter (initial, subsequent, sequela).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medcoder.coding.text import content_tokens

if TYPE_CHECKING:
    from medcoder.coding.tabular_facts import TabularFacts

__all__ = ["CodeCompleter", "Completion", "encounter_character", "encounter_cues"]

_LATERALITY = {"right", "left", "bilateral"}
# Title words that distinguish siblings without being documentation a note would state.
_GENERIC_TITLE_WORDS = frozenset({"uncomplicated", "complication", "other", "specified", "type"})
_UNSPECIFIED_SIDE = re.compile(
    r"unspecified (side|arm|leg|hand|foot|eye|ear|knee|hip|shoulder|elbow|wrist|ankle|"
    r"thigh|lower leg|upper arm|forearm|finger|toe|breast|kidney|lung|ovary|femur|humerus|"
    r"radius|ulna|tibia|fibula)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Completion:
    """A billable code, how it was reached, and the query its gaps call for (if any)."""

    code: str
    steps: tuple[str, ...]
    query: str | None = None


_SUBSEQUENT = re.compile(
    r"\b(subsequent encounter|routine healing|healing (well|as expected|fracture)|"
    r"(here|returns?|seen|presents?) (today )?for (a )?(follow[- ]?up|recheck|cast check)|"
    r"follow[- ]?up (visit|exam|evaluation) (of|for)|cast check|post[- ]?op(erative)? visit|"
    r"suture removal)\b",
    re.IGNORECASE,
)
_OPEN_FRACTURE = re.compile(
    r"\b(open|compound) fracture|fracture[^.;]{0,40}\b(is|was) open\b", re.IGNORECASE
)
_SEQUELA = re.compile(r"\b(sequela|sequelae|late effect|residual of|scar from|healed)\b", re.I)


_CLAUSE = re.compile(r"\b(with|without)\b([^,;]*)", re.IGNORECASE)


def _with_without(title: str, words: Collection[str]) -> float:
    """Default to "without" a complication the note does not document.

    "K21.00 ... with esophagitis, without bleeding" beats "K21.01 ... with bleeding" unless
    bleeding is documented; a "with X" subdivision needs X in the note.
    """
    score = 0.0
    for m in _CLAUSE.finditer(title):
        clause = set(content_tokens(m.group(2)))
        if not clause:
            continue
        documented = bool(clause & set(words))
        if m.group(1).lower() == "without":
            score += -0.5 if documented else 0.5
        elif not documented:
            score -= 1.0
    return score


def encounter_cues(text: str) -> frozenset[str]:
    """Markers for the encounter read from the whole note ("@subsequent", "@sequela", "@open").

    Only phrases that describe *this* encounter count: a plan's "follow up in 2 weeks" is about a
    future visit and does not make today's visit a subsequent encounter.
    """
    cues = set()
    if _SUBSEQUENT.search(text):
        cues.add("@subsequent")
    if _SEQUELA.search(text):
        cues.add("@sequela")
    if _OPEN_FRACTURE.search(text):
        cues.add("@open")
    return frozenset(cues)


def encounter_character(meanings: dict[str, str], words: Collection[str]) -> tuple[str, str]:
    """The 7th character the encounter supports, with the reason.

    Words come from the whole note: "follow-up", "routine healing" -> subsequent; "sequela",
    "late effect" -> sequela; "nonunion"/"malunion"/"delayed healing" when those characters exist;
    otherwise initial (active treatment), the open-fracture initial character when "open" is said.
    """

    def pick(*chars: str) -> str | None:
        return next((c for c in chars if c in meanings), None)

    if "@sequela" in words:
        char = pick("S")
        if char:
            return char, "sequela documented"
    if "@subsequent" in words:
        if "nonunion" in words and pick("K"):
            return "K", "nonunion documented"
        if "malunion" in words and pick("P"):
            return "P", "malunion documented"
        if "delayed" in words and pick("G"):
            return "G", "delayed healing documented"
        char = pick("D")
        if char:
            return char, "subsequent encounter documented"
    if "@open" in words and pick("B"):
        return "B", "initial encounter, open fracture documented"
    char = pick("A") or sorted(meanings)[0]
    return char, "initial encounter (active treatment)"


class CodeCompleter:
    """Completes Index codes against the Tabular List of one knowledge base."""

    def __init__(self, facts: TabularFacts) -> None:
        self.icd = facts

    def complete(
        self, code: str, sentence_words: Collection[str], note_words: Collection[str]
    ) -> Completion | None:
        """A billable code under ``code`` supported by the words, or None if ``code`` is unknown.

        Args:
            code: an Index code, possibly incomplete ("S52.9-", "M84.43", "E11").
            sentence_words: normalised words of the sentence (site, laterality, type).
            note_words: normalised words of the whole note (encounter type for the 7th char).
        """
        base = code.replace(".", "").rstrip("-").upper()
        if not base or not self.icd.exists(base):
            return None
        steps: list[str] = []
        query: str | None = None
        current = base
        if not self.icd.is_billable(current):
            leaves = list(self.icd.leaves(current))
            if leaves:
                current, why, query = self._best_leaf(leaves, sentence_words)
                steps.append(why)
        elif "unspecified" in self.icd.title(current).lower():
            refined = self._refine(current, sentence_words)
            if refined is not None:
                current, why = refined
                steps.append(why)
        meanings = self.icd.seventh_characters(current)
        if meanings and len(current) < 7:
            char, why = encounter_character(meanings, note_words)
            current = current.ljust(6, "X") + char
            steps.append(f"7th character {char}: {why}")
        if not self.icd.is_billable(current):
            return None
        return Completion(code=current, steps=tuple(steps), query=query)

    def _refine(self, code: str, words: Collection[str]) -> tuple[str, str] | None:
        """An *unspecified* code becomes a sibling whose distinguishing words the note says.

        F17.200 (nicotine dependence, unspecified) -> F17.210 when the sentence says
        "cigarettes"; only siblings under the same 4-character subcategory are considered.
        """
        own = set(content_tokens(self.icd.title(code)))
        best: tuple[int, str] | None = None
        for leaf in self.icd.leaves(code[:4]):
            if leaf == code or len(leaf) != len(code):
                continue
            extra = set(content_tokens(self.icd.title(leaf))) - own - _GENERIC_TITLE_WORDS
            if extra and extra <= set(words) and (best is None or len(extra) > best[0]):
                best = (len(extra), leaf)
        if best is None:
            return None
        leaf = best[1]
        return leaf, f"documented specificity: {self.icd.title(leaf)}"

    def _best_leaf(self, leaves: list[str], words: Collection[str]) -> tuple[str, str, str | None]:
        scored: list[tuple[float, int, str]] = []
        for order, leaf in enumerate(leaves):
            title_words = set(content_tokens(self.icd.title(leaf)))
            hits = len(title_words & set(words))
            # Prefer the unspecified subdivision when the note gives nothing more.
            unspecified = 0.5 if "unspecified" in title_words else 0.0
            contrary = len((title_words & _LATERALITY) - set(words))
            scored.append(
                (
                    hits + unspecified - contrary + _with_without(self.icd.title(leaf), words),
                    -order,
                    leaf,
                )
            )
        scored.sort(reverse=True)
        best = scored[0][2]
        title = self.icd.title(best)
        query = "laterality" if _UNSPECIFIED_SIDE.search(title) else None
        return best, f"Tabular: {title}", query
