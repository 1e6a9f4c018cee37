"""Control numbers: unique across runs and processes, persisted in a locked file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from medcoder.claims.control import FileControlNumbers, InMemoryControlNumbers
from medcoder.claims.errors import ClaimError
from medcoder.claims.samples import generate_claims, sample_batch
from medcoder.claims.x12.write837 import write_837


def _take(path: str, count: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    source = FileControlNumbers(Path(path))
    out.put([source.next() for _ in range(count)])


class TestFileControlNumbers:
    def test_persisted_across_instances(self, tmp_path: Path) -> None:
        path = tmp_path / "ctl"
        assert [FileControlNumbers(path).next() for _ in range(3)] == [1, 2, 3]
        assert path.read_text().strip() == "3"
        assert FileControlNumbers(path).next() == 4

    def test_unique_across_processes(self, tmp_path: Path) -> None:
        path = str(tmp_path / "ctl")
        ctx = multiprocessing.get_context("fork")
        queue: multiprocessing.Queue[list[int]] = ctx.Queue()
        procs = [ctx.Process(target=_take, args=(path, 25, queue)) for _ in range(4)]
        for p in procs:
            p.start()
        taken = [n for _ in procs for n in queue.get(timeout=60)]
        for p in procs:
            p.join(timeout=60)
        assert sorted(taken) == list(range(1, 101))

    def test_corrupt_file_is_an_error_not_a_reset(self, tmp_path: Path) -> None:
        path = tmp_path / "ctl"
        path.write_text("twelve\n")
        with pytest.raises(ClaimError, match="holds 'twelve', not a number"):
            FileControlNumbers(path).next()
        assert path.read_text() == "twelve\n"

    def test_used_up(self, tmp_path: Path) -> None:
        path = tmp_path / "ctl"
        path.write_text("999999999\n")
        with pytest.raises(ClaimError, match="used up"):
            FileControlNumbers(path).next()


def test_files_written_in_two_runs_have_distinct_envelope_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ctl"
    isa13 = set()
    for run in range(2):
        source = FileControlNumbers(path)  # a new "run" each time
        for _ in range(3):
            text = write_837(generate_claims(2, seed=run), sample_batch(source.next()))
            isa = text.split("~")[0].split("*")
            isa13.add(isa[13])
    assert len(isa13) == 6


def test_in_memory() -> None:
    source = InMemoryControlNumbers(start=10)
    assert [source.next(), source.next()] == [10, 11]
