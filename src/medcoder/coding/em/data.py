"""MDM element 2: amount and complexity of data to be reviewed and analyzed.

What a coder counts (each unique test once, whether ordered, reviewed or both; each unique
source of external notes once):

* Category 1, tests, documents or independent historian: review of prior external notes
  from each unique source, review of the result of each unique test, ordering of each unique
  test, assessment requiring an independent historian;
* Category 2: independent interpretation of a test performed by another physician;
* Category 3: discussion of management or test interpretation with an external physician,
  other qualified health care professional or appropriate source (not the patient's family).

=============== =====================================================================
straightforward minimal or none
low             category 1 with 2 tests/documents, or an independent historian
moderate        1 of 3 categories: category 1 with 3 items (historian counts), category
                2 or category 3
high            2 of the 3 categories above
=============== =====================================================================
"""

from __future__ import annotations

import re

from medcoder.coding.em.lexicon import EmLexicon, TestName, load_lexicon
from medcoder.coding.em.model import MdmElement, MdmFinding, MdmLevel
from medcoder.coding.em.spans import (
    HISTORY_SECTIONS,
    Unit,
    evidence_of,
    negated_before,
    units,
)
from medcoder.notes.model import Note, SectionKind

__all__ = ["level_of_data", "score_data"]


_REVIEW = re.compile(r"\breview\w*|\bresults?\b|\bshow\w*|\breveal\w*", re.IGNORECASE)
_EXTERNAL = re.compile(
    r"\b(?:outside|external|prior|previous|old)\s+(?:[\w-]+\s+){0,2}?(?:records?|notes?|"
    r"charts?)\b|\b(?:records?|notes?|discharge summary|consult(?:ation)? note)\s+from\s+"
    r"(?P<source>(?:Dr\.?\s+)?[\w.'-]+(?:\s+[A-Z][\w'-]+)*)",
    re.IGNORECASE,
)
_HISTORIAN = re.compile(
    r"\bindependent historian\b|\bhistory\s+(?:was\s+|is\s+)?(?:obtained|provided|given|taken)\s+"
    r"(?:from|by)\s+(?:the\s+)?(?:patient'?s\s+|his\s+|her\s+)?(?P<who>mother|father|parents?|"
    r"caregivers?|wife|husband|spouse|daughter|son|family|guardian|EMS|paramedics|staff)\b|"
    r"\b(?P<who2>mother|father|parents?|caregiver|wife|husband|daughter|son|guardian|EMS)\b"
    r"[^.;]{0,25}?\b(?:provides|provided|gives|gave|contributes|contributed)\s+"
    r"(?:the\s+|additional\s+|most of the\s+)?history\b",
    re.IGNORECASE,
)
_INTERPRETATION = re.compile(
    r"\bindependent(?:ly)?\s+(?:interpret\w*|review\w*|visualiz\w*)|\bmy\s+(?:own\s+)?"
    r"(?:interpretation|read|reading)\b|\bpersonally\s+(?:reviewed|interpreted|viewed)\s+the\s+"
    r"(?:[\w-]+\s+){0,2}?(?:images?|films?|tracing|study|ECG|EKG|x-?ray|CT|MRI|rhythm strip)|\bI\s+"
    r"(?:interpreted|viewed|read)\s+the\s+(?:images?|films?|tracing|ECG|EKG|x-?ray|CT)",
    re.IGNORECASE,
)
_CONSULTED = re.compile(
    r"\b(?P<who>(?:general |orthopedic |vascular )?surgery|cardiology|nephrology|neurology|"
    r"oncology|urology|gastroenterology|GI|pulmonology|psychiatry|endocrinology|"
    r"infectious disease|hospitalist|Dr\.?\s*[A-Z]\w*)\s+(?:was\s+|were\s+|has been\s+)?"
    r"(?:consulted|called|paged|contacted)\b",
    re.IGNORECASE,
)
_DISCUSSION = re.compile(
    r"\b(?:discussed|spoke|talked|conferred|consulted|reviewed\s+the\s+case|reviewed\s+the\s+"
    r"(?:images?|films?|study|findings|CT|MRI|x-?ray))\b[^.;]{0,60}?"
    r"\bwith\s+(?:the\s+)?(?:on-?call\s+|patient'?s\s+|his\s+|her\s+)?(?P<who>Dr\.?\s*[A-Z]\w*|"
    r"cardiolog\w*|nephrolog\w*|neurolog\w*|oncolog\w*|radiolog\w*|surge\w*|urolog\w*|"
    r"gastroenterolog\w*|GI|orthop\w*|pulmonolog\w*|psychiatr\w*|endocrinolog\w*|"
    r"infectious disease|hospitalist|intensivist|specialist|consultant|physician|"
    r"pharmacist|case manager|social worker|poison control|PCP|primary care|the radiologist|"
    r"the reading radiologist)",
    re.IGNORECASE,
)
# Sections whose sentences count only when they say the provider reviewed something.
_NARRATIVE = frozenset(
    {
        SectionKind.HISTORY_OF_PRESENT_ILLNESS,
        SectionKind.SUBJECTIVE,
        SectionKind.CHIEF_COMPLAINT,
        SectionKind.REASON_FOR_VISIT,
    }
)
# Results are often written inside the exam ("X-ray left wrist: ..."): the exam is read.
_NOT_DATA = HISTORY_SECTIONS | {SectionKind.VITAL_SIGNS}


def score_data(
    note: Note, lexicon: EmLexicon | None = None, *, not_counted: frozenset[str] = frozenset()
) -> MdmElement:
    """The data element of a note.

    Args:
        note: The parsed note.
        lexicon: The test words; the packaged lexicon by default.
        not_counted: Labels of tests whose interpretation the same provider reports
            separately (``"ecg"``, ``"x-ray"`` for every x-ray): neither their order, review
            nor interpretation counts (CPT E/M guidelines).
    """
    lexicon = lexicon or load_lexicon()

    def counted(label: str) -> bool:
        return not any(label == x or label.startswith(x + " ") for x in not_counted)

    tests: dict[str, MdmFinding] = {}
    sources: dict[str, MdmFinding] = {}
    historian: MdmFinding | None = None
    interpretation: MdmFinding | None = None
    discussion: MdmFinding | None = None
    test_mentions: list[tuple[Unit, str, tuple[int, int]]] = []
    for unit in units(note, exclude=_NOT_DATA - {SectionKind.SOCIAL_HISTORY}):
        evidence = evidence_of(note, unit)
        if historian is None and (match := _search(note, unit, _HISTORIAN)):
            who = match.group("who") or match.group("who2") or "independent historian"
            historian = MdmFinding("independent_historian", who.lower(), MdmLevel.LOW, evidence)
        if unit.section.kind in _NOT_DATA:
            continue
        narrative = unit.section.kind in _NARRATIVE
        if narrative and not _search(note, unit, _REVIEW):
            continue
        if interpretation is None and _search(note, unit, _INTERPRETATION):
            named = lexicon.find_tests(note.text, unit.sentence.start, unit.sentence.end)
            label = _label(*named[0]) if named else "test"
            if counted(label):
                interpretation = MdmFinding(
                    "independent_interpretation", label, MdmLevel.MODERATE, evidence
                )
        if discussion is None and (
            (match := _search(note, unit, _DISCUSSION))
            or (match := _search(note, unit, _CONSULTED))
        ):
            discussion = MdmFinding(
                "external_discussion", match.group("who").strip(), MdmLevel.MODERATE, evidence
            )
        if (match := _search(note, unit, _EXTERNAL)) and _search(note, unit, _REVIEW):
            source = (match.group("source") or "external records").strip().rstrip(".").lower()
            sources.setdefault(source, MdmFinding("external_notes", source, MdmLevel.LOW, evidence))
        for test, match in lexicon.find_tests(note.text, unit.sentence.start, unit.sentence.end):
            test_mentions.append((unit, _label(test, match), (match.start(), match.end())))
    for unit, label, span in test_mentions:
        # "UA negative" is a test reviewed: only "no labs", "without imaging" leave it out.
        if not negated_before(note, unit, span[0]) and label not in tests and counted(label):
            tests[label] = MdmFinding("unique_test", label, MdmLevel.LOW, evidence_of(note, unit))
    return level_of_data(
        list(tests.values()), list(sources.values()), historian, interpretation, discussion
    )


def level_of_data(
    tests: list[MdmFinding],
    sources: list[MdmFinding],
    historian: MdmFinding | None,
    interpretation: MdmFinding | None,
    discussion: MdmFinding | None,
) -> MdmElement:
    """The data element from what was counted, by the AMA category rules."""
    documents = len(tests) + len(sources)
    category1 = documents + (historian is not None)
    met = [
        name
        for name, ok in (
            (f"category 1 ({category1} items)", category1 >= 3),
            ("independent interpretation", interpretation is not None),
            ("discussion with external physician/QHP", discussion is not None),
        )
        if ok
    ]
    findings = sorted(
        [*tests, *sources, *(f for f in (historian, interpretation, discussion) if f)],
        key=lambda f: f.evidence.start,
    )
    counted = f"{len(tests)} unique test(s), {len(sources)} external source(s)" + (
        ", independent historian" if historian else ""
    )
    if len(met) >= 2:
        return MdmElement(MdmLevel.HIGH, " + ".join(met), tuple(findings))
    if met:
        return MdmElement(MdmLevel.MODERATE, f"{met[0]}: {counted}", tuple(findings))
    if documents >= 2 or historian is not None:
        return MdmElement(MdmLevel.LOW, counted, tuple(findings))
    return MdmElement(MdmLevel.STRAIGHTFORWARD, f"minimal: {counted}", tuple(findings))


def _search(note: Note, unit: Unit, pattern: re.Pattern[str]) -> re.Match[str] | None:
    return pattern.search(note.text, unit.sentence.start, unit.sentence.end)


def _label(test: TestName, match: re.Match[str]) -> str:
    label = test.label
    if label in ("ct", "mri", "x-ray", "ultrasound"):
        # Imaging of two body parts is two tests: keep the body part in the name.
        words = match.group().lower().replace(" of the ", " ").replace(" of ", " ").split()
        words = [w for w in words if w != "scan"]
        return " ".join([label, *words[1:]]) if label != "ultrasound" else " ".join(words)
    return label
