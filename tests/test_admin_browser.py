"""The staff pages in a real (headless) browser against the running stack: sign in, see an
unanswered question from a real conversation, press Retrain and watch the progress reach "done"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

try:
    from tests.browser import needs_chromium, screenshot
    from tests.conftest import ADMIN_TOKEN
except ImportError:  # run as plain `pytest` (not `python -m pytest`): tests/ itself is on sys.path
    from browser import needs_chromium, screenshot
    from conftest import ADMIN_TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.live, needs_chromium]

# in scope, but unanswerable
UNANSWERED = "which business insurance covers a chocolate cake shop on the moon"


@pytest.fixture
def page(browser) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    errors = [e for e in errors if "status of 401" not in e]  # the deliberately wrong sign-in
    assert not errors, errors  # no script errors, no CSP violations


def test_staff_sign_in_see_unanswered_question_and_retrain(stack, page) -> None:
    r = httpx.post(f"{stack.gateway_url}/api/chat", json={"sender": f"browser-{uuid.uuid4()}", "message": UNANSWERED},
                   timeout=60)
    assert r.status_code == 200 and r.json()["messages"][0]["sources"] == []

    page.goto(f"{stack.gateway_url}/admin/questions")
    assert "/admin/login" in page.url
    page.fill("#token", "not the token")
    page.click("button[type=submit]")
    assert page.locator(".flash.bad").inner_text().startswith("That token is not right")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/questions")
    assert page.locator("#unanswered .question", has_text=UNANSWERED).count() == 1
    screenshot(page, "admin-unanswered")

    page.click("text=Overview")
    page.wait_for_url("**/admin")
    assert page.locator("#index-version").inner_text() == httpx.get(f"{stack.actions_url}/index").json()["version"]
    page.click("#retrain-button")
    page.wait_for_selector("#retrain-steps li")
    page.wait_for_selector("#retrain-state[data-state=done]", timeout=600_000)
    assert page.locator("#retrain-state").inner_text().startswith("done in")
    steps = page.eval_on_selector_all("#retrain-steps > li",
                                      "els => els.map(e => [e.querySelector('strong').textContent, e.dataset.status])")
    assert steps[:3] == [["Check the knowledge folder", "ok"], ["Build and publish the search index", "ok"],
                         ["Switch the action server to the new index", "ok"]]
    assert {status for _, status in steps} <= {"ok", "skipped"}
    screenshot(page, "admin-retrain-done")
