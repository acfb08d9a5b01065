"""Rolling model reload on the scaled stack, through haproxy's admin socket.

For each Rasa replica in turn: `set server ... state drain` (no new conversations reach it), wait
until it serves no request (`scur` 0 in `show stat`), `PUT /model` straight to it (it answers
nothing while it loads), wait until haproxy's check sees it healthy again, send it a few warm-up
messages, `state ready`. The other replicas serve meanwhile, so no request fails.
"""

from __future__ import annotations

import csv
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot import rasa_model
from bot.rasa_switch import warm_up
from bot.settings import Settings

RASA_BACKENDS = ("rasa", "rasa_socketio")
DRAIN_TIMEOUT_S = 60.0
# until haproxy sees a reloaded replica healthy (rise 2 x inter 2s, after the load)
CHECK_TIMEOUT_S = 120.0


class RollingFailed(Exception):
    """A replica could not be drained, reloaded or restored; the message says which and why."""


@dataclass
class Layout:
    """Where a scaled stack's parts are: written by `sme-advisor run --replicas N`, read by
    `retrain`."""

    admin_socket: Path
    replicas: dict[str, str]  # haproxy server name -> the replica's own URL

    @staticmethod
    def path(settings: Settings) -> Path:
        return settings.STATE_DIR / "scaled" / "layout.json"

    def save(self, settings: Settings) -> None:
        self.path(settings).parent.mkdir(parents=True, exist_ok=True)
        self.path(settings).write_text(json.dumps({"admin_socket": str(self.admin_socket),
                                                   "replicas": self.replicas}), encoding="utf-8")

    @classmethod
    def running(cls, settings: Settings) -> Layout | None:
        """The layout of the scaled stack running on this state folder, or None (none, or it
        stopped)."""
        try:
            data = json.loads(cls.path(settings).read_text(encoding="utf-8"))
            layout = cls(Path(data["admin_socket"]), data["replicas"])
            admin(layout.admin_socket, "show info")
        except (OSError, ValueError, KeyError):
            return None
        return layout


def admin(admin_socket: Path, command: str) -> str:
    """One command on haproxy's admin socket; returns its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5.0)
        conn.connect(str(admin_socket))
        conn.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def server_stats(admin_socket: Path, backend: str = "rasa") -> dict[str, dict[str, str]]:
    """`show stat` of one backend's servers: name -> row (status UP/DOWN/DRAIN/MAINT..., scur, ...).
    """
    text = admin(admin_socket, "show stat").lstrip("# ")
    return {row["svname"]: row for row in csv.DictReader(text.splitlines())
            if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND")}


def all_up(admin_socket: Path, backend: str = "rasa") -> bool:
    """Whether haproxy reports every server of `backend` UP (a readiness probe for the scaled
    stack)."""
    try:
        stats = server_stats(admin_socket, backend)
    except OSError:
        return False
    return bool(stats) and all(row["status"] == "UP" for row in stats.values())


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RollingFailed(f"{what} (waited {timeout_s:.0f} s)")
        time.sleep(0.5)


def set_state(layout: Layout, server: str, state: str) -> None:
    for backend in RASA_BACKENDS:
        admin(layout.admin_socket, f"set server {backend}/{server} state {state}")


def reload_replica(settings: Settings, layout: Layout, server: str, model_file: Path) -> float:
    """Drain, reload and restore one replica; returns the seconds it was out of the rotation."""
    started = time.monotonic()
    stat = lambda: server_stats(layout.admin_socket)[server]  # noqa: E731
    set_state(layout, server, "drain")
    try:
        _wait(lambda: int(stat()["scur"] or 0) == 0, DRAIN_TIMEOUT_S, f"{server} still serves requests")
        rasa_model.load_into_rasa(settings, model_file, url=layout.replicas[server])
        # a drained server that passes its checks shows DRAIN; one that failed them while loading
        # shows DOWN
        _wait(lambda: stat()["status"] == "DRAIN", CHECK_TIMEOUT_S, f"haproxy does not see {server} healthy")
        warm_up(settings, layout.replicas[server])
    finally:
        # even after a failure: haproxy's checks keep a broken one out
        set_state(layout, server, "ready")
    _wait(lambda: stat()["status"] == "UP", CHECK_TIMEOUT_S, f"{server} did not come back UP")
    return time.monotonic() - started


def rolling_reload(settings: Settings, layout: Layout, model_file: Path,
                   progress: Callable[[str], None] = lambda _m: None) -> str:
    """Reload every replica in turn; returns what happened, in words, or raises RollingFailed."""
    took = []
    for server in layout.replicas:
        if not all_up(layout.admin_socket):
            raise RollingFailed(f"not every replica is UP in haproxy; {server} stays on the model it has")
        progress(f"reloading {server}: drained, loading {model_file.name}")
        try:
            took.append(f"{server} {reload_replica(settings, layout, server, model_file):.0f} s")
        except rasa_model.RasaStepFailed as exc:
            raise RollingFailed(f"{server}: {exc}") from exc
    return f"every replica answers with {model_file.name} (reloaded one at a time: {', '.join(took)})"
