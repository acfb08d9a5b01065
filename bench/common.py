"""Small helpers shared by the benchmarks: timing percentiles and memory."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(samples_s)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def time_calls(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def median_of_runs(run: Callable[[], tuple[float, float]], runs: int = 3) -> tuple[float, float]:
    """Median p50 and median p95 over several runs (the machines are shared and noisy)."""
    results = [run() for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    import os

    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            children = f"/proc/{p}/task/{p}/children"
            if os.path.exists(children):
                pids += [int(c) for c in Path(children).read_text().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


def row(label: str, value: str) -> None:
    print(f"  {label:<52} {value}", flush=True)
