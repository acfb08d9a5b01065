"""Scale-out benchmarks: 20 concurrent senders on the embedded stack (1 Rasa, SQLite) and on the
scaled stack (2 replicas, PostgreSQL, Redis, haproxy), and the longest pause users see while the
model is switched on each (blue-green on the embedded stack, a rolling reload on the scaled one)."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_chat import concurrent  # noqa: E402
from bench.bench_retrain import Chatter  # noqa: E402
from bench.common import percentiles, row  # noqa: E402
from bot import processes, rasa_switch, rolling, services  # noqa: E402
from bot.scaled import ScaledStack  # noqa: E402
from bot.servers import ServerMissing  # noqa: E402
from tests.conftest import stack_settings  # noqa: E402


def settings_in(tmp: Path):
    """Settings on a copy of the trained model, plus a second copy to switch to."""
    (tmp / "models").mkdir()
    settings = stack_settings(tmp / "state", RASA_MODEL_DIR=tmp / "models")
    shared = processes.model_path(stack_settings(tmp / "state"))
    shutil.copy2(shared, processes.model_path(settings))
    shutil.copy2(shared, tmp / "models" / "sme-advisor-20990101T000000.tar.gz")
    services.build(settings, progress=False)
    return settings, tmp / "models" / "sme-advisor-20990101T000000.tar.gz"


def measure(label: str, stack: processes.Stack, switch: Callable[[], str]) -> None:
    """20 senders x 5, then the model switch while three clients chat."""
    url = f"http://{stack.settings.HOST}:{stack.settings.GATEWAY_PORT}"
    asyncio.run(concurrent(url, senders=4, each=2))  # warm-up
    p50, p95, worst, rate, errors = asyncio.run(concurrent(url))
    row(f"{label}: 20 concurrent senders x 5", f"{rate:.1f} messages/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
                                                f"max {worst:.0f} ms, errors {errors}")
    chatters = [Chatter(url) for _ in range(3)]
    for chatter in chatters:
        chatter.start()
    message = switch()
    for chatter in chatters:
        chatter.stop.set()
        chatter.join()
    samples = [s for c in chatters for s in c.samples]
    p50, p95 = percentiles(samples)
    row(f"{label}: model switch while 3 clients chat", "")
    row("  what happened", message)
    row("  longest pause (slowest request)", f"{max(samples):.2f} s; p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"{len(samples)} requests, {sum(c.failed for c in chatters)} failed")


def embedded(tmp: Path) -> None:
    settings, new = settings_in(tmp)
    stack = processes.Stack(settings, echo=False)
    stopping = threading.Event()
    try:
        stack.start()
        stack.wait_ready(timeout_s=600)
        threading.Thread(target=rasa_switch.supervise, args=(stack, stopping, lambda _l: None), daemon=True).start()
        measure("embedded (1 Rasa, SQLite)", stack, lambda: rasa_switch.BlueGreen(stack, lambda _l: None).switch(new))
    finally:
        stopping.set()
        stack.stop()


def scaled(tmp: Path) -> None:
    settings, new = settings_in(tmp)
    try:
        stack = ScaledStack(settings, echo=False, replicas=2)
    except ServerMissing as exc:
        row("scaled stack", f"skipped: {exc}")
        return
    stopping = threading.Event()
    try:
        stack.start()
        stack.wait_ready(timeout_s=600)
        threading.Thread(target=stack.supervise, args=(stopping, lambda _l: None), daemon=True).start()
        measure("scaled (2 replicas, PostgreSQL, Redis, haproxy)", stack,
                lambda: rolling.rolling_reload(settings, stack.layout, new))
    finally:
        stopping.set()
        stack.stop()


def main() -> None:
    print("scale-out: embedded vs 2 replicas, and model switches under load", flush=True)
    for run in (embedded, scaled):
        with tempfile.TemporaryDirectory() as tmp:
            run(Path(tmp))


if __name__ == "__main__":
    main()
