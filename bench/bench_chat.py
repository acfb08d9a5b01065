"""End-to-end chat benchmarks through the real processes: latency, concurrency, start-up and memory.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_of_runs, percentiles, row, rss_mb  # noqa: E402
from tests.conftest import stack_settings, start_stack  # noqa: E402

QUESTIONS = ["How do I write a business plan?", "What is Start Your Business?", "how do i register my shop",
             "how can my workshop save energy", "what is GET Ahead", "how do I keep records of sales"]


GREETINGS = ["hi", "hello", "good morning"]


def sequential(url: str, messages: list[str] = QUESTIONS, n: int = 30) -> tuple[float, float]:
    """p50 and p95 of `n` messages from one sender, one after the other."""
    sender, samples = f"bench-{uuid.uuid4()}", []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            start = time.perf_counter()
            r = client.post(f"{url}/api/chat", json={"sender": sender, "message": messages[i % len(messages)]})
            samples.append(time.perf_counter() - start)
            r.raise_for_status()
    return percentiles(samples)


def greeting_vs_knowledge(url: str, runs: int = 3) -> tuple[float, float]:
    """Median over `runs` of the greeting p95 and the knowledge-answer p95, measured in alternation.
    """
    greetings, answers = [], []
    for _ in range(runs):
        greetings.append(sequential(url, GREETINGS)[1])
        answers.append(sequential(url, QUESTIONS)[1])
    return statistics.median(greetings), statistics.median(answers)


async def concurrent(url: str, senders: int = 20, each: int = 5) -> tuple[float, float, float, float, int]:
    """p50, p95, max (s), messages per second and errors for `senders` senders sending `each`
    questions."""
    samples: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, n: int) -> None:
        nonlocal errors
        sender = f"bench-{n}-{uuid.uuid4()}"
        for i in range(each):
            start = time.perf_counter()
            r = await client.post(f"{url}/api/chat", json={"sender": sender, "message": QUESTIONS[(n + i) % len(QUESTIONS)]})
            samples.append(time.perf_counter() - start)
            errors += r.status_code != 200
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(one(client, n) for n in range(senders)))
    elapsed = time.perf_counter() - started
    p50, p95 = percentiles(samples)
    return p50, p95, max(samples) * 1000, len(samples) / elapsed, errors


def main() -> None:
    print("chat end to end (gateway -> rasa -> actions -> index)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        running = start_stack(stack_settings(Path(tmp)))
        try:
            row("start-up to ready (all three, after index build)", f"{time.perf_counter() - started:.1f} s")
            for name, seconds in running.startup_s.items():
                row(f"  {name} ready after", f"{seconds:.1f} s")
            url = running.gateway_url
            sequential(url)  # warm-up
            p50, p95 = median_of_runs(lambda: sequential(url))
            row("/api/chat knowledge question, one sender (3 x 30)", f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (target p95 <= 150)")
            greeting, answer = greeting_vs_knowledge(url)
            row("/api/chat p95: greeting vs knowledge answer (median of 3 x 30 each)",
                f"{greeting:.0f} ms vs {answer:.0f} ms: ratio {answer / greeting:.2f} (target <= 1.5)")
            p50, p95, worst, rate, errors = asyncio.run(concurrent(url))
            row("/api/chat, 20 concurrent senders x 5 questions",
                f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms, {rate:.1f} messages/s, "
                f"errors {errors} (target 0)")
            for name, pid in running.stack.pids().items():
                row(f"resident memory: {name}", f"{rss_mb(pid):.0f} MB")
        finally:
            running.stack.stop()


if __name__ == "__main__":
    main()
