"""The operator recipe in deploy/ is valid: haproxy.cfg is the one the scaled stack runs and haproxy
accepts it, docker-compose.yml passes `docker-compose config`, the systemd units pass
`systemd-analyze verify`.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from bot.servers import deploy_haproxy_config
from bot.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def needs(program: str) -> str:
    path = shutil.which(program)
    if not path:
        pytest.skip(f"{program} is not installed (Debian package: {program}); cannot lint the recipe offline")
    return path


def test_haproxy_config_is_current_and_valid() -> None:
    text = (DEPLOY / "haproxy.cfg").read_text(encoding="utf-8")
    assert text.split("\n", 1)[1] == deploy_haproxy_config(), "regenerate deploy/haproxy.cfg from deploy_haproxy_config()"
    done = subprocess.run([needs("haproxy"), "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_compose_file_is_valid() -> None:
    env = {**os.environ, "POSTGRES_PASSWORD": "x", "RASA_TOKEN": "y", "ACTIONS_SECRET": "w", "ADMIN_TOKEN": "z"}
    done = subprocess.run([needs("docker-compose"), "-f", str(DEPLOY / "docker-compose.yml"), "config", "-q"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def test_systemd_units_are_valid() -> None:
    units = DEPLOY / "systemd"
    names = ["sme-advisor-gateway.service", "sme-advisor-rasa@5006.service", "sme-advisor-actions@5056.service",
             "sme-advisor.target"]
    done = subprocess.run([needs("systemd-analyze"), "verify", "--man=no", *names], capture_output=True, text=True,
                          cwd=units, env={**os.environ, "SYSTEMD_UNIT_PATH": f"{units}:"})
    # the programs live under /opt/sme-advisor on a real machine, not here
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if line.strip() and "is not executable: No such file or directory" not in line]
    assert not problems, problems


def test_replica_endpoints_come_from_the_urls() -> None:
    from bot.scaled import LOCK_STORE, endpoints
    from bot.settings import ACTION_SECRET_HEADER

    config = endpoints("http://127.0.0.1:5055", "postgresql://rasa:p%40ss@db.example:6543/conversations",
                       "redis://:secret@cache.example:6380/3", "action-secret")
    assert config["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook",
                                         "headers": {ACTION_SECRET_HEADER: "action-secret"}}
    assert config["tracker_store"] == {"type": "SQL", "dialect": "postgresql", "url": "db.example", "port": 6543,
                                       "db": "conversations", "username": "rasa", "password": "p@ss"}
    assert config["lock_store"] == {"type": LOCK_STORE, "url": "cache.example", "port": 6380, "db": 3,
                                    "key_prefix": "smeadvisor", "password": "secret"}
