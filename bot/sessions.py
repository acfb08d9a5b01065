"""Web sender ids owned by the gateway: opaque session tokens it signs, so nobody picks another's.

The widget asks `POST /api/session` for a token (`widget:<random id>.<signature>`), keeps it, and
sends it as `sender` on `/api/chat`, `/api/feedback` and `/api/forget`. The token itself is the Rasa
sender id.

`SessionSigner.resolve(sender)` decides what a client's `sender` stands for:
- a token this gateway (or any gateway with the same secret) signed: that conversation;
- anything else in the `widget:` namespace (unsigned, forged, or signed with an old secret): a fresh
  session, whose token the route hands back so the client can keep it;
- any other id (an API client's own, as the HTTP contract allows): itself. It is outside the
  `widget:` namespace, so it never reaches a widget's conversation; `telegram:` ids are refused
  earlier (bot/routes/chat.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from bot.settings import Settings

PREFIX = "widget:"
_TOKEN = re.compile(r"^widget:([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{32})$")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Resolved:
    """The sender to use, and the token issued when the client's one was refused (else None)."""

    sender: str
    issued: str | None = None


class SessionSigner:
    """Issues and checks web session tokens with an HMAC key shared by every gateway."""

    def __init__(self, secret: str):
        self._key = hashlib.sha256(f"web-session:{secret}".encode()).digest()

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionSigner:
        """Keyed by SESSION_SECRET, or by the staff token when it is not set (change either and
        every web conversation starts afresh)."""
        return cls(settings.SESSION_SECRET or settings.ADMIN_TOKEN)

    def _signature(self, session_id: str) -> str:
        return _b64(hmac.new(self._key, session_id.encode(), hashlib.sha256).digest())[:32]

    def issue(self) -> str:
        """A new session token."""
        session_id = _b64(secrets.token_bytes(16))
        return f"{PREFIX}{session_id}.{self._signature(session_id)}"

    def valid(self, token: str) -> bool:
        match = _TOKEN.match(token)
        return bool(match) and hmac.compare_digest(match[2], self._signature(match[1]))

    def resolve(self, sender: str) -> Resolved:
        """What a client's `sender` stands for (see the module docstring)."""
        if not sender.lower().startswith(PREFIX):
            return Resolved(sender)
        if self.valid(sender):
            return Resolved(sender)
        token = self.issue()
        return Resolved(token, token)
