"""CARC and RARC wording from the knowledge base's vendored code lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from medcoder.errors import MedcoderError

if TYPE_CHECKING:
    from medcoder.codesets.kb import KnowledgeBase

__all__ = ["KbCodeTexts"]


class KbCodeTexts:
    """:class:`medcoder.billing.posting.CodeTexts` over ``kb.adjustments`` (None if unknown)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._adjustments = kb.adjustments

    def carc(self, code: str) -> str | None:
        """The X12 wording of a CARC."""
        try:
            return self._adjustments.carc(code).description
        except MedcoderError:
            return None

    def rarc(self, code: str) -> str | None:
        """The X12 wording of a RARC."""
        try:
            return self._adjustments.rarc(code).description
        except MedcoderError:
            return None
