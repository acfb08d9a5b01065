"""The one chat service every channel uses: send a user's message to Rasa, get shaped replies back.

Rasa's REST channel returns a flat list of messages; our actions send a custom JSON payload
`{"sources": [...]}` right after the text it belongs to. This module folds those into
`BotMessage(text, buttons, sources)`, the shape of the HTTP contract (`POST /api/chat`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg2

logger = logging.getLogger(__name__)


def location_message(latitude: float, longitude: float) -> str:
    """The user message a channel sends when the user shares a location (an intent with entities).
    """
    return f'/share_location{{"latitude": {latitude:.6f}, "longitude": {longitude:.6f}}}'


class RasaUnavailable(RuntimeError):
    """Rasa could not be reached or answered with an error."""


@dataclass
class Button:
    title: str
    payload: str


@dataclass
class Source:
    title: str
    url: str | None
    programme: str


@dataclass
class BotMessage:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    # Channel hints from actions, e.g. {"request_location": True} when the trainer search needs a
    # place.
    hints: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The contract shape; `request_location: true` is added when an action asks for a place."""
        data = {k: v for k, v in asdict(self).items() if k != "hints"}
        if self.hints.get("request_location"):
            data["request_location"] = True
        return data


def shape_rasa_messages(raw: list[dict[str, Any]]) -> list[BotMessage]:
    """Fold Rasa REST output into contract messages (custom payloads attach to the text before
    them)."""
    messages: list[BotMessage] = []
    for item in raw:
        custom = item.get("custom")
        if isinstance(custom, dict) and not item.get("text"):
            target = messages[-1] if messages else None
            if target is None:
                target = BotMessage()
                messages.append(target)
            for s in custom.get("sources") or []:
                target.sources.append(Source(str(s.get("title", "")), s.get("url"), str(s.get("programme", ""))))
            for b in custom.get("buttons") or []:
                target.buttons.append(Button(str(b.get("title", "")), str(b.get("payload", ""))))
            target.hints.update({k: v for k, v in custom.items() if k not in ("sources", "buttons")})
            continue
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in item.get("buttons") or []]
        messages.append(BotMessage(text=str(item.get("text") or ""), buttons=buttons))
    return [m for m in messages if m.text or m.buttons or m.sources]


def erase_conversation(tracker_db: Path, sender: str) -> int:
    """Delete every event of one sender from Rasa's SQL tracker store (SQLite); returns how many."""
    if not tracker_db.exists():
        return 0
    with closing(sqlite3.connect(tracker_db, timeout=30)) as db, db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return db.execute("DELETE FROM events WHERE sender_id = ?", (sender,)).rowcount if "events" in tables else 0


def erase_conversation_postgres(url: str, sender: str) -> int:
    """Delete every event of one sender from Rasa's SQL tracker store on PostgreSQL (`POSTGRES_URL`,
    the replicas' store); returns how many. A database where Rasa has not made its table yet holds
    nothing."""
    with closing(psycopg2.connect(url, connect_timeout=10)) as db, db, db.cursor() as cur:
        cur.execute("SELECT to_regclass('events') IS NOT NULL")
        if not cur.fetchone()[0]:
            return 0
        cur.execute("DELETE FROM events WHERE sender_id = %s", (sender,))
        return cur.rowcount


class ChatService:
    """Talks to Rasa's REST channel. One instance per process; it owns an HTTP connection pool."""

    def __init__(
        self, rasa_url: str | Callable[[], str], timeout_s: float = 30.0, token: str = "",
        client: httpx.AsyncClient | None = None, tracker_db: Path | None = None, tracker_postgres_url: str | None = None,
    ):
        # Rasa's SQL tracker store, where `forget` erases a conversation: the SQLite file of the
        # embedded stack, and PostgreSQL when the replicas keep conversations there (both when both
        # are configured)
        self._tracker_db = tracker_db
        self._tracker_postgres_url = tracker_postgres_url
        # a callable is asked on every message, so a blue-green model switch moves the gateway at
        # once
        self._rasa_url = rasa_url if callable(rasa_url) else (lambda: rasa_url)
        self._token = token
        self._client = client or httpx.AsyncClient(timeout=timeout_s)

    @classmethod
    def from_settings(cls, settings: Any) -> ChatService:
        """The chat service of a gateway process (`bot.settings.Settings`): the Rasa to talk to,
        read on every message, and the tracker stores where `forget` erases."""
        return cls(lambda: settings.rasa_url, settings.RASA_TIMEOUT_S, settings.RASA_TOKEN,
                   tracker_db=settings.tracker_db_path, tracker_postgres_url=settings.POSTGRES_URL)

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[BotMessage]:
        """Send one user message (text or a `/intent{...}` payload) and return the bot's replies."""
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        try:
            # behind haproxy (`balance hdr(X-Conversation-Id)`) one conversation stays on one Rasa
            # replica; a hash, since a sender id may hold characters a header cannot (a "\r" made
            # httpx refuse the request: 503)
            conversation = hashlib.sha256(sender.encode("utf-8", "replace")).hexdigest()[:32]
            response = await self._client.post(self._rasa_url().rstrip("/") + "/webhooks/rest/webhook", json=body,
                                               headers={"X-Conversation-Id": conversation})
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"the dialogue engine (Rasa) is not reachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"the dialogue engine (Rasa) answered HTTP {response.status_code}")
        return shape_rasa_messages(response.json())

    async def restart(self, sender: str) -> list[BotMessage]:
        """Start a new conversation for this sender (Rasa's /restart)."""
        return await self.send(sender, "/restart")

    async def forget(self, sender: str) -> int:
        """Erase the sender's conversation: every event of it in Rasa's tracker store (Rasa's API
        can only append events, so the rows are deleted from the store itself: the SQLite file and,
        when configured, PostgreSQL). Returns the number of events erased."""
        if self._tracker_db is None and not self._tracker_postgres_url:
            raise RasaUnavailable("the tracker store is not configured, so the conversation cannot be erased")
        erased = 0
        try:
            if self._tracker_db is not None:
                erased += await asyncio.to_thread(erase_conversation, self._tracker_db, sender)
        except sqlite3.Error as exc:
            raise RasaUnavailable(f"the conversation could not be erased from the tracker store: {exc}") from exc
        if self._tracker_postgres_url:
            try:
                erased += await asyncio.to_thread(erase_conversation_postgres, self._tracker_postgres_url, sender)
            except psycopg2.Error as exc:
                raise RasaUnavailable("the conversation could not be erased from the tracker store (PostgreSQL): "
                                      f"{exc.__class__.__name__}") from exc
        return erased

    async def aclose(self) -> None:
        await self._client.aclose()
