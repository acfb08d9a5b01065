"""Forgetting really erases, and nobody speaks as another channel's user: through the running stack.
"""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest

pytestmark = pytest.mark.live


def events_of(stack, sender: str) -> int:
    with sqlite3.connect(stack.settings.tracker_db_path) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def chat(stack, sender: str, message: str) -> httpx.Response:
    return httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": message}, timeout=60)


def test_forget_me_erases_every_event_and_record_of_that_sender_only(stack) -> None:
    sender, other = f"web:{uuid.uuid4()}", f"web:{uuid.uuid4()}"
    assert chat(stack, sender, "I live in Kampala, how do I register my shop?").status_code == 200
    assert chat(stack, sender, "qwertyuiop zxcvbnm business tax loans insurance?").status_code == 200
    assert chat(stack, other, "What is Start Your Business?").status_code == 200
    assert events_of(stack, sender) > 0
    r = httpx.post(f"{stack.gateway_url}/api/forget", json={"sender": sender}, timeout=30)
    assert r.status_code == 200 and r.json()["forgotten"] and r.json()["events"] > 0, r.text
    assert events_of(stack, sender) == 0
    assert events_of(stack, other) > 0
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                        params={"token": stack.settings.RASA_TOKEN}, timeout=10).json()
    assert not [e for e in tracker["events"] if e["event"] == "user"]
    assert not tracker["slots"].get("programme") and not tracker["slots"].get("place")
    again = chat(stack, sender, "how much does it cost?")
    assert again.status_code == 200, "a forgotten sender starts a new conversation"


def test_nobody_speaks_as_a_telegram_user_through_the_web(stack) -> None:
    for body in ({"sender": "telegram:424242", "message": "hi"}, {"sender": "Telegram:1", "message": "hi"}):
        r = httpx.post(f"{stack.gateway_url}/api/chat", json=body, timeout=30)
        assert r.status_code == 422 and "Telegram channel" in r.text
    r = httpx.post(f"{stack.gateway_url}/api/forget", json={"sender": "telegram:424242"}, timeout=30)
    assert r.status_code == 422
