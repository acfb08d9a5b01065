"""Staff sign-in: HMAC-signed session cookies (never the raw token), Bearer tokens, CSRF tokens, refusals.

The signing key is derived from ADMIN_TOKEN, so every gateway process behind a load balancer accepts the
same cookies and changing the token signs everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response

from bot.settings import Settings

COOKIE = "sme_admin"
SESSION_TTL_S = 12 * 3600
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_BODY_BYTES = 1_100_000  # an upload of at most 1 MB plus the form around it


@dataclass(frozen=True)
class Session:
    sid: str
    expires: int


@dataclass(frozen=True)
class Staff:
    """Who passed the check: by cookie (with its CSRF token) or by Bearer header."""

    via: str
    csrf: str = ""


def _key(settings: Settings) -> bytes:
    return hashlib.sha256(b"sme-advisor/admin-session\0" + settings.ADMIN_TOKEN.encode()).digest()


def _sign(settings: Settings, data: bytes) -> str:
    return hmac.new(_key(settings), data, hashlib.sha256).hexdigest()


def token_matches(settings: Settings, candidate: str) -> bool:
    """Constant-time comparison with ADMIN_TOKEN (hashed first, so the length does not leak)."""
    given = hashlib.sha256(candidate.encode("utf-8", "replace")).digest()
    return hmac.compare_digest(given, hashlib.sha256(settings.ADMIN_TOKEN.encode()).digest())


def new_session_cookie(settings: Settings, now: float | None = None) -> str:
    """A signed cookie value: base64(JSON {sid, exp}) + '.' + HMAC."""
    payload = json.dumps({"sid": secrets.token_urlsafe(16), "exp": int((now or time.time()) + SESSION_TTL_S)})
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_sign(settings, body.encode())}"


def read_session(settings: Settings, cookie: str | None, now: float | None = None) -> Session | None:
    """The session of a cookie value, or None when it is missing, forged or expired."""
    if not cookie or cookie.count(".") != 1:
        return None
    body, signature = cookie.split(".")
    if not hmac.compare_digest(signature, _sign(settings, body.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        session = Session(str(data["sid"]), int(data["exp"]))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > (now or time.time()) else None


def csrf_for(settings: Settings, session: Session) -> str:
    return _sign(settings, b"csrf\0" + session.sid.encode())[:32]


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").split(",")[0].strip() == "https"


def set_session_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.set_cookie(COOKIE, new_session_cookie(settings), max_age=SESSION_TTL_S, path="/admin",
                        httponly=True, samesite="strict", secure=is_https(request))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="strict")


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path inside /admin (no open redirect)."""
    if target and target.startswith("/admin") and "//" not in target and "\\" not in target:
        return target
    return "/admin"


def refuse(request: Request) -> HTTPException:
    """401 JSON for the API, a redirect to the sign-in page for pages."""
    if request.url.path.startswith("/admin/api"):
        return HTTPException(401, "staff token required: sign in at /admin/login or send "
                                  "'Authorization: Bearer <ADMIN_TOKEN>'", headers={"WWW-Authenticate": "Bearer"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(303, "sign in first", headers={"Location": f"/admin/login?next={quote(target)}"})


async def require_staff(request: Request) -> Staff:
    """Router-wide guard: a valid Bearer header, or a valid session cookie (plus CSRF token on POST)."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        if token_matches(settings, header[7:].strip()):
            return Staff("bearer")
        raise refuse(request)
    session = read_session(settings, request.cookies.get(COOKIE))
    if session is None:
        raise refuse(request)
    staff = Staff("cookie", csrf_for(settings, session))
    if request.method not in SAFE_METHODS:
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            raise HTTPException(413, "the upload is too large: files may be at most 1 MB")
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(("multipart/", "application/x-www")):
            sent = str((await request.form()).get("csrf") or "")
        if not sent or not hmac.compare_digest(sent, staff.csrf):
            raise HTTPException(403, "this form has expired or did not come from the admin pages: reload the page and try again")
    return staff


StaffDep = Annotated[Staff, Depends(require_staff)]


class LoginLimiter:
    """At most `attempts` failed sign-ins per client address in any 5-minute window."""

    def __init__(self, attempts: int = 10, window_s: float = 300.0):
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        failures, now = self._failures[client], time.monotonic()
        while failures and now - failures[0] > self.window_s:
            failures.popleft()
        return len(failures) >= self.attempts

    def failed(self, client: str) -> None:
        self._failures[client].append(time.monotonic())
