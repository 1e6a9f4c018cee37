"""The vendored files are the ones recorded in data/SHA256SUMS and data/PROVENANCE.md."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from medcoder.codesets import DataDir
from medcoder.codesets.build import load_builders

DATA = Path(__file__).resolve().parents[2] / "data"


def _recorded() -> dict[str, str]:
    rows = (DATA / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (row.split("  ", 1) for row in rows if row)}


class TestVendoredFiles:
    @pytest.mark.parametrize("name", sorted(_recorded()))
    def test_checksum_matches_record(self, name: str) -> None:
        digest = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert digest == _recorded()[name]

    def test_every_stored_file_is_recorded_and_documented(self) -> None:
        stored = {
            str(p.relative_to(DATA))
            for p in DATA.rglob("*")
            if p.is_file() and p.name not in {"SHA256SUMS", "SHA256SUMS.original", "PROVENANCE.md"}
        }
        assert stored == set(_recorded())
        provenance = (DATA / "PROVENANCE.md").read_text()
        for name in stored:
            stem = Path(name).name.removesuffix(".xz").removesuffix(".gz")
            assert stem.split(".")[0] in provenance, f"{name} missing from PROVENANCE.md"

    def test_every_builder_source_exists(self) -> None:
        data = DataDir()
        for builder in load_builders():
            for source in builder.sources:
                assert data.path(source).is_file()

    def test_decompression_is_transparent(self) -> None:
        with DataDir().open_text("icd10cm-2026-04/code-list-April-2026.txt") as f:
            assert f.readline().strip() == "1"
