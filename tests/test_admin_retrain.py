"""The admin overview and the Retrain button's background job (a stand-in command replaces the real
retrain)."""

from __future__ import annotations

import json
import sys
import time

import pytest
from fastapi.testclient import TestClient

from tests.admin_fixtures import BAD_GUIDE, BEARER, client, login, settings  # noqa: F401 (fixtures)

# --- overview and retrain -----------------------------------------------------------------------------------

def test_overview_lists_knowledge_problems_with_file_and_line(client, settings) -> None:
    (settings.KNOWLEDGE_DIR / "guides" / "broken.md").write_text(BAD_GUIDE, encoding="utf-8")
    login(client)
    page = client.get("/admin")
    assert page.status_code == 200 and "knowledge/guides/broken.md" in page.text and "not running" in page.text
    data = client.get("/admin/api/status").json()
    assert data["knowledge"]["errors"][0] | {} == {"file": "knowledge/guides/broken.md", "line": 3, "column": None,
                                                   "message": "unknown programme id 'not-a-programme'",
                                                   "fix": data["knowledge"]["errors"][0]["fix"]}
    assert data["knowledge"]["documents"] == 3 and data["knowledge"]["trainers"] > 0
    assert data["live"] == {"actions": {"running": False, "version": None, "ready": None, "reason": None},
                            "rasa": {"running": False, "model_file": None}}


FAKE_RETRAIN = """
import json, sys, time
for step in ("check", "index", "switch"):
    print(json.dumps({"event": "step", "step": step, "status": "running", "message": "working", "details": [], "label": step}), flush=True)
    time.sleep(0.3)
    print(json.dumps({"event": "step", "step": step, "status": "ok", "message": "fine", "details": [], "label": step}), flush=True)
if "fail" in sys.argv:
    print(json.dumps({"event": "result", "ok": False, "step": "switch", "error": "Switch failed: timed out"}), flush=True)
    print("sme-advisor: Switch failed: timed out", file=sys.stderr)
    sys.exit(2)
print(json.dumps({"event": "result", "ok": True, "index_version": "v2"}), flush=True)
"""


def _wait_finished(client: TestClient, timeout_s: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get("/admin/api/retrain/status", headers=BEARER).json()
        if job["state"] not in ("running", "idle"):
            return job
        time.sleep(0.1)
    raise AssertionError("retrain did not finish")


@pytest.mark.parametrize("outcome", ["ok", "fail"])
def test_retrain_runs_in_background_one_at_a_time(client, outcome) -> None:
    client.app.state.retrain_command = [sys.executable, "-c", FAKE_RETRAIN, outcome]
    assert client.get("/admin/api/retrain/status", headers=BEARER).json()["state"] == "idle"
    started = client.post("/admin/api/retrain", headers=BEARER)
    assert started.status_code == 202 and started.json()["state"] == "running"
    busy = client.post("/admin/api/retrain", headers=BEARER)
    assert busy.status_code == 409 and "already running" in busy.json()["detail"]
    job = _wait_finished(client)
    assert [(s["step"], s["status"]) for s in job["steps"]] == [("check", "ok"), ("index", "ok"), ("switch", "ok")]
    if outcome == "ok":
        assert job["state"] == "done" and job["result"]["index_version"] == "v2" and job["error"] is None
    else:
        assert job["state"] == "failed" and job["error"] == "Switch failed: timed out"


def test_retrain_button_on_the_page(client) -> None:
    client.app.state.retrain_command = [sys.executable, "-c", FAKE_RETRAIN, "ok"]
    csrf = login(client)
    r = client.post("/admin/retrain", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin#retrain"
    assert client.post("/admin/retrain", data={"csrf": csrf}).status_code == 409
    _wait_finished(client)
    page = client.get("/admin")
    assert 'data-state="done"' in page.text and "done in" in page.text


def test_status_json_is_complete(client, settings) -> None:
    data = client.get("/admin/api/status", headers=BEARER).json()
    assert set(data) == {"knowledge", "index", "model", "live"} and data["index"]["version"] is None
    assert json.dumps(data)  # JSON-ready
