"""What users get when a part is down, and that conversations survive a Rasa restart.

Uses its own stack (so stopping processes never disturbs the other live tests).
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import stack_settings, start_stack

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory):
    running = start_stack(stack_settings(tmp_path_factory.mktemp("outage-state"), RATE_LIMIT_PER_MINUTE=5))
    yield running
    running.stack.stop()


def post(stack, sender: str, message: str) -> httpx.Response:
    return httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": message}, timeout=60)


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
    """SIGKILL the action server: the next question gets one apology, the supervisor restarts the action
    server, and the same sender's next question is answered with its sources."""
    import os
    import signal
    import threading
    import time

    stopping = threading.Event()
    supervisor = threading.Thread(target=own_stack.stack.supervise, args=(stopping,), kwargs={"log": lambda _l: None},
                                  daemon=True)
    supervisor.start()
    try:
        sender = f"killed-{uuid.uuid4()}"
        killed = own_stack.stack.pids()["actions"]
        os.kill(killed, signal.SIGKILL)
        time.sleep(0.5)
        first = post(own_stack, sender, "how do I write a business plan?")
        assert first.status_code == 200
        texts = [m["text"] for m in first.json()["messages"]]
        assert len(texts) == 1 and "part of my system may not be responding" in texts[0], texts
        deadline = time.monotonic() + 60
        while own_stack.stack.pids()["actions"] == killed and time.monotonic() < deadline:
            time.sleep(0.2)
        assert own_stack.stack.pids()["actions"] != killed, "the supervisor did not restart the action server"
        own_stack.stack.wait_ready(timeout_s=120, only=["actions"])
        again = post(own_stack, sender, "how do I keep records of my sales?")
        assert again.status_code == 200
        assert any(m["sources"] for m in again.json()["messages"]), again.json()
    finally:
        stopping.set()
        supervisor.join(timeout=5)
