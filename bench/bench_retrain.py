"""Retrain benchmarks against a running stack started here: a one-document edit (index only,
including the switch of the action server), the same through the CLI, and a full retrain with Rasa
(train + load).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import row  # noqa: E402
from bot import processes, rasa_model, services  # noqa: E402
from bot.retrain import StepEvent, retrain  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.conftest import stack_settings, start_stack  # noqa: E402

DOC = "guides/record-keeping.md"


def edit(knowledge: Path, n: int) -> None:
    path = knowledge / DOC
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n## Tip {n}\n\nCount the cash in your tin at the end of "
                                                        f"day {n} and write the total in your cash book.\n", encoding="utf-8")


def timed_retrain(settings, **options) -> tuple[float, dict[str, float], object]:
    """Wall time of one retrain and the seconds spent in each step."""
    marks: list[tuple[float, StepEvent]] = []
    started = time.perf_counter()
    result = retrain(settings, report=lambda e: marks.append((time.perf_counter(), e)), **options)
    total = time.perf_counter() - started
    steps: dict[str, float] = {}
    for (t0, e0), (t1, _) in zip(marks, marks[1:] + [(started + total, None)]):
        steps[e0.step] = steps.get(e0.step, 0.0) + (t1 - t0)
    return total, steps, result


class Chatter(threading.Thread):
    """Chats continuously and keeps every latency (to see what a Rasa model load costs the users).
    """

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.samples, self.failed = url, threading.Event(), [], 0

    def run(self) -> None:
        with httpx.Client(timeout=120) as client:
            while not self.stop.is_set():
                start = time.perf_counter()
                try:
                    ok = client.post(f"{self.url}/api/chat", json={"sender": f"bench-{uuid.uuid4()}",
                                                                   "message": "What is Start Your Business?"}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.samples.append(time.perf_counter() - start)
                self.failed += not ok


def main() -> None:
    print("retrain (check + index + switch [+ Rasa train + load]) against a running stack", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shutil.copytree(PROJECT_ROOT / "knowledge", tmp / "knowledge")
        (tmp / "models").mkdir()
        shared = processes.model_path(stack_settings(tmp / "state"))
        if shared.exists():
            shutil.copy2(shared, tmp / "models" / shared.name)
        settings = stack_settings(tmp / "state", KNOWLEDGE_DIR=tmp / "knowledge", RASA_MODEL_DIR=tmp / "models")
        running = start_stack(settings)
        # the copied model is what this stack serves: measure the knowledge path even if data/
        # changed meanwhile
        rasa_model.record_fingerprint(settings, rasa_model.training_fingerprint())
        try:
            # the model load is paid once per process (the CLI pays it every run)
            services.encoder(settings)
            chatter = Chatter(running.gateway_url)
            chatter.start()
            samples = []
            for n in range(3):
                edit(settings.KNOWLEDGE_DIR, n)
                total, steps, result = timed_retrain(settings)
                assert result.index_published and result.index_serving and not result.model_trained
                samples.append((total, steps))
            chatter.stop.set()
            chatter.join()
            median = statistics.median(t for t, _ in samples)
            row("one-document edit, index only (median of 3)", f"{median:.2f} s")
            for step in ("check", "index", "switch", "rasa-train"):
                row(f"  {step}", f"{statistics.median(s.get(step, 0.0) for _, s in samples):.2f} s")
            row("  chat during those retrains", f"{len(chatter.samples)} requests, max "
                f"{max(chatter.samples) * 1000:.0f} ms, {chatter.failed} failed")

            edit(settings.KNOWLEDGE_DIR, 99)
            env = {**os.environ, **processes.settings_env(settings)}
            start = time.perf_counter()
            code = subprocess.call([str(Path(sys.executable).parent / "sme-advisor"), "retrain"], cwd=PROJECT_ROOT,
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            row("same through `sme-advisor retrain` (new process)", f"{time.perf_counter() - start:.1f} s (exit {code})")

            chatter = Chatter(running.gateway_url)
            chatter.start()
            total, steps, result = timed_retrain(settings, force_rasa=True)
            chatter.stop.set()
            chatter.join()
            row("full retrain with Rasa (forced train + load)", f"{total:.1f} s")
            for step in ("check", "index", "switch", "rasa-train", "rasa-load"):
                row(f"  {step}", f"{steps.get(step, 0.0):.1f} s")
            status = httpx.get(f"{settings.rasa_url}/status", params={"token": settings.RASA_TOKEN}).json()
            row("  Rasa now serves", Path(status["model_file"]).name)
            row("  chat during the full retrain", f"{len(chatter.samples)} requests, max "
                f"{max(chatter.samples) * 1000:.0f} ms, {chatter.failed} failed")
        finally:
            running.stack.stop()


if __name__ == "__main__":
    main()
