"""Turn the chat service's `BotMessage`s into Telegram messages: safe HTML, size limits, keyboards.

Telegram's HTML parse mode refuses a whole message on one stray `<` or `&`, so every piece of text
from a user, Rasa or a knowledge document is escaped first; only the tags made here (`<b>`, `<a>`)
reach Telegram. Button payloads travel as `callback_data` (at most 64 bytes), signed so that a
forged callback is never sent to Rasa; longer ones are kept in the project's database under a key.
Long answers are split at paragraphs, then lines, sentences and words, never inside a link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from typing import Protocol

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.chat import BotMessage, Button, Source

MAX_MESSAGE_UTF16 = 4096  # Telegram's limit, counted in UTF-16 code units
MESSAGE_BUDGET = 4000  # what we fill, leaving room for the sources block
MAX_CALLBACK_BYTES = 64
MAX_BUTTON_TITLE = 60
MAX_SOURCES = 5
LOCATION_BUTTON = "📍 Share my location"
LOCATION_PROMPT = "📍 You can also share your location with the button below."

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

_BOLD = re.compile(r"\*\*(?=\S)((?:(?!\*\*).)+?)(?<=\S)\*\*")  # CommonMark-like: no ** inside
# [label](url), escaped text
_LINK = re.compile(r"\[([^\[\]\n]+)\]\((https?://[^\s()<>\"]+)\)", re.IGNORECASE)
# a space inside a link's [label] is followed by "...](": no break there
_NOT_IN_LINK = r"(?![^\[\]\n]*\]\()"
# Ever finer places to break a text that does not fit: paragraphs, lines, sentences, words.
_BREAKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\n\s*\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?])\s+" + _NOT_IN_LINK), " "),
    (re.compile(r"\s+" + _NOT_IN_LINK), " "),
]


@dataclass
class Outgoing:
    """One Telegram message to send: HTML text and an optional keyboard."""

    html: str
    reply_markup: Markup | None = None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape(text: str) -> str:
    """Escape text for Telegram HTML (`<`, `>`, `&`; quotes only matter inside attributes)."""
    return html.escape(text, quote=False)


def render_text(text: str) -> str:
    """Escape an answer and turn its `**bold**` markdown into `<b>` (never across lines) and its
    `[label](https://...)` links into `<a>`."""
    linked = _LINK.sub(lambda m: f'<a href="{html.escape(html.unescape(m[2]), quote=True)}">{m[1]}</a>', escape(text))
    return _BOLD.sub(r"<b>\1</b>", linked)


def _safe_url(url: str | None) -> str | None:
    if not url or not re.match(r"^https?://[^\s<>\"]+$", url, re.IGNORECASE):
        return None
    return html.escape(url, quote=True)


def render_sources(sources: list[Source]) -> str:
    """A short 'Sources' block: links for http(s) URLs, plain titles otherwise."""
    lines: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    for source in sources:
        key = (source.title, source.url)
        if key in seen:
            continue
        seen.add(key)
        title = escape((source.title or source.programme or "source")[:200])
        url = _safe_url(source.url)
        lines.append(f'• <a href="{url}">{title}</a>' if url else f"• {title}")
        if len(lines) == MAX_SOURCES:
            break
    return "<b>Sources</b>\n" + "\n".join(lines) if lines else ""


def _fits(text: str, budget: int) -> bool:
    return utf16_len(render_text(text)) <= budget


def _pieces(text: str, budget: int, level: int = 0) -> list[str]:
    """Break plain text into pieces that each fit once rendered, at the coarsest boundary possible.
    """
    if _fits(text, budget):
        return [text]
    if level == len(_BREAKS):  # one unbroken run of characters: cut it as late as fits
        pieces: list[str] = []
        start = 0
        while start < len(text):
            end = min(len(text), start + budget)
            while not _fits(text[start:end], budget):
                end = start + max(1, (end - start) * 3 // 4)
            pieces.append(text[start:end])
            start = end
        return pieces
    pattern, joiner = _BREAKS[level]
    pieces = []
    for part in pattern.split(text):
        if not part.strip():
            continue
        first, *rest = _pieces(part, budget, level + 1)
        if pieces and _fits(f"{pieces[-1]}{joiner}{first}", budget):
            pieces[-1] = f"{pieces[-1]}{joiner}{first}"
        else:
            pieces.append(first)
        pieces.extend(rest)
    return pieces


def split_message(text: str, budget: int = MESSAGE_BUDGET) -> list[str]:
    """Render an answer into HTML chunks under Telegram's limit, split at paragraph boundaries."""
    return [render_text(piece.strip()) for piece in _pieces(text.strip(), budget)]


class PayloadStore(Protocol):
    """Where long button payloads are kept: `bot.records.Records` (the project's SQLite database).
    """

    def save_button(self, key: str, sender: str, payload: str) -> None: ...

    def button(self, key: str, sender: str) -> str | None: ...


class ButtonKeys:
    """Map Rasa payloads to `callback_data` (<= 64 bytes) and back, refusing anything we did not
    issue.

    A payload that fits travels signed (`s:<tag>:<payload>`), so it survives a restart as long as
    the secret stays the same; a longer one gets a short key (`b:<tag>`) kept in `store` for the
    chat it was shown to (`for_sender`), so it survives a restart too, every gateway sharing the
    store reads it, and forgetting the chat erases it.
    """

    def __init__(self, secret: str, store: PayloadStore, sender: str = ""):
        self._secret = secret.encode()
        self._store = store
        self._sender = sender

    def for_sender(self, sender: str) -> ButtonKeys:
        """The same keys, for the buttons of one chat."""
        return ButtonKeys(self._secret.decode(), self._store, sender)

    def _tag(self, payload: str, size: int) -> str:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:size]

    def encode(self, payload: str) -> str:
        """The callback_data for a payload."""
        signed = f"s:{self._tag(payload, 10)}:{payload}"
        if len(signed.encode()) <= MAX_CALLBACK_BYTES:
            return signed
        key = f"b:{self._tag(self._sender + chr(10) + payload, 22)}"
        self._store.save_button(key, self._sender, payload)
        return key

    def decode(self, data: str) -> str | None:
        """The payload behind callback_data, or None if it is unknown, expired or forged."""
        if data.startswith("b:"):
            return self._store.button(data, self._sender)
        prefix, _, rest = data.partition(":")
        tag, _, payload = rest.partition(":")
        if prefix == "s" and payload and hmac.compare_digest(tag, self._tag(payload, 10)):
            return payload
        return None


def inline_keyboard(buttons: list[Button], keys: ButtonKeys) -> InlineKeyboardMarkup | None:
    """One inline button per row (titles are plain text, no escaping needed)."""
    rows = [
        [InlineKeyboardButton(b.title[:MAX_BUTTON_TITLE] or "…", callback_data=keys.encode(b.payload))]
        for b in buttons
        if b.payload
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def location_keyboard() -> ReplyKeyboardMarkup:
    """A one-time keyboard with a single 'share my location' button."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(LOCATION_BUTTON, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="…or type your city",
    )


def render_message(message: BotMessage, keys: ButtonKeys, can_request_location: bool = True) -> list[Outgoing]:
    """The Telegram messages for one BotMessage: text chunks, sources, then its keyboard on the
    last."""
    chunks = split_message(message.text) if message.text.strip() else []
    sources = render_sources(message.sources)
    if sources:
        if chunks and utf16_len(chunks[-1]) + 2 + utf16_len(sources) <= MAX_MESSAGE_UTF16:
            chunks[-1] = f"{chunks[-1]}\n\n{sources}"
        else:
            chunks.append(sources)
    inline = inline_keyboard(message.buttons, keys)
    wants_location = bool(message.hints.get("request_location")) and can_request_location
    if not chunks and (inline or wants_location):
        chunks = ["Please choose:" if inline else escape(LOCATION_PROMPT)]
    outgoing = [Outgoing(chunk) for chunk in chunks]
    if not outgoing:
        return outgoing
    if inline:
        outgoing[-1].reply_markup = inline
        # a message carries one keyboard: the location button goes on a follow-up
        if wants_location:
            outgoing.append(Outgoing(escape(LOCATION_PROMPT), location_keyboard()))
    elif wants_location:
        outgoing[-1].reply_markup = location_keyboard()
    return outgoing
