"""Coding rules a coder applies after finding codes in the Index, each small and named.

Every rule takes the candidate list and returns a new one; the rule's name is recorded on
each code it shaped, so the result says *why* (e.g. ``hypertension-ckd-presumption``).
Guideline references are to the ICD-10-CM Official Guidelines for Coding and Reporting FY2026.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from medcoder.coding.result import ASSIGNED_THRESHOLD, DocumentationQuery, Evidence, Origin

if TYPE_CHECKING:
    from medcoder.coding.tabular_facts import TabularFacts

__all__ = [
    "CHRONIC_CATEGORIES",
    "DEMOTED_CEILING",
    "Candidate",
    "RuleContext",
    "drop_integral_symptoms",
    "demote",
    "merge",
    "documentation_queries",
    "drop_less_specific",
    "drop_unspecified_injury",
    "hypertension_presumption",
    "resolve_excludes1",
    "use_additional_queries",
]


@dataclass
class Candidate:
    """A code being assembled (mutable while rules run; frozen into a CodeSuggestion)."""

    code: str  # no dot
    score: float
    rationale: str
    evidence: list[Evidence]
    origin: Origin = Origin.INDEX
    rules: list[str] = field(default_factory=list)
    first_offset: int = 0
    section: str = ""
    words: frozenset[str] = frozenset()  # the condition's words as written (for "with" links)
    path: tuple[int, ...] = ()  # Index entry ids of the walk that produced it
    index_path: str = ""  # the same walk as text, the key of calibration
    index_score: float = 0.0  # score before the learned ranker was combined (0: model-only)
    model_p: float = 0.0  # the learned ranker's probability (0: not among its proposals)
    model_rank: int = 0  # its rank among the ranker's proposals (1 = best; 0: not proposed)


@dataclass
class RuleContext:
    icd: TabularFacts
    queries: list[DocumentationQuery] = field(default_factory=list)


Rule = Callable[[list[Candidate], RuleContext], list[Candidate]]

#: Categories of chronic conditions that stay current when a note says "history of" them while
#: they are still treated (a coder codes "h/o HTN on lisinopril" as I10, not as a history code).
CHRONIC_CATEGORIES = (
    "E08 E09 E10 E11 E13 E03 E05 E66 E78 F32 F33 F41 G20 G30 G40 G47 I10 I11 I12 I13 I25 I48 "
    "I50 J44 J45 K21 M05 M06 M15 M16 M17 M19 M81 N18 N40 B20 G43 F31 F20 L40 I70 I73"
).split()


#: A code a rule says must not be billed stays as a suggestion for review below this score.
DEMOTED_CEILING = 0.49


def demote(cand: Candidate, reason: str) -> None:
    """Keep ``cand`` as a reviewable suggestion, never assigned, saying why."""
    cand.score = round(min(cand.score, DEMOTED_CEILING), 4)
    cand.rules.append(f"not assigned: {reason}")


def merge(into: Candidate, other: Candidate) -> None:
    """Fold ``other`` (the same code found again) into ``into``: evidence, best score."""
    into.evidence.extend(e for e in other.evidence if e not in into.evidence)
    into.score = max(into.score, other.score)
    into.first_offset = min(into.first_offset, other.first_offset)


def _is_hypertensive(code: str) -> bool:
    return code == "I10" or code.startswith(("I11", "I12", "I13"))


def hypertension_presumption(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """I.C.9.a: hypertension with heart failure and/or CKD is presumed linked (I11/I12/I13).

    Whatever hypertension code the Index walk gave (I10, or an I11-I13 from a partial "with"),
    the combination is decided once from the heart failure (I50.-) and CKD (N18.-) codes
    assigned in the note.
    """
    assigned = [c for c in cands if c.score >= ASSIGNED_THRESHOLD]
    htn = [c for c in assigned if _is_hypertensive(c.code)]
    if not htn:
        return cands
    ckd = sorted(c.code for c in assigned if c.code.startswith("N18"))
    hf = [c.code for c in assigned if c.code.startswith("I50")]
    heart = hf or [c.code for c in htn if c.code.startswith(("I11", "I13"))]
    late_ckd = any(c in {"N185", "N186"} for c in ckd)
    if ckd and heart:
        target = "I132" if late_ckd else ("I130" if hf else "I1310")
        name = "hypertension-heart-ckd-presumption"
    elif ckd:
        target, name = ("I120" if late_ckd else "I129"), "hypertension-ckd-presumption"
    elif hf:
        target, name = "I110", "hypertension-heart-failure-presumption"
    else:
        return cands
    base = max(htn, key=lambda c: c.score)
    if all(c.code == target for c in htn):
        return cands
    combined = Candidate(
        code=target,
        score=base.score,
        rationale=f"{base.rationale}; with {'CKD' if ckd else ''}{' and ' if ckd and heart else ''}"
        f"{'heart failure' if heart else ''} -> {ctx.icd.format(target)} (I.C.9.a presumption)",
        evidence=[e for c in htn for e in c.evidence],
        origin=Origin.RULE,
        rules=[*base.rules, name],
        first_offset=min(c.first_offset for c in htn),
        section=base.section,
    )
    rest = [c for c in cands if c not in htn and c.code != target]
    for c in cands:
        if c.code == target and c not in htn:
            merge(combined, c)
    return [combined, *rest]


def drop_less_specific(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """A code is dropped when a more specific code of the same category is present.

    E11.9 (without complications) goes when E11.22 is coded; I50.9 goes when I50.33 is.
    """
    out: list[Candidate] = []
    for cand in cands:
        title = ctx.icd.title(cand.code).lower()
        vague = (
            "unspecified" in title
            or "without complication" in title
            or "uncomplicated" in title
            or cand.code.endswith("9")
        )
        better = [
            o
            for o in cands
            if o is not cand
            and o.code[:3] == cand.code[:3]
            and o.code != cand.code
            and "unspecified" not in ctx.icd.title(o.code).lower()
            and o.score >= ASSIGNED_THRESHOLD
        ]
        if vague and better:
            merge(better[0], cand)
            better[0].rules.append("specific-code-over-unspecified")
            continue
        out.append(cand)
    return out


def drop_unspecified_injury(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """An "unspecified injury of <site>" is not coded beside a specific injury (I.C.19.b).

    "CC: right ankle injury" is what the fracture of the lateral malleolus turned out to be.
    """
    specific = [
        c
        for c in cands
        if c.code[0] in "ST"
        and c.score >= ASSIGNED_THRESHOLD
        and not ctx.icd.title(c.code).lower().startswith("unspecified injury")
    ]
    if not specific:
        return cands
    for cand in cands:
        if cand.code[0] == "S" and ctx.icd.title(cand.code).lower().startswith(
            "unspecified injury"
        ):
            demote(cand, f"unspecified injury beside {ctx.icd.format(specific[0].code)}")
    return cands


def _excludes1_rank(cand: Candidate, ctx: RuleContext) -> tuple[bool, bool, float, int]:
    """Which of two Excludes1 codes a coder keeps: the one found in the documentation's own
    words (Index or Tabular, not only the model), then the specific one, then the likelier."""
    specific = "unspecified" not in ctx.icd.title(cand.code).lower()
    return (cand.origin is not Origin.MODEL, specific, cand.score, -cand.first_offset)


def resolve_excludes1(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """Excludes1 pairs are never reported together: keep the better-supported code."""
    dropped: set[int] = set()
    for i, a in enumerate(cands):
        if i in dropped:
            continue
        for j, b in enumerate(cands):
            if j <= i or j in dropped:
                continue
            # Two suggestions for review never conflict on a claim.
            if max(a.score, b.score) < ASSIGNED_THRESHOLD:
                continue
            if not ctx.icd.excludes1_conflict(a.code, b.code):
                continue
            loser = j if _excludes1_rank(a, ctx) >= _excludes1_rank(b, ctx) else i
            winner = i if loser == j else j
            dropped.add(loser)
            demote(cands[loser], f"Excludes1 of {ctx.icd.format(cands[winner].code)}")
            cands[winner].rules.append(
                f"excludes1: {ctx.icd.format(cands[loser].code)} not coded with it"
            )
            if loser == i:
                break
    return cands


# Signs and symptoms (R codes) and the definitive diagnoses they are routinely part of
# (I.B.5, I.C.18.b): (symptom code prefix, prefixes of the diagnoses that make it integral).
# A symptom goes only when such a diagnosis is assigned: chest pain goes with an MI, not with
# hypertension.
_INTEGRAL_TO: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("R00", ("I47", "I48", "I49")),
    ("R01", ("I0", "I34", "I35", "I36", "I37")),
    ("R03", ("I10", "I11", "I12", "I13", "I15", "I16")),
    ("R04", ("J", "I26", "C34")),
    ("R05", ("J",)),
    ("R06", ("J", "I50", "I26", "I27", "I11", "I13")),
    ("R070", ("J02", "J03", "J06", "J36", "J39")),  # pain in throat: pharyngitis, tonsillitis
    ("R07", ("I20", "I21", "I22", "I24", "I25", "I26", "J18", "J93", "K21")),
    ("R09", ("J", "I50")),
    ("R10", ("K", "N10", "N13", "N20", "N23", "N39", "A09")),
    ("R11", ("K", "A0")),
    ("R12", ("K20", "K21")),
    ("R13", ("K20", "K21", "K22", "C15")),
    ("R14", ("K",)),
    ("R19", ("K",)),
    ("R20", ("G", "E084", "E104", "E114")),
    ("R21", ("L", "B0")),
    ("R22", ("L", "S", "M")),
    ("R25", ("G", "M")),
    ("R26", ("G", "M", "S")),
    ("R29", ("G", "M", "S", "I6")),
    ("R3", ("N",)),
    ("R40", ("G", "I6", "F")),
    ("R41", ("G", "I6", "F")),
    ("R42", ("H81", "I6")),
    ("R45", ("F",)),
    ("R47", ("I6", "G")),
    ("R50", ("A", "B", "J", "N10", "N30", "N39", "L03", "K35", "K57", "K81", "K65")),
    ("R51", ("G43", "G44", "I6")),
    ("R52", ("S", "M", "K", "N20")),
    ("R57", ("R6521", "A40", "A41", "I21")),
    ("R60", ("I50", "I11", "I13", "N18", "N04", "S", "I87")),
    ("R63", ("E4",)),
    ("R73", ("E08", "E09", "E10", "E11", "E13")),
    ("R7881", ("A40", "A41")),
)
# Pain in a joint or limb (M25.5-, M79.6-) is integral to an injury of that limb.
_LIMB_PAIN = ("M255", "M796")
# Pain in a joint (M25.5 + site digit: 1 shoulder, 2 elbow, 3 wrist, 4 hand, 5 hip, 6 knee,
# 7 ankle and foot) is integral to an arthropathy of the same joint: M00-M25 carry the site in
# their 5th character (M06.06-, M10.06-, M19.01-, M25.46-); these categories name it instead.
_JOINT_OF_CATEGORY = {"M16": "5", "M17": "6", "M18": "4", "M22": "6", "M23": "6"}


def _arthropathy_site(code: str) -> str | None:
    """The joint digit of an arthropathy code (M00-M25, not joint pain itself), else None."""
    if not ("M00" <= code[:3] <= "M25") or code.startswith("M255"):
        return None
    if code[:3] in _JOINT_OF_CATEGORY:
        return _JOINT_OF_CATEGORY[code[:3]]
    return code[4] if len(code) > 4 and code[4] in "1234567" else None


def drop_integral_symptoms(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """Signs and symptoms routinely part of a coded definitive diagnosis are not coded."""
    assigned = [c for c in cands if c.score >= ASSIGNED_THRESHOLD and c.code[0] not in "RZ"]
    for cand in cands:
        owner = None
        if cand.code.startswith(_LIMB_PAIN):
            owner = next((d for d in assigned if d.code[0] == "S"), None)
            if owner is None and cand.code.startswith("M255") and len(cand.code) > 4:
                site = cand.code[4]
                owner = next((d for d in assigned if _arthropathy_site(d.code) == site), None)
        elif cand.code.startswith("R"):
            prefixes = next((p for r, p in _INTEGRAL_TO if cand.code.startswith(r)), ())
            owner = (
                next((d for d in assigned if d.code.startswith(prefixes)), None)
                if prefixes
                else None
            )
            if owner is None and prefixes:  # R57 shock with R65.21 septic shock
                owner = next(
                    (d for d in cands if d.score >= ASSIGNED_THRESHOLD and d.code in prefixes),
                    None,
                )
        if owner is not None:
            owner.rules.append(f"symptom {ctx.icd.format(cand.code)} integral, not coded")
            demote(cand, f"symptom integral to {ctx.icd.format(owner.code)} (I.B.5)")
    return cands


def use_additional_queries(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """A 'use additional code' note that no coded code satisfies becomes a coder query."""
    codes = [c.code for c in cands if c.score >= ASSIGNED_THRESHOLD]
    for cand in cands:
        if cand.score < ASSIGNED_THRESHOLD:
            continue
        for ranges in ctx.icd.use_additional_refs(cand.code):
            if not any(ctx.icd.satisfies(code, ranges) for code in codes):
                wanted = ", ".join(a if a == b else f"{a}-{b}" for a, b in ranges)
                ctx.queries.append(
                    DocumentationQuery(
                        topic="use additional code",
                        message=f"{ctx.icd.format(cand.code)} asks for an additional code "
                        f"({wanted}); is it documented?",
                        evidence=tuple(cand.evidence[:1]),
                        code=ctx.icd.format(cand.code),
                    )
                )
    return cands


# Unspecified codes a coder queries the provider about, with the detail that is missing.
_QUERY_TOPICS: tuple[tuple[str, str], ...] = (
    ("I509", "heart failure type and acuity"),
    ("I5020", "heart failure acuity"),
    ("I5030", "heart failure acuity"),
    ("I5040", "heart failure acuity"),
    ("I4891", "atrial fibrillation type"),
    ("I4820", "atrial fibrillation type (chronic: persistent or permanent)"),
    ("N189", "CKD stage"),
    ("J45909", "asthma severity"),
    ("J45901", "asthma severity"),
    ("J189", "pneumonia organism"),
    ("E669", "obesity class and BMI"),
    ("F32A", "depression severity and episode"),
    ("F329", "depression severity and episode"),
    ("D649", "anemia type"),
    ("I219", "myocardial infarction type and site"),
    ("E119", "diabetes complications"),
)


def documentation_queries(cands: list[Candidate], ctx: RuleContext) -> list[Candidate]:
    """Assigned codes that stop at 'unspecified' become queries for the missing detail."""
    for cand in cands:
        if cand.score < ASSIGNED_THRESHOLD:
            continue
        topic = next((t for prefix, t in _QUERY_TOPICS if cand.code == prefix), None)
        if topic is None:
            continue
        ctx.queries.append(
            DocumentationQuery(
                topic=topic,
                message=f"{ctx.icd.format(cand.code)} ({ctx.icd.title(cand.code)}): "
                f"documentation does not state the {topic}",
                evidence=tuple(cand.evidence[:1]),
                code=ctx.icd.format(cand.code),
            )
        )
    return cands
