"""Start, watch and stop the three processes (rasa, actions, gateway), and drive Rasa's own commands.

One log stream: every child's output is prefixed with its name and also kept in STATE_DIR/logs/.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

from bot.settings import PROJECT_ROOT, Settings

MODEL_NAME = "sme-advisor"
MAX_BACKOFF_S = 60.0  # the longest wait before restarting a child that keeps failing
STABLE_S = 120.0  # a child that ran this long before exiting is restarted after 1 s again


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa commands: endpoints.yml reads the action server URL and tracker DB from it."""
    settings.STATE_DIR.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "SME_ACTION_ENDPOINT": f"{settings.actions_url}/webhook",
        "SME_TRACKER_DB": str(settings.tracker_db_path),
        "PYTHONPATH": str(PROJECT_ROOT),  # for rasa_addons (Rasa-side components only)
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, so child processes see exactly this configuration."""
    env = {}
    for key, value in settings.model_dump().items():
        if value is not None:
            env[key] = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return env


def rasa_command(settings: Settings, *args: str) -> list[str]:
    return [str(settings.RASA_VENV / "bin" / "rasa"), *args]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"{MODEL_NAME}.tar.gz"


def run_rasa(settings: Settings, *args: str) -> int:
    """Run a one-off Rasa command in the project folder; returns its exit code."""
    return subprocess.call(rasa_command(settings, *args), cwd=PROJECT_ROOT, env=rasa_env(settings))


def train(settings: Settings) -> int:
    """Train the Rasa model; Rasa itself skips training when data, domain and config are unchanged."""
    return run_rasa(settings, "train", "--out", str(settings.models_dir), "--fixed-model-name", MODEL_NAME)


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    ready: Callable[[httpx.Client], bool]
    process: subprocess.Popen | None = None
    started: float = 0.0
    ready_after: float | None = None
    wanted: bool = False  # started and not deliberately stopped: the supervisor restarts it if it exits


def _probe(url: str, check: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200) -> Callable[[httpx.Client], bool]:
    def ready(client: httpx.Client) -> bool:
        try:
            return check(client.get(url))
        except httpx.HTTPError:
            return False
    return ready


@dataclass
class Stack:
    """The three processes of SME Advisor, started together and stopped together."""

    settings: Settings
    echo: bool = True
    children: list[Child] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        env = {**os.environ, **settings_env(s), "PYTHONUNBUFFERED": "1"}
        py = sys.executable
        self.children = [
            Child("rasa", rasa_command(s, "run", "--enable-api", "--auth-token", s.RASA_TOKEN, "-i", s.HOST,
                                       "--port", str(s.RASA_PORT), "--model", str(model_path(s)), "--cors", "*",
                                       "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"),
                  rasa_env(s), _probe(f"{s.rasa_url}/status?token={s.RASA_TOKEN}")),
            Child("actions", [py, "-m", "actions.server"], env,
                  _probe(f"{s.actions_url}/index", lambda r: r.status_code == 200 and r.json().get("ready"))),
            Child("gateway", [py, "-m", "uvicorn", "--factory", "bot.app:create_app", "--host", s.HOST,
                              "--port", str(s.GATEWAY_PORT), "--no-access-log"], env,
                  _probe(f"http://{s.HOST}:{s.GATEWAY_PORT}/healthz")),
        ]

    def start(self, only: list[str] | None = None) -> None:
        logs = self.settings.STATE_DIR / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for child in self.children:
            if only and child.name not in only:
                continue
            child.process = subprocess.Popen(
                child.command, cwd=PROJECT_ROOT, env=child.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True, text=True, errors="replace", bufsize=1,
            )
            child.started, child.ready_after, child.wanted = time.monotonic(), None, True
            threading.Thread(target=self._pump, args=(child, logs / f"{child.name}.log"), daemon=True).start()

    def _pump(self, child: Child, log_file: Path) -> None:
        with open(log_file, "a", encoding="utf-8") as log:
            for line in child.process.stdout:  # type: ignore[union-attr]
                log.write(line)
                log.flush()
                if self.echo:
                    sys.stdout.write(f"[{child.name:<7}] {line}")
                    sys.stdout.flush()

    def wait_ready(self, timeout_s: float = 240.0, only: list[str] | None = None) -> dict[str, float]:
        """Wait until every (selected) child answers its readiness probe; returns seconds to ready."""
        deadline = time.monotonic() + timeout_s
        pending = [c for c in self.children if not only or c.name in only]
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for child in list(pending):
                    if child.process and child.process.poll() is not None:
                        raise RuntimeError(f"{child.name} exited with code {child.process.returncode}; "
                                           f"see {self.settings.STATE_DIR / 'logs' / (child.name + '.log')}")
                    if child.ready(client):
                        child.ready_after = time.monotonic() - child.started
                        pending.remove(child)
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout_s:.0f}s: {', '.join(c.name for c in pending)}")
                time.sleep(0.3)
        return {c.name: round(c.ready_after or 0.0, 1) for c in self.children if not only or c.name in only}

    def stop(self, only: list[str] | None = None, timeout_s: float = 15.0) -> None:
        """SIGTERM each child's process group, then SIGKILL what is left after `timeout_s`."""
        chosen = [c for c in self.children if c.process and (not only or c.name in only)]
        for child in chosen:
            child.wanted = False
            if child.process.poll() is None:
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in chosen:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()

    def supervise(self, stopping: threading.Event, log: Callable[[str], None] = print,
                  poll_s: float = 1.0) -> None:
        """Until `stopping` is set: restart any child that exits, after a backoff that doubles with each quick
        failure (1 s, 2 s, 4 s ... at most MAX_BACKOFF_S; back to 1 s once a child has run STABLE_S)."""
        backoff = {c.name: 1.0 for c in self.children}
        due: dict[str, float] = {}
        while not stopping.wait(poll_s):
            for child in self.children:
                if child.process is None or child.process.poll() is None or not child.wanted:
                    due.pop(child.name, None)
                    continue
                now = time.monotonic()
                if child.name not in due:
                    if now - child.started >= STABLE_S:
                        backoff[child.name] = 1.0
                    due[child.name] = now + backoff[child.name]
                    log(f"sme-advisor: {child.name} exited with code {child.process.returncode}; "
                        f"restarting it in {backoff[child.name]:.0f} s")
                elif now >= due[child.name]:
                    del due[child.name]
                    self.start(only=[child.name])
                    backoff[child.name] = min(backoff[child.name] * 2, MAX_BACKOFF_S)
                    log(f"sme-advisor: {child.name} restarted (pid {child.process.pid})")

    def pids(self) -> dict[str, int]:
        return {c.name: c.process.pid for c in self.children if c.process}
