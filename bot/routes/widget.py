"""The embeddable chat widget (`GET /widget.js`) and a demo page that embeds it (`GET /`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

router = APIRouter(tags=["widget"])

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Host pages keep a copy for a few minutes, then revalidate with the ETag (a 304 costs a few bytes),
# so a new widget reaches every site within minutes of a deploy.
WIDGET_CACHE = "public, max-age=300, must-revalidate"
PAGE_CACHE = "no-cache"


@dataclass(frozen=True)
class _Asset:
    body: bytes
    etag: str


_cache: dict[Path, tuple[tuple[int, int], _Asset]] = {}


def _load(path: Path) -> _Asset:
    """The file's bytes and ETag, re-read only when the file changed (edits show without a restart).
    """
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached and cached[0] == key:
        return cached[1]
    body = path.read_bytes()
    asset = _Asset(body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
    _cache[path] = (key, asset)
    return asset


def _serve(request: Request, name: str, media_type: str, cache_control: str) -> Response:
    asset = _load(STATIC_DIR / name)
    headers = {"ETag": asset.etag, "Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=media_type, headers=headers)


@router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
async def get_widget(request: Request) -> Response:
    """The chat widget script; embed it with `<script src=".../widget.js" defer></script>`."""
    return _serve(request, "widget.js", "application/javascript; charset=utf-8", WIDGET_CACHE)


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
async def get_demo_page(request: Request) -> Response:
    """A demo host page that embeds the widget with the one tag."""
    return _serve(request, "demo.html", "text/html; charset=utf-8", PAGE_CACHE)
