"""rasa-webchat's protocol on Rasa's socket.io channel, through the real running stack.

A python-socketio client does what rasa-webchat 1.0.1 does: `session_request {session_id}`, then
`user_uttered {message, customData, session_id}`, and reads `bot_uttered`. Every message must be one
of the shapes rasa-webchat renders (`{text}` or `{text, quick_replies}`): the sources arrive as a
markdown text with links, the location request as a prompt with quick replies. The channel is
`rasa_addons.socketio_channel.WebchatSocketIOInput` (credentials.yml).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

socketio = pytest.importorskip("socketio", reason="python-socketio[client] is missing: run `make setup`")

pytestmark = pytest.mark.live

SYB_QUESTION = "What is Start Your Business?"
LINK = re.compile(r"\[((?:\\.|[^\]\\])+)\]\((https?://[^)\s]+)\)")
TRAINER_DISTANCE = re.compile(r"\b(?:\d+ km|less than 1 km) away\b")
QUIET_S = 2.0  # a turn is over when nothing more came for this long (after what the test waits for)


class Webchat:
    """One rasa-webchat-like socket.io connection to Rasa, on one session id."""

    def __init__(self, rasa_url: str, session_id: str):
        self.session_id = session_id
        self.messages: list[Any] = []
        self.confirmed: list[Any] = []
        self._last = time.monotonic()
        self._changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("bot_uttered", self._on_bot)
        self.sio.on("session_confirm", self._on_confirm)
        self.sio.connect(rasa_url, socketio_path="/socket.io", wait_timeout=30)
        self.sio.emit("session_request", {"session_id": session_id})
        self._wait(lambda: self.confirmed, 30, "no session_confirm")
        assert self.confirmed == [session_id]

    def _on_bot(self, data: Any) -> None:
        with self._changed:
            self.messages.append(data)
            self._last = time.monotonic()
            self._changed.notify_all()

    def _on_confirm(self, data: Any) -> None:
        with self._changed:
            self.confirmed.append(data)
            self._changed.notify_all()

    def _wait(self, done: Callable[[], Any], timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(done, timeout):
                raise AssertionError(f"{what} within {timeout} s; got {self.messages!r}")

    def say(self, message: str, until: Callable[[str], bool], timeout: float = 90) -> list[Any]:
        """Send a user message; return this turn's bot messages once `until(turn text)` and a quiet
        spell."""
        start = len(self.messages)
        self.sio.emit("user_uttered", {"message": message, "customData": {"language": "en"},
                                       "session_id": self.session_id})
        self._wait(lambda: until(text(self.messages[start:])), timeout, f"no fitting reply to {message!r}")
        while True:  # the rest of the turn (e.g. the sources after the answer)
            with self._changed:
                quiet = QUIET_S - (time.monotonic() - self._last)
                if quiet <= 0:
                    return self.messages[start:]
                self._changed.wait(quiet)

    def close(self) -> None:
        self.sio.disconnect()


def text(messages: list[Any]) -> str:
    return "\n".join(m.get("text", "") for m in messages if isinstance(m, dict))


def replies(messages: list[Any]) -> list[str]:
    return [r["title"] for m in messages for r in m.get("quick_replies") or []]


def assert_renderable(messages: list[Any]) -> None:
    """Each message is one rasa-webchat shows; quick replies only on the turn's last one (where it
    shows them)."""
    for m in messages:
        assert isinstance(m, dict) and m.get("text", "").strip(), m
        assert set(m) in ({"text"}, {"text", "quick_replies"}), m
        for r in m.get("quick_replies", []):
            assert set(r) == {"content_type", "title", "payload"} and r["title"] and r["payload"], r
    assert all("quick_replies" not in m for m in messages[:-1]), messages


def rest(stack, sender: str, message: str) -> list[dict]:
    r = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                   timeout=90)
    r.raise_for_status()
    return r.json()


def tracker(stack, sender: str) -> dict:
    r = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.settings.RASA_TOKEN},
                  timeout=30)
    r.raise_for_status()
    return r.json()


def has_sources(turn: str) -> bool:
    return bool(re.search(r"^Sources?: ", turn, re.MULTILINE))


def asks_for_a_city(turn: str) -> bool:
    return "Which city or town" in turn and "type the name of your town or city" in turn


def lists_trainers(turn: str) -> bool:
    return "Kampala, Uganda" in turn and bool(TRAINER_DISTANCE.search(turn))


@pytest.fixture
def webchat(stack):
    clients: list[Webchat] = []

    def connect(session_id: str) -> Webchat:
        clients.append(Webchat(stack.rasa_url, session_id))
        return clients[-1]

    yield connect
    for client in clients:
        client.close()


def test_answer_with_sources_then_trainers_near_kampala_on_one_session(stack, webchat) -> None:
    # What the REST channel (the gateway's) sends for the same question: the sources to expect.
    probe = rest(stack, f"probe-{uuid.uuid4()}", SYB_QUESTION)
    expected = [c for m in probe for c in [m.get("custom") or {}] if c.get("sources")]
    assert expected, "the REST channel's answer has no sources"
    urls = {s["url"] for c in expected for s in c["sources"] if s.get("url")}
    session = f"webchat-{uuid.uuid4().hex}"
    chat = webchat(session)

    answer = chat.say(SYB_QUESTION, has_sources)
    assert_renderable(answer)
    assert re.search(r"\bSYB\b|business plan", text(answer), re.IGNORECASE), text(answer)
    source_line = next(m["text"] for m in answer if has_sources(m["text"]))
    links = LINK.findall(source_line)
    assert links and {url for _, url in links} <= urls | {u.replace("(", "%28").replace(")", "%29") for u in urls}
    assert any(re.search(r"Start|SIYB|Your Business", title) for title, _ in links), source_line
    # the sources close the answer and carry its quick replies
    assert answer[-1]["text"] == source_line
    assert replies(answer) == [b["title"] for m in probe for b in m.get("buttons") or []]

    city = chat.say("find a trainer near me", asks_for_a_city)
    assert_renderable(city)
    assert replies(city) == ["Cancel"] and "share" not in city[-1]["quick_replies"][0]["title"].lower()

    trainers = chat.say("Kampala", lists_trainers)
    assert_renderable(trainers)
    assert "To use that" not in text(trainers), text(trainers)
    assert re.search(r"\d+ km", text(trainers))

    # Every turn was saved, on the session id, as the socket.io channel's.
    saved = tracker(stack, session)
    assert saved["latest_input_channel"] == "socketio"
    said = [e["text"] for e in saved["events"] if e["event"] == "user"]
    assert said[-3:] == [SYB_QUESTION, "find a trainer near me", "Kampala"]


def test_a_reconnect_with_the_same_session_goes_on_with_the_conversation(stack, webchat) -> None:
    session = f"webchat-{uuid.uuid4().hex}"
    first = webchat(session)
    assert_renderable(first.say("find a trainer near me", asks_for_a_city))
    first.close()  # e.g. the page is reloaded: rasa-webchat keeps the session id in its storage

    again = webchat(session)
    trainers = again.say("Kampala", lists_trainers)
    assert_renderable(trainers)
    assert again.messages == trainers  # the old socket's messages do not come to the new one


def test_cancel_leaves_the_trainer_search(stack, webchat) -> None:
    chat = webchat(f"webchat-{uuid.uuid4().hex}")
    city = chat.say("find a trainer near me", asks_for_a_city)
    cancel = city[-1]["quick_replies"][0]
    reply = chat.say(cancel["payload"], lambda turn: bool(turn.strip()))
    assert_renderable(reply)
    assert "Which city or town" not in text(reply), text(reply)
    answer = chat.say(SYB_QUESTION, has_sources)  # and the conversation goes on
    assert_renderable(answer)


def test_a_spanish_conversation_over_socketio_is_answered_in_spanish(stack, webchat) -> None:
    chat = webchat(f"webchat-{uuid.uuid4().hex}")
    answer = chat.say("¿qué es IMESUN?", has_sources)
    assert_renderable(answer)
    assert "¿Qué es IMESUN" in text(answer) and "Buscar un programa para mí" in replies(answer), text(answer)
    trainers = chat.say("buscar un capacitador en Bogotá", lambda turn: "Bogotá, Colombia" in turn)
    assert "Bogotá, Colombia" in text(trainers) and "capacitadores" in text(trainers), text(trainers)
