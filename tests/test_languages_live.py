"""French, Spanish and Portuguese through the running stack: the reply is in the user's language,
found by the multilingual search, and the finder and the trainer search work in it.

Each conversation starts from a fresh sender and goes gateway -> Rasa -> action server -> index.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.test_guided_live import chat as say
from tests.test_guided_live import text

pytestmark = pytest.mark.live
DEAD_ENDS = re.compile(
    r"start again: I can|didn't catch|passed your question on|outside what I can", re.IGNORECASE
)


def fresh() -> str:
    return f"test-{uuid.uuid4()}"


def sources(messages: list[dict]) -> list[dict]:
    return [s for m in messages for s in m["sources"]]


def titles(messages: list[dict]) -> list[str]:
    return [b["title"] for m in messages for b in m["buttons"]]


def test_a_french_question_is_answered_in_french_from_the_french_page(stack) -> None:
    reply = say(stack, fresh(), "c'est quoi GERME ?")
    body = text(reply)
    assert not DEAD_ENDS.search(body), body
    assert sources(reply) and sources(reply)[0]["programme"] == "siyb"
    assert re.search(r"\b(?:entreprise|formation)\b", body), body
    assert "Dites-m'en plus" in titles(reply) or "Trouver un programme pour moi" in titles(reply)


def test_a_spanish_follow_up_keeps_the_topic_and_the_language(stack) -> None:
    sender = fresh()
    first = say(stack, sender, "¿qué es SCORE?")
    assert sources(first) and sources(first)[0]["programme"] == "score"
    reply = say(stack, sender, "¿y cuánto dura?")
    body = text(reply)
    assert not DEAD_ENDS.search(body), body
    assert sources(reply) and sources(reply)[0]["programme"] == "score", body
    assert "Which city" not in body


def test_a_spanish_trainer_request_with_an_accented_city(stack) -> None:
    body = text(say(stack, fresh(), "buscar un capacitador en Bogotá"))
    assert "Bogotá, Colombia" in body, body
    assert re.search(r"capacitadores|Perdone|No tengo", body), body


def test_asking_for_french_switches_the_conversation(stack) -> None:
    sender = fresh()
    assert "Hello" in text(say(stack, sender, "hello"))
    body = text(say(stack, sender, "en français s'il vous plaît"))
    assert "Bonjour" in body, body
    later = say(stack, sender, "ok")  # tells no language: French stays
    assert not re.search(r"\bGreat!|What would you like", text(later)), text(later)


def test_the_programme_finder_in_portuguese(stack) -> None:
    sender = fresh()
    reply = say(stack, sender, "qual programa é para mim?")
    assert "Em que ponto está o seu negócio?" in text(reply), text(reply)
    assert "Tenho uma ideia, ainda não comecei" in titles(reply)


def test_an_off_topic_question_in_spanish_gets_the_scope_reply_in_spanish(stack) -> None:
    reply = say(stack, fresh(), "¿quién ganó el partido de fútbol ayer?")
    assert not sources(reply)
    assert "Eso está fuera de lo que puedo hacer" in text(reply), text(reply)


def test_the_widgets_language_hint_is_used_until_the_user_writes_in_another(stack) -> None:
    import httpx

    sender = fresh()

    def send(message: str) -> list[dict]:
        body = {"sender": sender, "message": message, "metadata": {"language": "fr"}}  # data-lang
        r = httpx.post(f"{stack.gateway_url}/api/chat", json=body, timeout=90)
        assert r.status_code == 200, r.text
        return r.json()["messages"]

    assert "Trouver un programme pour moi" in titles(send("SYB?"))  # tells no language: the page's
    assert "Find a programme for me" in titles(send("How do I register my business?"))
