"""Web sender identity owned by the gateway (issue 12 item 3, widget side): signed session ids.

The gateway runs in-process (TestClient); Rasa is `FakeRasa` of test_telegram.py on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.records import Records
from bot.sessions import SessionSigner
from bot.settings import Settings
from tests import test_input_limits
from tests.test_telegram import FakeRasa


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    with closing(FakeRasa()) as server:
        yield server


def make_settings(tmp_path, rasa: FakeRasa, **overrides: Any) -> Settings:
    return test_input_limits.make_settings(tmp_path, rasa, **{"SESSION_SECRET": "s3cret", **overrides})


@pytest.fixture
def client(tmp_path, rasa) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, rasa))) as c:
        yield c


def tampered(token: str) -> str:
    """The token with the first character of its signature changed."""
    head, sig = token.split(".")
    return f"{head}.{'B' if sig[0] != 'B' else 'C'}{sig[1:]}"


def new_session(client: TestClient) -> str:
    response = client.post("/api/session", json={})
    assert response.status_code == 200
    return response.json()["sender"]


def test_session_ids_are_opaque_signed_and_distinct(client) -> None:
    first, second = new_session(client), new_session(client)
    assert first != second and first.startswith("widget:") and len(first) <= 128
    assert SessionSigner("s3cret").valid(first)
    assert not SessionSigner("another secret").valid(first)


def test_signed_session_keeps_its_conversation(client, rasa) -> None:
    token = new_session(client)
    for text in ("What is SCORE?", "how much does it cost?"):
        response = client.post("/api/chat", json={"sender": token, "message": text})
        assert response.status_code == 200
        assert "sender" not in response.json()  # nothing new to keep
    assert [m["sender"] for m in rasa.messages] == [token, token]


@pytest.mark.parametrize("forged", [
    "widget:AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",  # the right shape, a made-up signature
    "widget:someone-else", "Widget:x", "widget:",
])
def test_unsigned_or_forged_session_gets_a_fresh_one(client, rasa, forged) -> None:
    victim = new_session(client)
    if forged.startswith("widget:AAAA"):  # someone else's id with a guessed signature
        forged = tampered(victim)
    response = client.post("/api/chat", json={"sender": forged, "message": "where am I?"})
    assert response.status_code == 200
    fresh = response.json()["sender"]
    assert SessionSigner("s3cret").valid(fresh) and fresh not in (victim, forged)
    # never the victim's, never the forged one
    assert [m["sender"] for m in rasa.messages] == [fresh]


def test_a_session_signed_by_another_secret_starts_afresh(tmp_path, rasa) -> None:
    old = SessionSigner("old secret").issue()
    with TestClient(create_app(make_settings(tmp_path, rasa))) as client:
        response = client.post("/api/chat", json={"sender": old, "message": "hi"})
    assert response.json()["sender"] != old and rasa.messages[0]["sender"] == response.json()["sender"]


def test_every_gateway_with_the_same_secret_accepts_the_session(tmp_path, rasa) -> None:
    with TestClient(create_app(make_settings(tmp_path / "a", rasa))) as a:
        token = new_session(a)
    with TestClient(create_app(make_settings(tmp_path / "b", rasa))) as b:
        assert "sender" not in b.post("/api/chat", json={"sender": token, "message": "hi"}).json()
    assert rasa.messages[0]["sender"] == token


def test_an_api_clients_own_id_is_kept_as_the_contract_says(client, rasa) -> None:
    response = client.post("/api/chat", json={"sender": "bench-42", "message": "What is SCORE?"})
    assert response.json() == {"messages": [{"text": "echo: What is SCORE?", "buttons": [], "sources": []}]}
    assert rasa.messages[0]["sender"] == "bench-42"
    refused = client.post("/api/chat", json={"sender": "telegram:424242", "message": "hi"})
    assert refused.status_code == 422 and "Telegram channel" in refused.text


def test_feedback_and_forget_check_the_session(tmp_path, client) -> None:
    records = Records(tmp_path / "sme_advisor.db")
    token = new_session(client)
    assert client.post("/api/feedback", json={"sender": token, "rating": 1, "question": "q", "answer": "a"}).json() \
        == {"status": "stored"}
    forged = tampered(token)
    stored = client.post("/api/feedback", json={"sender": forged, "rating": -1})
    assert stored.status_code == 201 and SessionSigner("s3cret").valid(stored.json()["sender"])

    # A forged id erases nothing of the session it imitates ...
    refused = client.post("/api/forget", json={"sender": forged}).json()
    assert refused["records"] == 0 and refused["sender"] != token
    assert len(records.feedback()) == 2
    # ... the signed one erases its own rows only.
    assert client.post("/api/forget", json={"sender": token}).json()["records"] == 1
    assert [r["rating"] for r in records.feedback()] == [-1]
