"""`GET /healthz`: ready when rasa (with a model), the action server and its index are ready."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


async def _check_rasa(client: httpx.AsyncClient, url: str, token: str) -> str | None:
    try:
        r = await client.get(f"{url}/status", params={"token": token})
        if r.status_code != 200:
            return f"rasa answered HTTP {r.status_code}"
        if not r.json().get("model_file"):
            return "rasa has no model loaded"
    except httpx.HTTPError as exc:
        return f"rasa is not reachable ({exc.__class__.__name__})"
    return None


async def _check_actions(client: httpx.AsyncClient, url: str) -> tuple[str | None, dict[str, Any]]:
    try:
        r = await client.get(f"{url}/index")
        info = r.json() if r.status_code == 200 else {}
        if r.status_code != 200:
            return f"action server answered HTTP {r.status_code}", {}
        if not info.get("ready"):
            return f"index not ready: {info.get('reason', 'loading')}", info
        return None, info
    except httpx.HTTPError as exc:
        return f"action server is not reachable ({exc.__class__.__name__})", {}


@router.get("/healthz")
async def read_health(request: Request) -> JSONResponse:
    """Report readiness of every part; 503 names the parts that are not ready."""
    settings = request.app.state.settings
    async with httpx.AsyncClient(timeout=3.0) as client:
        rasa_problem, (actions_problem, index_info) = await asyncio.gather(
            _check_rasa(client, settings.rasa_url, settings.RASA_TOKEN), _check_actions(client, settings.actions_url)
        )
    problems = {k: v for k, v in {"rasa": rasa_problem, "actions": actions_problem}.items() if v}
    body: dict[str, Any] = {"status": "ok" if not problems else "unavailable", "index": index_info.get("version")}
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=503 if problems else 200)
