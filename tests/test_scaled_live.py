"""The scaled stack with real servers: 2 Rasa replicas on a throwaway PostgreSQL and Redis behind
haproxy.

Conversations are shared across replicas, a burst for one conversation split over both loses nothing
(the atomic lock store), 20 senders x 10 lose nothing, a rolling reload under load fails no request,
and a SIGKILLed replica is restarted and rejoins; `sme-advisor retrain --force-rasa` (the CLI)
trains a model and rolls it onto every replica while clients chat, failing no request. Forgetting
(the widget's "Forget me", Telegram's /forget) erases the sender's events from PostgreSQL, read back
from
the database."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import psycopg2
import pytest
from fastapi.testclient import TestClient

from bot import processes, rolling, services
from bot import telegram as tg
from bot.app import create_app
from bot.scaled import ScaledStack
from bot.servers import ServerMissing, program
from bot.settings import PROJECT_ROOT, Settings
from tests.conftest import stack_settings
from tests.test_retrain_live import Chatter
from tests.test_telegram import SECRET, TOKEN, FakeBotAPI

pytestmark = pytest.mark.live

LOCK_RACE = """
import asyncio, os, sys, time
from rasa_addons.redis_lock_store import AtomicRedisLockStore
store = AtomicRedisLockStore(host="127.0.0.1", port=int(sys.argv[1]), db=2)
async def main():
    for _ in range(int(sys.argv[2])):
        async with store.lock("race", wait_time_in_seconds=0.005):
            store.red.rpush("trace", f"in {os.getpid()}")
            time.sleep(0.002)
            store.red.rpush("trace", f"out {os.getpid()}")
asyncio.run(main())
"""


def _servers_installed() -> str | None:
    try:
        for name in ("initdb", "redis-server", "haproxy"):
            program(name)
    except ServerMissing as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory):
    """The scaled stack of `make run-scaled` (2 replicas), supervised, on a copy of the trained
    model."""
    if reason := _servers_installed():
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("scaled")
    (tmp / "models").mkdir()
    shared = processes.model_path(stack_settings(tmp / "state"))
    shutil.copy2(shared, tmp / "models" / shared.name)
    settings = stack_settings(tmp / "state", RASA_MODEL_DIR=tmp / "models")
    services.build(settings, progress=False)
    stack = ScaledStack(settings, echo=False, replicas=2)
    stopping = threading.Event()
    try:
        stack.start()
        stack.wait_ready(timeout_s=600)
        threading.Thread(target=stack.supervise, args=(stopping,), daemon=True).start()
        yield stack
    finally:
        stopping.set()
        stack.stop()


def gateway(stack: ScaledStack) -> str:
    return f"http://{stack.settings.HOST}:{stack.settings.GATEWAY_PORT}"


def user_texts(stack: ScaledStack, replica: str, sender: str) -> list[str]:
    r = httpx.get(f"{stack.layout.replicas[replica]}/conversations/{sender}/tracker",
                  params={"token": stack.settings.RASA_TOKEN}, timeout=30)
    return [e["text"] for e in r.json()["events"] if e["event"] == "user"]


def say(url: str, sender: str, text: str) -> int:
    try:
        return httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          timeout=120).status_code
    except httpx.HTTPError:
        return 0


def pg_events(stack: ScaledStack, sender: str) -> int:
    """Rows of Rasa's SQL tracker store on PostgreSQL for one sender, read from the database itself.
    """
    with closing(psycopg2.connect(stack.postgres_url)) as db, db.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM events WHERE sender_id = %s", (sender,))
        return cur.fetchone()[0]


def test_forget_me_erases_the_conversation_from_postgresql(scaled: ScaledStack) -> None:
    sender, other = f"web:{uuid.uuid4()}", f"web:{uuid.uuid4()}"
    for who, text in ((sender, "I live in Kampala, how do I register my shop?"), (sender, "find a trainer near me"),
                      (other, "What is Start Your Business?")):
        r = httpx.post(f"{gateway(scaled)}/api/chat", json={"sender": who, "message": text}, timeout=120)
        assert r.status_code == 200, r.text
    assert pg_events(scaled, sender) > 0
    r = httpx.post(f"{gateway(scaled)}/api/forget", json={"sender": sender}, timeout=60)
    assert r.status_code == 200 and r.json()["events"] > 0, r.text
    assert pg_events(scaled, sender) == 0
    assert pg_events(scaled, other) > 0, "only that sender is erased"
    for url in scaled.layout.replicas.values():  # no replica still shows the conversation
        events = httpx.get(f"{url}/conversations/{sender}/tracker", params={"token": scaled.settings.RASA_TOKEN},
                           timeout=30).json()["events"]
        assert not [e for e in events if e["event"] == "user"]
    r = httpx.post(f"{gateway(scaled)}/api/chat", json={"sender": sender, "message": "hello"}, timeout=120)
    assert r.status_code == 200, "a forgotten sender starts afresh"


def test_telegram_forget_erases_the_chat_from_postgresql(scaled: ScaledStack) -> None:
    """A second gateway (in-process, Telegram on, its Bot API faked on 127.0.0.1) on the scaled
    stack's settings."""
    bot_api = FakeBotAPI()
    s = scaled.settings
    settings = Settings(_env_file=None, **{
        **s.model_dump(), "RASA_URL": f"http://{s.HOST}:{s.RASA_PORT}", "POSTGRES_URL": scaled.postgres_url,
        "REDIS_URL": scaled.redis_url, "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET,
        "TELEGRAM_API_BASE": f"{bot_api.url}/bot", "GATEWAY_PORT": 0})
    chat_id = 700_000_000 + uuid.uuid4().int % 1_000_000
    chat, user = {"id": chat_id, "type": "private", "first_name": "Amina"}, {"id": chat_id, "is_bot": False,
                                                                            "first_name": "Amina"}

    def say(client: TestClient, text: str) -> None:
        message = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": user, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        r = client.post("/telegram/webhook", json={"update_id": uuid.uuid4().int % 10**9, "message": message},
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert r.status_code == 200, r.text

    try:
        with TestClient(create_app(settings)) as client:
            say(client, "What is Start Your Business?")
            assert pg_events(scaled, tg.sender_id(chat_id)) > 0
            say(client, "/forget")
    finally:
        bot_api.close()
    assert pg_events(scaled, tg.sender_id(chat_id)) == 0
    assert [m["text"] for m in bot_api.sent("sendMessage")][-1] == tg.FORGOTTEN


def test_lock_store_serves_one_process_at_a_time(scaled: ScaledStack) -> None:
    port = next(c for c in scaled.children if c.name == "redis").command[2]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    racers = [subprocess.Popen([str(scaled.settings.RASA_VENV / "bin" / "python"), "-c", LOCK_RACE, port, "40"],
                               env=env, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in racers]
    assert all(p.returncode == 0 for p in racers), errors
    trace = subprocess.run([program("redis-cli"), "-p", port, "-n", "2", "lrange", "trace", "0", "-1"],
                           capture_output=True, text=True).stdout.split("\n")
    steps = [line for line in trace if line]
    assert len(steps) == 3 * 40 * 2
    pairs = list(zip(steps[::2], steps[1::2]))
    assert all(a.startswith("in ") and b == "out " + a[3:] for a, b in pairs), "two processes held the lock at once"


def test_replicas_share_a_conversation(scaled: ScaledStack) -> None:
    first, second = scaled.layout.replicas
    assert say(scaled.layout.replicas[first], "shared-1", "hello") == 200
    assert say(scaled.layout.replicas[second], "shared-1", "What is Start Your Business?") == 200
    assert user_texts(scaled, first, "shared-1") == ["hello", "What is Start Your Business?"]


def test_burst_for_one_conversation_over_both_replicas_keeps_every_message(scaled: ScaledStack) -> None:
    urls = list(scaled.layout.replicas.values())
    texts = [f"hello number {i}" for i in range(10)]
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda i: say(urls[i % 2], "burst-1", texts[i]), range(10)))
    assert codes == [200] * 10
    assert sorted(user_texts(scaled, next(iter(scaled.layout.replicas)), "burst-1")) == sorted(texts)


def test_twenty_senders_through_the_gateway_lose_nothing(scaled: ScaledStack) -> None:
    def chat(sender: int) -> list[int]:
        with httpx.Client(timeout=120) as client:
            return [client.post(f"{gateway(scaled)}/api/chat", json={"sender": f"many-{sender}",
                                                                     "message": f"hello {n}"}).status_code
                    for n in range(10)]
    with ThreadPoolExecutor(20) as pool:
        codes = [c for codes in pool.map(chat, range(20)) for c in codes]
    assert codes.count(200) == 200, codes
    replica = next(iter(scaled.layout.replicas))
    assert all(len(user_texts(scaled, replica, f"many-{s}")) == 10 for s in range(20))


def test_rolling_reload_under_load_fails_no_request(scaled: ScaledStack) -> None:
    new = scaled.settings.models_dir / "sme-advisor-20990101T000000.tar.gz"
    shutil.copy2(processes.model_path(scaled.settings), new)
    chatters = [Chatter(gateway(scaled), sender=f"rolling{i}") for i in range(3)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in chatters]
    for thread in threads:
        thread.start()
    try:
        message = rolling.rolling_reload(scaled.settings, scaled.layout, new)
    finally:
        for chatter in chatters:
            chatter.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    samples = [s for c in chatters for s in c.samples]
    failed = [(round(s, 2), code) for _, s, code in samples if code != 200]
    print(f"\nrolling reload: {message}; {len(samples)} requests, {len(failed)} failed, "
          f"slowest {max(s for _, s, _ in samples):.2f} s")
    assert len(samples) >= 20 and not failed
    for url in scaled.layout.replicas.values():
        status = httpx.get(f"{url}/status", params={"token": scaled.settings.RASA_TOKEN}, timeout=10).json()
        assert status["model_file"].endswith(new.name)


def test_cli_retrain_trains_and_rolls_the_new_model_onto_every_replica(scaled: ScaledStack) -> None:
    """The operator's command on the scaled stack: it finds the stack by
    STATE_DIR/scaled/layout.json."""
    chatters = [Chatter(gateway(scaled), sender=f"cli-rolling{i}") for i in range(3)]
    threads = [threading.Thread(target=c.run, daemon=True) for c in chatters]
    for thread in threads:
        thread.start()
    try:
        env = {**os.environ, **processes.settings_env(scaled.settings)}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bot.cli", "retrain", "--json", "--force-rasa"], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, timeout=1800)
        took = time.perf_counter() - started
    finally:
        for chatter in chatters:
            chatter.stop.set()
        for thread in threads:
            thread.join(timeout=60)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines and lines[-1]["event"] == "result" and lines[-1]["ok"], (lines, done.stderr[-2000:])
    result = lines[-1]
    assert result["model_trained"] and result["model_loaded"], result
    loads = [e["message"] for e in lines if e["event"] == "step" and e["step"] == "rasa-load"]
    assert loads[0].startswith("rolling reload of 2 replicas"), loads
    new = os.path.basename(result["model_file"])
    for url in scaled.layout.replicas.values():
        status = httpx.get(f"{url}/status", params={"token": scaled.settings.RASA_TOKEN}, timeout=10).json()
        assert status["model_file"].endswith(new), (url, status["model_file"], new)
    assert rolling.all_up(scaled.layout.admin_socket)
    samples = [s for c in chatters for s in c.samples]
    failed = [(round(s, 2), code) for _, s, code in samples if code != 200]
    print(f"\nsme-advisor retrain --force-rasa on 2 replicas: {took:.0f} s ({loads[-1]}); "
          f"{len(samples)} requests, "
          f"{len(failed)} failed, slowest {max(s for _, s, _ in samples):.2f} s")
    assert len(samples) >= 20 and not failed


def test_a_killed_replica_is_restarted_and_rejoins(scaled: ScaledStack) -> None:
    victim = next(c for c in scaled.children if c.name == "rasa-1")
    old_pid = victim.process.pid
    chatter = Chatter(gateway(scaled), sender="killed")
    thread = threading.Thread(target=chatter.run, daemon=True)
    thread.start()
    try:
        time.sleep(2)
        os.killpg(old_pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and rolling.all_up(scaled.layout.admin_socket):
            time.sleep(0.5)  # haproxy notices (fall 3 x inter 2 s)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not rolling.all_up(scaled.layout.admin_socket):
            time.sleep(1)
    finally:
        chatter.stop.set()
        thread.join(timeout=60)
    assert victim.process.pid != old_pid and victim.process.poll() is None
    assert rolling.all_up(scaled.layout.admin_socket), rolling.server_stats(scaled.layout.admin_socket)
    failed = [code for _, _, code in chatter.samples if code != 200]
    print(f"\nkilled replica: {len(chatter.samples)} requests meanwhile, {len(failed)} failed")
    assert len(failed) <= 1, "only a request in flight on the killed replica may fail"
