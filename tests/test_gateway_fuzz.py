"""Bounded fuzzing of the gateway's public bodies: `/api/chat`, `/api/feedback`,
`/telegram/webhook`.

Whatever the body (any JSON, NaN, lone surrogates, deep nesting, bytes that are not JSON), the
answer is never a 5xx and the gateway logs no error. Fixed example counts, derandomized, no example
database: every run tries the same bodies. Rasa and the Telegram Bot API are tiny HTTP servers on
127.0.0.1 (`FakeRasa`, `FakeBotAPI` of test_telegram.py), reached through `RASA_URL` and
`TELEGRAM_API_BASE`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.settings import Settings
from tests.test_telegram import CHAT_ID, RASA_TOKEN, SECRET, TOKEN, FakeBotAPI, FakeRasa

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeRasa, FakeBotAPI]]:
    rasa, bot_api = FakeRasa(), FakeBotAPI()
    yield rasa, bot_api
    rasa.close()
    bot_api.close()


@pytest.fixture(scope="module")
def client(fakes, tmp_path_factory) -> Iterator[TestClient]:
    rasa, bot_api = fakes
    state = tmp_path_factory.mktemp("fuzz-state")
    config = Settings(
        _env_file=None, STATE_DIR=state, RASA_URL=rasa.url, RASA_TOKEN=RASA_TOKEN, TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_SECRET_TOKEN=SECRET, TELEGRAM_API_BASE=f"{bot_api.url}/bot",
        RATE_LIMIT_PER_MINUTE=100_000, FEEDBACK_PER_IP_PER_MINUTE=100_000,
    )
    with TestClient(create_app(config), raise_server_exceptions=False) as c:
        yield c


class ErrorLog(logging.Handler):
    """Collects ERROR records of the gateway's loggers (unhandled exceptions are logged at ERROR).
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    names = ["bot", "telegram", "fastapi", "starlette", "uvicorn.error"]
    for name in names:
        logging.getLogger(name).addHandler(handler)
    yield handler
    for name in names:
        logging.getLogger(name).removeHandler(handler)


# --- strategies ------------------------------------------------------------------------------------

# Any code point, lone surrogates (category Cs) included; plus strings chosen to be awkward.
ANY_CHAR = st.characters(exclude_categories=())
AWKWARD = st.sampled_from([
    "", " ", "\n\t ", "hi \ud800", "\udc00", "\ude00\ud83d", "\U0001F600", "\x00", "null", "NaN",
    "/restart", "/forget", '/share_location{"latitude": 91, "longitude": "x"}', "telegram:4242",
    "<script>alert(1)</script>", "\u202e\u200b", "../../etc/passwd",
]) | st.sampled_from([("a", 2001), ("é", 5000), ("\ud800", 300)]).map(lambda p: p[0] * p[1])
TEXT = st.one_of(AWKWARD, st.text(ANY_CHAR, max_size=40))
NUMBER = st.one_of(st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
                   st.floats(allow_nan=True, allow_infinity=True))
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSON = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(TEXT, inner, max_size=6)), max_leaves=25)


def deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value] if depth % 2 else {"k": value}
    return value


# Nesting that pushes the JSON parser and the error encoder (Python's recursion limit is 1000).
DEEP = st.sampled_from([3, 4, 50, 900, 995]).map(deep)
VALUE = st.one_of(JSON, DEEP)


def encode(body: Any) -> bytes:
    """JSON as an attacker may write it: lone surrogates as \\uXXXX escapes, NaN/Infinity literals.
    """
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


RAW = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"", b"{", b"[]", b"null", b'{"sender": "s", "message": "hi"', b"\xff\xfe{}",
                     b'{"sender": "s", "message": "hi", "sender": 1}', b'{"sender": "s", "message": "\\ud800"}']),
    st.sampled_from(["deep list", "deep object", "huge integer"]).map(lambda kind: {
        "deep list": b"[" * 5000 + b"]" * 5000,
        "deep object": b'{"a": ' * 5000 + b"1" + b"}" * 5000,
        "huge integer": b'{"sender": "s", "message": "hi", "rating": ' + b"1" * 5000 + b"}"}[kind]),
)
CONTENT_TYPE = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None])


# Mostly-valid bodies too, so that the fuzzing also gets past validation (to Rasa, SQLite, the Bot
# API).
SENDER = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)
SMALL_METADATA = st.dictionaries(st.text(max_size=12), st.one_of(SCALAR, st.lists(SCALAR, max_size=4)), max_size=6)


def chat_body() -> st.SearchStrategy[Any]:
    fields = st.fixed_dictionaries(
        {"sender": st.one_of(TEXT, VALUE), "message": st.one_of(TEXT, VALUE)},
        optional={"metadata": st.one_of(st.dictionaries(TEXT, VALUE, max_size=40), VALUE),
                  "extra": VALUE})
    plausible = st.fixed_dictionaries({"sender": SENDER, "message": TEXT}, optional={"metadata": SMALL_METADATA})
    return st.one_of(fields, plausible, plausible, VALUE)


def feedback_body() -> st.SearchStrategy[Any]:
    fields = st.fixed_dictionaries(
        {"sender": st.one_of(TEXT, VALUE), "rating": st.one_of(st.sampled_from([1, -1, 0, 2, True]), VALUE)},
        optional={"question": st.one_of(TEXT, VALUE), "answer": st.one_of(TEXT, VALUE)})
    plausible = st.fixed_dictionaries({"sender": SENDER, "rating": st.sampled_from([1, -1])},
                                      optional={"question": TEXT, "answer": TEXT})
    return st.one_of(fields, plausible, plausible, VALUE)


USER = st.fixed_dictionaries({"id": st.one_of(st.just(CHAT_ID), st.integers(), VALUE),
                              "is_bot": st.booleans(), "first_name": TEXT})
CHAT = st.fixed_dictionaries({"id": st.one_of(st.just(CHAT_ID), st.integers(), VALUE),
                              "type": st.sampled_from(["private", "group", "supergroup", "channel", "x"])})
MESSAGE = st.fixed_dictionaries(
    {"message_id": st.one_of(st.integers(min_value=1, max_value=10**6), VALUE),
     "date": st.one_of(st.integers(min_value=0, max_value=2**31), VALUE)},
    optional={"chat": st.one_of(CHAT, VALUE), "from": st.one_of(USER, VALUE), "text": st.one_of(TEXT, VALUE),
              "entities": st.lists(st.fixed_dictionaries({"type": st.sampled_from(["bot_command", "bold"]),
                                                          "offset": st.integers(-2, 50),
                                                          "length": st.integers(-2, 50)}), max_size=3),
              "location": st.one_of(st.fixed_dictionaries({"latitude": NUMBER, "longitude": NUMBER}), VALUE)})
UPDATE = st.fixed_dictionaries(
    {"update_id": st.one_of(st.integers(min_value=0, max_value=2**31), VALUE)},
    optional={"message": st.one_of(MESSAGE, VALUE), "edited_message": MESSAGE,
              "callback_query": st.fixed_dictionaries(
                  {"id": TEXT, "from": USER, "chat_instance": TEXT},
                  optional={"data": TEXT, "message": MESSAGE})})


_ids = st.integers(min_value=1, max_value=2**31)
_private_chat = st.just({"id": CHAT_ID, "type": "private"})
_from = st.just({"id": CHAT_ID, "is_bot": False, "first_name": "Amina"})
_message = {"message_id": _ids, "date": _ids, "chat": _private_chat, "from": _from}
PLAUSIBLE_UPDATE = st.fixed_dictionaries({"update_id": _ids}, optional={
    "message": st.one_of(
        st.fixed_dictionaries({**_message, "text": TEXT}),
        st.fixed_dictionaries({**_message, "text": st.sampled_from(["/start", "/help", "/restart", "/nope"]),
                               "entities": st.just([{"type": "bot_command", "offset": 0, "length": 5}])}),
        st.fixed_dictionaries({**_message, "location": st.fixed_dictionaries(
            {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)})})),
    "callback_query": st.fixed_dictionaries({
        "id": st.text(max_size=8), "from": _from, "chat_instance": st.just("ci"), "data": TEXT,
        "message": st.fixed_dictionaries({**_message, "text": st.just("Please choose:")})}),
})


def post(client: TestClient, path: str, body: bytes, content_type: str | None, headers: dict | None = None):
    headers = dict(headers or {})
    if content_type:
        headers["content-type"] = content_type
    return client.post(path, content=body, headers=headers)


def assert_handled(response, error_log: ErrorLog) -> None:
    event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        detail = response.json()["detail"]  # a JSON answer with a message, encodable as UTF-8
        assert detail
    errors = [f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else f"{r.name}: {r.getMessage()}"
              for r in error_log.records]
    error_log.records.clear()
    assert errors == []


# --- the fuzz tests ---------------------------------------------------------------------------------

@FUZZ
@given(body=st.one_of(chat_body().map(encode), RAW), content_type=CONTENT_TYPE)
def test_fuzz_chat_never_5xx(client, error_log, body, content_type) -> None:
    response = post(client, "/api/chat", body, content_type)
    assert_handled(response, error_log)
    if response.status_code == 200:
        assert isinstance(response.json()["messages"], list)


@FUZZ
@given(body=st.one_of(feedback_body().map(encode), RAW), content_type=CONTENT_TYPE)
def test_fuzz_feedback_never_5xx(client, error_log, body, content_type) -> None:
    response = post(client, "/api/feedback", body, content_type)
    assert_handled(response, error_log)
    assert response.status_code in (201, 400, 413, 415, 422), response.text[:300]


@FUZZ
@given(body=st.one_of(UPDATE.map(encode), PLAUSIBLE_UPDATE.map(encode), PLAUSIBLE_UPDATE.map(encode),
                     VALUE.map(encode), RAW), content_type=CONTENT_TYPE,
       secret=st.sampled_from([SECRET, SECRET, SECRET, None, "", "wrong", SECRET + "x", "\u00e9"]))
def test_fuzz_telegram_webhook_never_5xx(client, error_log, body, content_type, secret) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret.encode()} if secret is not None else {}
    response = post(client, "/telegram/webhook", body, content_type, headers)
    if secret != SECRET:
        assert response.status_code == 403
        assert response.json()["detail"] == "missing or wrong X-Telegram-Bot-Api-Secret-Token"
    assert_handled(response, error_log)


def test_update_without_a_chat_logs_no_error(client, error_log, fakes) -> None:
    update = {"update_id": 1, "callback_query": {
        "id": "cbq-1", "from": {"id": CHAT_ID, "is_bot": False, "first_name": "Amina"}, "chat_instance": "ci"}}
    error_log.records.clear()
    response = post(client, "/telegram/webhook", encode(update), "application/json",
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200
    assert [r.getMessage() for r in error_log.records] == []
