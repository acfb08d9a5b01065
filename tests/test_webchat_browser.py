"""rasa-webchat 1.0.1 (npm) in headless Chromium against the real stack: sources and the trainer
search.

The page is tests/web/rasa_webchat.html, served from the repo root; rasa-webchat talks to Rasa's
socket.io channel (rasa_addons/socketio_channel.py). On one conversation: "What is Start Your
Business?" shows the answer, its source as a link and its quick replies; "find a trainer near me"
asks for a city; after a reload (rasa-webchat keeps its session id, the channel its conversation)
"Kampala" lists trainers near Kampala. Screenshots go to test-artifacts/. No request leaves
127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest

try:
    from tests.browser import ROOT, needs_chromium, page_port, screenshot, static_server
except ImportError:  # run as plain `pytest` (not `python -m pytest`): tests/ itself is on sys.path
    from browser import ROOT, needs_chromium, page_port, screenshot, static_server

pytestmark = [pytest.mark.browser, pytest.mark.live, needs_chromium]

SYB_QUESTION = "What is Start Your Business?"
PHONE = {"width": 390, "height": 844}
TURN_TIMEOUT_MS = 90_000
# rasa-webchat shows each bot message as a .rw-response, and its typing indicator as one too.
RESPONSE = ".rw-message:not(.rw-typing-indication) .rw-response"
RESPONSES_AFTER = f"n => [...document.querySelectorAll('{RESPONSE}')].slice(n).map(e => e.innerText).join('\\n')"


def _only_loopback(route) -> None:
    host = urlparse(route.request.url).hostname
    if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
        route.continue_()
    else:
        route.abort()  # rasa-webchat's Google Fonts import


@pytest.fixture
def page(browser) -> Iterator:
    if not (ROOT / "node_modules/rasa-webchat/lib/index.js").exists():
        pytest.skip("node_modules/rasa-webchat is missing: run `npm ci` at the repo root")
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    context.route("**/*", _only_loopback)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def open_webchat(page, base: str, rasa_url: str) -> None:
    page.goto(f"{base}/tests/web/rasa_webchat.html?rasa={rasa_url}")
    composer = page.locator(".rw-new-message")
    launcher = page.locator(".rw-launcher")
    launcher.or_(composer).first.wait_for(timeout=60_000)
    if not composer.is_visible():
        launcher.click()
    composer.wait_for(timeout=60_000)


def say(page, message: str, expect: str) -> str:
    """Type a message; wait until the replies after it match the regex `expect`, then until they
    settle."""
    before = page.locator(RESPONSE).count()
    page.locator(".rw-new-message").fill(message)
    page.locator(".rw-new-message").press("Enter")
    page.wait_for_function(f"([n, e]) => new RegExp(e).test(({RESPONSES_AFTER})(n))", arg=[before, expect],
                           timeout=TURN_TIMEOUT_MS)
    # rasa-webchat shows queued bot messages one by one: wait until no new one came for 3 s.
    count = -1
    while count != page.locator(RESPONSE).count() or page.locator(".rw-typing-indication").count():
        count = page.locator(RESPONSE).count()
        page.wait_for_timeout(3_000)
    return page.evaluate(RESPONSES_AFTER, before)


def reply_titles(page) -> list[str]:
    return page.locator(".rw-replies .rw-reply").all_inner_texts()


def test_rasa_webchat_shows_sources_and_finds_trainers_near_kampala(page, stack):
    rest = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "webchat-probe-sources",
                      "message": SYB_QUESTION}, timeout=90).json()
    sources = [s for m in rest for s in (m.get("custom") or {}).get("sources") or []]
    buttons = [b["title"] for m in rest for b in m.get("buttons") or []]
    assert sources, "the REST channel's answer has no sources"

    with static_server(ROOT, page_port()) as base:
        open_webchat(page, base, stack.rasa_url)
        page.locator(RESPONSE).first.wait_for(timeout=60_000)  # the greeting (initPayload /greet)

        answer = say(page, SYB_QUESTION, r"Sources?:")
        assert re.search(r"\bSYB\b|business plan", answer, re.IGNORECASE), answer
        link = page.locator(f"{RESPONSE} a[href^='http']").last
        assert link.get_attribute("href") in {s["url"] for s in sources if s.get("url")}
        assert link.inner_text() in {s["title"] for s in sources}
        assert link.get_attribute("target") == "_blank"
        assert reply_titles(page) == buttons  # the answer's quick replies, under its sources
        screenshot(page, "rasa-webchat-sources")

        city = say(page, "find a trainer near me", r"type the name of your town or city")
        assert "Which city or town" in city
        assert reply_titles(page) == ["Cancel"]
        screenshot(page, "rasa-webchat-city")

        # A reload: rasa-webchat restores its messages and session id; the channel the conversation.
        page.reload()
        open_webchat(page, base, stack.rasa_url)
        page.get_by_text("Which city or town", exact=False).first.wait_for()

        trainers = say(page, "Kampala", r"Kampala, Uganda[\s\S]*\b(\d+ km|less than 1 km) away")
        assert "To use that" not in trainers, trainers
        # One trainer per message, its contact on a line of its own (markdown hard breaks).
        card = page.locator(RESPONSE, has_text="Sample Trainer").first
        assert re.search(r"\n\s*Contact:", card.inner_text()), card.inner_text()
        page.locator(RESPONSE).last.scroll_into_view_if_needed()
        screenshot(page, "rasa-webchat-trainers")
    assert page.errors == []
