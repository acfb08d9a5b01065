"""Shared by the admin tests: a temporary knowledge folder and state, the app, sign-in and upload
helpers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.routes import admin
from bot.settings import PROJECT_ROOT, Settings
from tests.knowledge_fixtures import GUIDE, write_small_knowledge

TOKEN = "test-admin-token-0123456789"
GOOD_GUIDE = GUIDE.format(title="Pricing for market traders", programme="siyb", section="Know your costs",
                          body="Add up what you pay for goods, transport and the stall before you set a price.")
BAD_GUIDE = GUIDE.format(title="Broken guide", programme="not-a-programme", section="A", body="Text.")


def admin_routes() -> list[tuple[str, str]]:
    """Every (method, path) under /admin except the public sign-in form."""
    def walk(routes):
        for route in routes:
            # FastAPI >= 0.165 keeps included routers lazily
            if hasattr(route, "effective_candidates"):
                yield from walk(route.effective_candidates())
            elif hasattr(route, "routes") and not hasattr(route, "methods"):
                yield from walk(route.routes)
            else:
                yield route
    found = {(m, r.path) for r in walk(admin.router.routes) for m in (r.methods or ()) if m != "HEAD"}
    return sorted(found - {("GET", "/admin/login"), ("POST", "/admin/login")})


ROUTES = admin_routes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    knowledge = write_small_knowledge(tmp_path / "knowledge")
    shutil.copy(PROJECT_ROOT / "knowledge" / "trainers.csv", knowledge / "trainers.csv")
    return Settings(STATE_DIR=tmp_path / "state", KNOWLEDGE_DIR=knowledge, ADMIN_TOKEN=TOKEN,
                    # nothing listens on port 9
                    RASA_URL="http://127.0.0.1:9", ACTIONS_URL="http://127.0.0.1:9")


@pytest.fixture
def client(settings: Settings):
    with TestClient(create_app(settings)) as c:
        yield c


def login(client: TestClient) -> str:
    """Sign in through the form; returns the CSRF token of the session."""
    r = client.post("/admin/login", data={"token": TOKEN, "next": "/admin"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    page = client.get("/admin/questions")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def upload(client: TestClient, name: str, data: bytes, folder: str = "guides", headers: dict | None = None):
    return client.post("/admin/api/knowledge", files={"file": (name, data)}, data={"folder": folder},
                       headers=headers or BEARER)
