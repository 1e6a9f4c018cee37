"""MDM element 3: risk of complications and/or morbidity or mortality of patient management.

Read in the plan (and the ED / hospital course): the highest-risk management option decided
or considered sets the level.

=============== ===============================================================================
straightforward minimal risk (rest, fluids, gargles)
low             over-the-counter drugs; minor surgery without risk factors; physical or
                occupational therapy; IV fluids without additives
moderate        prescription drug management; decision on minor surgery with patient or
                procedure risk factors; decision on elective major surgery without risk
                factors; diagnosis or treatment significantly limited by social determinants
                of health
high            drug therapy requiring intensive monitoring for toxicity; decision on elective
                major surgery with risk factors; decision on emergency major surgery; decision
                regarding hospitalization or escalation of hospital-level care; decision not to
                resuscitate or to de-escalate care because of poor prognosis; parenteral
                controlled substances
=============== ===============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medcoder.coding.em.lexicon import EmLexicon, load_lexicon
from medcoder.coding.em.model import MdmElement, MdmFinding, MdmLevel
from medcoder.coding.em.spans import (
    ASSESSMENT_SECTIONS,
    Unit,
    asserted,
    evidence_of,
    negated_before,
    units,
)
from medcoder.notes.model import Note, SectionKind

__all__ = ["RISK_CATEGORIES", "level_of_risk", "score_risk"]

#: Risk categories: machine name -> (level, wording).
RISK_CATEGORIES: dict[str, tuple[MdmLevel, str]] = {
    "minimal_treatment": (MdmLevel.STRAIGHTFORWARD, "minimal-risk treatment"),
    "otc_drugs": (MdmLevel.LOW, "over-the-counter drugs"),
    "minor_surgery": (MdmLevel.LOW, "minor surgery without risk factors"),
    "therapy_or_fluids": (MdmLevel.LOW, "physical/occupational therapy or IV fluids"),
    "prescription_drug_management": (MdmLevel.MODERATE, "prescription drug management"),
    "minor_surgery_with_risk": (MdmLevel.MODERATE, "minor surgery with risk factors"),
    "elective_major_surgery": (MdmLevel.MODERATE, "decision on elective major surgery"),
    "social_determinants": (MdmLevel.MODERATE, "treatment limited by social determinants"),
    "intensive_monitoring": (MdmLevel.HIGH, "drug therapy needing intensive toxicity monitoring"),
    "elective_major_surgery_with_risk": (
        MdmLevel.HIGH,
        "decision on elective major surgery with risk factors",
    ),
    "emergency_major_surgery": (MdmLevel.HIGH, "decision on emergency major surgery"),
    "hospitalization": (MdmLevel.HIGH, "decision regarding hospitalization"),
    "dnr_or_deescalation": (MdmLevel.HIGH, "decision not to resuscitate or to de-escalate"),
    "parenteral_controlled_substance": (MdmLevel.HIGH, "parenteral controlled substance"),
}

_VERB = (
    r"start\w*|begin|began|initiat\w*|continu\w*|resum\w*|increas\w*|decreas\w*|reduc\w*|"
    r"titrat\w*|adjust\w*|chang\w*|switch\w*|stop\w*|discontinu\w*|d/c|hold\w*|taper\w*|"
    r"refill\w*|prescri\w*|rx|sent|give|given|administer\w*|add\w*|recommend\w*|use|take|try|"
    r"prn|as needed|injected"
)
_DRUG_WORD = re.compile(r"[a-z][a-z0-9-]*", re.IGNORECASE)
_VERB_RE = re.compile(rf"\b(?:{_VERB})\b", re.IGNORECASE)
_DOSE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|g|units?|ml|puffs?)\b", re.IGNORECASE)
_PRESCRIPTION_WORDS = re.compile(
    r"\be-?prescri\w*|\bprescription (?:sent|given|written|provided)|\bRx (?:sent|given)\b",
    re.IGNORECASE,
)
_OTC_WORDS = re.compile(r"\bover[- ]the[- ]counter\b|\bOTC\b", re.IGNORECASE)
# Drug therapy requiring intensive monitoring for toxicity: the drug and, in the same list
# item or sentence, the monitoring for adverse effects (not for efficacy). Routine INR checks
# of stable warfarin therapy are not enough: a toxicity word must be there.
_INTENSIVE: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(drug, re.IGNORECASE), re.compile(monitoring, re.IGNORECASE))
    for drug, monitoring in (
        (
            r"\b(?:lithium|vancomycin|gentamicin|tobramycin|amikacin|digoxin|tacrolimus|"
            r"cyclosporine|phenytoin|valproate|valproic acid|carbamazepine)\b",
            r"\b(?:levels?|trough|toxicity|drug monitoring)\b",
        ),
        (
            r"\b(?:methotrexate|clozapine|azathioprine|chemotherapy|antineoplastic)\b",
            r"\b(?:CBC|ANC|LFTs?|liver function|cytopenia|toxicity)\b",
        ),
        (
            r"\b(?:warfarin|coumadin|heparin (?:drip|infusion)|insulin (?:drip|infusion))\b",
            r"\b(?:toxicity|supratherapeutic|bleeding risk|hypoglycemia protocol)\b",
        ),
    )
)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "dnr_or_deescalation",
        re.compile(
            r"\bDNR\b|do[- ]not[- ]resuscitate|comfort (?:care|measures)|\bhospice\b|"
            r"de-?escalat\w*",
            re.IGNORECASE,
        ),
    ),
    (
        "parenteral_controlled_substance",
        re.compile(
            r"\b(?:IV|intravenous|IM)\s+(?:morphine|hydromorphone|dilaudid|fentanyl|ketamine|"
            r"lorazepam|ativan|midazolam|diazepam)\b|\b(?:morphine|hydromorphone|dilaudid|"
            r"fentanyl|lorazepam|ativan|midazolam)\s+(?:\d+(?:\.\d+)?\s*(?:mg|mcg)\s+)?"
            r"(?:IV|intravenous\w*|IM)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "hospitalization",
        re.compile(
            r"\b(?:admit|admitted|admission|hospitaliz\w+|observation status|"
            r"(?:place|placed|keep) in observation|transfer\w* to (?:the )?(?:ICU|intensive care)|"
            r"escalat\w+ (?:of care )?to (?:the )?ICU)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "emergency_major_surgery",
        re.compile(
            r"\b(?:emergent|emergency|urgent)\s+(?:\w+\s+){0,3}?(?:surgery|laparotomy|"
            r"appendectomy|cholecystectomy|operation|exploration|craniotomy)\b|"
            r"\b(?:taken|take|going)\s+(?:emergently\s+)?to\s+(?:the\s+)?OR\b|"
            r"\b(?:appendectomy|laparotomy|craniotomy|cholecystectomy|thoracotomy)\s+"
            r"(?:tonight|today|now|this evening)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "elective_major_surgery",
        re.compile(
            r"\b(?:schedul\w+|plan\w*|candidate|recommend\w*|proceed\w*|decision|decided|"
            r"refer\w*|elect\w*|consent\w*)\b[^.;]{0,60}?\b(?:arthroplasty|joint replacement|"
            r"(?:knee|hip|shoulder) replacement|cholecystectomy|hernia repair|colectomy|"
            r"hysterectomy|laminectomy|spinal fusion|bypass|CABG|mastectomy|prostatectomy|"
            r"thyroidectomy|major surgery)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "minor_surgery",
        re.compile(
            r"\b(?:excision|shave biopsy|punch biopsy|skin biopsy|incision and drainage|I&D|"
            r"cryotherapy|liquid nitrogen|destruction|laceration repair|sutur\w+|"
            r"skin tag removal|cerumen removal|ear lavage|(?:joint|steroid|corticosteroid) "
            r"injection|nail avulsion|toenail removal|closed reduction|splint(?:ing|ed)?|"
            r"hematoma block)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "social_determinants",
        re.compile(
            r"\b(?:unable to afford|cannot afford|can't afford|cost (?:is|was) a barrier|"
            r"financial (?:barriers?|constraints|hardship)|uninsured|no (?:health )?insurance|"
            r"lack of insurance|homeless\w*|housing insecurity|unstable housing|"
            r"food insecurity|lack of transportation|no transportation|"
            r"transportation barriers?|social determinants|(?:because of|due to) (?:the )?cost|"
            r"cost (?:concerns?|barriers?)|prescription assistance)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "therapy_or_fluids",
        re.compile(
            r"\b(?:physical therapy|occupational therapy|PT referral|IV fluids|"
            r"(?:cardiac|pulmonary) rehab\w*|"
            r"(?:normal saline|NS|LR|lactated ringer'?s) bolus)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "minimal_treatment",
        re.compile(
            r"\b(?:rest|ice|elevation|warm compresses|salt water gargles|gargles|"
            r"supportive care|fluids|elastic bandage|ace wrap)\b",
            re.IGNORECASE,
        ),
    ),
)
_RISK_FACTORS = re.compile(
    r"\brisk factors?\b|\bhigh[- ]risk\b|\belevated (?:surgical |cardiac |bleeding )?risk\b|"
    r"\banticoagula\w*|\bon (?:warfarin|apixaban|eliquis|xarelto|rivaroxaban|clopidogrel)\b|"
    r"\bimmunocompromised\b|\bbleeding risk\b",
    re.IGNORECASE,
)
# "was admitted", "follow-up after admission for CHF": a past hospital stay, not a decision.
_PAST = re.compile(
    r"\b(?:was|were|previously|prior|recent(?:ly)?|last|after|since|following|post|during|"
    r"from|before|prior to|since|her|his|this)\s+$",
    re.IGNORECASE,
)
_DNR = re.compile(r"\bDNR\b|do[- ]not[- ]resuscitate", re.IGNORECASE)
_DNR_DECISION = re.compile(
    r"\b(?:discuss\w*|decid\w*|decision|elect\w*|chose|agree\w*|wish\w*|changed? to|"
    r"goals of care|made|signed|complet\w*)\b",
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(r"\b(?:if|should|unless|in case)\b", re.IGNORECASE)
_DECISIONS = frozenset(
    {
        "hospitalization",
        "dnr_or_deescalation",
        "emergency_major_surgery",
        "elective_major_surgery",
        "elective_major_surgery_with_risk",
    }
)
_DRUG_CATEGORIES = frozenset({"prescription_drug_management", "otc_drugs", "intensive_monitoring"})
_RISK_SECTIONS = ASSESSMENT_SECTIONS | {
    SectionKind.HOSPITAL_COURSE,
    SectionKind.UNLABELED,
    SectionKind.DISCHARGE_INSTRUCTIONS,
}


def score_risk(note: Note, lexicon: EmLexicon | None = None) -> MdmElement:
    """The risk element of a note: the highest-risk management option found sets it."""
    lexicon = lexicon or load_lexicon()
    candidates: list[tuple[str, str, Unit, tuple[int, int]]] = []
    for unit in units(note, include=_RISK_SECTIONS):
        candidates.extend(_candidates(note, unit, lexicon))
    # Decisions must be asserted for this visit ("s/p admission last month" is not one); a
    # drug is judged by the words right before it only (below): a drug continued after an
    # "s/p" is current management.
    keep = asserted(note, [span for _, _, _, span in candidates])
    findings: dict[tuple[str, str], MdmFinding] = {}
    for (category, label, unit, span), ok in zip(candidates, keep, strict=True):
        drug = category in _DRUG_CATEGORIES
        # A drug is ruled out only by a negation right before it ("no antibiotics"): a
        # "without bleeding - increase pantoprazole" keeps it.
        if drug and negated_before(note, unit, span[0], gap=1):
            continue
        if not drug and (not ok or negated_before(note, unit, span[0])):
            continue
        if category == "hospitalization" and _PAST.search(note.text, unit.scope_start, span[0]):
            continue
        if (
            category == "dnr_or_deescalation"
            and _DNR.fullmatch(label)
            and not _DNR_DECISION.search(note.text, unit.scope_start, unit.scope_end)
        ):
            continue  # "Code status: DNR" records a status; the decision must be documented
        if category in _DECISIONS and _CONDITIONAL.search(note.text, unit.sentence.start, span[0]):
            continue  # "if she worsens, will admit": a contingency, not a decision
        # One finding per drug; otherwise one per category and sentence ("hospitalization was
        # discussed ... declines admission" is one decision).
        key = (category, label if drug else str(unit.sentence.start))
        level = RISK_CATEGORIES[category][0]
        findings.setdefault(key, MdmFinding(category, label, level, evidence_of(note, unit)))
    return level_of_risk(findings.values())


def level_of_risk(found: Iterable[MdmFinding]) -> MdmElement:
    """The risk element from its findings: the highest level found (minimal-risk
    treatments are listed only when nothing riskier was found)."""
    findings = tuple(sorted(found, key=lambda f: f.evidence.start))
    if not findings:
        return MdmElement(MdmLevel.STRAIGHTFORWARD, "minimal: no management risk found")
    top = max(findings, key=lambda f: f.level.rank)
    if top.level is not MdmLevel.STRAIGHTFORWARD:
        findings = tuple(f for f in findings if f.level is not MdmLevel.STRAIGHTFORWARD)
    return MdmElement(top.level, RISK_CATEGORIES[top.category][1], findings)


def _candidates(
    note: Note, unit: Unit, lexicon: EmLexicon
) -> list[tuple[str, str, Unit, tuple[int, int]]]:
    text = note.text
    start, end = unit.sentence.start, unit.sentence.end
    scope = text[unit.scope_start : unit.scope_end]
    out: list[tuple[str, str, Unit, tuple[int, int]]] = []
    for category, pattern in _PATTERNS:
        for match in pattern.finditer(text, start, end):
            found = category
            if category == "minor_surgery" and _RISK_FACTORS.search(scope):
                found = "minor_surgery_with_risk"
            elif category == "elective_major_surgery" and _RISK_FACTORS.search(scope):
                found = "elective_major_surgery_with_risk"
            out.append((found, match.group().lower(), unit, (match.start(), match.end())))
    sentence = text[start:end]
    # A prescription drug is managed when the sentence says what is done with it (or its
    # dose); an over-the-counter drug named in the plan is a recommendation.
    managed = _VERB_RE.search(sentence) is not None or _DOSE.search(sentence) is not None
    for word in _DRUG_WORD.finditer(text, start, end):
        name = word.group().lower()
        if name in lexicon.prescription_drugs and managed:
            out.append(("prescription_drug_management", name, unit, (word.start(), word.end())))
        elif name in lexicon.otc_drugs:
            out.append(("otc_drugs", name, unit, (word.start(), word.end())))
    for drug, monitoring in _INTENSIVE:
        if monitoring.search(scope):
            for match in drug.finditer(text, start, end):
                label = match.group().lower()
                out.append(("intensive_monitoring", label, unit, (match.start(), match.end())))
    for pattern, category in ((_PRESCRIPTION_WORDS, "prescription_drug_management"),
                              (_OTC_WORDS, "otc_drugs")):  # fmt: skip
        for match in pattern.finditer(text, start, end):
            out.append((category, match.group().lower(), unit, (match.start(), match.end())))
    return out
