"""The admin page's retrain: `sme-advisor retrain --json` in a child process, its progress kept for
polling.

A child process keeps the embedding model and Rasa's training out of the gateway's memory; its JSON
progress lines are the retrain function's step reports. One retrain at a time (a second start is
refused).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from bot.processes import settings_env
from bot.retrain import STEPS
from bot.settings import PROJECT_ROOT, Settings

STREAM_LIMIT = 16 * 1024 * 1024  # one JSON line may list every problem of a large trainers.csv


class RetrainBusy(Exception):
    """A retrain is already running."""


class RetrainJob:
    """The state of the latest retrain started from the admin pages."""

    def __init__(self, settings: Settings, command: list[str] | None = None):
        self.settings = settings
        self.command = command or [sys.executable, "-m", "bot.cli", "retrain", "--json",
                                   "--knowledge", str(settings.KNOWLEDGE_DIR)]
        self.state = "idle"  # idle | running | done | failed
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.events: list[dict[str, Any]] = []
        self.result: dict[str, Any] | None = None
        self.error: str | None = None
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def start(self) -> None:
        """Start a retrain in the background; RetrainBusy if one is running."""
        if self.running:
            raise RetrainBusy("a retrain is already running (started "
                              f"{time.time() - (self.started_at or 0):.0f} s ago)")
        self.state, self.started_at, self.finished_at = "running", time.time(), None
        self.events, self.result, self.error = [], None, None
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        env = {**os.environ, **settings_env(self.settings), "PYTHONUNBUFFERED": "1"}
        stderr_tail: list[str] = []
        try:
            proc = await asyncio.create_subprocess_exec(*self.command, cwd=PROJECT_ROOT, env=env, limit=STREAM_LIMIT,
                                                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            collect = asyncio.create_task(self._tail(proc.stderr, stderr_tail))
            async for raw in proc.stdout:  # type: ignore[union-attr]
                self._take(raw.decode("utf-8", "replace").strip())
            code = await proc.wait()
            await collect
        except Exception as exc:  # could not even start the child
            code, stderr_tail = -1, [f"could not start the retrain ({exc.__class__.__name__}: {exc})"]
        if code == 0 and self.result and self.result.get("ok"):
            self.state = "done"
        else:
            self.state = "failed"
            reason = (self.result or {}).get("error") or (stderr_tail[-1] if stderr_tail else f"exit code {code}")
            self.error = reason.removeprefix("sme-advisor: ")
        self.finished_at = time.time()

    @staticmethod
    async def _tail(stream: asyncio.StreamReader | None, lines: list[str]) -> None:
        async for raw in stream:  # type: ignore[union-attr]
            text = raw.decode("utf-8", "replace").strip()
            if text and "Loading weights" not in text:
                lines[:] = (lines + [text])[-20:]

    def _take(self, line: str) -> None:
        try:
            data = json.loads(line)
        except ValueError:
            return
        if data.get("event") == "step":
            self.events.append(data)
        elif data.get("event") == "result":
            self.result = data

    def steps(self) -> list[dict[str, Any]]:
        """The latest report of each step, in step order."""
        latest: dict[str, dict[str, Any]] = {}
        for event in self.events:
            latest[event["step"]] = event
        return [latest[s] for s in STEPS if s in latest]

    def snapshot(self) -> dict[str, Any]:
        """The JSON of `GET /admin/api/retrain/status`."""
        elapsed = ((self.finished_at or time.time()) - self.started_at) if self.started_at else None
        return {"state": self.state, "started_at": self.started_at, "finished_at": self.finished_at,
                "seconds": round(elapsed, 1) if elapsed is not None else None, "steps": self.steps(),
                "error": self.error, "result": self.result}

    async def aclose(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()
