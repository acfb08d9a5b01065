"""The servers a scaled stack runs on this machine: a throwaway PostgreSQL, Redis and haproxy, as
Stack children.

Debian packages: postgresql (initdb and postgres under /usr/lib/postgresql/<version>/bin),
redis-server, haproxy; `make setup` installs them when run as root. PostgreSQL refuses to run as
root, so as root its commands run as the `postgres` user (setpriv, which execs and so stays under
the supervisor) in a data folder of its own under /tmp, deleted when the stack stops.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from bot.processes import Child

PACKAGES = {"postgres": "postgresql", "redis-server": "redis-server", "haproxy": "haproxy"}
# tighter checks mark the serving replica down while another loads
CHECK = "check inter 2s fall 3 rise 2"


class ServerMissing(RuntimeError):
    """A server program is not installed; the message names the package."""


def program(name: str) -> str:
    """Path of a server program: PostgreSQL's from its versioned folder, the others from PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    path = str(found[-1]) if found else shutil.which(name)
    if not path:
        package = PACKAGES.get(name, "postgresql")
        raise ServerMissing(f"{name} is not installed: run 'make setup' as root, or 'apt-get install {package}', "
                            f"or give the URL of your own server (--postgres-url / --redis-url)")
    return path


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command]


def tcp_probe(host: str, port: int, send: bytes = b"", expect: bytes = b"") -> Callable[[httpx.Client], bool]:
    """A readiness probe (Child.ready) that connects to host:port and, if asked, checks a reply."""
    def ready(_client: httpx.Client) -> bool:
        try:
            with socket.create_connection((host, port), timeout=1.0) as conn:
                if send:
                    conn.sendall(send)
                    return conn.recv(64).startswith(expect)
                return True
        except OSError:
            return False
    return ready


def new_postgres_folder() -> Path:
    """An empty cluster (initdb, user `rasa`, trust on loopback) in a fresh folder the postgres user
    owns."""
    folder = Path(tempfile.mkdtemp(prefix="sme-advisor-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    done = subprocess.run(_as_postgres([program("initdb"), "-D", str(folder / "data"), "-U", "rasa", "--auth=trust",
                                        "-E", "UTF8", "--no-sync"]), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
    return folder


def postgres_child(folder: Path, host: str, port: int) -> Child:
    command = _as_postgres([program("postgres"), "-D", str(folder / "data"), "-p", str(port), "-k", str(folder),
                            "-c", f"listen_addresses={host}", "-c", "fsync=off"])
    return Child("postgres", command, {**os.environ}, tcp_probe(host, port))


def create_database(host: str, port: int, name: str) -> None:
    """CREATE DATABASE unless it exists (Rasa creates its tables, not the database)."""
    done = subprocess.run([program("createdb"), "-h", host, "-p", str(port), "-U", "rasa", name],
                          capture_output=True, text=True)
    if done.returncode != 0 and "already exists" not in done.stderr:
        raise RuntimeError(f"createdb failed: {done.stderr.strip()}")


def redis_child(host: str, port: int) -> Child:
    command = [program("redis-server"), "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no"]
    return Child("redis", command, {**os.environ}, tcp_probe(host, port, b"PING\r\n", b"+PONG"))


def haproxy_config(host: str, rasa_port: int, actions_port: int, admin_socket: Path,
                   replicas: dict[str, str], actions: dict[str, str]) -> str:
    """haproxy in front of the Rasa replicas (a conversation stays on one) and of the action
    servers."""
    def servers(named: dict[str, str]) -> str:
        return "\n".join(f"  server {name} {address} {CHECK}" for name, address in named.items())

    return f"""global
  stats socket {admin_socket} level admin
  maxconn 4000

defaults
  mode http
  timeout connect 2s
  timeout client 300s
  timeout server 300s
  timeout check 5s
  retries 2
  option redispatch
  default-server init-addr last,libc,none

frontend rasa
  bind {host}:{rasa_port}
  use_backend rasa_socketio if {{ path_beg /socket.io }}
  default_backend rasa

# REST: the gateway names the conversation in X-Conversation-Id
backend rasa
  balance hdr(X-Conversation-Id)
  hash-type consistent
  option httpchk GET /version
{servers(replicas)}

# socket.io (rasa-webchat): one browser stays on one replica
backend rasa_socketio
  balance source
  hash-type consistent
  option httpchk GET /version
{servers(replicas)}

frontend actions
  bind {host}:{actions_port}
  default_backend actions

backend actions
  balance roundrobin
  option httpchk GET /health
{servers(actions)}
"""


def deploy_haproxy_config(replicas: int = 2) -> str:
    """deploy/haproxy.cfg: the same balancer for docker-compose.yml and the systemd recipe (names
    resolve there)."""
    return haproxy_config("*", 5005, 5055, Path("/tmp/haproxy-admin.sock"),
                          {f"rasa-{i}": f"rasa-{i}:5005" for i in range(1, replicas + 1)},
                          {f"actions-{i}": f"actions-{i}:5055" for i in range(1, replicas + 1)})


def haproxy_child(config: Path) -> Child:
    return Child("haproxy", [program("haproxy"), "-db", "-f", str(config)], {**os.environ}, lambda _c: True)
