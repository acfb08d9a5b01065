"""What SME Advisor stores for staff, in SQLite: questions it could not answer, and 👍/👎 feedback.

Who asked is never stored as such: only a pseudonymous id (a keyed hash of the channel's sender id).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

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
"""


def pseudonym(sender: str, salt: str = "sme-advisor") -> str:
    """A stable pseudonymous id for a sender (the same sender always maps to the same id)."""
    return hashlib.sha256(f"{salt}:{sender}".encode("utf-8", "replace")).hexdigest()[:16]


class Records:
    """Small SQLite store shared by the action server (writes unanswered) and the gateway (the rest)."""

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

    def forget(self, sender: str) -> int:
        """Delete everything stored about one sender; returns the number of rows removed."""
        pid = pseudonym(sender, self.salt)
        with self._connect() as db:
            n = db.execute("DELETE FROM unanswered WHERE sender = ?", (pid,)).rowcount
            return n + db.execute("DELETE FROM feedback WHERE sender = ?", (pid,)).rowcount
