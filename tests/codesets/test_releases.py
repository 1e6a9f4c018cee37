"""Release selection by date of service, and the build/reuse cycle of the knowledge base."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

from medcoder.codesets import CodeSystem, DataDir, KnowledgeBase
from medcoder.codesets.build import build_knowledge_base
from medcoder.codesets.releases import register_release
from medcoder.errors import KnowledgeBaseError, NoReleaseError


class _TinyBuilder:
    """Two ICD-10-CM releases and one NCCI quarter, no real tables: exercises the framework."""

    name = "tiny"
    sources = ("icd10cm-2026-04/code-list-April-2026.txt",)

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        register_release(
            con,
            id="cm-a",
            system=CodeSystem.ICD10CM,
            label="FY2026 April",
            effective_from=dt.date(2026, 4, 1),
            nominal_end=dt.date(2026, 9, 30),
            source="test",
        )
        register_release(
            con,
            id="ncci-q3",
            system=CodeSystem.NCCI,
            label="NCCI 2024 Q3",
            effective_from=dt.date(2024, 7, 1),
            nominal_end=dt.date(2024, 9, 30),
            source="test",
        )
        return {"release": 2}


class _FailingBuilder(_TinyBuilder):
    name = "failing"

    def build(self, con: sqlite3.Connection, data: DataDir) -> dict[str, int]:
        raise ValueError("boom")


@pytest.fixture()
def tiny_kb(tmp_path: Path) -> KnowledgeBase:
    report = build_knowledge_base(tmp_path, builders=[_TinyBuilder()])
    return KnowledgeBase(report.path, report=report)


class TestBuildCycle:
    def test_second_build_reuses_the_file(self, tmp_path: Path) -> None:
        first = build_knowledge_base(tmp_path, builders=[_TinyBuilder()])
        second = build_knowledge_base(tmp_path, builders=[_TinyBuilder()])
        assert not first.reused and second.reused
        assert first.path == second.path and first.path.exists()
        assert [name for name, _, _ in first.steps] == ["tiny"]

    def test_failed_build_leaves_nothing_behind(self, tmp_path: Path) -> None:
        with pytest.raises(KnowledgeBaseError, match="building the knowledge base failed: boom"):
            build_knowledge_base(tmp_path, builders=[_FailingBuilder()])
        assert list(tmp_path.iterdir()) == []

    def test_closed_kb_refuses_queries(self, tiny_kb: KnowledgeBase) -> None:
        tiny_kb.close()
        with pytest.raises(KnowledgeBaseError, match="closed"):
            tiny_kb.con.execute("SELECT 1")


class TestForDate:
    def test_in_range_date_has_no_warning(self, tiny_kb: KnowledgeBase) -> None:
        with tiny_kb:
            view = tiny_kb.for_date(dt.date(2026, 5, 1))
            assert view.release(CodeSystem.ICD10CM).id == "cm-a"
            assert not [w for w in view.warnings if w.startswith("icd10cm")]

    def test_fy2027_date_uses_newest_release_with_warning(self, tiny_kb: KnowledgeBase) -> None:
        with tiny_kb:
            view = tiny_kb.for_date(dt.date(2026, 11, 23))
            assert view.release(CodeSystem.ICD10CM).id == "cm-a"
            assert any("FY2027" in w for w in view.warnings)
            assert any(w.startswith("ncci") for w in view.warnings)

    def test_date_before_oldest_release_names_covered_range(self, tiny_kb: KnowledgeBase) -> None:
        with (
            tiny_kb,
            pytest.raises(
                NoReleaseError,
                match=re.escape(
                    "no icd10cm release covers 2025-01-01: "
                    "the knowledge base covers 2026-04-01 onward"
                ),
            ),
        ):
            tiny_kb.for_date(dt.date(2025, 1, 1))
