"""Rasa's socket.io channel, with the project's custom payloads in the shapes rasa-webchat renders.

Rasa 3.6's `SocketIOOutput.send_custom_json` calls `sio.emit(bot_message_evt, **json_message)`, so a
custom payload such as `{"sources": [...]}` raises `TypeError` (an unexpected keyword argument for
`emit`), the turn is never saved and the conversation breaks. This channel sends instead:

- `{"sources": [{"title", "url", "programme"}, ...]}` -> one text message, `Sources: [title](url),
  ...` (rasa-webchat renders a response's text as markdown; only http(s) URLs become links);
- `{"request_location": true}` -> a text prompt to type the town or city (rasa-webchat cannot share
  a location) with a "Cancel" quick reply (`/stop`, which leaves the trainer search);
- `{"buttons": [...]}` -> quick replies;
- `{"data": {...}}` (the socket.io convention of Rasa's docs: emit `data` as the message) -> `data`;
- anything else -> `{"custom": payload}`, emitted as one argument (never as `**kwargs`).

Texts keep Rasa's split into one message per paragraph; a single newline inside a paragraph becomes
a markdown hard break, so that lines (a trainer's city, distance and contact) stay lines. A
trainer's contact (`phone N`, `email E`, `Telegram @H`) becomes `tel:`, `mailto:` and
`https://t.me/` links, as in the widget.

rasa-webchat 1.0.1 renders a message `{"text"}` as text and `{"text", "quick_replies"}` as text with
buttons, but shows quick replies only on the *last* message of the conversation. Our actions send an
answer with its buttons and then its sources, so within one turn the channel holds back the latest
message and moves its quick replies onto the next text message (merging them, without duplicates,
when that one has its own): a turn's quick replies end up on its last message, where rasa-webchat
shows them. Messages sent outside a user turn (`get_output_channel()`, e.g. for an API-triggered
intent) are emitted at once.

Session persistence (`session_persistence: true`) works as in Rasa's channel: `session_request`
joins the socket to a room named by the session id, which is also the conversation's sender id, so a
socket that reconnects with the same session id goes on with the same conversation. Registered in
`credentials.yml` as `rasa_addons.socketio_channel.WebchatSocketIOInput`; its name stays `socketio`,
so the tracker's input channel, `/webhooks/socketio/` and `output_channel=socketio` are unchanged.

This module runs inside .venv-rasa and imports only Rasa and python-socketio.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.shared.utils.io
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint
from socketio import AsyncServer

logger = logging.getLogger(__name__)

MAX_SOURCES = 5
MAX_TITLE_CHARS = 200
LOCATION_PROMPT = ("Sharing a location isn't available in this chat: please type the name of your town or city "
                   "(for example “Kampala”).")
CANCEL_REPLY = {"content_type": "text", "title": "Cancel", "payload": "/stop"}
_SOFT_BREAK = re.compile(r"(?<!\n)[ \t]*\n(?!\n)")
_CONTACT = re.compile(r"(?<=\bphone )(?P<phone>\+?\d[\d ().-]{4,18}\d)"
                      r"|(?<=\bemail )(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
                      r"|(?<=\bTelegram )@(?P<handle>\w{5,32})\b")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
Message = dict[str, Any]


def _quick_reply(button: dict[str, Any]) -> Message | None:
    title = str(button.get("title") or "").strip()
    payload = str(button.get("payload") or title).strip()
    return {"content_type": "text", "title": title, "payload": payload} if title else None


def _quick_replies(buttons: Any) -> list[Message]:
    if not isinstance(buttons, list):
        return []
    replies = (_quick_reply(b) for b in buttons if isinstance(b, dict))
    return [r for r in replies if r]


def _merge(first: list[Message], second: list[Message]) -> list[Message]:
    """Both lists of quick replies, in order, each payload once."""
    merged: list[Message] = []
    seen = set()
    for reply in [*first, *second]:
        key = reply.get("payload")
        if key not in seen:
            seen.add(key)
            merged.append(reply)
    return merged


def _markdown_text(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _safe_url(url: Any) -> str | None:
    """An http(s) URL fit for a markdown link target, or None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE) or any(c in url for c in "\n\r\t<>\"'`\\"):
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def sources_text(sources: Any) -> str | None:
    """`Sources: [title](url), title, ...` (markdown), each source once, or None when there is none.
    """
    if not isinstance(sources, list):
        return None
    parts: list[str] = []
    seen = set()
    for source in sources:
        if not isinstance(source, dict):
            continue
        title = str(source.get("title") or source.get("programme") or "").strip()[:MAX_TITLE_CHARS]
        url = _safe_url(source.get("url"))
        if not title and not url or (title, url) in seen:
            continue
        seen.add((title, url))
        label = _markdown_text(title or url or "")
        parts.append(f"[{label}]({url})" if url else label)
        if len(parts) == MAX_SOURCES:
            break
    if not parts:
        return None
    return ("Source: " if len(parts) == 1 else "Sources: ") + ", ".join(parts)


def webchat_messages(payload: Any) -> tuple[list[Message], Any | None]:
    """A custom payload as rasa-webchat messages, plus what is left of it to pass through (or None).
    """
    if not isinstance(payload, dict):
        return [], payload
    if set(payload) == {"data"} and isinstance(payload["data"], dict):
        return [payload["data"]], None
    rest = {k: v for k, v in payload.items() if k not in ("sources", "request_location", "buttons")}
    messages: list[Message] = []
    text = sources_text(payload.get("sources"))
    buttons = _quick_replies(payload.get("buttons"))
    if text:
        messages.append({"text": text, "quick_replies": buttons} if buttons else {"text": text})
        buttons = []
    if payload.get("request_location"):
        messages.append({"text": LOCATION_PROMPT, "quick_replies": _merge(buttons, [CANCEL_REPLY])})
        buttons = []
    if buttons:
        messages.append({"text": "Please choose:", "quick_replies": buttons})
    return messages, (rest or None)


def line_breaks(text: str) -> str:
    """Markdown hard breaks for single newlines (a trainer's contact line stays a line in
    rasa-webchat)."""
    return _SOFT_BREAK.sub("  \n", text) if isinstance(text, str) else text


def _contact_link(match: re.Match) -> str:
    if match["phone"]:
        number = re.sub(r"[^\d+]", "", match["phone"])
        return f"[{match['phone']}](tel:{number})"
    if match["email"]:
        return f"[{_markdown_text(match['email'])}](mailto:{match['email']})"
    return f"[@{_markdown_text(match['handle'])}](https://t.me/{match['handle']})"


def contact_links(text: str) -> str:
    """A trainer's phone, e-mail and Telegram handle as markdown links (rasa-webchat links only
    http(s) itself)."""
    return _CONTACT.sub(_contact_link, text) if isinstance(text, str) else text


def _is_text(message: Message) -> bool:
    return set(message) == {"text"} and isinstance(message["text"], str)


def _normalise(message: Any) -> Any:
    """Rasa's `{"text", "quick_replies": []}` fragments are plain text messages for rasa-webchat."""
    if isinstance(message, dict) and set(message) == {"text", "quick_replies"} and not message["quick_replies"]:
        return {"text": message["text"]}
    return message


class WebchatSocketIOOutput(SocketIOOutput):
    """Sends every message as one emit argument; `hold` collects a turn's quick replies on its last
    message."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str, hold: bool = False) -> None:
        super().__init__(sio, bot_message_evt)
        self.hold = hold
        self._held: tuple[str, Any] | None = None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await super().send_text_message(recipient_id, contact_links(line_breaks(text)), **kwargs)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await super().send_text_with_buttons(recipient_id, contact_links(line_breaks(text)), buttons, **kwargs)

    async def _emit(self, room: str, message: Any) -> None:
        await self.sio.emit(self.bot_message_evt, message, room=room)

    async def _send_message(self, socket_id: str, response: Any) -> None:
        """Every message of Rasa's own send_* methods (text, buttons, images, attachments) comes
        here."""
        response = _normalise(response)
        if not self.hold:
            await self._emit(socket_id, response)
            return
        if self._held is not None:
            room, held = self._held
            replies = held.get("quick_replies") if isinstance(held, dict) and "text" in held else None
            if replies and room == socket_id and isinstance(response, dict):
                if _is_text(response):  # the quick replies move on to the later message
                    held, response = {"text": held["text"]}, {**response, "quick_replies": replies}
                elif set(response) == {"text", "quick_replies"}:
                    held = {"text": held["text"]}
                    response = {**response, "quick_replies": _merge(replies, response["quick_replies"])}
            await self._emit(room, held)
        self._held = (socket_id, response)

    async def flush(self) -> None:
        """Emit the message held back (the end of a turn)."""
        if self._held is not None:
            room, held = self._held
            self._held = None
            await self._emit(room, held)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        messages, rest = webchat_messages(json_message)
        for message in messages:
            await self._send_message(recipient_id, message)
        if rest is not None:
            # An unknown payload: rasa-webchat hands `{"custom": ...}` to a host's customComponent,
            # if any.
            if self.hold:
                # keeps the order; rasa-webchat without a customComponent shows nothing
                await self.flush()
            await self._emit(recipient_id, {"custom": rest})


class WebchatSocketIOInput(SocketIOInput):
    """Rasa's socket.io input channel with `WebchatSocketIOOutput` (credentials as for `socketio`).
    """

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            rasa.shared.utils.io.raise_warning(
                "SocketIO output channel cannot be recreated. This is expected behavior when using multiple "
                "Sanic workers or multiple Rasa Open Source instances. Please use a different channel for "
                "external events in these scenarios."
            )
            return None
        return WebchatSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint (health route, connect, disconnect), with our session and message
        handlers."""
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None

        async def session_request(sid: str, data: dict | None) -> None:
            if not isinstance(data, dict):
                data = {}
            # the room and the sender id
            data["session_id"] = str(data.get("session_id") or uuid.uuid4().hex)
            if self.session_persistence:
                entered = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(entered):  # a coroutine from python-socketio 5.10 on
                    await entered
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} started session {data['session_id']}.")

        async def handle_message(sid: str, data: dict | None) -> None:
            if not isinstance(data, dict):
                data = {}
            if self.session_persistence:
                if not data.get("session_id"):
                    rasa.shared.utils.io.raise_warning(
                        "A message without a valid session_id was received. This message will be ignored. "
                        "Make sure to set a proper session id using the `session_request` socketIO event."
                    )
                    return
                sender_id = str(data["session_id"])
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            output_channel = WebchatSocketIOOutput(sio, self.bot_message_evt, hold=True)
            message = UserMessage(
                str(data.get("message") or ""), output_channel, sender_id, input_channel=self.name(),
                metadata=metadata,
            )
            try:
                await on_new_message(message)
            finally:
                await output_channel.flush()

        # Registering an event again replaces Rasa's handler of it.
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return socketio_webhook

