"""In-office tests: ECG, venipuncture, urinalysis, rapid strep / flu / COVID, glucose,
spirometry.

Each test is billed once per encounter however often the note names it. Reading only
(interpretation of a tracing or study done elsewhere) takes the professional code or
modifier 26: ECG 93010 (93005 for the tracing alone), spirometry 94010-26. For Medicare, the
CLIA-waived rapid tests carry QW.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medcoder.coding.services.lines import LineMaker
from medcoder.coding.services.model import CodedService, ServiceKind
from medcoder.coding.services.scan import Mention, Scanner

__all__ = ["OFFICE_TESTS", "OfficeTest", "find_office_tests"]


@dataclass(frozen=True, slots=True)
class OfficeTest:
    """A test: how notes name it, its code, and the variants its context selects."""

    name: str
    pattern: str
    code: str
    variants: tuple[tuple[str, str], ...] = ()  # (context pattern, code), first wins; "": skip
    clia_waived_qw: bool = False


_READ_ONLY = r"interpret\w* only|read only|over-?read|reading only|professional component"
OFFICE_TESTS: tuple[OfficeTest, ...] = (
    OfficeTest("ECG", r"ecg|ekg|electrocardiogram|12[- ]lead", "93000",
               ((_READ_ONLY, "93010"), (r"tracing only", "93005"))),
    OfficeTest("venipuncture", r"venipuncture|phlebotomy|blood draw|blood (?:was )?drawn"
               r"|labs? (?:were |was )?drawn|blood (?:samples?|specimens?) (?:was |were )?"
               r"(?:drawn|collected|obtained)|(?:drawn|collected) in (?:the )?(?:office|clinic)",
               "36415"),
    OfficeTest("urinalysis", r"urinalysis|(?-i:UA)|urine dip(?:stick)?|dipstick urin\w*",
               "81002", ((r"microscop\w*", ""), (r"automated|analy[sz]er|clinitek", "81003"))),
    OfficeTest("rapid strep", r"rapid strep\w*(?: (?:a|antigen|test|screen))*|rapid (?:group a )?"
               r"strep|radt|strep (?:a )?(?:rapid )?antigen|strep (?:test|screen|swab)", "87880",
               clia_waived_qw=True),
    OfficeTest("rapid influenza", r"rapid (?:influenza|flu)(?: a(?:/| and | & )b)?(?: test| swab"
               r"| antigen)*|(?:influenza|flu) (?:a(?:/| and | & )b )?(?:rapid )?(?:antigen|swab"
               r"|test)", "87804", clia_waived_qw=True),
    OfficeTest("COVID-19 antigen", r"(?:rapid )?(?:covid(?:-19)?|sars-cov-2) (?:rapid )?antigen"
               r"(?: test)?|rapid covid(?:-19)?(?: test)?", "87811", clia_waived_qw=True),
    OfficeTest("COVID-19 PCR", r"(?:covid(?:-19)?|sars-cov-2) (?:pcr|naat|molecular)(?: test)?",
               "87635"),
    OfficeTest("glucose by meter", r"(?:fingerstick|finger[- ]stick|poc|point[- ]of[- ]care"
               r"|capillary) (?:blood )?glucose|glucometer|fsbs|fsbg|cbg", "82962"),
    OfficeTest("blood glucose", r"(?:quantitative|venous|serum) (?:blood )?glucose", "82947"),
    OfficeTest("spirometry", r"spirometry|pfts?|pulmonary function test\w*", "94010",
               ((r"pre[- ]?(?:and|/|&) ?post|bronchodilator|post[- ]albuterol", "94060"),)),
)  # fmt: skip

_PATTERN = re.compile(
    r"\b(?:" + "|".join(f"(?P<t{i}>{t.pattern})" for i, t in enumerate(OFFICE_TESTS)) + r")\b",
    re.IGNORECASE,
)
_READ = re.compile(_READ_ONLY, re.IGNORECASE)
#: The test is done here and read elsewhere: technical component only.
_TECHNICAL = re.compile(
    r"technical component|tracing only|(?:to be |will be )?(?:read|interpreted) by (?:an? |the )?"
    r"(?:outside|other|consulting|pulmonolog\w*|cardiolog\w*)",
    re.IGNORECASE,
)
_SPLIT = frozenset({"94010", "94060"})  # codes with professional / technical components


def find_office_tests(
    scanner: Scanner, maker: LineMaker, *, medicare: bool = False
) -> list[CodedService]:
    """One line per test done today."""
    found: dict[str, tuple[OfficeTest, list[Mention]]] = {}
    for mention in scanner.mentions(_PATTERN, "A test"):
        match = _PATTERN.match(scanner.note.text, mention.start)
        assert match is not None and match.lastgroup is not None
        test = OFFICE_TESTS[int(match.lastgroup[1:])]
        found.setdefault(test.name, (test, []))[1].append(mention)
    lines = []
    for test, mentions in found.values():
        code, why = test.code, f"{test.name} done today"
        context = " ".join(m.context for m in mentions)
        for pattern, variant in test.variants:
            hit = re.search(pattern, context, re.IGNORECASE)
            if hit:
                code, why = variant, f"{test.name}: {hit[0]!r}"
                break
        if not code:
            scanner.warnings.append(
                f"{test.name} {why.split(': ', 1)[-1]}: a variant medcoder does not code "
                "(e.g. urinalysis with microscopy, 81000/81001); not billed"
            )
            continue
        modifiers: list[str] = []
        if code in _SPLIT and _READ.search(context):
            modifiers.append("26")
            why += "; reading only: professional component (26)"
        elif code in _SPLIT and _TECHNICAL.search(context):
            modifiers.append("TC")
            why += "; read elsewhere: technical component (TC)"
        if test.clia_waived_qw and medicare:
            modifiers.append("QW")
            why += "; CLIA-waived test for Medicare (QW)"
        lines.append(maker.line(code, ServiceKind.TEST, mentions[:3], why, modifiers=modifiers))
    return lines
