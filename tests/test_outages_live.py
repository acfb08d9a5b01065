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
        assert r.status_code == 503 and "Rasa" in r.json()["detail"]
        health = httpx.get(f"{own_stack.gateway_url}/healthz", timeout=10)
        assert health.status_code == 503 and "rasa" in health.json()["problems"]


def test_rate_limit_per_sender(own_stack) -> None:
    sender = f"busy-{uuid.uuid4()}"
    codes = [post(own_stack, sender, "hi").status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert post(own_stack, f"other-{uuid.uuid4()}", "hi").status_code == 200
