"""Conversations through the real running processes: gateway -> Rasa -> action server -> index."""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest

pytestmark = pytest.mark.live


def chat(stack, sender: str, message: str) -> list[dict]:
    r = httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": sender, "message": message}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["messages"]


def text_of(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def test_health_is_ok(stack) -> None:
    r = httpx.get(f"{stack.gateway_url}/healthz", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["index"]


def test_multi_turn_conversation_with_sources(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    greeting = chat(stack, sender, "hello")
    assert "SME Advisor" in greeting[0]["text"]
    assert {b["payload"] for b in greeting[0]["buttons"]} == {"/find_programme", "/find_trainer"}

    syb = chat(stack, sender, "What is Start Your Business?")
    assert "business plan" in syb[0]["text"].lower()
    assert syb[0]["sources"] and syb[0]["sources"][0]["programme"] == "siyb"
    assert all(set(s) == {"title", "url", "programme"} for s in syb[0]["sources"])

    off_topic = chat(stack, sender, "what's the weather like in paris tomorrow")
    assert "outside what I can help with" in off_topic[0]["text"] and off_topic[0]["sources"] == []
    assert {b["payload"] for b in off_topic[0]["buttons"]} == {"/find_programme", "/find_trainer"}
    unanswerable = "which business insurance covers a chocolate cake shop on the moon"
    not_found = chat(stack, sender, unanswerable)
    assert "passed your question on" in text_of(not_found) and not any(m["sources"] for m in not_found)
    with sqlite3.connect(stack.settings.db_path) as db:
        rows = db.execute("SELECT sender, question FROM unanswered").fetchall()
    questions = [q for _, q in rows]
    assert unanswerable in questions, "a real question nobody could answer goes to the team"
    assert "what's the weather like in paris tomorrow" not in questions, "off-topic messages are not stored"
    assert all(sender not in s for s, _ in rows), "senders are stored only as pseudonyms"

    formal = chat(stack, sender, "my shop has no licence, should I register it?")
    assert formal[0]["sources"] and formal[0]["sources"][0]["programme"] == "formalization"


def test_help_thanks_and_bot_challenge(stack) -> None:
    sender = f"test-{uuid.uuid4()}"
    assert "find certified trainers" in chat(stack, sender, "what can you do?")[0]["text"]
    assert "chatbot" in chat(stack, sender, "are you a bot?")[0]["text"]
    assert "welcome" in chat(stack, sender, "thanks a lot")[0]["text"]


@pytest.mark.parametrize("body, status, detail", [
    ({"sender": "x", "message": ""}, 422, "message is empty"),
    ({"sender": "x", "message": "   \n\t "}, 422, "message is empty"),
    ({"sender": "x", "message": "a" * 20_000}, 413, "message is too long"),
    ({"sender": "x", "message": 42}, 422, "valid string"),
    ({"sender": "x", "message": {"text": "hi"}}, 422, "valid string"),
    ({"message": "hi"}, 422, "sender"),
    ({"sender": "x"}, 422, "message"),
])
def test_bad_input_gets_a_clear_4xx(stack, body: dict, status: int, detail: str) -> None:
    r = httpx.post(f"{stack.gateway_url}/api/chat", json=body, timeout=10)
    assert r.status_code == status
    assert detail in str(r.json()["detail"])


def test_not_json_is_refused(stack) -> None:
    r = httpx.post(f"{stack.gateway_url}/api/chat", content=b"\xff\xfe not json",
                   headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code in (400, 422) and r.json()["detail"]
