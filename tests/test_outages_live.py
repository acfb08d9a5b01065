"""What users get when a part is down, and that conversations survive a Rasa restart.

Uses its own stack (so stopping processes never disturbs the other live tests).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import stack_settings, start_stack

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory):
    running = start_stack(stack_settings(tmp_path_factory.mktemp("outage-state"), RATE_LIMIT_PER_MINUTE=5))
    yield running
    running.stack.stop()


APOLOGY = "part of my system may not be responding"


def post(stack, sender: str, message: str) -> httpx.Response:
    return httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": message}, timeout=60)


def texts(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


@contextmanager
def supervised(stack) -> Iterator[None]:
    """The stack's supervisor, as `sme-advisor run` runs it, for the duration of the block."""
    stopping = threading.Event()
    supervisor = threading.Thread(target=stack.stack.supervise, args=(stopping,), kwargs={"log": lambda _l: None},
                                  daemon=True)
    supervisor.start()
    try:
        yield
    finally:
        stopping.set()
        supervisor.join(timeout=5)


def kill_actions(stack) -> int:
    """SIGKILL the action server; returns the pid it had."""
    killed = stack.stack.pids()["actions"]
    os.kill(killed, signal.SIGKILL)
    time.sleep(0.5)
    return killed


def wait_restarted(stack, killed: int) -> None:
    deadline = time.monotonic() + 60
    while stack.stack.pids()["actions"] == killed and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stack.stack.pids()["actions"] != killed, "the supervisor did not restart the action server"
    stack.stack.wait_ready(timeout_s=120, only=["actions"])


def test_conversation_survives_rasa_restart(own_stack) -> None:
    sender = f"persist-{uuid.uuid4()}"
    assert post(own_stack, sender, "What is Start Your Business?").status_code == 200
    own_stack.restart("rasa")
    r = httpx.get(f"{own_stack.rasa_url}/conversations/{sender}/tracker",
                  params={"token": own_stack.settings.RASA_TOKEN}, timeout=10)
    tracker = r.json()
    said = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert said == ["What is Start Your Business?"]
    assert tracker["slots"]["programme"] == "siyb"
    assert post(own_stack, sender, "and how do I register a business?").status_code == 200


def test_action_server_down_gets_an_apology(own_stack) -> None:
    with own_stack.stopped("actions"):
        r = post(own_stack, f"down-{uuid.uuid4()}", "how do I write a business plan?")
        assert r.status_code == 200
        assert "part of my system may not be responding" in r.json()["messages"][0]["text"]
        health = httpx.get(f"{own_stack.gateway_url}/healthz", timeout=10)
        assert health.status_code == 503 and "actions" in health.json()["problems"]


def test_rasa_down_gives_503_with_a_reason(own_stack) -> None:
    with own_stack.stopped("rasa"):
        r = post(own_stack, f"down-{uuid.uuid4()}", "hello")
        assert r.status_code == 503 and "try again in a minute" in r.json()["detail"]
        assert "Error" not in r.json()["detail"], "plain words, no exception names"
        health = httpx.get(f"{own_stack.gateway_url}/healthz", timeout=10)
        assert health.status_code == 503 and "rasa" in health.json()["problems"]


def test_rate_limit_per_sender(own_stack) -> None:
    sender = f"busy-{uuid.uuid4()}"
    codes = [post(own_stack, sender, "hi").status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert post(own_stack, f"other-{uuid.uuid4()}", "hi").status_code == 200


def test_a_killed_action_server_is_restarted_and_the_same_sender_answered(own_stack) -> None:
    """SIGKILL the action server: the next question gets one apology, the supervisor restarts the
    action server, and the same sender's next question is answered with its sources."""
    with supervised(own_stack):
        sender = f"killed-{uuid.uuid4()}"
        killed = kill_actions(own_stack)
        first = texts(post(own_stack, sender, "how do I write a business plan?"))
        assert len(first) == 1 and APOLOGY in first[0], first
        wait_restarted(own_stack, killed)
        again = post(own_stack, sender, "how do I keep records of my sales?")
        assert again.status_code == 200
        assert any(m["sources"] for m in again.json()["messages"]), again.json()


def test_a_form_whose_validation_fails_apologises_once_then_listens(own_stack) -> None:
    """SIGKILL the action server in the middle of both forms: the answer to the form's question gets
    one apology (validate_<form> cannot run), the bot listens; once restarted, the same answer moves
    the
    form on."""
    finder, search = f"finder-{uuid.uuid4()}", f"search-{uuid.uuid4()}"
    assert "Where are you with your business?" in "\n".join(texts(post(own_stack, finder, "which programme is right for me?")))
    assert "Which city or town" in "\n".join(texts(post(own_stack, search, "find a trainer near me")))
    with supervised(own_stack):
        killed = kill_actions(own_stack)
        for sender, answer in ((finder, '/inform{"stage":"idea"}'), (search, "Kampala")):
            reply = texts(post(own_stack, sender, answer))
            assert len(reply) == 1 and APOLOGY in reply[0], (answer, reply)
        wait_restarted(own_stack, killed)
        need = post(own_stack, finder, '/inform{"stage":"idea"}')
        assert APOLOGY not in "\n".join(texts(need))
        assert '/inform{"need":"idea"}' in [b["payload"] for m in need.json()["messages"] for b in m["buttons"]]
        found = texts(post(own_stack, search, "Kampala"))
        assert "nearest Kampala, Uganda" in found[0], found
    for sender in (finder, search):  # one apology, then listening: never Rasa's 10-action loop
        tracker = httpx.get(f"{own_stack.rasa_url}/conversations/{sender}/tracker",
                            params={"token": own_stack.settings.RASA_TOKEN}, timeout=10).json()
        said = [e.get("text") or "" for e in tracker["events"] if e["event"] == "bot"]
        assert sum(APOLOGY in t for t in said) == 1, said
    assert "Circuit breaker tripped" not in (own_stack.settings.STATE_DIR / "logs" / "rasa.log").read_text()


def test_a_damaged_index_build_is_refused_on_restart_and_repaired_by_index_build(own_stack) -> None:
    """Truncate the published build's dense.faiss and vectors.npy and restart the action server: it
    serves the previous good build (ready, answering with sources); `sme-advisor index build`
    repairs it, and the running server switches to the repaired build by itself."""
    import subprocess
    import sys

    from bot import processes, services
    from index.builds import build_path, current_version, verify_build

    settings = own_stack.settings
    good = current_version(settings.index_dir)
    # a second build, then damage it
    damaged = services.build(settings, force=True, progress=False).version
    for name in ("dense.faiss", "vectors.npy"):
        path = build_path(settings.index_dir, damaged) / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    own_stack.restart("actions")  # waits until /index says ready
    index = httpx.get(f"{own_stack.actions_url}/index", timeout=10).json()
    assert index["version"] == good and f"index build {damaged} is damaged" in index["reason"], index
    answer = post(own_stack, f"index-{uuid.uuid4()}", "What is Start Your Business?")
    assert any(m["sources"] for m in answer.json()["messages"]), answer.json()
    log = (settings.STATE_DIR / "logs" / "actions.log").read_text()
    assert f"refused, serving build {good}" in log

    env = {**os.environ, **processes.settings_env(settings)}
    build = subprocess.run([sys.executable, "-m", "bot.cli", "index", "build"], capture_output=True, text=True,
                           env=env, timeout=600)
    assert build.returncode == 0 and "damaged" in build.stdout and "published" in build.stdout, build.stdout
    repaired = current_version(settings.index_dir)
    assert repaired not in (good, damaged) and verify_build(settings.index_dir, repaired) == []
    deadline = time.monotonic() + 60
    while httpx.get(f"{own_stack.actions_url}/index", timeout=10).json()["version"] != repaired:
        assert time.monotonic() < deadline, "the action server did not switch to the repaired build"
        time.sleep(0.5)
    assert httpx.get(f"{own_stack.actions_url}/index", timeout=10).json()["reason"] == ""
