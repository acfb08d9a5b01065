"""Routing benchmark: router load time and in-process `route()` latency over the evaluation texts.

Run: `.venv/bin/python bench/bench_routing.py [--torch-threads N]` (a temporary state folder and its
own index). On a busy 2-core machine torch's default intra-op threads make single-query embedding
5-10x slower; `--torch-threads 1` shows what a query-serving process gets with one thread.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_of_runs, peak_rss_mb, percentiles, row, time_calls  # noqa: E402
from bot import services  # noqa: E402
from bot.settings import PROJECT_ROOT, Settings  # noqa: E402
from index.evaluation import load_routing_set  # noqa: E402
from index.routing import Router  # noqa: E402

ROUTING_SET = PROJECT_ROOT / "tests/eval/routing.yaml"
TARGET_P95_MS = 30.0


def bench_routing(state_dir: Path, runs: int = 5) -> dict[str, float]:
    """Print and return model load, router load, and route() p50/p95 (median of `runs` runs)."""
    settings = Settings(STATE_DIR=state_dir, KNOWLEDGE_DIR=PROJECT_ROOT / "knowledge")
    items, off_topic = load_routing_set(ROUTING_SET)
    texts = [item["text"] for item in items] + off_topic

    start = time.perf_counter()
    embedder = services.encoder(settings)
    model_s = time.perf_counter() - start
    services.build(settings, progress=False)
    start = time.perf_counter()
    router = Router.from_folder(settings.KNOWLEDGE_DIR, embedder.encode, services.index_dir_for(settings))
    load_s = time.perf_counter() - start
    row("embedding model load", f"{model_s:.1f} s")
    row("router load (programme pages, keyword vectors, index)", f"{load_s * 1000:.0f} ms")

    router.route(texts[0])  # warm-up
    cycle = iter(texts * (runs + 1))
    p50, p95 = median_of_runs(lambda: percentiles(time_calls(lambda: router.route(next(cycle)), len(texts))), runs)
    verdict = "ok" if p95 <= TARGET_P95_MS else "ABOVE TARGET"
    row(f"route() in-process ({len(texts)} texts x {runs} runs, median)",
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= {TARGET_P95_MS:.0f}: {verdict})")
    row("peak memory of this process", f"{peak_rss_mb():.0f} MB")
    return {"model_load_s": model_s, "router_load_s": load_s, "p50_ms": p50, "p95_ms": p95}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--torch-threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()
    import torch

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    print(f"routing benchmark (torch threads: {torch.get_num_threads()})")
    with tempfile.TemporaryDirectory() as tmp:
        bench_routing(Path(tmp))


if __name__ == "__main__":
    main()
