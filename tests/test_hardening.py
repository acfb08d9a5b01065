"""Secrets and smaller hardening: Rasa's token and CORS, the action server's shared secret, the
public schema, upload names and an emptied trainer directory. Live checks use the shared `stack`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from actions import runtime
from bot.processes import rasa_api_flags
from bot.settings import (
    ACTION_SECRET_HEADER,
    PROJECT_ROOT,
    RASA_TOKEN_FILE,
    Settings,
    get_settings,
)
from tests.admin_fixtures import BAD_GUIDE, BEARER, GOOD_GUIDE, client, settings, upload  # noqa: F401 (fixtures)

HEADER_ONLY = (PROJECT_ROOT / "knowledge" / "trainers.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"


@pytest.fixture
def no_rasa_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RASA_TOKEN", "ACTIONS_SECRET", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


# --- Rasa's token ------------------------------------------------------------------------------------

def test_an_unset_rasa_token_is_random_and_kept_in_the_state_folder(tmp_path: Path, no_rasa_token) -> None:
    first = Settings(_env_file=None, STATE_DIR=tmp_path / "a")
    token_file = tmp_path / "a" / RASA_TOKEN_FILE
    assert len(first.RASA_TOKEN) >= 40 and token_file.read_text() == first.RASA_TOKEN
    assert token_file.stat().st_mode & 0o777 == 0o600
    # every process agrees
    assert Settings(_env_file=None, STATE_DIR=tmp_path / "a").RASA_TOKEN == first.RASA_TOKEN
    other = Settings(_env_file=None, STATE_DIR=tmp_path / "b")
    assert other.RASA_TOKEN != first.RASA_TOKEN
    assert first.ACTIONS_SECRET and first.ACTIONS_SECRET not in (first.RASA_TOKEN, other.ACTIONS_SECRET)


def test_a_random_rasa_token_never_starts_with_a_dash(tmp_path: Path, no_rasa_token) -> None:
    """`rasa run --auth-token -7N...` exits ("expected one argument"): one fresh state folder in 64
    did."""
    tokens = [Settings(_env_file=None, STATE_DIR=tmp_path / str(i)).RASA_TOKEN for i in range(300)]
    assert len(set(tokens)) == 300 and not [t for t in tokens if t.startswith("-")]


def test_processes_starting_together_make_one_rasa_token(tmp_path: Path, no_rasa_token) -> None:
    code = "from bot.settings import Settings; print(Settings(_env_file=None).RASA_TOKEN)"
    env = {k: v for k, v in os.environ.items() if k not in ("RASA_TOKEN", "ACTIONS_SECRET")}
    env["STATE_DIR"] = str(tmp_path / "state")
    children = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env,
                                 cwd=PROJECT_ROOT) for _ in range(6)]
    tokens = {child.communicate(timeout=60)[0].strip() for child in children}
    assert len(tokens) == 1 and tokens == {(tmp_path / "state" / RASA_TOKEN_FILE).read_text()}
    # no temporary files left
    assert [p.name for p in (tmp_path / "state").iterdir()] == [RASA_TOKEN_FILE]


@pytest.mark.parametrize("token", ["local-rasa-token", "changethis", "change-me"])
def test_a_fixed_rasa_token_is_refused_outside_local(tmp_path: Path, no_rasa_token, token: str) -> None:
    with pytest.raises(ValidationError, match="RASA_TOKEN is a well-known default"):
        Settings(_env_file=None, STATE_DIR=tmp_path, ENVIRONMENT="production", ADMIN_TOKEN="a-real-secret-" * 3,
                 RASA_TOKEN=token)
    # local: allowed
    assert token == Settings(_env_file=None, STATE_DIR=tmp_path, RASA_TOKEN=token).RASA_TOKEN
    production = Settings(_env_file=None, STATE_DIR=tmp_path, ENVIRONMENT="production", ADMIN_TOKEN="a-real-secret-" * 3)
    # unset: random, also in production
    assert (tmp_path / RASA_TOKEN_FILE).read_text() == production.RASA_TOKEN


# --- Rasa's CORS and API -------------------------------------------------------------------------------

def test_rasa_cors_is_limited_to_cors_origins(tmp_path: Path) -> None:
    none = rasa_api_flags(Settings(_env_file=None, STATE_DIR=tmp_path, RASA_TOKEN="t"))
    assert none == ["--enable-api", "--auth-token", "t"]
    sites = ["https://advisor.example.org", "https://partner.example.com"]
    flags = rasa_api_flags(Settings(_env_file=None, STATE_DIR=tmp_path, RASA_TOKEN="t", CORS_ORIGINS=sites))
    assert flags[flags.index("--cors") + 1:] == sites and "*" not in flags


@pytest.mark.live
def test_running_rasa_sends_no_cors_headers_to_other_sites_and_needs_its_token(stack) -> None:
    evil = {"Origin": "https://evil.example"}
    preflight = httpx.options(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=10,
                              headers={**evil, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in httpx.get(f"{stack.rasa_url}/", headers=evil, timeout=10).headers
    assert httpx.get(f"{stack.rasa_url}/status", timeout=10).status_code == 401
    token = (stack.settings.STATE_DIR / RASA_TOKEN_FILE).read_text()
    assert token == stack.settings.RASA_TOKEN
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": token}, timeout=10).status_code == 200


# --- the action server's shared secret -----------------------------------------------------------------

def forged_call(sender: str) -> dict:
    """What another local process would send to run an action on a tracker it made up."""
    tracker = {"sender_id": sender, "slots": {"place": "Kampala"}, "latest_message": {"text": "hi", "intent": {}},
               "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}
    return {"next_action": "action_find_trainers", "sender_id": sender, "tracker": tracker, "domain": {},
            "version": "3.6.21"}


@pytest.mark.live
def test_the_action_server_refuses_calls_without_rasas_secret(stack) -> None:
    url = f"{stack.actions_url}/webhook"
    for headers in ({}, {ACTION_SECRET_HEADER: "guess"}, {ACTION_SECRET_HEADER: stack.settings.RASA_TOKEN}):
        r = httpx.post(url, json=forged_call(f"forged-{uuid.uuid4()}"), headers=headers, timeout=10)
        assert r.status_code == 401 and ACTION_SECRET_HEADER in r.json()["error"], r.text
    # status pages stay open
    assert httpx.get(f"{stack.actions_url}/index", timeout=10).json()["ready"]
    # Rasa sends the secret: a question needing the action server is answered with sources.
    r = httpx.post(f"{stack.gateway_url}/api/chat", timeout=60,
                   json={"sender": f"secret-{uuid.uuid4()}", "message": "What is Start Your Business?"})
    assert r.status_code == 200 and any(m["sources"] for m in r.json()["messages"]), r.text
    log = (stack.settings.STATE_DIR / "logs" / "actions.log").read_text()
    assert "refused a POST /webhook without the action secret" in log


# --- the public schema ---------------------------------------------------------------------------------

def test_docs_do_not_list_admin_routes(client) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/chat" in schema["paths"] and not [p for p in schema["paths"] if p.startswith("/admin")]
    assert client.get("/docs").status_code == 200
    # the routes themselves still work
    assert client.get("/admin/api/status", headers=BEARER).status_code == 200


# --- uploads -------------------------------------------------------------------------------------------

def test_an_upper_case_md_upload_is_saved_under_the_name_the_bot_reads(client, settings) -> None:
    from index.knowledge import load_knowledge

    r = upload(client, "Pricing.MD", GOOD_GUIDE.encode())
    assert r.status_code == 201 and r.json()["saved"] == "knowledge/guides/Pricing.md", r.text
    assert (settings.KNOWLEDGE_DIR / "guides" / "Pricing.md").is_file()
    assert not (settings.KNOWLEDGE_DIR / "guides" / "Pricing.MD").exists()
    assert "guides/Pricing" in {d.doc_id for d in load_knowledge(settings.KNOWLEDGE_DIR).documents}
    listed = client.get("/admin/api/knowledge", headers=BEARER).json()
    assert "guides/Pricing.md" in json.dumps(listed)
    broken = upload(client, "Broken.MD", BAD_GUIDE.encode())  # read, so checked like any document
    assert broken.status_code == 422 and "unknown programme id" in json.dumps(broken.json()), broken.text


def test_a_header_only_trainers_csv_is_refused_and_the_directory_kept(client, settings) -> None:
    before = (settings.KNOWLEDGE_DIR / "trainers.csv").read_bytes()
    r = upload(client, "trainers.csv", HEADER_ONLY.encode(), folder="")
    assert r.status_code == 422 and "no trainer rows" in json.dumps(r.json()), r.text
    assert (settings.KNOWLEDGE_DIR / "trainers.csv").read_bytes() == before
    check = subprocess.run([sys.executable, "-m", "bot.cli", "knowledge", "check", "--knowledge", str(settings.KNOWLEDGE_DIR)],
                           capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
                           env={**os.environ, "STATE_DIR": str(settings.STATE_DIR)})
    assert check.returncode == 0, check.stdout
    (settings.KNOWLEDGE_DIR / "trainers.csv").write_text(HEADER_ONLY, encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "bot.cli", "knowledge", "check", "--knowledge", str(settings.KNOWLEDGE_DIR)],
                           capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
                           env={**os.environ, "STATE_DIR": str(settings.STATE_DIR)})
    assert check.returncode == 1 and "trainers.csv: the file has no trainer rows" in check.stdout


def test_the_action_server_keeps_its_trainers_when_the_file_is_emptied(settings, caplog) -> None:
    runtime.configure(settings)
    try:
        loaded = len(runtime.trainer_directory())
        assert loaded > 0
        csv_file = settings.KNOWLEDGE_DIR / "trainers.csv"
        csv_file.write_text(HEADER_ONLY, encoding="utf-8")
        with caplog.at_level(logging.WARNING, logger="actions.runtime"):
            assert len(runtime.trainer_directory()) == loaded
        assert f"no trainer rows, only a header: keeping the {loaded} trainers loaded before" in caplog.text
    finally:
        runtime.configure(get_settings())
