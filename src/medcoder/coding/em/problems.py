"""MDM element 1: number and complexity of problems addressed at the encounter.

A coder counts the problems the provider *addresses* (assessment and plan), not those merely
listed in the history. Each problem is named by a condition word and graded by the words
around it (in its list item or sentence): "stable", "uncontrolled", "severe exacerbation",
"concerning for", a fever ... then counted as the AMA table does:

=============== ==============================================================================
straightforward 1 self-limited or minor problem
low             2+ self-limited/minor; 1 stable chronic illness; 1 acute uncomplicated illness
                or injury; 1 stable acute illness
moderate        1+ chronic illness with exacerbation, progression or side effects of
                treatment; 2+ stable chronic illnesses; 1 undiagnosed new problem with
                uncertain prognosis; 1 acute illness with systemic symptoms; 1 acute
                complicated injury
high            1+ chronic illness with severe exacerbation, progression or side effects;
                1 acute or chronic illness or injury that poses a threat to life or bodily
                function
=============== ==============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medcoder.coding.em.lexicon import Condition, EmLexicon, load_lexicon
from medcoder.coding.em.model import MdmElement, MdmFinding, MdmLevel
from medcoder.coding.em.spans import (
    ASSESSMENT_SECTIONS,
    HISTORY_SECTIONS,
    Unit,
    asserted,
    evidence_of,
    has_section,
    negated_before,
    units,
)
from medcoder.notes.model import Note, SectionKind

__all__ = ["PROBLEM_CATEGORIES", "classify_problem", "level_of_problems", "score_problems"]

#: Problem categories: machine name -> (level one such problem supports, plural wording).
PROBLEM_CATEGORIES: dict[str, tuple[MdmLevel, str]] = {
    "self_limited": (MdmLevel.STRAIGHTFORWARD, "self-limited or minor problem"),
    "unlisted_problem": (MdmLevel.STRAIGHTFORWARD, "problem not in the lexicon, taken as minor"),
    "stable_chronic": (MdmLevel.LOW, "stable chronic illness"),
    "acute_uncomplicated": (MdmLevel.LOW, "acute uncomplicated illness or injury"),
    "chronic_exacerbation": (MdmLevel.MODERATE, "chronic illness with exacerbation"),
    "undiagnosed_uncertain": (MdmLevel.MODERATE, "undiagnosed new problem, uncertain prognosis"),
    "acute_systemic": (MdmLevel.MODERATE, "acute illness with systemic symptoms"),
    "acute_complicated_injury": (MdmLevel.MODERATE, "acute complicated injury"),
    "chronic_severe_exacerbation": (MdmLevel.HIGH, "chronic illness with severe exacerbation"),
    "threat_to_life": (MdmLevel.HIGH, "threat to life or bodily function"),
}

_KIND_CATEGORY = {
    "chronic": "stable_chronic",
    "acute": "acute_uncomplicated",
    "minor": "self_limited",
    "uncertain": "undiagnosed_uncertain",
    "systemic": "acute_systemic",
    "injury": "acute_complicated_injury",
    "threat": "threat_to_life",
}
# Qualifiers, read in the words around a condition (its list item or sentence).
_SEVERE = re.compile(
    r"severe (?:exacerbation|flare|progression)|decompensat\w*|acute on chronic|"
    r"hypertensive (?:urgency|emergency|crisis)|status asthmaticus|critical",
    re.IGNORECASE,
)
_EXACERBATION = re.compile(
    r"(?:un|poorly |not |not well |inadequately |suboptimally |sub-optimally )controlled|"
    r"not at goal|above goal|worsen\w*|\bworse\b|exacerbat\w*|flare\w*|progressed|"
    r"progressi(?:on|ng|ve)|"
    r"hyperglycemia|supratherapeutic|side effects?|adverse effects?|intoleran\w*|elevated|"
    r"deteriorat\w*",
    re.IGNORECASE,
)
_SYSTEMIC = re.compile(
    r"systemic symptoms|high risk of morbidity|systemic(?:ally)? (?:ill|toxic)", re.IGNORECASE
)
#: A sentence with the conditions found in it.
_Read = tuple[Unit, list[tuple[Condition, re.Match[str]]]]
# Items of an assessment that a provider writes problem by problem.
_ITEM_SECTIONS = frozenset(
    {
        SectionKind.ASSESSMENT,
        SectionKind.ASSESSMENT_AND_PLAN,
        SectionKind.IMPRESSION,
        SectionKind.DIAGNOSES,
    }
)
_HEAD = re.compile(r"\s*([A-Za-z][^,:;.()\n]{1,58}?)\s*(?:[-–,:;.(]|$)")
# Items that are management, follow-up or prevention, not a problem.
_NOT_A_PROBLEM = re.compile(
    r"\s*(?:start|continue|check|order|obtain|increase|decrease|refer|referral|follow|return|"
    r"recheck|repeat|schedule|labs?|imaging|f/u|rtc|discussed|counsel\w*|reviewed|will|plan|"
    r"patient|pt|health maintenance|well|annual|routine|immuniz\w*|vaccin\w*|screening|"
    r"anticipatory|preventive|code status|disposition|dispo|diet|exercise|education|"
    r"medications?|meds|refill\w*|prescri\w*|hold|stop|discontinue|add|encourage\w*|"
    r"advise\w*|instructions?|home|other|all other|none|no|rest|fluids|ice|elevation|"
    r"monitor\w*|consider|may|age-appropriate|adult|child|tdap|flu shot|colonoscopy|"
    r"mammogram|dtap|former|old|s/p|status post|history of|h/o|hx of|personal history|"
    r"family history|prior)\b",
    re.IGNORECASE,
)
# "Colon cancer screening": a screening is not the condition.
_SCREENING = re.compile(r"\s+(?:screening|prevention)\b", re.IGNORECASE)
_RECOVERING = re.compile(
    r"\brecover\w*|\bresolv\w*|\bheal(?:ed|ing)\b|\bs/p\b|\bstatus post\b|\bweeks? (?:ago|after)\b|"
    r"\bmonths? (?:ago|after)\b",
    re.IGNORECASE,
)
_UNCERTAIN = re.compile(
    r"uncertain prognosis|unclear (?:etiology|cause)|undiagnosed|concerning for malignancy|"
    r"suspicious for malignancy|rule out malignancy",
    re.IGNORECASE,
)
_THREAT = re.compile(
    r"threat to (?:life|bodily function)|life[- ]threatening|concern(?:ing)? for (?:sepsis|ACS)",
    re.IGNORECASE,
)


def classify_problem(kind: str, context: str) -> str:
    """The problem category of a condition of ``kind`` given the words around it.

    Example:
        >>> classify_problem("chronic", "Type 2 diabetes, uncontrolled, A1c 9.4%")
        'chronic_exacerbation'
        >>> classify_problem("chronic", "Gout, no flares this year")
        'stable_chronic'
    """
    context = _unnegated(context)
    if kind == "threat" and _RECOVERING.search(context):
        # "STEMI 3 weeks ago, recovering well": followed up like a chronic illness.
        return "stable_chronic"
    if kind == "injury" and _RECOVERING.search(context):
        # "Colles fracture, routine healing": the follow-up of an uncomplicated course.
        return "acute_uncomplicated"
    if kind == "threat" or _THREAT.search(context):
        return "threat_to_life"
    if kind == "chronic":
        if _SEVERE.search(context):
            return "chronic_severe_exacerbation"
        if _EXACERBATION.search(context):
            return "chronic_exacerbation"
        return "stable_chronic"
    if _UNCERTAIN.search(context):
        return "undiagnosed_uncertain"
    # AMA: fever or body aches in a minor illness do not make it "with systemic symptoms";
    # the systemic kinds (pneumonia, pyelonephritis, colitis) or the provider's words do.
    if kind in ("acute", "minor") and _SYSTEMIC.search(context):
        return "acute_systemic"
    return _KIND_CATEGORY[kind]


def score_problems(
    note: Note, lexicon: EmLexicon | None = None
) -> tuple[MdmElement, tuple[str, ...]]:
    """The problems element of a note, and warnings.

    Problems come from the assessment/plan sections; a note without them is read whole
    (history sections left out) and says so in a warning.
    """
    warnings: list[str] = []
    if has_section(note, ASSESSMENT_SECTIONS):
        found = units(note, include=ASSESSMENT_SECTIONS)
    else:
        warnings.append(
            "no assessment/plan section: problems were read from the whole note "
            "(history sections left out)"
        )
        found = units(note, exclude=HISTORY_SECTIONS | {SectionKind.PHYSICAL_EXAM})
    lexicon = lexicon or load_lexicon()
    # The condition expression is the costly part: it runs once per sentence.
    text = note.text
    read = [
        (unit, lexicon.find_conditions(text, unit.sentence.start, unit.sentence.end))
        for unit in found
    ]
    findings = _dedupe(_findings(note, read))
    unlisted = _unlisted(note, read, lexicon)
    if unlisted:
        labels = ", ".join(repr(f.label) for f in unlisted)
        warnings.append(
            f"{len(unlisted)} problem(s) of the assessment not in the E/M lexicon, counted as "
            f"minor: {labels}"
        )
    findings = sorted([*findings, *unlisted], key=lambda f: f.evidence.start)
    return level_of_problems(findings), tuple(warnings)


def _unlisted(note: Note, read: list[_Read], lexicon: EmLexicon) -> list[MdmFinding]:
    """Numbered or bulleted items of an assessment that name no known condition: each is a
    problem addressed, counted as minor (the lowest category, so an unknown problem can
    raise the count but never the complexity)."""
    with_condition = {unit.scope_start for unit, found in read if found}
    found: dict[int, MdmFinding] = {}
    for unit, _ in read:
        scope = unit.scope_start
        if (
            unit.section.kind not in _ITEM_SECTIONS
            or not unit.sentence.list_item
            or scope in with_condition
            or scope in found
        ):
            continue
        head = note.text[scope : unit.scope_end]
        words = _HEAD.match(head)
        if words is None or _NOT_A_PROBLEM.match(head):
            continue
        tests = lexicon.find_tests(head)
        if tests and tests[0][1].start() == 0:
            continue
        first = head.split(maxsplit=1)[0].lower().strip(",.:;")
        if first in lexicon.prescription_drugs or first in lexicon.otc_drugs:
            continue
        label = " ".join(words.group(1).lower().split())
        found[scope] = MdmFinding(
            "unlisted_problem", label, MdmLevel.STRAIGHTFORWARD, evidence_of(note, unit)
        )
    return list(found.values())


def _findings(note: Note, read: Iterable[_Read]) -> list[MdmFinding]:
    candidates: list[tuple[Unit, re.Match[str], str, str]] = []
    for unit, found in read:
        for condition, match in found:
            candidates.append((unit, match, condition.kind, condition.label))
    keep = asserted(note, [(m.start(), m.end()) for _, m, _, _ in candidates])
    candidates = [c for c, ok in zip(candidates, keep, strict=True) if ok]
    findings: list[MdmFinding] = []
    for position, (unit, match, kind, label) in enumerate(candidates):
        if negated_before(note, unit, match.start()) or _SCREENING.match(note.text, match.end()):
            continue
        # A condition's qualifiers lie between the previous and the next condition of its
        # scope: "Hypertension, stable; diabetes, uncontrolled" grades each on its own.
        start = unit.scope_start
        end = unit.scope_end
        if position > 0 and candidates[position - 1][0].scope_start == unit.scope_start:
            start = max(start, candidates[position - 1][1].end())
        if position + 1 < len(candidates) and candidates[position + 1][0].scope_start == (
            unit.scope_start
        ):
            end = min(end, candidates[position + 1][1].start())
        category = classify_problem(kind, note.text[start:end])
        level = PROBLEM_CATEGORIES[category][0]
        findings.append(MdmFinding(category, label, level, evidence_of(note, unit)))
    return findings


_NEGATED_QUALIFIER = re.compile(
    r"\b(?:no|not|without|denies|negative for|if|for any|should|watch for|return for)\s+"
    r"(?:\w+\s+){0,2}?"
    r"(?:fevers?|chills|exacerbations?|side effects?|flares?|worsening|progression|"
    r"hyperglycemia|rigors|myalgias)\b",
    re.IGNORECASE,
)


def _unnegated(context: str) -> str:
    """The context with negated qualifiers blanked ("no fever", "without exacerbation")."""
    return _NEGATED_QUALIFIER.sub(" ", context)


def _dedupe(findings: list[MdmFinding]) -> list[MdmFinding]:
    """One finding per problem (the same condition in assessment and plan is one problem):
    the highest graded, first written."""
    best: dict[str, MdmFinding] = {}
    for finding in findings:
        current = best.get(finding.label)
        if current is None or finding.level.rank > current.level.rank:
            best[finding.label] = finding
    return sorted(best.values(), key=lambda f: f.evidence.start)


def level_of_problems(findings: list[MdmFinding]) -> MdmElement:
    """The problems element from its findings, by the AMA counting rules."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.category] = counts.get(finding.category, 0) + 1
    found = tuple(findings)
    for category in ("threat_to_life", "chronic_severe_exacerbation"):
        if counts.get(category):
            return MdmElement(MdmLevel.HIGH, _summary(counts, category), found)
    for category in (
        "chronic_exacerbation",
        "undiagnosed_uncertain",
        "acute_systemic",
        "acute_complicated_injury",
    ):
        if counts.get(category):
            return MdmElement(MdmLevel.MODERATE, _summary(counts, category), found)
    if counts.get("stable_chronic", 0) >= 2:
        return MdmElement(MdmLevel.MODERATE, _summary(counts, "stable_chronic"), found)
    for category in ("stable_chronic", "acute_uncomplicated"):
        if counts.get(category):
            return MdmElement(MdmLevel.LOW, _summary(counts, category), found)
    minor = counts.get("self_limited", 0) + counts.get("unlisted_problem", 0)
    if minor:
        counts["minor"] = minor
        level = MdmLevel.LOW if minor >= 2 else MdmLevel.STRAIGHTFORWARD
        return MdmElement(level, _summary(counts, "minor"), found)
    return MdmElement(MdmLevel.STRAIGHTFORWARD, "no problem addressed found", found)


def _summary(counts: dict[str, int], category: str) -> str:
    wording = "self-limited or minor problem" if category == "minor" else None
    return f"{counts[category]} x {wording or PROBLEM_CATEGORIES[category][1]}"
