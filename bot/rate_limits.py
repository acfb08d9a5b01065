"""Rate limits every gateway process shares: in Redis when the settings name one (`REDIS_URL`, as
the scaled layout does), otherwise in the project's SQLite file in STATE_DIR. Two gateways behind a
balancer then allow a sender `per_minute` messages between them, not each.

Both keep a sliding `window_s` window per key, like `bot.limits.RateLimiter` (the in-memory one): at
most `per_minute` hits of a key in any window. Memory is bounded: a key holds at most `per_minute`
hits, and hits older than the window are dropped (Redis: the key expires; SQLite: every call deletes
expired rows). Keys are stored as a hash, never as the sender id itself. If the store cannot be
reached the hit is allowed (and logged): a broken limiter must not silence every user.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Protocol

import redis

from bot.settings import Settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "smeadvisor:rate"
SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_hits (
    key TEXT NOT NULL,              -- limiter name and a hash of the key (a sender, a chat, an address)
    at REAL NOT NULL                -- when (time.time()); rows older than the window are deleted
);
CREATE INDEX IF NOT EXISTS rate_hits_key ON rate_hits (key, at);
CREATE INDEX IF NOT EXISTS rate_hits_at ON rate_hits (at);
"""
# One atomic step in Redis: drop the hits older than the window, refuse when `limit` remain, else
# add this one. The time is Redis's own, so gateways on several machines agree on it.
SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return 1
"""


class Limiter(Protocol):
    per_minute: int

    def allow(self, key: str) -> bool: ...


def hashed(name: str, key: str) -> str:
    return f"{name}:{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()[:32]}"


class SqliteRateLimiter:
    """A sliding-window limit kept in a SQLite file that every gateway on this machine opens."""

    def __init__(self, db_path: Path, per_minute: int, *, name: str, window_s: float = 60.0,
                 clock: Callable[[], float] = time.time):
        self.db_path, self.per_minute, self.name, self.window_s, self._clock = Path(db_path), per_minute, name, window_s, clock
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.db_path, timeout=10)) as db, db:
            db.executescript(SCHEMA)

    def allow(self, key: str) -> bool:
        now, stored = self._clock(), hashed(self.name, key)
        try:
            with closing(sqlite3.connect(self.db_path, timeout=5, isolation_level=None)) as db:
                # no fsync per message: a lost hit after a power cut is harmless
                db.execute("PRAGMA synchronous = OFF")
                db.execute("BEGIN IMMEDIATE")  # one gateway at a time from the count to the insert
                try:
                    db.execute("DELETE FROM rate_hits WHERE at < ?", (now - self.window_s,))
                    (count,) = db.execute("SELECT COUNT(*) FROM rate_hits WHERE key = ?", (stored,)).fetchone()
                    allowed = count < self.per_minute
                    if allowed:
                        db.execute("INSERT INTO rate_hits (key, at) VALUES (?, ?)", (stored, now))
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            logger.warning("rate limit %s not checked (SQLite: %s): allowed", self.name, exc)
            return True
        return allowed

    def __len__(self) -> int:
        """Hits kept (of every key), for tests of the bound."""
        with closing(sqlite3.connect(self.db_path, timeout=5)) as db:
            return db.execute("SELECT COUNT(*) FROM rate_hits WHERE key LIKE ?", (f"{self.name}:%",)).fetchone()[0]


class RedisRateLimiter:
    """A sliding-window limit kept in Redis (one sorted set per key, which expires with the window).
    """

    def __init__(self, url: str, per_minute: int, *, name: str, window_s: float = 60.0):
        self.per_minute, self.name, self.window_s = per_minute, name, window_s
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._step = self.client.register_script(SLIDING_WINDOW)

    def allow(self, key: str) -> bool:
        try:
            return bool(self._step(keys=[f"{KEY_PREFIX}:{hashed(self.name, key)}"],
                                   args=[int(self.window_s * 1_000_000), self.per_minute, uuid.uuid4().hex]))
        except redis.RedisError as exc:
            logger.warning("rate limit %s not checked (Redis: %s): allowed", self.name, exc.__class__.__name__)
            return True


def shared_limiter(settings: Settings, name: str, per_minute: int) -> Limiter:
    """The limiter `name` that every gateway of these settings shares: Redis if REDIS_URL, else
    SQLite."""
    if settings.REDIS_URL:
        return RedisRateLimiter(settings.REDIS_URL, per_minute, name=name)
    return SqliteRateLimiter(settings.db_path, per_minute, name=name)


async def allowed(limiter: Limiter, key: str) -> bool:
    """`limiter.allow(key)` off the event loop (it may wait for the database or Redis)."""
    return await asyncio.to_thread(limiter.allow, key)
