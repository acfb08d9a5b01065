"""`sme-advisor run --replicas N`: Rasa replicas on PostgreSQL and Redis behind haproxy, on this
machine.

haproxy listens on RASA_PORT (Rasa's REST and socket.io) and ACTIONS_PORT (the action servers), so
the gateway, `retrain` and rasa-webchat sites use the same addresses as on the embedded stack. Each
replica keeps its conversations in PostgreSQL (Rasa's SQL tracker store) and locks them in Redis
(`rasa_addons.redis_lock_store.AtomicRedisLockStore`). Without --postgres-url / --redis-url a
throwaway PostgreSQL and Redis are started too. One supervisor (`Stack.supervise`) restarts whatever
exits.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot import rolling, servers
from bot.processes import (
    Child,
    Stack,
    actions_child,
    free_port,
    gateway_child,
    model_path,
    rasa_child,
    rasa_env,
)
from bot.settings import ACTION_SECRET_HEADER, Settings

LOCK_STORE = "rasa_addons.redis_lock_store.AtomicRedisLockStore"
LOCK_LIFETIME_S = 20  # longer than any one message takes, even while a replica loads a model
SERVERS = ("postgres", "redis")  # started (and ready) before everything else


def endpoints(actions_url: str, postgres_url: str, redis_url: str, actions_secret: str) -> dict:
    """Rasa's endpoints.yml for a replica (JSON is YAML); Rasa sends `actions_secret` to the action
    servers."""
    pg, red = urlsplit(postgres_url), urlsplit(redis_url)
    tracker = {"type": "SQL", "dialect": "postgresql", "url": pg.hostname, "port": pg.port or 5432,
               "db": pg.path.lstrip("/") or "rasa", "username": unquote(pg.username or "rasa")}
    if pg.password:
        tracker["password"] = unquote(pg.password)
    lock = {"type": LOCK_STORE, "url": red.hostname, "port": red.port or 6379, "db": int(red.path.lstrip("/") or 1),
            "key_prefix": "smeadvisor"}
    if red.password:
        lock["password"] = unquote(red.password)
    action = {"url": f"{actions_url}/webhook", "headers": {ACTION_SECRET_HEADER: actions_secret}}
    return {"action_endpoint": action, "tracker_store": tracker, "lock_store": lock}


@dataclass
class ScaledStack(Stack):
    """PostgreSQL and Redis (unless given), haproxy, N Rasa replicas, N action servers and the
    gateway."""

    replicas: int = 2
    postgres_url: str | None = None
    redis_url: str | None = None
    pg_folder: Path | None = None

    def __post_init__(self) -> None:
        s, host = self.settings, self.settings.HOST
        folder = s.STATE_DIR / "scaled"
        folder.mkdir(parents=True, exist_ok=True)
        own: list[Child] = []
        if not self.postgres_url:
            port, self.pg_folder = free_port(host), servers.new_postgres_folder()
            own.append(servers.postgres_child(self.pg_folder, host, port))
            self.postgres_url = f"postgresql://rasa@{host}:{port}/rasa"
        if not self.redis_url:
            port = free_port(host)
            own.append(servers.redis_child(host, port))
            self.redis_url = f"redis://{host}:{port}/1"
        # the gateway erases forgotten conversations in PostgreSQL and keeps its rate limits in
        # Redis
        front = s.model_copy(update={"RASA_URL": f"http://{host}:{s.RASA_PORT}",
                                     "ACTIONS_URL": f"http://{host}:{s.ACTIONS_PORT}",
                                     "POSTGRES_URL": self.postgres_url, "REDIS_URL": self.redis_url})
        config = folder / "endpoints.yml"
        config.write_text(json.dumps(endpoints(front.actions_url, self.postgres_url, self.redis_url, s.ACTIONS_SECRET or ""), indent=2))
        config.chmod(0o600)  # it may hold passwords
        replicas = {f"rasa-{i}": free_port(host) for i in range(1, self.replicas + 1)}
        actions = {f"actions-{i}": free_port(host) for i in range(1, self.replicas + 1)}
        self.layout = rolling.Layout(folder / "haproxy.sock", {n: f"http://{host}:{p}" for n, p in replicas.items()})
        haproxy_cfg = folder / "haproxy.cfg"
        haproxy_cfg.write_text(servers.haproxy_config(
            host, s.RASA_PORT, s.ACTIONS_PORT, self.layout.admin_socket,
            {n: f"{host}:{p}" for n, p in replicas.items()}, {n: f"{host}:{p}" for n, p in actions.items()}))
        balancer = servers.haproxy_child(haproxy_cfg)
        balancer.ready = lambda _c: rolling.all_up(self.layout.admin_socket) and rolling.all_up(
            self.layout.admin_socket, "actions")
        # a replica killed mid-message leaves its ticket in Redis: its conversation waits this long
        # (Rasa: 60 s)
        env = {**rasa_env(s), "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_S)}
        self.children = [
            *own, balancer,
            *(rasa_child(s, p, model_path(s), name=n, endpoints=str(config), env=env) for n, p in replicas.items()),
            *(actions_child(front, p, name=n) for n, p in actions.items()),
            gateway_child(front),
        ]

    def start(self, only: list[str] | None = None) -> None:
        if only:
            return super().start(only)
        first = [c.name for c in self.children if c.name in SERVERS]
        if first:
            super().start(first)
            self.wait_ready(timeout_s=60, only=first)
        if self.pg_folder:
            pg = urlsplit(self.postgres_url or "")
            servers.create_database(pg.hostname or "", pg.port or 5432, "rasa")
        self.layout.save(self.settings)
        super().start([c.name for c in self.children if c.name not in first])

    def stop(self, only: list[str] | None = None, timeout_s: float = 15.0) -> None:
        super().stop(only, timeout_s)
        if only:
            return
        rolling.Layout.path(self.settings).unlink(missing_ok=True)
        if self.pg_folder:
            shutil.rmtree(self.pg_folder, ignore_errors=True)


def scaled_stack(settings: Settings, replicas: int, postgres_url: str | None, redis_url: str | None,
                 echo: bool = True) -> ScaledStack:
    """A scaled stack with URLs from the arguments, else from settings (POSTGRES_URL, REDIS_URL)."""
    return ScaledStack(settings, echo=echo, replicas=replicas, postgres_url=postgres_url or settings.POSTGRES_URL,
                       redis_url=redis_url or settings.REDIS_URL)

