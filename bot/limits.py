"""Limits on what clients send the gateway, and 4xx answers (never a 500) for input that breaks
them.

- `valid_text`: refuses strings with a lone UTF-16 surrogate (`"hi \\ud800"` is valid JSON but not
  Unicode: it cannot be encoded as UTF-8 for Rasa, SQLite or the reply).
- `metadata_problem`: the shape `POST /api/chat` accepts as `metadata` (keys, depth, value types,
  finite numbers), `metadata_size`: its size as JSON, checked against `MAX_METADATA_BYTES`.
- `unencodable`: the same two faults (lone surrogates, NaN/Infinity) anywhere in parsed JSON, e.g. a
  Telegram update.
- `RateLimiter`: sliding one-minute window per key, with bounded memory (idle keys expire, LRU cap).
- `BodyLimitMiddleware`: caps the request body of the chat API before it is parsed (413, JSON).
- `install_error_handlers`: a 422 handler that can always encode its answer (FastAPI's own fails on
  lone surrogates, NaN and very deep input, and echoes input of any size).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# --- metadata of POST /api/chat ----------------------------------------------------------------------
MAX_METADATA_BYTES = 4096  # serialized as compact UTF-8 JSON
MAX_METADATA_KEYS = 32  # keys in all, nested objects included
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_DEPTH = 3  # metadata itself is level 1; each nested object or list adds one
MAX_METADATA_LIST_ITEMS = 20

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """True when `text` holds a code point U+D800..U+DFFF (json.loads joins valid pairs, so these
    are lone)."""
    return _SURROGATE.search(text) is not None


def valid_text(value: str, field: str) -> str:
    """`value` unchanged, or ValueError naming `field` when it is not valid Unicode text."""
    if has_lone_surrogate(value):
        raise ValueError(
            f"{field} contains an invalid character (a lone UTF-16 surrogate such as \\ud800): send valid Unicode text"
        )
    return value


def metadata_problem(metadata: dict[str, Any]) -> str | None:
    """Why `metadata` is refused (one sentence naming the limit and where), or None when it is
    acceptable.

    Accepted: an object of at most MAX_METADATA_KEYS keys in all, nested at most MAX_METADATA_DEPTH
    levels, whose values are strings, finite numbers, true/false, null, objects or lists of at most
    MAX_METADATA_LIST_ITEMS items (of the same kinds).
    """
    keys = 0
    stack: list[tuple[str, Any, int]] = [("metadata", metadata, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_METADATA_DEPTH:
                return f"metadata is nested too deeply at {path}: at most {MAX_METADATA_DEPTH} levels of objects and lists"
            keys += len(value)
            if keys > MAX_METADATA_KEYS:
                return f"metadata has too many keys: at most {MAX_METADATA_KEYS} in all, nested objects included"
            for key, item in value.items():
                # JSON keys are strings; a Python caller could pass others
                if not isinstance(key, str):
                    return f"metadata keys must be strings (at {path})"
                if has_lone_surrogate(key):
                    return f"a metadata key in {path} contains an invalid character (a lone UTF-16 surrogate such as \\ud800)"
                if len(key) > MAX_METADATA_KEY_CHARS:
                    return f"metadata key {key[:20]!r}... in {path} is too long: at most {MAX_METADATA_KEY_CHARS} characters"
                stack.append((f"{path}.{key}", item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_METADATA_DEPTH:
                return f"metadata is nested too deeply at {path}: at most {MAX_METADATA_DEPTH} levels of objects and lists"
            if len(value) > MAX_METADATA_LIST_ITEMS:
                return f"{path} is too long a list: at most {MAX_METADATA_LIST_ITEMS} items"
            stack.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            if has_lone_surrogate(value):
                return f"{path} contains an invalid character (a lone UTF-16 surrogate such as \\ud800): send valid Unicode text"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return f"{path} is not a finite number: NaN and Infinity are not allowed"
        elif value is None or isinstance(value, (bool, int)):
            pass
        else:
            return f"{path} must be a string, a number, true/false, null, an object or a list"
    return None


def unencodable(value: Any) -> str | None:
    """Why parsed JSON cannot be passed on as JSON/UTF-8 (a lone surrogate, NaN or Infinity), or
    None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return "a string contains a lone UTF-16 surrogate (such as \\ud800), which is not valid Unicode"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "a number is NaN or Infinity, which JSON does not allow"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def metadata_size(metadata: dict[str, Any]) -> int:
    """Bytes of `metadata` as compact UTF-8 JSON (call after `metadata_problem` accepted it)."""
    return len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# --- rate limiting -----------------------------------------------------------------------------------

class RateLimiter:
    """At most `per_minute` hits per key in any sliding `window_s` window, in memory.

    Memory is bounded: a key whose last hit is older than the window is forgotten (checked on every
    call, oldest first, so the sweep costs O(1) amortized), and at most `max_keys` keys are kept
    (the least recently seen is dropped first). Each key holds at most `per_minute` timestamps.
    """

    def __init__(self, per_minute: int, *, window_s: float = 60.0, max_keys: int = 50_000,
                 clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.window_s = window_s
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()  # least recently hit first

    def __len__(self) -> int:
        return len(self._hits)

    def allow(self, key: str) -> bool:
        now = self._clock()
        self._expire(now)
        hits = self._hits.get(key) or deque()
        while hits and now - hits[0] > self.window_s:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        self._hits[key] = hits
        self._hits.move_to_end(key)  # kept in order of last hit: the sweep only looks at the front
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and now - hits[-1] <= self.window_s:
                return
            del self._hits[key]


# --- request body size -------------------------------------------------------------------------------

class BodyLimitMiddleware:
    """Refuse (413, JSON `{"detail": ...}`) a request body over the limit of its path, before it is
    parsed.

    `limits` maps a path to `(max_bytes, detail)`. The body is read up to the limit (whether or not
    a Content-Length is given) and replayed to the app; other paths pass through untouched.
    """

    def __init__(self, app: ASGIApp, limits: dict[str, tuple[int, str]]):
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        limit = self.limits.get(path)
        if limit is None:
            await self.app(scope, receive, send)
            return
        max_bytes, detail = limit
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# --- validation errors -------------------------------------------------------------------------------

MAX_ECHO_CHARS = 200  # of an input string echoed back in a 422
MAX_ECHO_ITEMS = 20
MAX_ECHO_DEPTH = 3


def json_safe(value: Any, depth: int = 0) -> Any:
    """A small copy of `value` that `json.dumps(allow_nan=False)` and UTF-8 can always encode.

    Lone surrogates become U+FFFD, NaN/Infinity become strings, long strings and containers are cut,
    deeper levels become "...", anything else its `str()`.
    """
    if value is None or isinstance(value, (bool, int)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
            return json_safe(str(value), depth)
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        text = _SURROGATE.sub("\ufffd", value)
        return text if len(text) <= MAX_ECHO_CHARS else text[:MAX_ECHO_CHARS] + "..."
    if isinstance(value, (dict, list, tuple)):
        if depth >= MAX_ECHO_DEPTH:
            return "..."
        if isinstance(value, dict):
            return {str(json_safe(str(k), depth + 1)): json_safe(v, depth + 1)
                    for k, v in islice(value.items(), MAX_ECHO_ITEMS)}
        return [json_safe(v, depth + 1) for v in islice(value, MAX_ECHO_ITEMS)]
    return json_safe(str(value), depth)


def validation_error_detail(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's 422 `detail` list (type, loc, msg, input, ctx), made safe to encode and small."""
    detail = []
    for error in errors:
        item: dict[str, Any] = {
            "type": json_safe(str(error.get("type", ""))),
            "loc": [p if isinstance(p, int) and not isinstance(p, bool) else json_safe(str(p))
                    for p in error.get("loc", ())],
            "msg": _SURROGATE.sub("\ufffd", str(error.get("msg", ""))),
        }
        if "input" in error:
            item["input"] = json_safe(error["input"])
        if error.get("ctx"):
            item["ctx"] = json_safe(error["ctx"])
        detail.append(item)
    return detail


async def request_validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_error_detail(exc.errors())}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, request_validation_handler)  # type: ignore[arg-type]
