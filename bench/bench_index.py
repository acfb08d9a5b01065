"""Index benchmarks: build, incremental rebuild, query latency and memory; real corpus and 100,000
chunks."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_of_runs, peak_rss_mb, percentiles, row, time_calls  # noqa: E402
from bot import services  # noqa: E402
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402
from index.chunking import Chunk  # noqa: E402
from index.search import LoadedIndex, Searcher  # noqa: E402
from index.vectors import Lexical, build_dense, faiss_factory  # noqa: E402

QUESTIONS = [q["q"] for q in yaml.safe_load((PROJECT_ROOT / "tests/eval/questions.yaml").read_text())["questions"]]


def bench_real_corpus(tmp: Path) -> None:
    knowledge = tmp / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    settings = Settings(STATE_DIR=tmp / "state", KNOWLEDGE_DIR=knowledge)
    start = time.perf_counter()
    embedder = services.encoder(settings)
    row("model load", f"{time.perf_counter() - start:.1f} s")

    full = services.build(settings, progress=False)
    row("full build (all chunks embedded)", f"{full.seconds:.2f} s, {full.chunks} chunks, "
                                            f"{full.chunks / full.seconds:.0f} chunks/s")
    doc = knowledge / "guides" / "record-keeping.md"
    doc.write_text(doc.read_text() + "\n\n## One more tip\n\nCount your cash at the end of every day.\n")
    incremental = services.build(settings, progress=False)
    row("incremental rebuild after editing one document", f"{incremental.seconds:.2f} s "
        f"({incremental.embedded} chunks re-embedded, {incremental.reused} reused)")

    searcher = Searcher(settings.index_dir, embedder.encode, settings.ANSWERABLE_THRESHOLD)
    searcher.reload_if_changed()
    questions = iter(QUESTIONS * 20)
    p50, p95 = median_of_runs(lambda: percentiles(time_calls(lambda: searcher.search(next(questions)), len(QUESTIONS))))
    row(f"query latency in-process ({len(QUESTIONS)} questions x 3 runs)", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 20)")


def bench_synthetic(tmp: Path, n: int = 100_000, dim: int = 384) -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(20_000)] + "business plan record stock price tax women green".split()
    texts = [" ".join(rng.choice(words, 40)) for _ in range(n)]
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    start = time.perf_counter()
    dense, lexical = build_dense(vectors), Lexical.build(texts)
    row(f"synthetic {n:,} chunks: build ({faiss_factory(n)} + BM25)", f"{time.perf_counter() - start:.1f} s")
    chunks = [Chunk(f"d{i}#0", f"d{i}", "siyb", "t", "s", t, None) for i, t in enumerate(texts)]
    index = LoadedIndex("synthetic", {}, chunks, vectors, dense, lexical)
    embedder = services.encoder(Settings())
    searcher = Searcher(tmp, embedder.encode, 0.3)
    searcher._index = index  # a synthetic, in-memory build
    questions = iter(QUESTIONS * 20)
    p50, p95 = median_of_runs(lambda: percentiles(time_calls(lambda: searcher.search(next(questions)), len(QUESTIONS))))
    row(f"synthetic {n:,} chunks: query latency", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= 50)")


def main() -> None:
    print("knowledge index", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        bench_real_corpus(Path(tmp))
        bench_synthetic(Path(tmp))
    row("peak memory of this benchmark process", f"{peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
