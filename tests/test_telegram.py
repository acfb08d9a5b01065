"""The Telegram channel with the real python-telegram-bot stack and fakes only at the network edge.

A fake Bot API and a fake Rasa REST channel run as tiny HTTP servers on 127.0.0.1 (threads); the bot
reaches them through `TELEGRAM_API_BASE` and `RASA_URL`, exactly as it reaches the real ones.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from telegram import Update
from telegram.ext import Application

from bot import cli
from bot import telegram as tg
from bot.app import create_app
from bot.chat import ChatService, location_message
from bot.records import Records
from bot.settings import Settings
from bot.telegram_render import (
    LOCATION_BUTTON,
    MAX_MESSAGE_UTF16,
    ButtonKeys,
    split_message,
    utf16_len,
)

TOKEN = "123456:TEST-token"
SECRET = "test-secret_token-1"
RASA_TOKEN = "rasa-test-token"
CHAT_ID = 4242
SENDER = f"telegram:{CHAT_ID}"
UNSET = object()
JSON_PARAMS = {"reply_markup", "link_preview_options", "commands", "allowed_updates"}


# --- fakes at the network edge ---------------------------------------------------------------------

@dataclass
class Call:
    method: str
    path: str
    params: dict[str, Any]


class FakeServer:
    """An HTTP server on 127.0.0.1 in a thread: records every call and answers with `respond`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = outer.respond(self.command, self.path, self.headers.get("Content-Type", ""), body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def respond(self, method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeBotAPI(FakeServer):
    """Answers Bot API methods with canned JSON, recording (method, params) in order."""

    def __init__(self) -> None:
        self._ids = count(100)
        self.failures: dict[str, str] = {}  # method -> description of a 400 answer
        super().__init__()

    def respond(self, method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        _, token_part, api_method = path.split("/", 2)
        assert token_part == f"bot{TOKEN}", path
        raw = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        params = {k: json.loads(v) if k in JSON_PARAMS else v for k, v in raw.items()}
        self.calls.append(Call(api_method, path, params))
        if api_method in self.failures:
            return 400, {"ok": False, "error_code": 400, "description": self.failures[api_method]}
        if api_method == "getMe":
            result: Any = {"id": 42, "is_bot": True, "first_name": "SME Advisor", "username": "sme_advisor_test_bot"}
        elif api_method == "sendMessage":
            result = {"message_id": next(self._ids), "date": int(time.time()), "text": params.get("text", ""),
                      "chat": {"id": int(params["chat_id"]), "type": "private"}}
        else:
            result = True
        return 200, {"ok": True, "result": result}

    def sent(self, api_method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == api_method]

    @property
    def methods(self) -> list[str]:
        return [c.method for c in self.calls if c.method != "getMe"]


class FakeRasa(FakeServer):
    """Mimics Rasa's REST channel and tracker endpoint; `reply` scripts the bot's answer."""

    def __init__(self) -> None:
        self.reply: Callable[[dict[str, Any]], list[dict[str, Any]]] = lambda b: [{"text": f"echo: {b['message']}"}]
        self.status = 200
        self.raw_answer: bytes | None = None
        super().__init__()

    def respond(self, method: str, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        params = json.loads(body) if body else None
        self.calls.append(Call(method, path, {"body": params}))
        if self.status != 200:
            return self.status, {"error": "down"}
        if method == "POST" and path == "/webhooks/rest/webhook":
            return 200, self.raw_answer if self.raw_answer is not None else self.reply(params)
        if method == "PUT" and urlsplit(path).path.endswith("/tracker/events"):
            return 200, {"events": []}
        return 404, {"error": "not found"}

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [c.params["body"] for c in self.calls if c.path == "/webhooks/rest/webhook"]


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# --- fixtures and update builders ------------------------------------------------------------------

@pytest.fixture
def bot_api():
    server = FakeBotAPI()
    yield server
    server.close()


@pytest.fixture
def rasa():
    server = FakeRasa()
    yield server
    server.close()


def make_settings(tmp_path, bot_api: FakeServer | None, rasa_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        STATE_DIR=tmp_path, RASA_URL=rasa_url, RASA_TOKEN=RASA_TOKEN, TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_SECRET_TOKEN=SECRET, TELEGRAM_API_BASE=f"{bot_api.url if bot_api else closed_port_url()}/bot",
    )
    return Settings(_env_file=None, **{k: v for k, v in (values | overrides).items() if v is not UNSET})


@pytest.fixture
def settings(tmp_path, bot_api, rasa) -> Settings:
    return make_settings(tmp_path, bot_api, rasa.url)


@pytest.fixture
def records(settings) -> Records:
    return Records(settings.db_path)


@pytest.fixture
async def application(settings, records):
    chat = ChatService(settings.rasa_url, 5.0, settings.RASA_TOKEN)
    app = tg.build_application(settings, chat, records)
    await app.initialize()
    yield app
    await app.shutdown()
    await chat.aclose()


_update_ids = count(1)
USER = {"id": CHAT_ID, "is_bot": False, "first_name": "Amina"}
CHAT = {"id": CHAT_ID, "type": "private", "first_name": "Amina"}


def message_update(**fields: Any) -> dict[str, Any]:
    message = {"message_id": next(_update_ids), "date": int(time.time()), "chat": CHAT, "from": USER, **fields}
    return {"update_id": next(_update_ids), "message": message}


def text_update(text: str) -> dict[str, Any]:
    if text.startswith("/"):
        entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
        return message_update(text=text, entities=[entity])
    return message_update(text=text)


def callback_update(data: str) -> dict[str, Any]:
    message = {"message_id": 7, "date": int(time.time()), "chat": CHAT, "text": "Please choose:",
               "from": {"id": 42, "is_bot": True, "first_name": "SME Advisor"}}
    query = {"id": f"cbq-{next(_update_ids)}", "from": USER, "chat_instance": "ci-1", "data": data, "message": message}
    return {"update_id": next(_update_ids), "callback_query": query}


async def deliver(app: Application, update: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(update, app.bot))


def encode(app: Application, payload: str, sender: str = SENDER) -> str:
    return app.bot_data["buttons"].for_sender(sender).encode(payload)


class TelegramHTML(HTMLParser):
    """Checks that text uses only the tags we emit, balanced (what Telegram's parser would accept).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in {"b", "i", "a"}, f"unexpected tag <{tag}>"
        assert tag != "a" or [name for name, _ in attrs] == ["href"]
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


def visible(html: str) -> str:
    parser = TelegramHTML()
    parser.feed(html)
    parser.close()
    assert not parser.stack, f"unclosed tags {parser.stack}"
    return parser.text


# --- messages in, Bot API calls out ----------------------------------------------------------------

async def test_text_message_sends_exact_html_reply_with_inline_keyboard(application, bot_api, rasa):
    rasa.reply = lambda body: [
        {"text": "**Start and Improve Your Business** trains new owners.",
         "buttons": [{"title": "Tell me more", "payload": "/more"}]},
        {"custom": {"sources": [{"title": "SIYB", "url": "https://www.ilo.org/siyb", "programme": "siyb"}]}},
    ]
    await deliver(application, text_update("How do I start a bakery?"))

    assert rasa.messages == [{"sender": SENDER, "message": "How do I start a bakery?"}]
    assert bot_api.methods == ["sendChatAction", "sendMessage"]
    assert bot_api.sent("sendChatAction") == [{"chat_id": str(CHAT_ID), "action": "typing"}]
    callback_data = encode(application, "/more")
    assert bot_api.sent("sendMessage") == [{
        "chat_id": str(CHAT_ID),
        "text": "<b>Start and Improve Your Business</b> trains new owners.\n\n"
                '<b>Sources</b>\n• <a href="https://www.ilo.org/siyb">SIYB</a>',
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {"inline_keyboard": [[{"text": "Tell me more", "callback_data": callback_data}]]},
    }]
    assert len(callback_data.encode()) <= 64


async def test_start_sends_welcome_with_buttons_that_rasa_understands(application, bot_api, rasa):
    await deliver(application, text_update("/start"))

    (sent,) = bot_api.sent("sendMessage")
    assert "SME Advisor" in sent["text"] and "trainer" in sent["text"]
    visible(sent["text"])
    rows = sent["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == [
        "🔎 Find a programme for me", "📍 Find a trainer near me", "💬 Ask a question"]
    assert rasa.messages == []  # the welcome works even while Rasa is down

    for row in rows:
        await deliver(application, callback_update(row[0]["callback_data"]))
    assert [m["message"] for m in rasa.messages] == ["/find_programme", "/find_trainer", "/greet"]


async def test_callback_with_long_payload_round_trips(application, bot_api, rasa):
    payload = '/choose_programme{"programme": "productivity-ecosystems", "package": null, "stage": "growing"}'
    rasa.reply = lambda body: (
        [{"text": "Which one?", "buttons": [{"title": "Productivity Ecosystems", "payload": payload}]}]
        if body["message"] == "compare" else [{"text": "Good choice."}])
    await deliver(application, text_update("compare"))
    data = bot_api.sent("sendMessage")[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("b:") and len(data.encode()) <= 64

    update = callback_update(data)
    await deliver(application, update)

    assert rasa.messages[-1] == {"sender": SENDER, "message": payload}
    assert bot_api.sent("answerCallbackQuery") == [{"callback_query_id": update["callback_query"]["id"]}]
    assert bot_api.sent("sendMessage")[-1]["text"] == "Good choice."


async def test_callback_still_answered_when_the_query_is_too_old(application, bot_api, rasa):
    bot_api.failures["answerCallbackQuery"] = "Bad Request: query is too old and response timeout expired"
    await deliver(application, callback_update(encode(application, "/find_trainer")))

    assert [m["message"] for m in rasa.messages] == ["/find_trainer"]
    assert [m["text"] for m in bot_api.sent("sendMessage")] == ["echo: /find_trainer"]


def test_button_keys_are_signed_and_kept_in_the_database(tmp_path, monkeypatch):
    db = tmp_path / "sme_advisor.db"
    keys = ButtonKeys("secret", Records(db)).for_sender(SENDER)
    long_payloads = [f'/choose{{"programme": "value-chains", "note": "{"x" * 60}", "n": {i}}}' for i in range(3)]
    data = [keys.encode(p) for p in long_payloads]
    assert all(d.startswith("b:") and len(d.encode()) <= 64 for d in data)
    # Another gateway on the same database, or this one after a restart, reads them ...
    other = ButtonKeys("secret", Records(db))
    assert [other.for_sender(SENDER).decode(d) for d in data] == long_payloads
    # ... for the chat that was shown them only
    assert other.for_sender("telegram:1").decode(data[0]) is None
    assert other.decode(keys.encode("/greet")) == "/greet"  # short payloads travel signed
    assert ButtonKeys("other secret", Records(db)).decode(keys.encode("/greet")) is None
    # Forgetting the chat erases its buttons; a key nobody was shown for BUTTON_TTL_S has expired.
    Records(db).forget(SENDER)
    assert other.for_sender(SENDER).decode(data[0]) is None
    data = keys.encode(long_payloads[0])
    import bot.records as records_module

    now = time.time()
    monkeypatch.setattr(records_module.time, "time", lambda: now + records_module.BUTTON_TTL_S + 1)
    assert other.for_sender(SENDER).decode(data) is None


async def test_long_button_survives_a_gateway_restart(tmp_path, bot_api, rasa):
    payload = '/choose_programme{"programme": "productivity-ecosystems", "package": null, "stage": "growing"}'
    rasa.reply = lambda body: [{"text": "Which one?", "buttons": [{"title": "Productivity Ecosystems", "payload": payload}]}]
    settings = make_settings(tmp_path, bot_api, rasa.url)
    # the first shows the button, the second (a restart, or a second gateway) gets the tap
    for gateway in range(2):
        chat = ChatService(settings.rasa_url, 5.0)
        async with tg.build_application(settings, chat) as app:
            if gateway == 0:
                await deliver(app, text_update("compare"))
                data = bot_api.sent("sendMessage")[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            else:
                await deliver(app, callback_update(data))
        await chat.aclose()
    assert data.startswith("b:")
    assert rasa.messages[-1] == {"sender": SENDER, "message": payload}


async def test_a_chat_over_the_rate_limit_is_told_once_to_slow_down(tmp_path, bot_api, rasa):
    settings = make_settings(tmp_path, bot_api, rasa.url, RATE_LIMIT_PER_MINUTE=3)
    chat = ChatService(settings.rasa_url, 5.0)
    async with tg.build_application(settings, chat) as app:
        for i in range(6):
            await deliver(app, text_update(f"question {i}"))
        await deliver(app, callback_update(encode(app, "/find_trainer")))
        other = message_update(text="hello", chat={**CHAT, "id": CHAT_ID + 1})
        await deliver(app, other)  # another chat is not slowed down
    await chat.aclose()

    assert [m["message"] for m in rasa.messages] == ["question 0", "question 1", "question 2", "hello"]
    texts = [m["text"] for m in bot_api.sent("sendMessage")]
    assert texts == ["echo: question 0", "echo: question 1", "echo: question 2", tg.SLOW_DOWN, "echo: hello"]
    # the tapped button stops spinning all the same
    assert len(bot_api.sent("answerCallbackQuery")) == 1


@pytest.mark.parametrize("no_chat", [
    {"inline_query": {"id": "iq-1", "from": USER, "query": "syb", "offset": ""}},
    {"callback_query": {"id": "cbq-inline", "from": USER, "chat_instance": "ci-2", "inline_message_id": "im-1",
                        "data": "s:AAAAAAAAAA:/restart"}},
])
def test_webhook_update_without_a_chat_is_accepted_quietly(settings, bot_api, rasa, caplog, no_chat):
    with TestClient(create_app(settings)) as client:
        response = post_update(client, {"update_id": next(_update_ids), **no_chat})
    assert response.status_code == 200
    assert rasa.messages == [] and bot_api.sent("sendMessage") == []
    assert not [r for r in caplog.records if r.levelno >= 30], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("forged", ["b:AAAAAAAAAAAAAAAAAAAAAA", "s:AAAAAAAAAA:/restart", "/restart", "s:x", ""])
async def test_forged_callback_data_is_refused(application, bot_api, rasa, forged):
    await deliver(application, callback_update(forged))

    assert rasa.messages == []
    assert len(bot_api.sent("answerCallbackQuery")) == 1
    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.EXPIRED]


async def test_location_hint_asks_for_location_then_keyboard_is_removed(application, bot_api, rasa):
    rasa.reply = lambda body: [{"text": "Where is your business?"}, {"custom": {"request_location": True}}]
    await deliver(application, text_update("find a trainer"))
    rasa.reply = lambda body: [{"text": "Here are trainers near Nairobi."}]
    await deliver(application, text_update("Nairobi"))

    first, second = bot_api.sent("sendMessage")
    assert first["text"] == "Where is your business?"
    assert first["reply_markup"] == {
        "keyboard": [[{"text": LOCATION_BUTTON, "request_location": True}]],
        "resize_keyboard": True, "one_time_keyboard": True, "input_field_placeholder": "…or type your city",
    }
    assert second["reply_markup"] == {"remove_keyboard": True}


async def test_location_hint_with_buttons_sends_location_keyboard_separately(application, bot_api, rasa):
    rasa.reply = lambda body: [{"text": "Where?", "buttons": [{"title": "Kenya", "payload": "/country_ke"}]},
                               {"custom": {"request_location": True}}]
    await deliver(application, text_update("trainer"))

    first, second = bot_api.sent("sendMessage")
    assert "inline_keyboard" in first["reply_markup"]
    assert second["reply_markup"]["keyboard"][0][0]["request_location"] is True


async def test_shared_location_is_forwarded_with_metadata(application, bot_api, rasa):
    rasa.reply = lambda body: [{"text": "The nearest trainer is in Nairobi."}]
    await deliver(application, message_update(location={"latitude": -1.2921, "longitude": 36.8219}))

    assert rasa.messages == [{
        "sender": SENDER, "message": location_message(-1.2921, 36.8219),
        "metadata": {"latitude": -1.2921, "longitude": 36.8219},
    }]
    assert bot_api.sent("sendMessage")[0]["text"] == "The nearest trainer is in Nairobi."


async def test_long_answer_is_split_at_paragraphs_under_the_limit(application, bot_api, rasa):
    paragraphs = [f"Paragraph {i}: " + "good business practice " * 110 for i in range(3)]
    rasa.reply = lambda body: [{"text": "\n\n".join(paragraphs), "buttons": [{"title": "More", "payload": "/more"}]}]
    await deliver(application, text_update("tell me everything"))

    sent = bot_api.sent("sendMessage")
    assert [m["text"] for m in sent] == [p.strip() for p in paragraphs]
    assert all(utf16_len(m["text"]) <= MAX_MESSAGE_UTF16 for m in sent)
    assert [("reply_markup" in m) for m in sent] == [False, False, True]


def test_long_answer_is_split_at_lines_sentences_and_words_never_in_a_link():
    link = "[the Start Your Business guide](https://www.ilo.org/syb?lang=en&part=2)"
    lines = [f"{i}. Keep a cash book 📒 for your shop, and read {link} each week." for i in range(120)]
    chunks = split_message("\n".join(lines))  # one long paragraph of lines
    assert len(chunks) > 1 and all(utf16_len(c) <= MAX_MESSAGE_UTF16 for c in chunks)
    assert all(c.endswith("each week.") for c in chunks)  # cut at a line's end
    assert "\n".join(visible(c) for c in chunks) == "\n".join(lines).replace(link, "the Start Your Business guide")
    assert all(c.count('<a href="https://www.ilo.org/syb?lang=en&amp;part=2">') == c.count("each week") for c in chunks)

    # no line breaks at all
    sentences = " ".join(f"Sentence {i} links {link} here." for i in range(200))
    chunks = split_message(sentences)
    assert len(chunks) > 1 and all(utf16_len(c) <= MAX_MESSAGE_UTF16 for c in chunks)
    assert all(c.endswith("here.") and c.count("<a ") == c.count("</a>") for c in chunks)

    words = " ".join([f"word{i} {link}" for i in range(300)])  # no sentence ends either
    chunks = split_message(words)
    assert all(c.count("<a ") == c.count("</a>") and "[" not in c for c in chunks)
    assert " ".join(visible(c) for c in chunks).split() == words.replace(link, "the Start Your Business guide").split()


async def test_huge_answer_without_breaks_is_cut_safely(application, bot_api, rasa):
    rasa.reply = lambda body: [{"text": "<&>" * 7000}]
    await deliver(application, text_update("hi"))

    sent = bot_api.sent("sendMessage")
    assert len(sent) > 1 and all(utf16_len(m["text"]) <= MAX_MESSAGE_UTF16 for m in sent)
    assert "".join(visible(m["text"]) for m in sent) == "<&>" * 7000


async def test_hostile_text_is_rendered_inert(application, bot_api, rasa):
    hostile = "<script>alert(1)</script> <b>unclosed & **x"
    rasa.reply = lambda body: [
        {"text": f"You said: {body['message']} and **bold <i>**"},
        {"custom": {"sources": [
            {"title": "<b>Guide</b>", "url": "javascript:alert(1)", "programme": "siyb"},
            {"title": "Quote", "url": 'https://example.org/"onmouseover="x', "programme": "siyb"},
            {"title": "Fine & dandy", "url": "https://example.org/a?b=1&c=2", "programme": "score"}]}},
    ]
    await deliver(application, text_update(hostile))

    assert rasa.messages[0]["message"] == hostile  # the user's words reach Rasa unchanged
    (sent,) = bot_api.sent("sendMessage")
    assert sent["text"] == (
        "You said: &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;unclosed &amp; **x and <b>bold &lt;i&gt;</b>\n\n"
        "<b>Sources</b>\n• &lt;b&gt;Guide&lt;/b&gt;\n• Quote\n"
        '• <a href="https://example.org/a?b=1&amp;c=2">Fine &amp; dandy</a>'
    )
    assert visible(sent["text"]).startswith(f"You said: {hostile} and bold <i>")


async def test_message_over_the_limit_is_refused_not_forwarded(application, bot_api, rasa):
    await deliver(application, text_update("x" * 20_000))

    assert rasa.messages == []
    assert bot_api.methods == ["sendMessage"]
    assert bot_api.sent("sendMessage")[0]["text"] == tg.TOO_LONG.format(length=20_000, limit=2000)


@pytest.mark.parametrize("content", [
    {"sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False}},
    {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]},
])
async def test_stickers_and_photos_get_a_text_only_note(application, bot_api, rasa, content):
    await deliver(application, message_update(**content))

    assert rasa.messages == []
    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.ONLY_TEXT]


async def test_help_and_unknown_command(application, bot_api, rasa):
    await deliver(application, text_update("/help"))
    await deliver(application, text_update("/weather"))

    help_text, unknown = (m["text"] for m in bot_api.sent("sendMessage"))
    assert "/restart" in help_text and "/forget" in help_text
    visible(help_text)
    assert unknown == tg.UNKNOWN_COMMAND
    assert rasa.messages == []


async def test_restart_starts_a_new_rasa_conversation(application, bot_api, rasa):
    rasa.reply = lambda body: []
    await deliver(application, text_update("/restart"))

    assert rasa.messages == [{"sender": SENDER, "message": "/restart"}]
    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.RESTARTED]


@pytest.mark.parametrize("status", [500, "unreachable"])
async def test_rasa_outage_gets_the_apology(tmp_path, bot_api, rasa, status):
    if status == "unreachable":
        settings = make_settings(tmp_path, bot_api, closed_port_url())
    else:
        settings, rasa.status = make_settings(tmp_path, bot_api, rasa.url), status
    chat = ChatService(settings.rasa_url, 5.0)
    app = tg.build_application(settings, chat)
    async with app:
        await deliver(app, text_update("hello"))
    await chat.aclose()

    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.NO_BRAIN]


async def test_unexpected_error_gets_a_short_apology(application, bot_api, rasa):
    rasa.raw_answer = b"<html>not json</html>"
    await deliver(application, text_update("hello"))

    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.APOLOGY]


def tracker_store(path, *senders: str) -> None:
    """A tracker store with Rasa's `events` table (the columns Rasa 3.6's SQLTrackerStore creates).
    """
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name "
                   "VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")
        for sender in senders:
            db.execute("INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', '{}')", (sender,))


def tracker_senders(path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as db:
        return [s for (s,) in db.execute("SELECT sender_id FROM events ORDER BY id")]


async def test_forget_erases_rasa_tracker_and_records(settings, bot_api, rasa, records):
    records.add_unanswered(SENDER, "how to export cocoa?", 0.1)
    records.add_feedback(SENDER, 1, "q", "a")
    records.add_unanswered("web:someone-else", "other question", 0.2)
    tracker_store(settings.tracker_db_path, SENDER, "web:someone-else", SENDER)
    app = tg.build_application(settings, ChatService(settings.rasa_url, 5.0, settings.RASA_TOKEN,
                                                     tracker_db=settings.tracker_db_path), records)
    async with app:
        await deliver(app, text_update("/forget"))

    assert tracker_senders(settings.tracker_db_path) == ["web:someone-else"]
    assert [r["question"] for r in records.unanswered()] == ["other question"]
    assert records.feedback() == []
    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.FORGOTTEN]


async def test_forget_without_a_tracker_store_says_so(application, bot_api, rasa, records):
    records.add_feedback(SENDER, -1)
    await deliver(application, text_update("/forget"))

    assert records.feedback() == []
    assert [m["text"] for m in bot_api.sent("sendMessage")] == [tg.FORGET_FAILED]


async def test_build_application_for_polling_has_an_updater(settings):
    chat = ChatService(settings.rasa_url)
    assert tg.build_application(settings, chat, polling=True).updater is not None
    assert tg.build_application(settings, chat).updater is None
    await chat.aclose()


# --- the FastAPI webhook route ---------------------------------------------------------------------

def post_update(client: TestClient, body: Any, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/telegram/webhook", content=content, headers=headers)


def test_webhook_refuses_missing_or_wrong_secret(settings, bot_api, rasa):
    with TestClient(create_app(settings)) as client:
        for secret in (None, "", "wrong", SECRET + "x"):
            response = post_update(client, text_update("hello"), secret)
            assert response.status_code == 403
            assert response.json()["detail"] == "missing or wrong X-Telegram-Bot-Api-Secret-Token"
    assert rasa.messages == [] and bot_api.sent("sendMessage") == []


def test_webhook_accepts_update_with_secret(settings, bot_api, rasa):
    with TestClient(create_app(settings)) as client:
        assert [c.method for c in bot_api.calls] == ["getMe"]  # started in the lifespan
        response = post_update(client, text_update("What is SCORE?"))

    assert response.status_code == 200
    assert rasa.messages == [{"sender": SENDER, "message": "What is SCORE?"}]
    assert bot_api.sent("sendMessage")[0]["text"] == "echo: What is SCORE?"


@pytest.mark.parametrize("body", [
    b'\xff\xfe{"update_id": 1, "message": \xc3\x28}', b"{not json", b"[1, 2]", b'"text"',
    json.dumps({"update_id": 5, "message": "x"}).encode(), json.dumps({"no": "update"}).encode(),
])
def test_webhook_refuses_invalid_body(settings, bot_api, rasa, body):
    with TestClient(create_app(settings)) as client:
        response = post_update(client, body)
    assert response.status_code == 400
    assert response.json()["detail"] == "body is not a valid Telegram update (JSON object)"
    assert rasa.messages == []


def test_webhook_handles_hostile_update_inertly(settings, bot_api, rasa):
    with TestClient(create_app(settings)) as client:
        response = post_update(client, text_update("<script>x</script>" * 2000))
    assert response.status_code == 200
    assert rasa.messages == []
    assert bot_api.sent("sendMessage")[0]["text"].startswith("Your message is too long (36000 characters)")


def test_gateway_starts_without_telegram_token(tmp_path, rasa):
    settings = make_settings(tmp_path, None, rasa.url, TELEGRAM_TOKEN=None)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.telegram is None
        assert post_update(client, text_update("hi")).status_code == 404
        assert post_update(client, text_update("hi"), secret=None).status_code == 403

    no_secret = make_settings(tmp_path, None, rasa.url, TELEGRAM_TOKEN=None, TELEGRAM_SECRET_TOKEN=UNSET)
    with TestClient(create_app(no_secret)) as client:
        assert post_update(client, text_update("hi"), secret=None).status_code == 403
        assert post_update(client, text_update("hi"), secret="").status_code == 403
    assert rasa.messages == []


def test_gateway_starts_while_telegram_is_unreachable(tmp_path, rasa):
    settings = make_settings(tmp_path, None, rasa.url)  # Bot API on a closed port
    with TestClient(create_app(settings)) as client:
        response = post_update(client, text_update("hi"))
    assert response.status_code == 503
    assert rasa.messages == []


# --- the CLI ---------------------------------------------------------------------------------------

@pytest.fixture
def cli_settings(monkeypatch, tmp_path, bot_api, rasa):
    def use(**overrides: Any) -> Settings:
        settings = make_settings(tmp_path, bot_api, rasa.url, **overrides)
        monkeypatch.setattr("bot.cli_telegram.get_settings", lambda: settings)
        return settings
    return use


def test_cli_set_webhook_registers_url_secret_and_commands(cli_settings, bot_api, capsys):
    cli_settings(TELEGRAM_WEBHOOK_URL="https://advisor.example.org/telegram/webhook")
    assert cli.main(["telegram", "set-webhook"]) == 0

    assert bot_api.sent("setWebhook") == [{
        "url": "https://advisor.example.org/telegram/webhook", "secret_token": SECRET,
        "drop_pending_updates": "true", "allowed_updates": ["message", "callback_query"]}]
    commands = bot_api.sent("setMyCommands")[0]["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "restart", "forget"]
    assert "webhook set: https://advisor.example.org/telegram/webhook" in capsys.readouterr().out


@pytest.mark.parametrize("overrides, args, reason", [
    ({}, [], "no webhook URL"),
    ({"TELEGRAM_TOKEN": None}, ["--url", "https://a.example/telegram/webhook"], "TELEGRAM_TOKEN is not set"),
    ({}, ["--url", "http://a.example/telegram/webhook"], "only calls https://"),
    ({"TELEGRAM_SECRET_TOKEN": "has spaces!"}, ["--url", "https://a.example/w"], "TELEGRAM_SECRET_TOKEN must be"),
])
def test_cli_set_webhook_refuses_with_one_line_reason(cli_settings, bot_api, capsys, overrides, args, reason):
    cli_settings(**overrides)
    assert cli.main(["telegram", "set-webhook", *args]) == 2

    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1
    assert bot_api.sent("setWebhook") == []


def test_cli_and_gateway_agree_on_the_derived_secret(cli_settings, tmp_path, bot_api, rasa):
    settings = cli_settings(TELEGRAM_SECRET_TOKEN=UNSET)  # derived from the bot token
    assert cli.main(["telegram", "set-webhook", "--url", "https://a.example/telegram/webhook"]) == 0
    secret = bot_api.sent("setWebhook")[0]["secret_token"]
    assert secret == settings.TELEGRAM_SECRET_TOKEN and secret != SECRET

    with TestClient(create_app(make_settings(tmp_path, bot_api, rasa.url, TELEGRAM_SECRET_TOKEN=UNSET))) as client:
        assert post_update(client, text_update("hi"), secret=SECRET).status_code == 403
        assert post_update(client, text_update("hi"), secret=secret).status_code == 200
    assert rasa.messages == [{"sender": SENDER, "message": "hi"}]


def test_cli_delete_webhook_and_poll_without_token(cli_settings, bot_api, capsys):
    cli_settings()
    assert cli.main(["telegram", "delete-webhook", "--json"]) == 0
    assert bot_api.sent("deleteWebhook") == [{"drop_pending_updates": "false"}]
    assert json.loads(capsys.readouterr().out) == {"ok": True}

    cli_settings(TELEGRAM_TOKEN=None)
    assert cli.main(["telegram", "poll"]) == 2
    assert "TELEGRAM_TOKEN is not set" in capsys.readouterr().err


# --- live ------------------------------------------------------------------------------------------

@pytest.mark.live
def test_live_gateway_refuses_webhook_without_secret(request):
    try:
        stack = request.getfixturevalue("stack")
    except pytest.FixtureLookupError:
        pytest.skip("no `stack` fixture: the live stack is not configured")
    response = httpx.post(f"{stack.gateway_url}/telegram/webhook", json=text_update("hello"), timeout=10)
    assert response.status_code in (401, 403)


async def test_the_users_telegram_language_goes_to_rasa_as_a_hint(application, bot_api, rasa):
    rasa.reply = lambda body: [{"text": "Bonjour !"}]
    await deliver(application, message_update(text="SYB?", **{"from": {**USER, "language_code": "fr"}}))

    assert rasa.messages == [{"sender": SENDER, "message": "SYB?", "metadata": {"language": "fr"}}]
