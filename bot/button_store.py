"""Where Telegram's long button payloads are kept (`bot.telegram_render.PayloadStore`): in Redis
when the settings name one (`REDIS_URL`: gateways on several machines read each other's buttons),
else in the project's SQLite file (`bot.records.Records`, shared by the gateways of one STATE_DIR).

In Redis a button is one key holding the chat's pseudonymous id and the payload, expiring
BUTTON_TTL_S after it was last shown, and each chat has a set of its buttons' keys (expiring with
them), so forgetting the chat erases them. Its durability is the Redis server's: `run --replicas`'s
throwaway one keeps nothing across restarts.
"""

from __future__ import annotations

import json

import redis

from bot.records import BUTTON_TTL_S, Records, pseudonym
from bot.settings import Settings
from bot.telegram_render import PayloadStore

KEY_PREFIX = "smeadvisor:button"
CHAT_PREFIX = "smeadvisor:buttons-of"  # a set per chat: the keys of its buttons


class RedisButtonStore:
    """Long button payloads in Redis, per chat, with the same expiry and checks as `Records`."""

    def __init__(self, url: str, salt: str = "sme-advisor", ttl_s: int = BUTTON_TTL_S):
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.salt, self.ttl_s = salt, ttl_s

    def _chat_key(self, pid: str) -> str:
        return f"{CHAT_PREFIX}:{pid}"

    def save_button(self, key: str, sender: str, payload: str) -> None:
        pid = pseudonym(sender, self.salt)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(f"{KEY_PREFIX}:{key}", json.dumps({"sender": pid, "payload": payload}), ex=self.ttl_s)
            pipe.sadd(self._chat_key(pid), key)
            pipe.expire(self._chat_key(pid), self.ttl_s)
            pipe.execute()

    def button(self, key: str, sender: str) -> str | None:
        """The payload of a button shown to `sender`, or None when unknown, expired or shown to
        someone else."""
        raw = self.client.get(f"{KEY_PREFIX}:{key}")
        if raw is None:
            return None
        data = json.loads(raw)
        return data["payload"] if data.get("sender") == pseudonym(sender, self.salt) else None

    def forget(self, sender: str) -> int:
        """Erase every button shown to `sender`; returns how many."""
        chat = self._chat_key(pseudonym(sender, self.salt))
        keys = [k.decode() for k in self.client.smembers(chat)]
        erased = self.client.delete(*(f"{KEY_PREFIX}:{k}" for k in keys)) if keys else 0
        self.client.delete(chat)
        return erased


def button_store(settings: Settings, records: Records) -> PayloadStore:
    """Redis when REDIS_URL is set, else the project's SQLite records."""
    return RedisButtonStore(settings.REDIS_URL) if settings.REDIS_URL else records
