"""Limits on what clients send `POST /api/chat` and `POST /api/feedback` (issue 12, items 4, 8 and
9).

Every malformed or oversized input gets a 4xx whose JSON `detail` names the limit, never a 500, and
never reaches Rasa. The gateway runs in-process (TestClient); Rasa is a tiny HTTP server on
127.0.0.1 (`FakeRasa` of test_telegram.py), reached through `RASA_URL` exactly as the real one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.limits import MAX_METADATA_BYTES, RateLimiter, json_safe, metadata_problem
from bot.records import Records
from bot.settings import Settings
from tests.test_telegram import FakeRasa


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    yield server
    server.close()


def make_settings(tmp_path, rasa: FakeRasa, **overrides: Any) -> Settings:
    return Settings(_env_file=None, **{"STATE_DIR": tmp_path, "RASA_URL": rasa.url, **overrides})


@pytest.fixture
def client(tmp_path, rasa) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, rasa))) as c:
        yield c


def post_raw(client: TestClient, path: str, raw: str | bytes, content_type: str | None = "application/json"):
    """POST a body exactly as given: a str is encoded keeping lone surrogates as written (JSON
    escapes)."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    headers = {"content-type": content_type} if content_type else {}
    return client.post(path, content=data, headers=headers)


def post_json(client: TestClient, path: str, body: Any):
    """POST `body` as JSON, lone surrogates as \\uXXXX escapes and NaN/Infinity as Python's json
    writes them."""
    return post_raw(client, path, json.dumps(body, ensure_ascii=True, allow_nan=True))


def detail_text(response) -> str:
    """The refusal's message(s): FastAPI's `detail` is a string or a list of {msg: ...}."""
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " | ".join(d["msg"] for d in detail)


def chat(client: TestClient, metadata: Any = None, **fields: Any):
    body = {"sender": "web:limits", "message": "What is SCORE?", **fields}
    if metadata is not None:
        body["metadata"] = metadata
    return post_json(client, "/api/chat", body)


# --- sender ids a header cannot carry ----------------------------------------------------------------

@pytest.mark.parametrize("sender", ["\r", "a\r\nX-Injected: 1", "tab\there", "é-ü-中"])
def test_any_sender_reaches_rasa_whatever_its_characters(client, rasa, sender) -> None:
    """The conversation's stickiness header (X-Conversation-Id) is a hash of the sender: a sender
    with CR/LF was a 503 (httpx refuses such a header) and could have added headers of its own."""
    r = chat(client, sender=sender)
    assert r.status_code == 200, r.text
    assert rasa.messages[-1]["sender"] == sender


# --- /api/chat metadata (item 4) -------------------------------------------------------------------

def test_widget_metadata_is_accepted_and_reaches_rasa(client, rasa) -> None:
    metadata = {"language": "fr", "latitude": 6.5244, "longitude": 3.3792, "tags": ["a", 1, 2.5, True, None],
                "client": {"widget": {"version": "1"}}, "note": "é" * 300}
    response = chat(client, metadata)
    assert response.status_code == 200
    assert response.json() == {"messages": [{"text": "echo: What is SCORE?", "buttons": [], "sources": []}]}
    assert rasa.messages == [{"sender": "web:limits", "message": "What is SCORE?", "metadata": metadata}]


@pytest.mark.parametrize("metadata, status, expected", [
    ({"blob": "x" * 5000}, 413, f"metadata is too large: at most {MAX_METADATA_BYTES} bytes as JSON"),
    ({"blob": "é" * 2100}, 413, "metadata is too large"),  # 2100 characters, 4200 bytes as UTF-8
    ({f"k{i}": i for i in range(33)}, 422, "metadata has too many keys: at most 32 in all"),
    # 36 nested
    ({f"o{i}": {f"k{j}": j for j in range(5)} for i in range(6)}, 422, "too many keys: at most 32"),
    ({"a": {"b": {"c": {"d": 1}}}}, 422, "metadata is nested too deeply at metadata.a.b.c: at most 3 levels"),
    ({"a": [[[1]]]}, 422, "nested too deeply at metadata.a[0][0]"),
    ({"tags": list(range(21))}, 422, "metadata.tags is too long a list: at most 20 items"),
    ({"k" * 65: 1}, 422, "is too long: at most 64 characters"),
    ([1, 2], 422, "valid dictionary"),
    ("language=fr", 422, "valid dictionary"),
    ({"language": "fr \ud800"}, 422, "metadata.language contains an invalid character (a lone UTF-16 surrogate"),
    ({"lang\udc00": "fr"}, 422, "a metadata key in metadata contains an invalid character"),
    ({"a": {"b": ["ok", "\udfff\ud800"]}}, 422, "metadata.a.b[1] contains an invalid character"),
    ({"latitude": float("nan")}, 422, "metadata.latitude is not a finite number: NaN and Infinity are not allowed"),
    ({"x": [float("inf")]}, 422, "metadata.x[0] is not a finite number"),
    ({"x": {"y": float("-inf")}}, 422, "metadata.x.y is not a finite number"),
])
def test_metadata_over_a_limit_is_refused_naming_it(client, rasa, metadata, status, expected) -> None:
    response = chat(client, metadata)
    assert response.status_code == status, response.text
    assert expected in detail_text(response)
    assert rasa.messages == []


@pytest.mark.parametrize("raw", [
    '{"sender": "s", "message": "hi", "metadata": {"x": NaN}}',
    '{"sender": "s", "message": "hi", "metadata": {"x": Infinity}}',
    '{"sender": "s", "message": "hi", "metadata": {"x": -Infinity}}',
    '{"sender": "s", "message": "hi", "metadata": {"x": 1e999}}',
])
def test_nan_and_infinity_literals_in_metadata_get_422(client, rasa, raw) -> None:
    response = post_raw(client, "/api/chat", raw)
    assert response.status_code == 422
    assert "metadata.x is not a finite number: NaN and Infinity are not allowed" in detail_text(response)
    assert rasa.messages == []


def test_50_mb_metadata_is_refused_before_parsing(client, rasa) -> None:
    raw = '{"sender": "s", "message": "hi", "metadata": {"blob": "' + "x" * 50_000_000 + '"}}'
    response = post_raw(client, "/api/chat", raw)
    assert response.status_code == 413
    assert detail_text(response) == (
        "request is too large: at most 65536 bytes (a message may have at most 2000 characters, "
        f"metadata at most {MAX_METADATA_BYTES} bytes)")
    assert rasa.messages == []


def test_body_limit_holds_without_content_length(client, rasa) -> None:
    def chunks() -> Iterator[bytes]:  # chunked transfer: no Content-Length to trust
        yield b'{"sender": "s", "message": "hi", "metadata": {"blob": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}}'

    response = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert detail_text(response).startswith("request is too large: at most 65536 bytes")
    assert rasa.messages == []


def test_a_long_message_under_the_body_limit_still_says_message_is_too_long(client, rasa) -> None:
    response = chat(client, message="a" * 20_000)
    assert response.status_code == 413
    assert detail_text(response) == "message is too long: at most 2000 characters"


# --- lone surrogates and NaN anywhere (item 8) ------------------------------------------------------

@pytest.mark.parametrize("path, body, field", [
    ("/api/chat", {"sender": "s", "message": "hi \ud800"}, "message"),
    ("/api/chat", {"sender": "s", "message": "\udc00"}, "message"),
    # a pair in the wrong order
    ("/api/chat", {"sender": "s", "message": "\ude00\ud83d"}, "message"),
    ("/api/chat", {"sender": "web:\ud800", "message": "hi"}, "sender"),
    ("/api/feedback", {"sender": "\ud800", "rating": 1}, "sender"),
    ("/api/feedback", {"sender": "s", "rating": 1, "question": "hi \ud800"}, "question"),
    ("/api/feedback", {"sender": "s", "rating": -1, "answer": "\udbff answer"}, "answer"),
    # also too long
    ("/api/feedback", {"sender": "s", "rating": 1, "question": "\ud800" * 5000}, "question"),
])
def test_lone_surrogate_gets_422_naming_the_field(client, rasa, path, body, field) -> None:
    response = post_json(client, path, body)
    assert response.status_code == 422
    assert f"{field} contains an invalid character (a lone UTF-16 surrogate such as \\ud800)" in detail_text(response)
    assert "\ufffd" in response.text or field == "sender" or "\\ud800" in response.text
    assert rasa.messages == []


@pytest.mark.parametrize("path, raw, expected", [
    ("/api/chat", '{"sender": "s", "message": NaN}', "Input should be a valid string"),
    ("/api/chat", '{"sender": "s", "message": ["\\ud800", Infinity]}', "Input should be a valid string"),
    ("/api/chat", '{"sender": {"\\ud800": NaN}, "message": "hi"}', "Input should be a valid string"),
    ("/api/feedback", '{"sender": "s", "rating": NaN}', "Input should be a finite number"),
    ("/api/feedback", '{"sender": "s", "rating": -Infinity}', "Input should be a finite number"),
    ("/api/feedback", '{"sender": "s", "rating": "\\ud800"}', "Input should be a valid string"),
    ("/api/feedback", '{"sender": "s", "rating": 1, "question": NaN}', "Input should be a valid string"),
])
def test_nan_and_surrogates_in_the_refused_input_still_get_a_422(client, rasa, path, raw, expected) -> None:
    """FastAPI's own handler echoes the input and then cannot encode it (a 500): ours makes it safe.
    """
    response = post_raw(client, path, raw)
    assert response.status_code == 422
    assert expected in detail_text(response)
    response.content.decode("utf-8")  # valid UTF-8 JSON, no lone surrogate, no NaN
    json.loads(response.content, parse_constant=lambda c: pytest.fail(f"{c} in the answer"))


def test_a_valid_surrogate_pair_is_just_an_emoji(client, rasa) -> None:
    response = post_raw(client, "/api/chat", '{"sender": "s", "message": "hi \\ud83d\\ude00"}')
    assert response.status_code == 200
    assert rasa.messages == [{"sender": "s", "message": "hi \U0001F600"}]


@pytest.mark.parametrize("path", ["/api/chat", "/api/feedback"])
@pytest.mark.parametrize("depth", [900, 5000])
def test_deeply_nested_json_gets_a_4xx(client, rasa, path, depth) -> None:
    field = "metadata" if path == "/api/chat" else "question"
    raw = f'{{"sender": "s", "message": "hi", "rating": 1, "{field}": ' + "[" * depth + "]" * depth + "}"
    response = post_raw(client, path, raw)
    assert 400 <= response.status_code < 500
    assert detail_text(response)
    assert len(response.content) < 20_000  # the echoed input is cut
    assert rasa.messages == []


def test_refused_input_is_echoed_short() -> None:
    deep: Any = "x" * 10_000
    for _ in range(50):
        deep = {"k": [deep, float("nan")]}
    safe = json_safe({"input": deep, "big": 10**400, "many": list(range(1000)), "s": "\ud800" * 500})
    encoded = json.dumps(safe, allow_nan=False).encode("utf-8")
    assert len(encoded) < 2_000


# --- /api/feedback limits and rate limit (item 9) ---------------------------------------------------

@pytest.mark.parametrize("body, status, expected", [
    ({"sender": "s", "rating": 1, "question": "q" * 4001}, 422, "String should have at most 4000 characters"),
    ({"sender": "s", "rating": 1, "answer": "a" * 8001}, 422, "String should have at most 8000 characters"),
    ({"sender": "s" * 129, "rating": 1}, 422, "String should have at most 128 characters"),
    ({"sender": "", "rating": 1}, 422, "String should have at least 1 character"),
    ({"sender": "s", "rating": 5}, 422, "rating must be 1 (👍) or -1 (👎)"),
    ({"sender": "s", "rating": 10**100}, 422, "rating must be 1"),
    ({"sender": "s"}, 422, "Field required"),
    ({"sender": "s", "rating": 1, "answer": "a" * 200_000}, 413, "feedback is too large: at most 131072 bytes"),
])
def test_feedback_fields_are_limited(client, tmp_path, body, status, expected) -> None:
    response = post_json(client, "/api/feedback", body)
    assert response.status_code == status
    assert expected in detail_text(response)
    assert Records(tmp_path / "sme_advisor.db").feedback() == []


def test_feedback_at_the_limits_is_stored(client, tmp_path) -> None:
    body = {"sender": "s" * 128, "rating": -1, "question": "é" * 4000, "answer": "🙂" * 8000}
    response = post_json(client, "/api/feedback", body)
    assert response.status_code == 201
    (row,) = Records(tmp_path / "sme_advisor.db").feedback()  # Records keeps a prefix of long texts
    assert row["rating"] == -1 and row["question"].startswith("éé") and row["answer"].startswith("🙂🙂")


def test_feedback_is_rate_limited_per_sender_like_chat(tmp_path, rasa) -> None:
    settings = make_settings(tmp_path, rasa, RATE_LIMIT_PER_MINUTE=3)
    with TestClient(create_app(settings)) as client:
        statuses = [post_json(client, "/api/feedback", {"sender": "a", "rating": 1}).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        refused = post_json(client, "/api/feedback", {"sender": "a", "rating": -1})
        assert detail_text(refused) == "too much feedback: please wait a minute and try again"
        assert post_json(client, "/api/feedback", {"sender": "b", "rating": 1}).status_code == 201
        assert chat(client, sender="a").status_code == 200  # chat has its own budget
    assert len(Records(settings.db_path).feedback()) == 4


def test_feedback_is_rate_limited_per_client_address(tmp_path, rasa) -> None:
    settings = make_settings(tmp_path, rasa, FEEDBACK_PER_IP_PER_MINUTE=5)
    with TestClient(create_app(settings)) as client:  # every request from the same address
        statuses = [post_json(client, "/api/feedback", {"sender": f"s{i}", "rating": 1}).status_code
                    for i in range(7)]
    assert statuses == [201] * 5 + [429, 429]


# --- the rate limiter forgets (item 9) ---------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_keeps_its_sliding_window() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    clock.now += 30
    assert limiter.allow("a") is False
    clock.now += 31
    assert limiter.allow("a") is True


def test_rate_limiter_forgets_idle_senders() -> None:
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)
    for i in range(10_000):
        limiter.allow(f"sender-{i}")
    assert len(limiter) == 10_000
    clock.now += 61
    limiter.allow("someone-new")
    assert len(limiter) == 1


def test_rate_limiter_memory_is_capped() -> None:
    clock = Clock()
    limiter = RateLimiter(2, max_keys=100, clock=clock)
    for i in range(1000):
        clock.now += 0.001
        assert limiter.allow(f"sender-{i}")
    assert len(limiter) == 100
    # the recent ones are kept
    assert limiter.allow("sender-999") and not limiter.allow("sender-999")


def test_metadata_problem_is_bounded_on_hostile_shapes() -> None:
    deep: Any = 1
    for _ in range(10_000):  # deeper than Python's recursion limit
        deep = [deep]
    assert "nested too deeply" in metadata_problem({"x": deep})
    assert metadata_problem({"ok": [1, "two", None, False, 3.5]}) is None


# --- the Telegram webhook refuses what it cannot pass on (item 8) --------------------------------------

@pytest.fixture
def telegram_client(tmp_path, rasa) -> Iterator[TestClient]:
    from tests.test_telegram import SECRET, TOKEN, FakeBotAPI

    bot_api = FakeBotAPI()
    settings = make_settings(tmp_path, rasa, TELEGRAM_TOKEN=TOKEN, TELEGRAM_SECRET_TOKEN=SECRET,
                             TELEGRAM_API_BASE=f"{bot_api.url}/bot")
    with TestClient(create_app(settings)) as c:
        c.headers["X-Telegram-Bot-Api-Secret-Token"] = SECRET
        yield c
    bot_api.close()


def telegram_message(text: Any = "hi", chat_id: Any = 4242, **extra: Any) -> dict[str, Any]:
    return {"update_id": 1, "message": {"message_id": 1, "date": 1700000000, "text": text,
                                        "chat": {"id": chat_id, "type": "private"},
                                        "from": {"id": 4242, "is_bot": False, "first_name": "Amina"}, **extra}}


@pytest.mark.parametrize("raw, expected", [
    (b"[" * 5000 + b"]" * 5000, "body is not a valid Telegram update (JSON object)"),
    (b'{"update_id": ' * 3000 + b"1" + b"}" * 3000, "body is not a valid Telegram update (JSON object)"),
    (json.dumps(telegram_message("hi \ud800")).encode(), "a string contains a lone UTF-16 surrogate"),
    (json.dumps(telegram_message(location={"latitude": float("nan"), "longitude": 1.0})).encode(),
     "a number is NaN or Infinity"),
    (json.dumps(telegram_message(chat_id=[1])).encode(), "user and chat ids must be integers"),
    (json.dumps(telegram_message(chat_id="4242")).encode(), "user and chat ids must be integers"),
])
def test_webhook_refuses_updates_it_cannot_pass_on(telegram_client, rasa, raw, expected) -> None:
    response = telegram_client.post("/telegram/webhook", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert expected in response.json()["detail"]
    assert rasa.messages == []


def test_webhook_still_takes_a_normal_update(telegram_client, rasa) -> None:
    response = telegram_client.post("/telegram/webhook", content=json.dumps(telegram_message("hi 🙂")).encode())
    assert response.status_code == 200
    assert rasa.messages == [{"sender": "telegram:4242", "message": "hi 🙂"}]
