"""Speed of the notes stage: parse + assert (10 spans per note) over CodiEsp dev texts.

Usage::

    python benchmarks/notes_bench.py [--dir /work/shared/codiesp/dev/text_en] [--repeat 3]
        [--no-medspacy]

Prints notes/s and p50/p95 ms for medcoder's stage, and, when medspaCy is installed, what each
medspaCy component costs on the same texts (the reason medcoder has its own splitter and
ConText engine).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from medcoder.notes import ContextEngine, parse_note, read_document

DEFAULT_DIR = Path("/work/shared/codiesp/dev/text_en")
SPANS_PER_NOTE = 10


def _spans(text: str) -> list[tuple[int, int]]:
    """Ten word-sized spans spread over the note, as a diagnosis coder would ask."""
    step = max(len(text) // SPANS_PER_NOTE, 1)
    spans = []
    for index in range(SPANS_PER_NOTE):
        start = min(index * step, len(text) - 1)
        spans.append((start, min(start + 8, len(text))))
    return spans


def _report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[min(int(0.95 * len(times)), len(times) - 1)]
    mean = statistics.fmean(times)
    print(
        f"{name:<44} {1 / mean:8.0f} notes/s   mean {mean * 1e3:6.2f} ms   "
        f"p50 {statistics.median(times) * 1e3:6.2f} ms   p95 {p95 * 1e3:6.2f} ms"
    )


def _time(texts: list[str], run: Callable[[str], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            run(text)
            times.append(time.perf_counter() - start)
    return times


def bench_medcoder(texts: list[str], repeat: int) -> None:
    engine = ContextEngine()

    def parse(text: str) -> object:
        return parse_note(read_document(text))

    def parse_and_assert(text: str) -> object:
        return engine.assert_spans(parse_note(read_document(text)), _spans(text))

    parse_and_assert(texts[0])  # warm the rule caches
    _report("medcoder read+parse", _time(texts, parse, repeat))
    _report(
        f"medcoder read+parse+assert ({SPANS_PER_NOTE} spans)",
        _time(texts, parse_and_assert, repeat),
    )


def bench_medspacy(texts: list[str]) -> None:
    try:
        import medspacy  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import spacy
        from medspacy.target_matcher import TargetRule  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        print("medspaCy not installed: component costs skipped")
        return
    warnings.filterwarnings("ignore")
    # medspaCy and PyRuSH log every sentence at DEBUG level through loguru and logging.
    logging.disable(logging.DEBUG)
    try:
        from loguru import logger

        logger.remove()
    except ImportError:
        pass
    sample = texts[:60]
    _report("spaCy blank('en') tokenizer", _time(sample, spacy.blank("en"), 1))
    tokenizer_only = medspacy.load(medspacy_enable=["medspacy_tokenizer"])
    _report("medspaCy tokenizer", _time(sample, tokenizer_only, 1))
    sectionizer = medspacy.load(medspacy_enable=["medspacy_tokenizer", "medspacy_sectionizer"])
    _report("medspaCy tokenizer + sectionizer", _time(sample, sectionizer, 1))
    context = medspacy.load(
        medspacy_enable=["medspacy_tokenizer", "medspacy_target_matcher", "medspacy_context"]
    )
    context.add_pipe("sentencizer", before="medspacy_target_matcher")
    context.get_pipe("medspacy_target_matcher").add(
        [TargetRule(t, "PROBLEM") for t in ("pain", "tumor", "fever", "mass", "lesion")]
    )
    _report("medspaCy tok + sentencizer + target + ConText", _time(sample, context, 1))
    pyrush = medspacy.load(medspacy_enable=["medspacy_tokenizer", "medspacy_pyrush"])
    _report("medspaCy tokenizer + PyRuSH sentences", _time(texts[:20], pyrush, 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-medspacy", action="store_true")
    args = parser.parse_args()
    texts = [p.read_text("utf-8") for p in sorted(args.dir.glob("*.txt"))]
    if not texts:
        raise SystemExit(f"no .txt files in {args.dir}")
    sizes = [len(t) for t in texts]
    print(f"{len(texts)} notes from {args.dir}, mean {statistics.fmean(sizes):.0f} chars")
    bench_medcoder(texts, args.repeat)
    if not args.no_medspacy:
        bench_medspacy(texts)


if __name__ == "__main__":
    main()
