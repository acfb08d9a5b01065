"""Shared fixtures: real settings in a temporary state folder, and the real running stack."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import processes
from bot.settings import PROJECT_ROOT, Settings
from tests.browser import page_port

ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_settings(state_dir: Path, **overrides) -> Settings:
    """Settings for a test stack: its own ports and state folder; the trained model is shared."""
    values = dict(
        STATE_DIR=state_dir, RASA_PORT=free_port(), ACTIONS_PORT=free_port(), GATEWAY_PORT=free_port(),
        RASA_MODEL_DIR=PROJECT_ROOT / "var" / "models", ADMIN_TOKEN=ADMIN_TOKEN, RATE_LIMIT_PER_MINUTE=1000,
        # the browser tests' host page, for rasa-webchat
        CORS_ORIGINS=[f"http://127.0.0.1:{page_port()}"],
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class RunningStack:
    settings: Settings
    stack: processes.Stack
    startup_s: dict[str, float]

    @property
    def gateway_url(self) -> str:
        return f"http://{self.settings.HOST}:{self.settings.GATEWAY_PORT}"

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    @property
    def actions_url(self) -> str:
        return self.settings.actions_url

    def restart(self, name: str) -> None:
        with self.stopped(name):
            pass

    @contextmanager
    def stopped(self, name: str) -> Iterator[None]:
        """Stop one process for the duration of the block, then start it again and wait until ready.
        """
        self.stack.stop(only=[name])
        try:
            yield
        finally:
            self.stack.start(only=[name])
            self.stack.wait_ready(only=[name])


def start_stack(settings: Settings) -> RunningStack:
    from bot import services

    if not processes.model_path(settings).exists():
        assert processes.train(settings) == 0, "training the Rasa model failed"
    services.build(settings, progress=False)
    stack = processes.Stack(settings, echo=False)
    stack.start()
    try:
        # Rasa alone takes 35 s, several minutes on a busy machine
        startup = stack.wait_ready(timeout_s=600)
    except Exception:
        stack.stop()
        raise
    return RunningStack(settings, stack, startup)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    """rasa + action server + gateway, really running, on free ports (shared by the live tests)."""
    running = start_stack(stack_settings(tmp_path_factory.mktemp("stack-state")))
    yield running
    running.stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium driven by Playwright (shared by the browser tests of one module)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
