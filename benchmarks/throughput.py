"""Diagnosis-coding throughput on CodiEsp dev texts: start-up, notes/s, latency, memory, stages.

Run: `.venv/bin/python benchmarks/throughput.py [--dir DIR] [--jobs 2] [--repeat 3] [--no-cli]
[--no-profile]`.

It uses the public API only (``KnowledgeBase``, ``DiagnosisCoder``, ``read_document``) and the
knowledge base of ``MEDCODER_CACHE_DIR`` (built first if missing, outside the timings). Printed:

- start-up: a fresh interpreter importing medcoder, opening the knowledge base, constructing the
  coder (with its parts from cProfile: Index lexicon, learned ranker, ...);
- one core: the first note (lazy loads), then notes/s over every note after a warm-up (best of
  ``--repeat`` passes), p50/p95 latency per note (each note's fastest run), peak RSS;
- ``--jobs`` worker processes (each builds its own coder): wall time for the whole set once all
  workers are ready (best of ``--repeat``), whether their codes equal the one-core run's, and
  the end-to-end ``medcoder code-batch DIR --jobs 1/N`` times;
- a per-stage breakdown from cProfile (cumulative time of each stage's functions; profiling
  inflates the absolute numbers, the shares are what it is for).
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import medcoder
from medcoder.codesets import KnowledgeBase
from medcoder.codesets.releases import CodeSystem
from medcoder.coding import CodingConfig, DiagnosisCoder
from medcoder.notes import read_document

DEFAULT_DIR = Path("/work/shared/codiesp/dev/text_en")
WARMUP = 5
TARGET_STARTUP_S = 3.0
TARGET_NOTES_PER_S = 100.0

# Work that cuts across DiagnosisCoder.code's steps, as (module path suffix, function name)
# groups; the steps themselves are read from the profile (the coder's direct callees).
STAGES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("read_document", (("notes/document.py", "read_document"),)),
    ("parse_note (sections, sentences)", (("notes/parser.py", "parse_note"),)),
    ("assertion (ConText, all calls)", (("notes/assertion.py", "assert_spans"),)),
    ("tokenize + abbreviations", (("coding/abbreviations.py", "tokenize"),)),
    (
        "Index matching (match + prune)",
        (("coding/index_matcher.py", "match"), ("coding/mentions.py", "prune_overlaps")),
    ),
    ("learned ranker (rank)", (("coding/model/ranker.py", "rank"),)),
    (
        "rules",
        tuple(
            ("coding/rules.py", name)
            for name in (
                "hypertension_presumption",
                "drop_less_specific",
                "resolve_excludes1",
                "drop_integral_symptoms",
                "use_additional_queries",
                "documentation_queries",
            )
        ),
    ),
)

Stats = dict[tuple[str, int, str], tuple[int, int, float, float, dict[Any, Any]]]


def _where(file: str, line: int, name: str) -> str:
    return ("/".join(Path(file).parts[-2:]) if file != "~" else "builtin") + f":{line} {name}"


def _find(stats: Stats, suffix: str, func: str) -> list[tuple[str, int, str]]:
    return [key for key in stats if key[2] == func and key[0].replace(os.sep, "/").endswith(suffix)]


def _callees(
    stats: Stats, caller: tuple[str, int, str]
) -> list[tuple[float, tuple[str, int, str]]]:
    """Direct callees of ``caller``, with the cumulative time spent in them from it."""
    return sorted(
        ((callers[caller][3], key) for key, (*_, callers) in stats.items() if caller in callers),
        reverse=True,
    )


def _percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "unknown"


def _revision() -> str:
    """The git commit of the tree measured, with '+dirty' when it has uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "(not a git checkout)"
    return head + ("+dirty src" if dirty else "")


def _src_stamp() -> float:
    """Newest modification time of medcoder's Python files."""
    package = Path(medcoder.__file__).parent
    return max(p.stat().st_mtime for p in package.rglob("*.py"))


def _load(paths: Sequence[Path]) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


# -- start-up ------------------------------------------------------------------------------------
def _import_seconds() -> float:
    """Import time of the public API in a fresh interpreter (median of 3)."""
    code = (
        "import time; t = time.perf_counter(); "
        "import medcoder.codesets, medcoder.coding, medcoder.notes; "
        "print(time.perf_counter() - t)"
    )
    runs: list[float] = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"importing medcoder failed:\n{done.stderr}")
        runs.append(float(done.stdout))
    return statistics.median(runs)


def _startup(db: Path) -> tuple[KnowledgeBase, DiagnosisCoder]:
    print("== start-up")
    imports = _import_seconds()
    t0 = time.perf_counter()
    kb = KnowledgeBase.open(db)
    kb.release_for(CodeSystem.ICD10CM)
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    coder = DiagnosisCoder(kb)
    built = time.perf_counter() - t0
    total = imports + opened + built
    print(f"imports (fresh interpreter)      {imports * 1000:7.0f} ms")
    print(f"knowledge base open              {opened * 1000:7.0f} ms")
    print(f"DiagnosisCoder(kb)               {built * 1000:7.0f} ms")
    print(
        f"total start-up                   {total * 1000:7.0f} ms  "
        f"(target < {TARGET_STARTUP_S:.0f} s: {'met' if total < TARGET_STARTUP_S else 'MISSED'})"
    )
    print(f"peak RSS after start-up          {_peak_rss_mb():7.0f} MB")
    return kb, coder


def _parts(kb: KnowledgeBase) -> None:
    """What DiagnosisCoder(kb) spends its time on: its direct callees under cProfile.

    Built a second time after the RSS readings; read from the profile rather than a fixed list
    so that parts added to the coder show up. Profiling inflates many-small-call code (the
    lexicon's tokenizing) more than the rest: read the shares.
    """
    profile = cProfile.Profile()
    profile.enable()
    DiagnosisCoder(kb)
    profile.disable()
    stats: Stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    init = _find(stats, "coding/diagnosis.py", "__init__")[0]
    total = stats[init][3]
    print(f"== DiagnosisCoder(kb) parts (cProfile; {total * 1000:.0f} ms profiled in all)")
    for seconds, key in _callees(stats, init):
        if seconds >= 0.001:
            print(f"    {seconds * 1000:7.0f} ms  {seconds / total * 100:5.1f} %  {_where(*key)}")


# -- one core ------------------------------------------------------------------------------------
Codes = dict[str, tuple[str, ...]]


def _one_core(coder: DiagnosisCoder, notes: list[tuple[str, bytes]], repeat: int) -> Codes:
    """Time every note ``repeat`` times; the best pass and each note's fastest run count."""
    print(f"== one core (best of {repeat} passes after {WARMUP} warm-up notes)")
    t0 = time.perf_counter()
    name, data = notes[0]
    coder.code(read_document(data, source=name))
    print(f"first note (lazy loads included)  {(time.perf_counter() - t0) * 1000:7.0f} ms")
    for name, data in notes[1:WARMUP]:
        coder.code(read_document(data, source=name))
    fastest = [float("inf")] * len(notes)
    passes: list[tuple[float, float]] = []
    codes: Codes = {}
    for _ in range(repeat):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for i, (name, data) in enumerate(notes):
            t0 = time.perf_counter()
            result = coder.code(read_document(data, source=name))
            fastest[i] = min(fastest[i], time.perf_counter() - t0)
            codes[name] = tuple(d.code for d in result.diagnoses)
        passes.append((time.perf_counter() - wall0, time.process_time() - cpu0))
    wall, cpu = min(passes)
    rate = len(notes) / wall
    print(
        f"{len(notes)} notes in {wall:.2f} s wall ({cpu:.2f} s CPU = "
        f"{len(notes) / cpu:.1f} notes/s of CPU): {rate:.1f} notes/s "
        f"(target >= {TARGET_NOTES_PER_S:.0f}: {'met' if rate >= TARGET_NOTES_PER_S else 'MISSED'})"
        f"; all passes: {', '.join(f'{len(notes) / w:.1f}' for w, _ in passes)} notes/s"
    )
    suggestions = sum(len(c) for c in codes.values()) / len(codes)
    print(
        f"latency per note: mean {statistics.fmean(fastest) * 1000:.1f} ms, "
        f"p50 {statistics.median(fastest) * 1000:.1f} ms, "
        f"p95 {_percentile(fastest, 0.95) * 1000:.1f} ms, "
        f"max {max(fastest) * 1000:.1f} ms; {suggestions:.1f} suggestions/note"
    )
    print(f"peak RSS (one process)           {_peak_rss_mb():7.0f} MB")
    return codes


# -- worker processes ----------------------------------------------------------------------------
_worker_coder: DiagnosisCoder | None = None
_worker_barrier: Barrier | None = None


def _init_worker(db: str, warmup: list[tuple[str, bytes]], barrier: Barrier) -> None:
    # A barrier can only reach a worker by inheritance (initargs), not as a task argument.
    global _worker_coder, _worker_barrier
    _worker_barrier = barrier
    kb = KnowledgeBase.open(Path(db))
    _worker_coder = DiagnosisCoder(kb)
    for name, data in warmup:
        _worker_coder.code(read_document(data, source=name))


def _ready(_: int) -> float:
    """Wait for every worker; return this worker's peak RSS in MB.

    Every worker holds one of these tasks at once, so all of them have finished start-up.
    The peak is VmHWM, not getrusage: a spawned worker's ru_maxrss keeps the high-water mark
    of the parent it was forked from before exec.
    """
    assert _worker_barrier is not None
    _worker_barrier.wait()
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return _peak_rss_mb()


def _code_path(path: str) -> tuple[str, tuple[str, ...]]:
    assert _worker_coder is not None
    p = Path(path)
    result = _worker_coder.code(read_document(p.read_bytes(), source=p.name))
    return p.name, tuple(d.code for d in result.diagnoses)


def _workers(
    db: Path,
    paths: list[Path],
    notes: list[tuple[str, bytes]],
    jobs: int,
    repeat: int,
    single: Codes,
    stamp: float,
) -> None:
    print(f"== {jobs} worker processes (spawn; each builds its own coder; best of {repeat})")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(jobs)
    t0 = time.perf_counter()
    with ctx.Pool(
        jobs, initializer=_init_worker, initargs=(str(db), notes[:WARMUP], barrier)
    ) as pool:
        pool.map(_ready, range(jobs), chunksize=1)
        ready = time.perf_counter() - t0
        walls: list[float] = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            codes = dict(pool.map(_code_path, [str(p) for p in paths], chunksize=4))
            walls.append(time.perf_counter() - t0)
        peaks = pool.map(_ready, range(jobs), chunksize=1)
    wall = min(walls)
    print(f"workers ready after {ready:.2f} s (start-up + {WARMUP} warm-up notes each)")
    print(
        f"{len(paths)} notes in {wall:.2f} s wall: {len(paths) / wall:.1f} notes/s "
        f"({len(paths) / wall / jobs:.1f} per worker); "
        f"all passes: {', '.join(f'{len(paths) / w:.1f}' for w in walls)} notes/s"
    )
    differ = sorted(name for name, got in codes.items() if single.get(name) != got)
    if not differ:
        print("codes identical to the one-core run")
    else:
        # Spawned workers import medcoder from disk again: edits in between change the codes.
        edited = " (medcoder's source was edited during the run)" if _src_stamp() > stamp else ""
        print(f"codes DIFFER from the one-core run on {len(differ)} notes{edited}: {differ[:3]}")
    print(f"peak RSS per worker (VmHWM)      {', '.join(f'{mb:.0f}' for mb in peaks)} MB")


def _cli(directory: Path, jobs: int) -> None:
    print("== end to end: medcoder code-batch")
    exe = Path(sys.executable).with_name("medcoder")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted({1, jobs}):
            out = Path(tmp) / "out.tsv"
            cmd = [str(exe), "code-batch", str(directory), "-o", str(out), "--jobs", str(n)]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            wall = time.perf_counter() - t0
            rows = len(out.read_text(encoding="utf-8").splitlines())
            print(f"`medcoder code-batch DIR -o out.tsv --jobs {n}`: {wall:.2f} s ({rows} rows)")


# -- stages --------------------------------------------------------------------------------------
def _stages(coder: DiagnosisCoder, notes: list[tuple[str, bytes]]) -> None:
    print("== per-stage breakdown (cProfile, cumulative; shares of DiagnosisCoder.code)")
    profile = cProfile.Profile()
    profile.enable()
    for name, data in notes:
        coder.code(read_document(data, source=name))
    profile.disable()
    stats: Stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    code = _find(stats, "coding/diagnosis.py", "code")[0]
    whole = stats[code][3]
    print(
        f"DiagnosisCoder.code (profiled) {whole:7.2f} s = {whole / len(notes) * 1000:.2f} ms/note"
    )
    print("  its steps (direct callees, >= 0.5 %):")
    for seconds, key in _callees(stats, code):
        if seconds >= 0.005 * whole:
            print(f"    {seconds:6.2f} s  {seconds / whole * 100:5.1f} %  {_where(*key)}")
    print("  work across the steps:")
    for label, groups in STAGES:
        # A name may be both a function and a method of one module (assert_spans): the
        # outermost one has the larger cumulative time and includes the other.
        found = [
            max(stats[k][3] for k in keys) for keys in (_find(stats, *g) for g in groups) if keys
        ]
        if not found:
            print(f"    {'-':>6}          {label} (not called)")
            continue
        seconds = sum(found)
        print(f"    {seconds:6.2f} s  {seconds / whole * 100:5.1f} %  {label}")
    print("  top functions by own time:")
    ranked = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    for key, (_cc, calls, own, _ct, _callers) in ranked:
        print(f"    {own:6.2f} s  {calls:>9,} calls  {_where(*key)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best counts)")
    parser.add_argument("--no-cli", action="store_true", help="skip `medcoder code-batch`")
    parser.add_argument("--no-profile", action="store_true", help="skip the stage breakdown")
    args = parser.parse_args()

    paths = sorted(args.dir.glob("*.txt"))
    if not paths:
        raise SystemExit(f"no .txt files in {args.dir}")
    notes = _load(paths)
    sizes = [len(data) for _, data in notes]
    # Build (or reuse) the cached knowledge base outside every timing.
    with KnowledgeBase.open() as kb:
        db = kb.path
    print(f"medcoder {_revision()}; load average {_loadavg()}")
    print(
        f"{len(notes)} notes from {args.dir}, mean {statistics.fmean(sizes):,.0f} bytes; "
        f"knowledge base {db}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
        f"config {CodingConfig()}"
    )
    stamp = _src_stamp()
    kb, coder = _startup(db)
    with kb:
        single = _one_core(coder, notes, args.repeat)
        _parts(kb)
        if not args.no_profile:
            _stages(coder, notes)
    if args.jobs > 1:
        _workers(db, paths, notes, args.jobs, args.repeat, single, stamp)
    if not args.no_cli:
        _cli(args.dir, args.jobs)
    print(f"load average at the end {_loadavg()} (other work on the machine skews the numbers)")


if __name__ == "__main__":
    main()
