"""Making service lines: the code's wording (CPT: medcoder's or licensed; HCPCS: official)."""

from __future__ import annotations

from collections.abc import Sequence

from medcoder.codesets import KnowledgeBase
from medcoder.codesets.cpt import Cpt
from medcoder.coding.services.model import CodedService, LineSystem, ServiceKind
from medcoder.coding.services.scan import Mention, site_in
from medcoder.errors import CodeError

__all__ = ["LineMaker"]


class LineMaker:
    """Builds :class:`CodedService` lines with the wording of their code."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._cpt = Cpt(kb)

    def line(
        self,
        code: str,
        kind: ServiceKind,
        mentions: Sequence[Mention],
        rationale: str,
        *,
        units: int = 1,
        modifiers: Sequence[str] = (),
        site: str = "",
        score: float = 0.9,
    ) -> CodedService:
        """A line for a CPT number (five digits) or an HCPCS Level II code (letter + four).

        ``site`` defaults to the first anatomic site named after the first mention.
        """
        if not site and mentions:
            site = site_in(mentions[0].after)
        if code[0].isalpha():
            system = LineSystem.HCPCS
            try:
                description = self.kb.hcpcs.lookup(code).long_description
            except CodeError:
                description = ""
        else:
            system = LineSystem.CPT
            description = self._cpt.description(code)
        return CodedService(
            code=code,
            system=system,
            description=description,
            kind=kind,
            units=max(units, 1),
            modifiers=tuple(modifiers),
            evidence=tuple(m.evidence() for m in mentions),
            rationale=rationale,
            score=score,
            site=site.strip(),
        )
