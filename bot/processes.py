"""Start, watch and stop the three processes (rasa, actions, gateway), and drive Rasa's own
commands.

One log stream: every child's output is prefixed with its name and also kept in STATE_DIR/logs/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.settings import ACTIVE_RASA_FILE, PROJECT_ROOT, Settings

MODEL_NAME = "sme-advisor"
MAX_BACKOFF_S = 60.0  # the longest wait before restarting a child that keeps failing
STABLE_S = 120.0  # a child that ran this long before exiting is restarted after 1 s again


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa commands: endpoints.yml reads the action server URL and tracker DB from
    it."""
    settings.STATE_DIR.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "SME_ACTION_ENDPOINT": f"{settings.actions_url}/webhook",
        # sent in ACTION_SECRET_HEADER (endpoints.yml)
        "SME_ACTION_SECRET": settings.ACTIONS_SECRET or "",
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


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for a second Rasa, a throwaway database ...)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def rasa_command(settings: Settings, *args: str) -> list[str]:
    return [str(settings.RASA_VENV / "bin" / "rasa"), *args]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"{MODEL_NAME}.tar.gz"


def run_rasa(settings: Settings, *args: str) -> int:
    """Run a one-off Rasa command in the project folder; returns its exit code."""
    return subprocess.call(rasa_command(settings, *args), cwd=PROJECT_ROOT, env=rasa_env(settings))


def train(settings: Settings) -> int:
    """Train the Rasa model; Rasa itself skips training when data, domain and config are unchanged.
    """
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
    # started and not deliberately stopped: the supervisor restarts it if it exits
    wanted: bool = False
    # started at this lower CPU priority (a second Rasa loading while the first one serves)
    nice: int = 0


def _probe(url: str, check: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200) -> Callable[[httpx.Client], bool]:
    def ready(client: httpx.Client) -> bool:
        try:
            return check(client.get(url))
        except httpx.HTTPError:
            return False
    return ready


def rasa_api_flags(settings: Settings) -> list[str]:
    """Rasa's HTTP API: on, behind RASA_TOKEN; CORS only for the sites in CORS_ORIGINS (none: no
    CORS headers)."""
    cors = ["--cors", *settings.CORS_ORIGINS] if settings.CORS_ORIGINS else []
    return ["--enable-api", "--auth-token", settings.RASA_TOKEN or "", *cors]


def rasa_child(settings: Settings, port: int, model: Path, name: str = "rasa",
               endpoints: str = "endpoints.yml", env: dict[str, str] | None = None) -> Child:
    """One Rasa server on `port` serving `model` (the stack's own, or a second one for a blue-green
    switch)."""
    s = settings
    command = rasa_command(s, "run", *rasa_api_flags(s), "-i", s.HOST, "--port", str(port),
                           "--model", str(model), "--endpoints", endpoints, "--credentials", "credentials.yml")
    return Child(name, command, env or rasa_env(s), _probe(f"http://{s.HOST}:{port}/status?token={s.RASA_TOKEN}"))


def actions_child(settings: Settings, port: int, name: str = "actions") -> Child:
    """One action server on `port` (ready once its index is loaded)."""
    env = {**os.environ, **settings_env(settings), "ACTIONS_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    return Child(name, [sys.executable, "-m", "actions.server"], env,
                 _probe(f"http://{settings.HOST}:{port}/index", lambda r: r.status_code == 200 and r.json().get("ready")))


def gateway_child(settings: Settings) -> Child:
    s = settings
    env = {**os.environ, **settings_env(s), "PYTHONUNBUFFERED": "1"}
    return Child("gateway", [sys.executable, "-m", "uvicorn", "--factory", "bot.app:create_app", "--host", s.HOST,
                             "--port", str(s.GATEWAY_PORT), "--no-access-log"], env,
                 _probe(f"http://{s.HOST}:{s.GATEWAY_PORT}/healthz"))


@dataclass
class Stack:
    """The three processes of SME Advisor, started together and stopped together."""

    settings: Settings
    echo: bool = True
    children: list[Child] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        self.children = [rasa_child(s, s.RASA_PORT, model_path(s)), actions_child(s, s.ACTIONS_PORT), gateway_child(s)]

    def _chosen(self, only: list[str] | None) -> list[Child]:
        return [c for c in self.children if not only or c.name in only]

    def start(self, only: list[str] | None = None) -> None:
        # a whole new stack serves from RASA_PORT: forget where an earlier run had switched to
        if not only:
            (self.settings.STATE_DIR / ACTIVE_RASA_FILE).unlink(missing_ok=True)
        for child in self._chosen(only):
            self.spawn(child)

    def spawn(self, child: Child) -> None:
        """Start one child (its output goes to the log stream and to STATE_DIR/logs/<name>.log)."""
        logs = self.settings.STATE_DIR / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        command = ["nice", "-n", str(child.nice), *child.command] if child.nice else child.command
        child.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=child.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
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
        """Wait until every (selected) child answers its readiness probe; returns seconds to ready.
        """
        chosen = self._chosen(only)
        self.wait_for(chosen, timeout_s)
        return {c.name: round(c.ready_after or 0.0, 1) for c in chosen}

    def wait_for(self, children: list[Child], timeout_s: float) -> None:
        """Wait until each of `children` answers its readiness probe; raise if one exits or time
        runs out."""
        deadline = time.monotonic() + timeout_s
        pending = list(children)
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for child in list(pending):
                    if child.process and child.process.poll() is not None:
                        raise RuntimeError(f"{child.name} exited with code "
                                           f"{child.process.returncode}; "
                                           f"see {self.settings.STATE_DIR / 'logs' / (child.name + '.log')}")
                    if child.ready(client):
                        child.ready_after = time.monotonic() - child.started
                        pending.remove(child)
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout_s:.0f}s: "
                                       f"{', '.join(c.name for c in pending)}")
                time.sleep(0.3)

    def stop(self, only: list[str] | None = None, timeout_s: float = 15.0) -> None:
        self.halt(self._chosen(only), timeout_s)

    def halt(self, children: list[Child], timeout_s: float = 15.0) -> None:
        """SIGTERM each child's process group, then SIGKILL what is left after `timeout_s`."""
        chosen = [c for c in children if c.process]
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
        """Until `stopping` is set: restart any child that exits, after a backoff that doubles with
        each quick failure (1 s, 2 s, 4 s ... at most MAX_BACKOFF_S; back to 1 s once a child has
        run
        STABLE_S)."""
        # by child (children may be added and removed meanwhile: blue-green)
        backoff: dict[int, float] = {}
        due: dict[int, float] = {}
        while not stopping.wait(poll_s):
            for child in self.children:
                key = id(child)
                if child.process is None or child.process.poll() is None or not child.wanted:
                    due.pop(key, None)
                    continue
                now = time.monotonic()
                if key not in due:
                    if now - child.started >= STABLE_S:
                        backoff[key] = 1.0
                    due[key] = now + backoff.setdefault(key, 1.0)
                    log(f"sme-advisor: {child.name} exited with code {child.process.returncode}; "
                        f"restarting it in {backoff[key]:.0f} s")
                elif now >= due[key]:
                    del due[key]
                    self.spawn(child)
                    backoff[key] = min(backoff[key] * 2, MAX_BACKOFF_S)
                    log(f"sme-advisor: {child.name} restarted (pid {child.process.pid})")

    @staticmethod
    def renice(child: Child, nice: int = 0) -> bool:
        """Give every thread of a running child the priority `nice` (raising it back needs root)."""
        child.nice = nice
        try:
            for task in Path(f"/proc/{child.process.pid}/task").iterdir():  # type: ignore[union-attr]
                os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
        except (OSError, AttributeError):
            return False
        return True

    def pids(self) -> dict[str, int]:
        return {c.name: c.process.pid for c in self.children if c.process}
