"""Every flow of tests/flows.py on the widget and rasa-webchat (headless Chromium) and on Telegram,
through the real stack.

The widget runs on the stack's gateway in a phone-sized Chromium page. Telegram runs through a
second gateway (in-process, the stack's Rasa, action server and state folder) whose Bot API is
`FakeBotAPI` of test_telegram.py on 127.0.0.1: the fake sits at the network edge, everything behind
it is real. rasa-webchat 1.0.1 (npm) runs on tests/web/rasa_webchat.html and talks to Rasa's
socket.io channel straight, as a site that embeds it does; it has no way to share a location or to
erase a conversation, so those two flows are skipped there (the channel asks it to type the town
instead: tests/test_webchat_socketio_live.py). Screenshots of every step go to test-artifacts/
(Telegram's as a rendering of the chat's messages, keyboards included, saved as HTML too:
tests/telegram_transcript.py).
"""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.chat import location_message
from bot.settings import Settings
from tests.browser import ARTIFACTS, ROOT, needs_chromium, page_port, screenshot, static_server
from tests.flows import FLOWS, Seen, play
from tests.telegram_transcript import transcript_html
from tests.test_telegram import SECRET, TOKEN, FakeBotAPI, visible
from tests.test_webchat_browser import RESPONSE, open_webchat, reply_titles
from tests.test_widget_browser import (
    PHONE,
    SHADOW,
    _only_loopback,
    last_reply,
    message_count,
    send,
    w,
    wait_settled,
)

pytestmark = [pytest.mark.live, pytest.mark.browser, needs_chromium]

_ids = itertools.count(int(time.time()) % 1_000_000 * 100)


# ------------------------------------------------------------------ the widget


class WidgetChannel:
    """The widget on the stack's demo page, as a phone user sees it."""

    name = "widget"

    def __init__(self, page, gateway_url: str):
        self.page = page
        self.gateway_url = gateway_url

    def sender(self) -> str:
        return json.loads(self.page.evaluate("localStorage.getItem('sme-advisor-widget:v1')"))["sender"]

    def _seen(self, messages: list[dict[str, Any]]) -> Seen:
        return Seen(text="\n".join(m["text"] for m in messages),
                    sources=[s for m in messages for s in m["sources"]],
                    buttons=[b for m in messages for b in m["buttons"]],
                    links=[link["href"] for m in messages for link in m["links"]],
                    location_request=any("Use my location" in b for m in messages for b in m["buttons"]))

    def _last_bot(self) -> Seen:
        return self._seen(self.page.evaluate(f"""() => {{
            const m = [...{SHADOW}.querySelectorAll('.log > .msg.bot')].pop();
            return [{{text: m.innerText, sources: [], links: [],
                      buttons: [...m.querySelectorAll('.choices button:not(:disabled)')].map(b => b.textContent)}}];
        }}"""))

    def open(self) -> Seen:
        self.page.goto(self.gateway_url + "/")
        w(self.page, ".launcher").tap()
        w(self.page, ".panel").wait_for(state="visible")
        return self._last_bot()

    def say(self, text: str) -> Seen:
        return self._seen(send(self.page, text))

    def _after(self, click) -> Seen:
        before = message_count(self.page)
        click()
        wait_settled(self.page, before + 1)
        return self._seen(last_reply(self.page))

    def tap(self, title: str) -> Seen:
        button = w(self.page, ".choices button:not(:disabled)").filter(has_text=re.compile(title, re.IGNORECASE)).first
        return self._after(button.tap)

    def share(self, latitude: float, longitude: float) -> Seen:
        self.page.context.set_geolocation({"latitude": latitude, "longitude": longitude})
        return self.tap("Use my location")

    def restart(self) -> Seen:
        with self.page.expect_response("**/api/chat") as restarted:
            w(self.page, "header button").filter(has_text="New conversation").tap()
        assert restarted.value.ok
        return self._last_bot()

    def forget(self) -> Seen:
        self.page.evaluate("window.confirm = () => true")  # the widget asks before it erases
        with self.page.expect_response("**/api/forget") as forgotten:
            w(self.page, "header button").filter(has_text="Forget me").tap()
        assert forgotten.value.ok
        w(self.page, ".msg.bot").filter(has_text="deleted").wait_for()
        return self._last_bot()

    def screenshot(self, name: str) -> None:
        screenshot(self.page, name)


# ------------------------------------------------------------------ Telegram


class TelegramChannel:
    """One private Telegram chat, spoken through the webhook; what it sees is what the Bot API was
    sent."""

    name = "telegram"

    def __init__(self, client: TestClient, bot_api: FakeBotAPI, page):
        self.client, self.bot_api, self.page = client, bot_api, page
        self.chat_id = next(_ids)
        self.user = {"id": self.chat_id, "is_bot": False, "first_name": "Amina"}
        self.chat = {"id": self.chat_id, "type": "private", "first_name": "Amina"}
        # what the chat shows, in order: the user's and the bot's messages
        self.shown: list[dict[str, Any]] = []

    def sender(self) -> str:
        return f"telegram:{self.chat_id}"

    def _mine(self) -> list[dict[str, Any]]:
        return [p for p in self.bot_api.sent("sendMessage") if p["chat_id"] == str(self.chat_id)]

    def _post(self, shown: str, update: dict[str, Any]) -> Seen:
        before = len(self._mine())
        self.shown.append({"from": "user", "text": shown})
        response = self.client.post("/telegram/webhook", json={"update_id": next(_ids), **update},
                                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200, response.text
        sent = self._mine()[before:]
        self.shown += [{"from": "bot", **m} for m in sent]
        return self._seen(sent)

    def _message(self, **fields: Any) -> dict[str, Any]:
        message = {"message_id": next(_ids), "date": int(time.time()), "chat": self.chat, "from": self.user, **fields}
        return {"message": message}

    @staticmethod
    def _seen(sent: list[dict[str, Any]]) -> Seen:
        html = "\n".join(m["text"] for m in sent)
        sources = "".join(m["text"].partition("<b>Sources</b>")[2] for m in sent)
        markups = [m.get("reply_markup") or {} for m in sent]
        inline = [b["text"] for k in markups for row in k.get("inline_keyboard", []) for b in row]
        keyboard = [b for k in markups for row in k.get("keyboard", []) for b in row]
        text = visible(html)
        # Telegram's apps link e-mail addresses, phone numbers and @usernames in any message
        # themselves.
        entities = ([f"mailto:{e}" for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)]
                    + ["tel:" + re.sub(r"[^\d+]", "", p) for p in re.findall(r"phone (\+?\d[\d ().-]{4,18}\d)", text)]
                    + [f"https://t.me/{u}" for u in re.findall(r"(?<![\w.])@(\w{5,32})\b", text)])
        return Seen(text=text, sources=re.findall(r'href="([^"]+)"', sources),
                    buttons=inline + [b["text"] for b in keyboard],
                    links=re.findall(r'href="([^"]+)"', html) + entities,
                    location_request=any(b.get("request_location") for b in keyboard))

    def _command(self, command: str) -> Seen:
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        return self._post(command, self._message(text=command, entities=[entity]))

    def open(self) -> Seen:
        return self._command("/start")

    def say(self, text: str) -> Seen:
        return self._post(text, self._message(text=text))

    def tap(self, title: str) -> Seen:
        for sent in reversed(self._mine()):
            for row in (sent.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if re.search(title, button["text"], re.IGNORECASE):
                        query = {"id": f"cbq-{next(_ids)}", "from": self.user, "chat_instance": "flows",
                                 "data": button["callback_data"],
                                 "message": {"message_id": 1, "date": int(time.time()), "chat": self.chat,
                                             "text": "…", "from": {"id": 42, "is_bot": True, "first_name": "SME"}}}
                        return self._post(f"[{button['text']}]", {"callback_query": query})
        raise AssertionError(f"no button /{title}/ in the chat")

    def share(self, latitude: float, longitude: float) -> Seen:
        return self._post("📍 Location", self._message(location={"latitude": latitude, "longitude": longitude}))

    def restart(self) -> Seen:
        return self._command("/restart")

    def forget(self) -> Seen:
        return self._command("/forget")

    def screenshot(self, name: str) -> None:
        page = transcript_html(self.shown)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"{name}.html").write_text(page, encoding="utf-8")
        self.page.set_content(page)
        self.page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        screenshot(self.page, name)


# ------------------------------------------------------------------ rasa-webchat


class WebchatChannel:
    """rasa-webchat on its host page, as a phone user sees it; it speaks to Rasa's socket.io
    channel."""

    name = "rasa-webchat"
    TURN_MS = 90_000
    # rasa-webchat shows queued messages one by one: a turn is over after this long with no new one
    QUIET_MS = 3_000

    def __init__(self, page, base: str, rasa_url: str):
        self.page, self.base, self.rasa_url = page, base, rasa_url

    def sender(self) -> str:
        """rasa-webchat's session id (kept in sessionStorage with `storage: "session"`) is the Rasa
        sender id."""
        return json.loads(self.page.evaluate("sessionStorage.getItem('chat_session')"))["session_id"]

    def _count(self) -> int:
        return self.page.locator(RESPONSE).count()

    def _settle(self, before: int) -> Seen:
        self.page.wait_for_function(f"n => document.querySelectorAll('{RESPONSE}').length > n", arg=before,
                                    timeout=self.TURN_MS)
        count = -1
        while count != self._count() or self.page.locator(".rw-typing-indication").count():
            count = self._count()
            self.page.wait_for_timeout(self.QUIET_MS)
        shown = self.page.evaluate(f"""n => [...document.querySelectorAll('{RESPONSE}')].slice(n).map(m => ({{
            text: m.innerText, links: [...m.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))}}))""",
                                   before)
        return Seen(text="\n".join(m["text"] for m in shown),
                    sources=[link for m in shown if re.match(r"Sources?:", m["text"]) for link in m["links"]],
                    # the quick replies rasa-webchat shows (on its last message)
                    buttons=reply_titles(self.page),
                    links=[link for m in shown for link in m["links"]],
                    location_request=any("type the name of your town" in m["text"] for m in shown))

    def open(self) -> Seen:
        open_webchat(self.page, self.base, self.rasa_url)
        return self._settle(0)  # the greeting (initPayload /greet)

    def say(self, text: str) -> Seen:
        before = self._count()
        self.page.locator(".rw-new-message").fill(text)
        self.page.locator(".rw-new-message").press("Enter")
        return self._settle(before)

    def tap(self, title: str) -> Seen:
        before = self._count()
        self.page.locator(".rw-replies .rw-reply").filter(has_text=re.compile(title, re.IGNORECASE)).first.tap()
        return self._settle(before)

    def share(self, latitude: float, longitude: float) -> Seen:
        pytest.skip("rasa-webchat cannot share a location: the channel asks for the town instead")

    def restart(self) -> Seen:
        # rasa-webchat has no restart control: typing it works everywhere
        return self.say("restart")

    def forget(self) -> Seen:
        pytest.skip("rasa-webchat has no way to erase a conversation (the widget and Telegram have)")

    def screenshot(self, name: str) -> None:
        screenshot(self.page, name)


# ------------------------------------------------------------------ fixtures and checks


@pytest.fixture(scope="module")
def telegram_gateway(stack) -> Iterator[tuple[TestClient, FakeBotAPI]]:
    """A gateway with Telegram enabled, on the stack's Rasa and state, its Bot API faked on
    127.0.0.1."""
    bot_api = FakeBotAPI()
    s = stack.settings
    settings = Settings(_env_file=None, **{**s.model_dump(), "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET,
                                           "TELEGRAM_API_BASE": f"{bot_api.url}/bot", "GATEWAY_PORT": 0})
    with TestClient(create_app(settings)) as client:
        yield client, bot_api
    bot_api.close()


@pytest.fixture
def phone_page(browser) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                  permissions=["geolocation"])
    context.set_default_timeout(90_000)
    context.route("**/*", _only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture(scope="module")
def webchat_host() -> Iterator[str]:
    """The repo root served on the page port the test stack's Rasa allows (CORS_ORIGINS)."""
    if not (ROOT / "node_modules/rasa-webchat/lib/index.js").exists():
        pytest.skip("node_modules/rasa-webchat is missing: run `npm ci` at the repo root")
    with static_server(ROOT, page_port()) as base:
        yield base


def verifier(stack):
    """Checks of the conversation in Rasa after a restart or a forget."""

    def verify(what: str, sender: str) -> None:
        if what == "restarted":
            r = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker",
                          params={"token": stack.settings.RASA_TOKEN}, timeout=30)
            slots = r.json()["slots"]
            assert not slots.get("programme") and not slots.get("topic"), slots
            return
        with sqlite3.connect(stack.settings.tracker_db_path) as db:
            left = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]
        assert left == 0, f"{left} events of {sender} are still in the tracker store"

    return verify


@pytest.mark.parametrize("flow", list(FLOWS))
def test_flow_on_the_widget(flow, phone_page, stack):
    play(WidgetChannel(phone_page, stack.gateway_url), flow, verifier(stack))


@pytest.mark.parametrize("flow", list(FLOWS))
def test_flow_on_telegram(flow, telegram_gateway, phone_page, stack):
    client, bot_api = telegram_gateway
    play(TelegramChannel(client, bot_api, phone_page), flow, verifier(stack))


@pytest.mark.parametrize("flow", list(FLOWS))
def test_flow_on_rasa_webchat(flow, phone_page, webchat_host, stack):
    play(WebchatChannel(phone_page, webchat_host, stack.rasa_url), flow, verifier(stack))


def test_location_message_is_the_one_the_widget_sends():
    """Both channels share a location as the same Rasa message (bot.chat.location_message)."""
    assert location_message(0.3476, 32.5825) == '/share_location{"latitude": 0.347600, "longitude": 32.582500}'
