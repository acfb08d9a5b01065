"""`sme-advisor run` restarts a child that exits, with a backoff, and leaves a deliberately stopped
one alone."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from bot import processes
from tests.conftest import stack_settings


def stack_of(tmp_path: Path, code: str) -> processes.Stack:
    stack = processes.Stack(stack_settings(tmp_path), echo=False)
    stack.children = [processes.Child("worker", [sys.executable, "-c", code], {}, ready=lambda _c: True)]
    return stack


def supervised(stack: processes.Stack, seconds: float) -> list[str]:
    lines: list[str] = []
    stopping = threading.Event()
    thread = threading.Thread(target=stack.supervise, args=(stopping,), kwargs={"log": lines.append, "poll_s": 0.1})
    thread.start()
    time.sleep(seconds)
    stopping.set()
    thread.join()
    return lines


def test_a_child_that_exits_is_restarted_with_a_growing_backoff(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, "import sys; sys.exit(3)")
    stack.start()
    try:
        lines = supervised(stack, 5.0)
    finally:
        stack.stop()
    exits = [line for line in lines if "exited with code 3" in line]
    restarts = [line for line in lines if "restarted" in line]
    assert len(restarts) >= 2, lines
    assert "restarting it in 1 s" in exits[0] and "restarting it in 2 s" in exits[1], lines
    assert len(restarts) <= 3, "the backoff doubles: 1 s, 2 s, 4 s ..."


def test_a_stopped_child_stays_stopped(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, "import time; time.sleep(60)")
    stack.start()
    stack.stop()
    try:
        assert supervised(stack, 1.5) == []
        assert stack.children[0].process.poll() is not None
    finally:
        stack.stop()
