"""Z codes that come from the encounter rather than from a condition mention.

Long-term (current) drug therapy from the medications (I.C.21.c.3, Z79), status after a
procedure from "s/p" / "status post" (Status and Presence in the Index, Z95-Z98), and the
routine examination that is the reason for a preventive visit (I.C.21.c.13, Z00.0-).
"""

from __future__ import annotations

import re

from medcoder.coding.drugs import LongTermDrugs
from medcoder.coding.index_lexicon import IndexLexicon
from medcoder.coding.index_matcher import IndexMatcher
from medcoder.coding.result import ASSIGNED_THRESHOLD, Evidence, Origin
from medcoder.coding.rules import Candidate
from medcoder.coding.specificity import CodeCompleter
from medcoder.coding.tabular_facts import TabularFacts
from medcoder.coding.text import Token
from medcoder.notes import Assertion, Setting, assert_spans
from medcoder.notes.model import Note

__all__ = ["EncounterCodes"]

_ON_DRUG = re.compile(
    r"\b(on|takes|taking|continues?|continued|daily|bid|tid|qhs|qd|chronic|long[- ]term|home)\b",
    re.IGNORECASE,
)
_PREVENTIVE = re.compile(
    r"\b(annual (physical|exam|examination|wellness|preventive)|yearly physical|"
    r"(preventive|preventative|wellness|well[- ]adult|well[- ]child|routine) "
    r"(visit|exam|examination|physical|check[- ]?up|health maintenance)|health maintenance exam)\b",
    re.IGNORECASE,
)
_STATUS_CUE_TEXT = re.compile(r"\b(s/p|status post|status-post|post)\b", re.IGNORECASE)


#: The routine-examination codes preventive_visit chooses between.
_PREVENTIVE_CODES = frozenset({"Z0000", "Z0001", "Z00121", "Z00129"})


class EncounterCodes:
    """Finds encounter-level Z codes in a note."""

    def __init__(
        self,
        icd: TabularFacts,
        lexicon: IndexLexicon,
        matcher: IndexMatcher,
        completer: CodeCompleter,
    ) -> None:
        self.icd = icd
        self.matcher = matcher
        self.completer = completer
        self.drugs = LongTermDrugs.load()
        self._status_roots = [
            root
            for root in (lexicon.find_path("Status"), lexicon.find_path("Presence"))
            if root is not None
        ]

    def status_codes(
        self, note: Note, tokens_by_sentence: list[list[Token]], by_existing: set[str]
    ) -> list[Candidate]:
        """Status Z codes after "s/p" / "status post" (I.C.21.c.3): walk Status and Presence.

        "s/p CABG" -> Status, coronary artery bypass graft -> Z95.1; "s/p R TKA" -> Presence,
        knee-joint implant -> Z96.65- completed to Z96.651 by the documented side.
        """
        found: dict[str, Candidate] = {}
        for sentence, tokens in zip(note.sentences, tokens_by_sentence, strict=True):
            text = note.text[sentence.start : sentence.end]
            if not tokens or not _STATUS_CUE_TEXT.search(text):
                continue
            positions = self.matcher.positions(tokens)
            for cue in _STATUS_CUE_TEXT.finditer(text):
                after = [i for i, t in enumerate(tokens) if t.start >= sentence.start + cue.end()]
                if not after:
                    continue
                chain = [after[0]]
                for root in self._status_roots:
                    score, path, used = self.matcher.walk(root, positions, chain)
                    code = next((n.code for n in reversed(path) if n.code), None)
                    if code is None or score < 2:
                        continue
                    words = frozenset(tokens[i].norm for i in used)
                    completion = self.completer.complete(
                        code, words | {t.norm for t in tokens}, words
                    )
                    if completion is None or completion.code in by_existing:
                        continue
                    span = [tokens[i] for i in used if i != chain[0]] or [tokens[after[0]]]
                    start, end = min(t.start for t in span), max(t.end for t in span)
                    section = note.section_at(start).name
                    evidence = Evidence(start, end, note.text[start:end], section)
                    if completion.code in found:
                        found[completion.code].evidence.append(evidence)
                        continue
                    found[completion.code] = Candidate(
                        code=completion.code,
                        score=0.7,
                        rationale="Index: "
                        + ", ".join(n.term for n in (root, *path))
                        + f" -> {self.icd.format(completion.code)}",
                        evidence=[evidence],
                        origin=Origin.RULE,
                        rules=["status (I.C.21.c.3)"],
                        first_offset=start,
                        section=section,
                    )
                    break
        return list(found.values())

    def preventive_visit(self, note: Note, cands: list[Candidate]) -> list[Candidate]:
        """A routine examination is the reason for the encounter (I.C.21.c.13): Z00.0- first.

        With abnormal findings (any other condition assigned from the exam or assessment)
        it is Z00.01 for an adult, Z00.121 for a child; without, Z00.00 / Z00.129.
        """
        head = note.text[: max(400, len(note.text) // 4)]
        found = _PREVENTIVE.search(head)
        if found is None or note.document.setting is Setting.INPATIENT:
            return []
        code, with_findings = self._preventive_code(note, cands)
        evidence = Evidence(
            found.start(), found.end(), found.group(), note.section_at(found.start()).name
        )
        return [
            Candidate(
                code=code,
                score=0.9,
                rationale=f"routine examination '{found.group()}' {with_findings} "
                f"-> {self.icd.format(code)}",
                evidence=[evidence],
                origin=Origin.RULE,
                rules=["preventive-visit (I.C.21.c.13)"],
                first_offset=found.start(),
                section=evidence.section,
            )
        ]

    def _preventive_code(self, note: Note, cands: list[Candidate]) -> tuple[str, str]:
        """Z00.0- with or without abnormal findings, from the conditions assigned now."""
        findings = [
            c for c in cands if c.score >= ASSIGNED_THRESHOLD and not c.code.startswith("Z")
        ]
        age = note.document.patient.age
        child = age is not None and age < 18
        code = ("Z00121" if child else "Z0001") if findings else ("Z00129" if child else "Z0000")
        with_findings = (
            f"with abnormal findings ({', '.join(self.icd.format(c.code) for c in findings[:3])})"
            if findings
            else "without abnormal findings"
        )
        return code, with_findings

    def settle_preventive_visit(self, note: Note, cands: list[Candidate]) -> None:
        """Choose Z00.0- again once the final scores are known (the learned combination may
        have left a finding unassigned, or assigned one)."""
        for cand in cands:
            if cand.code in _PREVENTIVE_CODES and cand.rationale.startswith("routine examination"):
                code, with_findings = self._preventive_code(note, cands)
                if code != cand.code:
                    found = cand.rationale.split("'")[1]
                    cand.code = code
                    cand.rationale = (
                        f"routine examination '{found}' {with_findings} -> {self.icd.format(code)}"
                    )

    def drug_therapy(self, note: Note) -> list[Candidate]:
        """Z79 codes for current long-term drugs (medication lists, "on <drug>")."""
        found: dict[str, Candidate] = {}
        spans: list[tuple[int, int]] = []
        hits = []
        for sentence in note.sentences:
            section = note.section_at(sentence.start).name
            if section == "allergies":
                continue
            unit = note.text[sentence.start : sentence.end]
            if section != "medications" and not _ON_DRUG.search(unit):
                continue
            for hit in self.drugs.find(note.text, sentence.start, sentence.end):
                hits.append((hit, section))
                spans.append((hit.start, hit.end))
        if not hits:
            return []
        for (hit, section), status in zip(hits, assert_spans(note, spans), strict=True):
            if status.status not in (Assertion.PRESENT, Assertion.HISTORICAL):
                continue
            code = hit.code.replace(".", "")
            if not self.icd.is_billable(code):
                continue
            evidence = Evidence(hit.start, hit.end, note.text[hit.start : hit.end], section)
            if code in found:
                found[code].evidence.append(evidence)
                continue
            found[code] = Candidate(
                code=code,
                score=0.7,
                rationale=f"long-term (current) use of {hit.label}: "
                f"'{evidence.text}' -> {self.icd.format(code)}",
                evidence=[evidence],
                origin=Origin.RULE,
                rules=["long-term-drug-therapy (I.C.21.c.3)"],
                first_offset=hit.start,
                section=section,
            )
        return list(found.values())
