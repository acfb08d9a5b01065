"""What SME Advisor stores, in SQLite: for staff, questions it could not answer and 👍/👎 feedback,
and the staff sessions signed out before they expired; for Telegram, the button payloads too long
for a button's 64 bytes (shared by every gateway on the file).

Who asked is never stored as such: only a pseudonymous id (a keyed hash of the channel's sender id).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at REAL NOT NULL,
    sender TEXT NOT NULL,           -- pseudonymous id, see pseudonym()
    question TEXT NOT NULL,
    best_score REAL,
    handled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    given_at REAL NOT NULL,
    sender TEXT NOT NULL,
    rating INTEGER NOT NULL,        -- +1 or -1
    question TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS button_payloads (
    key TEXT PRIMARY KEY,           -- the callback_data Telegram sends back, see bot.telegram_render.ButtonKeys
    sender TEXT NOT NULL,           -- pseudonymous id of the chat it was shown to (erased by forget)
    payload TEXT NOT NULL,          -- the Rasa payload behind it (it may hold a place the user named)
    used_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS button_payloads_used ON button_payloads (used_at);
CREATE TABLE IF NOT EXISTS revoked_sessions (
    sid TEXT PRIMARY KEY,           -- the id inside a staff session cookie (bot.staff.auth), signed out
    expires REAL NOT NULL           -- when the cookie would have expired anyway: the row is dropped then
);
"""
BUTTON_TTL_S = 90 * 24 * 3600  # a button nobody was shown for 90 days has expired


def pseudonym(sender: str, salt: str = "sme-advisor") -> str:
    """A stable pseudonymous id for a sender (the same sender always maps to the same id)."""
    return hashlib.sha256(f"{salt}:{sender}".encode("utf-8", "replace")).hexdigest()[:16]


class Records:
    """Small SQLite store shared by the action server (writes unanswered) and the gateway (the
    rest)."""

    def __init__(self, db_path: Path, salt: str = "sme-advisor"):
        self.db_path = Path(db_path)
        self.salt = salt
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def add_unanswered(self, sender: str, question: str, best_score: float | None) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO unanswered (asked_at, sender, question, best_score) VALUES (?, ?, ?, ?)",
                (time.time(), pseudonym(sender, self.salt), question[:2000], best_score),
            )

    def add_feedback(self, sender: str, rating: int, question: str = "", answer: str = "") -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO feedback (given_at, sender, rating, question, answer) VALUES (?, ?, ?, ?, ?)",
                (time.time(), pseudonym(sender, self.salt), 1 if rating > 0 else -1, question[:2000], answer[:4000]),
            )

    def unanswered(self, include_handled: bool = False) -> list[dict[str, Any]]:
        where = "" if include_handled else "WHERE handled = 0"
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM unanswered {where} ORDER BY asked_at DESC").fetchall()
        return [dict(r) for r in rows]

    def mark_handled(self, ids: list[int]) -> int:
        with self._connect() as db:
            cur = db.executemany("UPDATE unanswered SET handled = 1 WHERE id = ?", [(i,) for i in ids])
            return cur.rowcount

    def feedback(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY given_at DESC").fetchall()]

    def save_button(self, key: str, sender: str, payload: str) -> None:
        """Keep the payload of a button shown to `sender` under its key (refreshed when shown
        again); expired ones are dropped."""
        now = time.time()
        with self._connect() as db:
            db.execute("INSERT INTO button_payloads (key, sender, payload, used_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET used_at = excluded.used_at",
                       (key, pseudonym(sender, self.salt), payload, now))
            db.execute("DELETE FROM button_payloads WHERE used_at < ?", (now - BUTTON_TTL_S,))

    def button(self, key: str, sender: str) -> str | None:
        """The payload of a button shown to `sender`, or None when unknown, expired or shown to
        someone else."""
        with self._connect() as db:
            row = db.execute("SELECT payload FROM button_payloads WHERE key = ? AND sender = ? AND used_at >= ?",
                             (key, pseudonym(sender, self.salt), time.time() - BUTTON_TTL_S)).fetchone()
        return row["payload"] if row else None

    def forget(self, sender: str) -> int:
        """Delete everything stored about one sender; returns the number of rows removed."""
        pid = pseudonym(sender, self.salt)
        with self._connect() as db:
            return sum(db.execute(f"DELETE FROM {table} WHERE sender = ?", (pid,)).rowcount
                       for table in ("unanswered", "feedback", "button_payloads"))

    def revoke_session(self, sid: str, expires: float) -> None:
        """Remember a signed-out staff session until it would have expired (expired ones are
        dropped)."""
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO revoked_sessions (sid, expires) VALUES (?, ?)", (sid, expires))
            db.execute("DELETE FROM revoked_sessions WHERE expires < ?", (time.time(),))

    def session_revoked(self, sid: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM revoked_sessions WHERE sid = ?", (sid,)).fetchone() is not None
