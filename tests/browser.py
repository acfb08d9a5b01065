"""Helpers for the browser tests: headless Debian chromium through Playwright, local servers,
artifacts.

Playwright cannot download its own browsers here, so it drives /usr/bin/chromium. Nothing in these
helpers reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests",
)


def launch_chromium(playwright):
    """A headless chromium browser (the caller closes it)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gateway_app():
    """The real gateway app, with the widget routes included if bot/app.py does not include them
    yet."""
    from bot.app import create_app
    from bot.routes import widget

    app = create_app()
    if not any(getattr(route, "path", None) == "/widget.js" for route in app.routes):
        app.include_router(widget.router)
    return app


def wait_http(url: str, timeout_s: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until `url` answers any HTTP status (the server is up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


@contextlib.contextmanager
def run_gateway(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Run the real gateway (uvicorn) on a free 127.0.0.1 port; yield its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "tests.browser:gateway_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/widget.js", proc=proc)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the stdlib's name)
        pass


def page_port() -> int:
    """The port of the browser tests' host page, one per test run (kept in the environment, so every
    import of this module agrees): the test stack allows it in CORS_ORIGINS, since rasa-webchat
    talks to Rasa
    from it."""
    if not os.environ.get("SME_TEST_PAGE_PORT"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            os.environ["SME_TEST_PAGE_PORT"] = str(s.getsockname()[1])
    return int(os.environ["SME_TEST_PAGE_PORT"])


@contextlib.contextmanager
def static_server(directory: Path, port: int = 0) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 (on `port`, else a free one) in a thread; yield its
    base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


AXE = ROOT / "node_modules/axe-core/axe.min.js"
needs_axe = pytest.mark.skipif(not AXE.exists(), reason="node_modules/axe-core is missing: run `make setup` (npm ci)")


def axe_violations(page, include: str = "sme-advisor-widget") -> list[dict]:
    """Run axe-core (npm `axe-core`, injected into the page) on `include` and return its violations,
    each as {id, impact, help, targets}; axe reads open shadow roots, so the widget's inside is
    checked."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async sel => {
            const result = await axe.run({include: [[sel]]}, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               targets: v.nodes.map(n => n.target)}));
        }""",
        include,
    )
