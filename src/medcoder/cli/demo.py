"""`medcoder demo`: the main job as it stands, on the embedded defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rich.panel import Panel

from medcoder.cli._common import open_kb
from medcoder.cli._output import console, render

__all__ = ["demo"]


def demo() -> None:
    """Build the knowledge base, then show lookups, a validation and Index/Table walks."""
    with open_kb() as kb:
        console.print(Panel.fit("medcoder demo — code-set knowledge base", style="bold"))
        for release in kb.releases:
            console.print(f"  {release.system.value:<11} {release.label}")
        dos = dt.date(2026, 5, 14)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("lookup E11.9", lambda: kb.icd10cm.lookup("E11.9")),
            ("validate S72.001 (no 7th character)", lambda: kb.icd10cm.validate("S72.001", dos)),
            ("index: Pneumonia, aspiration", lambda: kb.index.index("Pneumonia", "aspiration")),
            (
                "neoplasm: breast, upper-outer quadrant (malignant primary)",
                lambda: kb.index.neoplasm(
                    "breast", "upper-outer quadrant", behavior="malignant-primary"
                ),
            ),
            (
                "search: diabetic foot ulcer",
                lambda: kb.icd10cm.search("diabetic foot ulcer", limit=5),
            ),
            ("HCPCS G0438", lambda: kb.hcpcs.lookup("G0438")),
        ]
        for title, call in steps:
            console.rule(title)
            console.print(render(call()))
