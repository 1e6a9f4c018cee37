"""Section detection: headings at the start of a line, mapped to a :class:`SectionKind`.

One compiled regular expression holds every heading of the rule data (one named group per
section kind), so a 2 KB note is scanned in a few microseconds. A heading counts only at the
start of a line and only when a colon follows or nothing else is on its line: "Allergies to
penicillin were noted." is prose, "Allergies: penicillin" and "ALLERGIES" are headings.
Abbreviations ("PE", "HPI") and SOAP letters need their colon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medcoder.notes.model import Section, SectionKind
from medcoder.notes.rules import SectionRule, load_section_rules

__all__ = ["SectionFinder"]


class SectionFinder:
    """Splits a note text into sections.

    Args:
        rules: Section rules; the packaged US headings by default.

    Example:
        >>> finder = SectionFinder()
        >>> [s.kind.value for s in finder.find("CC: cough\\nA/P: bronchitis")]
        ['chief_complaint', 'assessment_and_plan']
    """

    def __init__(self, rules: Iterable[SectionRule] | None = None) -> None:
        self._rules = tuple(load_section_rules() if rules is None else rules)
        self._pattern = _compile(self._rules)

    @property
    def rules(self) -> tuple[SectionRule, ...]:
        """The rules in use."""
        return self._rules

    def find(self, text: str) -> list[Section]:
        """The sections of ``text``, covering it from offset 0 to ``len(text)`` without gaps.

        Text before the first heading (all of it when there is none) is an UNLABELED section,
        unless it is only whitespace, which then belongs to the first section.
        """
        heads: list[tuple[SectionKind, str, int, int]] = []
        for match in self._pattern.finditer(text):
            group = match.lastgroup
            if group is None:  # pragma: no cover - every alternative is a named group
                continue
            kind = SectionKind(group)
            heads.append((kind, match.group(group), match.start(group), match.end()))
        if not heads:
            return [Section(SectionKind.UNLABELED, "", 0, len(text), 0)]
        sections: list[Section] = []
        first_start = heads[0][2]
        if text[:first_start].strip():
            sections.append(Section(SectionKind.UNLABELED, "", 0, first_start, 0))
        else:
            first_start = 0
        for index, (kind, title, start, body_start) in enumerate(heads):
            end = heads[index + 1][2] if index + 1 < len(heads) else len(text)
            sections.append(
                Section(kind, title, first_start if index == 0 else start, end, body_start)
            )
        return sections


def _compile(rules: Iterable[SectionRule]) -> re.Pattern[str]:
    groups: dict[SectionKind, list[str]] = {}
    for rule in rules:
        alternatives = groups.setdefault(rule.kind, [])
        alternatives.extend(f"(?i:{_words(h)})" for h in rule.headings)
        # Abbreviations and SOAP letters are headings only with their colon ("PE: ...",
        # "A: stable"): alone on a line, "PE" is as likely a pulmonary embolism in a list.
        alternatives.extend(f"{_words(a)}(?=[ \\t]*:)" for a in rule.abbreviations)
        alternatives.extend(f"{re.escape(letter)}(?=[ \\t]*:)" for letter in rule.letters)
    body = "|".join(
        f"(?P<{kind.value}>{'|'.join(sorted(alts, key=len, reverse=True))})"
        for kind, alts in groups.items()
    )
    # The heading ends with a colon (eaten) or the end of its line (lookahead).
    return re.compile(rf"^[ \t]*(?:{body})(?![\w/&-])[ \t]*(?::[ \t]*|(?=\r?$))", re.MULTILINE)


def _words(phrase: str) -> str:
    return r"[ \t]+".join(re.escape(word) for word in phrase.split())
