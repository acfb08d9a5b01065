"""Retrain against a running stack of its own: a new document is answered from after the switch,
with no failed or slow request while it happens; a broken document is refused and the previous index
keeps
serving."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from bot import processes, rasa_model
from bot.retrain import RetrainFailed, retrain
from bot.settings import PROJECT_ROOT
from tests.conftest import RunningStack, stack_settings, start_stack

pytestmark = pytest.mark.live

TITLE = "Bookkeeping for street food vendors in the rainy season"
NEW_GUIDE = f"""---
title: {TITLE}
programme: siyb
---

## Keeping the books when the rains come

Street food vendors lose sales in the rainy season, so bookkeeping matters most then. Use the
wet-season cash tin method: keep one waterproof tin for takings and one for stall costs, and at
closing time write both totals in a cash book kept in a plastic bag.

## Planning for slow rainy days

Before the rains, look at last year's cash book to see how much sales dropped. Save a little each
dry-season week so you can still buy charcoal, oil and ingredients when customers stay home.
"""
BROKEN_GUIDE = """---
title: Rainy season stock
programme: street-food
---

## Stock

Buy less fresh produce when rain is forecast.
"""
QUESTION = "How should street food vendors do their bookkeeping in the rainy season?"
BACKGROUND = ["What is Start Your Business?", "How do I keep records of my sales?", "hello",
              "my shop has no licence, should I register it?"]


@dataclass
class Chatter:
    """A client chatting continuously in a thread, recording (start, seconds, status) of every
    request."""

    url: str
    sender: str = "load"
    samples: list[tuple[float, float, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    code = client.post(f"{self.url}/api/chat", json={"sender": f"{self.sender}-{n % 4}",
                                                                     "message": BACKGROUND[n % len(BACKGROUND)]}).status_code
                except httpx.HTTPError:
                    code = 0
                self.samples.append((started, time.perf_counter() - started, code))
                n += 1


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory):
    """rasa + actions + gateway over a temporary copy of knowledge/ and of the trained model."""
    tmp = tmp_path_factory.mktemp("retrain-live")
    shutil.copytree(PROJECT_ROOT / "knowledge", tmp / "knowledge")
    (tmp / "models").mkdir()
    shared = processes.model_path(stack_settings(tmp / "state"))
    if shared.exists():
        shutil.copy2(shared, tmp / "models" / shared.name)
    running = start_stack(stack_settings(tmp / "state", KNOWLEDGE_DIR=tmp / "knowledge", RASA_MODEL_DIR=tmp / "models"))
    # This stack serves the copied model as it is: declare it trained from the current Rasa data.
    rasa_model.record_fingerprint(running.settings, rasa_model.training_fingerprint())
    yield running
    running.stack.stop()


def ask(stack: RunningStack, question: str) -> list[dict]:
    r = httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": f"t-{uuid.uuid4()}", "message": question}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["messages"]


def run_cli(stack: RunningStack, *args: str) -> tuple[int, list[dict], str]:
    """`sme-advisor ARGS` with the stack's settings: (exit code, JSON lines printed, stderr)."""
    env = {**os.environ, **processes.settings_env(stack.settings)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, lines, done.stderr


def source_titles(messages: list[dict]) -> list[str]:
    return [s["title"] for m in messages for s in m.get("sources", [])]


def served_version(stack: RunningStack) -> str:
    return httpx.get(f"{stack.actions_url}/index", timeout=5).json()["version"]


def test_new_document_is_answered_after_retrain_without_failed_or_slow_requests(own_stack: RunningStack) -> None:
    assert TITLE not in source_titles(ask(own_stack, QUESTION))
    for question in BACKGROUND:  # warm-up: a fresh Rasa answers its first messages slowly
        ask(own_stack, question)
    before = served_version(own_stack)
    # one client, back to back (two would saturate 2 cores on their own)
    chatters = [Chatter(own_stack.gateway_url)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in chatters]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        (own_stack.settings.KNOWLEDGE_DIR / "guides" / "street-food-rainy-season.md").write_text(NEW_GUIDE, encoding="utf-8")
        switch_started = time.perf_counter()
        # --index-only: teammates may edit data/ or domain.yml meanwhile, and a Rasa retrain is not
        # what this measures (tests/test_retrain.py covers when Rasa is retrained; the browser test
        # runs a full retrain)
        code, lines, _ = run_cli(own_stack, "retrain", "--json", "--index-only")
        switch_ended = time.perf_counter()
        result = lines[-1]
        assert code == 0 and result["event"] == "result" and result["ok"], lines
        assert result["index_published"] and result["index_serving"] and result["index_version"] != before
        assert served_version(own_stack) == result["index_version"]
        assert not result["model_trained"]
        steps = [(e["step"], e["status"]) for e in lines if e["event"] == "step" and e["status"] != "running"]
        assert steps == [("check", "ok"), ("index", "ok"), ("switch", "ok"), ("rasa-train", "skipped")]
        messages = ask(own_stack, QUESTION)
        time.sleep(2)
    finally:
        for chatter, thread in zip(chatters, threads):
            chatter.stop.set()
            thread.join(timeout=60)
    assert TITLE in source_titles(messages), messages
    samples = [s for c in chatters for s in c.samples]
    failed = [(round(s, 2), code) for _, s, code in samples if code != 200]
    # the switch: from the publish of the new index until a second after the action server answers
    # from it
    at = {(e["step"], e["status"]): e["at"] - time.time() + time.perf_counter() for e in lines if e["event"] == "step"}
    switch = (at[("index", "ok")] - 0.5, at[("switch", "ok")] + 1.0)
    overlapping = lambda t0, t1: [s for start, s, _ in samples if start <= t1 and start + s >= t0]  # noqa: E731
    during, retraining = overlapping(*switch), overlapping(switch_started, switch_ended)
    baseline = [s for start, s, _ in samples if start + s < switch_started]
    ms = lambda xs: f"median {statistics.median(xs) * 1000:.0f} ms, max {max(xs) * 1000:.0f} ms"  # noqa: E731
    print(f"\n{len(samples)} requests, {len(failed)} failed; before the retrain: {ms(baseline)}; "
          f"during the whole `sme-advisor retrain` ({switch_ended - switch_started:.1f} s): {ms(retraining)}; "
          f"during the switch ({len(during)} requests): {ms(during)}")
    print("slower than 1 s (seconds after the retrain started, latency):",
          [(round(start - switch_started, 1), round(s, 2)) for start, s, _ in sorted(samples) if s > 1.0],
          f"; index published at {at[('index', 'ok')] - switch_started:.1f} s, served at "
          f"{at[('switch', 'ok')] - switch_started:.1f} s")
    assert not failed and len(samples) >= 10 and during
    assert max(during) < 2.0, f"a request during the switch took {max(during):.2f} s"


def test_broken_document_is_refused_and_previous_index_keeps_serving(own_stack: RunningStack) -> None:
    knowledge = own_stack.settings.KNOWLEDGE_DIR
    if not (knowledge / "guides" / "street-food-rainy-season.md").exists():
        pytest.skip("needs the previous test's document")
    before = served_version(own_stack)
    broken = knowledge / "guides" / "rainy-season-stock.md"
    broken.write_text(BROKEN_GUIDE, encoding="utf-8")
    try:
        with pytest.raises(RetrainFailed) as failure:
            retrain(own_stack.settings)
        assert failure.value.step == "check"
        assert "knowledge/guides/rainy-season-stock.md:3: unknown programme id 'street-food'" in str(failure.value)

        code, _, stderr = run_cli(own_stack, "retrain")
        assert code != 0
        last = stderr.strip().splitlines()[-1]
        assert last.startswith("sme-advisor: Check the knowledge folder failed: "
                               "knowledge/guides/rainy-season-stock.md:3")
        assert "keeps answering from the versions in use" in last

        assert served_version(own_stack) == before
        assert TITLE in source_titles(ask(own_stack, QUESTION))
    finally:
        broken.unlink(missing_ok=True)
