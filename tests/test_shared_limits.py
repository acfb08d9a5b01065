"""Gateway state holds across gateways: two real gateway processes on one store (the SQLite file of
one STATE_DIR, or one Redis) allow a sender RATE_LIMIT_PER_MINUTE messages between them, not each;
the same for Telegram's per-chat limit on two gateways; memory stays bounded (expired hits are
dropped, Redis keys expire). With Redis, a long Telegram button shown by one gateway is understood
by a gateway on
another
machine, and
/forget erases it."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import telegram as tg
from bot.button_store import CHAT_PREFIX
from bot.button_store import KEY_PREFIX as BUTTON_PREFIX
from bot.chat import ChatService
from bot.processes import gateway_child
from bot.rate_limits import KEY_PREFIX, RedisRateLimiter, SqliteRateLimiter, hashed
from bot.servers import ServerMissing, program
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import free_port, stack_settings
from tests.test_telegram import (  # noqa: F401  (fixtures)
    CHAT,
    CHAT_ID,
    SENDER,
    bot_api,
    callback_update,
    deliver,
    make_settings,
    message_update,
    rasa,
    text_update,
)

LIMIT = 5


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A throwaway redis-server (as `make run-scaled` starts one)."""
    try:
        server = program("redis-server")
    except ServerMissing as exc:
        pytest.skip(str(exc))
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/3"
    try:
        import redis

        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def start_gateways(state_dir: Path, count: int, **overrides) -> tuple[list[str], list[subprocess.Popen]]:
    """`count` gateway processes (as `sme-advisor run` starts them) on one state folder; Rasa is not
    running, so a message that passes the limit gets 503, one over it 429."""
    dead_rasa = f"http://127.0.0.1:{free_port()}"
    urls, processes = [], []
    for _ in range(count):
        settings = stack_settings(state_dir, RATE_LIMIT_PER_MINUTE=LIMIT, RASA_URL=dead_rasa, RASA_TIMEOUT_S=5,
                                  **overrides)
        child = gateway_child(settings)
        processes.append(subprocess.Popen(child.command, cwd=PROJECT_ROOT, env=child.env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://{settings.HOST}:{settings.GATEWAY_PORT}")
    deadline = time.monotonic() + 120
    for url in urls:
        while True:
            try:
                if httpx.post(f"{url}/api/session", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"the gateway at {url} did not start"
            time.sleep(0.2)
    return urls, processes


def chat_codes(urls: list[str], sender: str, messages: int) -> list[int]:
    return [httpx.post(f"{urls[i % len(urls)]}/api/chat", json={"sender": sender, "message": f"hello {i}"},
                       timeout=30).status_code for i in range(messages)]


@pytest.mark.parametrize("store", ["sqlite", "redis"])
def test_two_gateway_processes_allow_the_limit_between_them(store, tmp_path, request) -> None:
    overrides = {"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    urls, gateways = start_gateways(tmp_path / "state", 2, **overrides)
    try:
        codes = chat_codes(urls, "api-client-1", 3 * LIMIT)  # alternating: gateway 1, 2, 1, 2, ...
        # 503: passed the limit (Rasa is down)
        assert Counter(codes) == {503: LIMIT, 429: 2 * LIMIT}, codes
        assert codes[:LIMIT] == [503] * LIMIT
        assert chat_codes(urls[1:], "api-client-2", 1) == [503], "another sender is not limited"
        feedback = [httpx.post(f"{urls[i % 2]}/api/feedback", json={"sender": "api-client-1", "rating": 1},
                               timeout=30).status_code for i in range(LIMIT + 2)]
        assert feedback == [201] * LIMIT + [429, 429], "feedback has its own limit, shared too"
    finally:
        for gateway in gateways:
            gateway.terminate()
        for gateway in gateways:
            gateway.wait(15)


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_two_telegram_gateways_share_the_per_chat_limit(store, tmp_path, bot_api, rasa, request):  # noqa: F811
    overrides = {"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    settings: Settings = make_settings(tmp_path, bot_api, rasa.url, RATE_LIMIT_PER_MINUTE=3, **overrides)
    chat = ChatService(settings.rasa_url, 5.0)
    async with tg.build_application(settings, chat) as first, tg.build_application(settings, chat) as second:
        for i in range(6):  # the webhook balancer alternates between two gateways
            await deliver((first, second)[i % 2], text_update(f"question {i}"))
        await deliver(second, message_update(text="hello", chat={**CHAT, "id": CHAT_ID + 1}))
    await chat.aclose()
    assert [m["message"] for m in rasa.messages] == ["question 0", "question 1", "question 2", "hello"]
    texts = [m["text"] for m in bot_api.sent("sendMessage")]
    assert texts == ["echo: question 0", "echo: question 1", "echo: question 2", tg.SLOW_DOWN, "echo: hello"], \
        "told once to slow down, whichever gateway got the message"


def test_sqlite_limit_slides_and_drops_expired_hits(tmp_path) -> None:
    now = [1000.0]
    a = SqliteRateLimiter(tmp_path / "db.sqlite", 2, name="chat", clock=lambda: now[0])
    b = SqliteRateLimiter(tmp_path / "db.sqlite", 2, name="chat", clock=lambda: now[0])
    assert [a.allow("s"), b.allow("s"), a.allow("s")] == [True, True, False]
    for i in range(100):
        a.allow(f"sender-{i}")
    assert len(a) == 102
    now[0] += 61
    assert b.allow("s") and len(a) == 1, "hits older than the window are deleted"
    import sqlite3

    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        keys = {k for (k,) in db.execute("SELECT key FROM rate_hits")}
    assert keys == {hashed("chat", "s")}, "the sender id itself is never stored"


def test_redis_limit_keys_are_bounded_and_expire(redis_url) -> None:
    limiter = RedisRateLimiter(redis_url, 3, name="chat", window_s=1.0)
    assert [limiter.allow("s") for _ in range(5)] == [True, True, True, False, False]
    key = f"{KEY_PREFIX}:{hashed('chat', 's')}"
    assert limiter.client.zcard(key) == 3, "refused hits are not kept"
    assert 0 < limiter.client.pttl(key) <= 1000
    time.sleep(1.2)
    assert not limiter.client.exists(key), "an idle sender's key expires with the window"
    assert limiter.allow("s")


def test_an_unreachable_redis_does_not_silence_users() -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0", 1, name="chat")
    assert limiter.allow("s") and limiter.allow("s")


async def test_a_long_button_shown_by_one_gateway_is_understood_on_another_machine(tmp_path, bot_api, rasa,  # noqa: F811
                                                                                   redis_url):
    payload = '/choose_programme{"programme": "productivity-ecosystems", "package": null, "stage": "growing"}'
    rasa.reply = lambda body: [{"text": "Which one?", "buttons": [{"title": "Productivity Ecosystems", "payload": payload}]}]
    machines = [make_settings(tmp_path / name, bot_api, rasa.url, REDIS_URL=redis_url) for name in ("a", "b")]
    chat = ChatService(rasa.url, 5.0)
    async with tg.build_application(machines[0], chat) as first, tg.build_application(machines[1], chat) as second:
        await deliver(first, text_update("compare"))
        data = bot_api.sent("sendMessage")[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert data.startswith("b:"), "too long for a button: kept in the store"
        # each machine has its own STATE_DIR: only Redis is shared
        await deliver(second, callback_update(data))
        assert rasa.messages[-1] == {"sender": SENDER, "message": payload}
        client = second.bot_data["button_store"].client
        assert client.keys(f"{BUTTON_PREFIX}:*") and client.keys(f"{CHAT_PREFIX}:*")
        await deliver(second, text_update("/forget"))
        assert client.keys(f"{BUTTON_PREFIX}:*") == [] and client.keys(f"{CHAT_PREFIX}:*") == [], "forget erases them"
        await deliver(first, callback_update(data))
    await chat.aclose()
    assert bot_api.sent("sendMessage")[-1]["text"] == tg.EXPIRED
