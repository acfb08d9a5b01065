"""Staff sign-in: HMAC-signed session cookies (never the raw token), Bearer tokens, CSRF tokens,
refusals.

The signing key is derived from ADMIN_TOKEN, so every gateway process behind a load balancer accepts
the same cookies and changing the token signs everyone out. Signing out revokes the session
server-side: its id is kept in the records database (shared by the gateways) until it would have
expired.

Wrong tokens, from the sign-in form or a Bearer header alike, are throttled (TokenThrottle); the
right token is always accepted, so a flood of wrong ones never locks staff out.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response

from bot.settings import Settings

COOKIE = "sme_admin"
SESSION_TTL_S = 12 * 3600
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_BODY_BYTES = 1_100_000  # an upload of at most 1 MB plus the form around it
# a throttled wrong token waits this long for its 429 (slows one connection's guesses)
THROTTLED_DELAY_S = 0.25


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


def current_session(request: Request) -> Session | None:
    """The request's session: a valid signed cookie that was not signed out."""
    session = read_session(request.app.state.settings, request.cookies.get(COOKIE))
    if session is None or request.app.state.records.session_revoked(session.sid):
        return None
    return session


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
    """Router-wide guard: a valid Bearer header, or a valid session cookie (plus CSRF token on
    POST)."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        verdict = await judge_token(request, header[7:].strip())
        if verdict == "right":
            return Staff("bearer")
        if verdict == "throttled":
            raise HTTPException(429, TOO_MANY, headers={"Retry-After": str(int(throttle_of(request).window_s))})
        raise refuse(request)
    session = current_session(request)
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
            raise HTTPException(403, "this form has expired or did not come from the admin pages: "
                                     "reload the page and try again")
    return staff


StaffDep = Annotated[Staff, Depends(require_staff)]


TOO_MANY = "too many wrong staff tokens: wait five minutes and try again"


class TokenThrottle:
    """Counts wrong staff tokens per client address and over all addresses, in a sliding window.

    Past `per_client` wrong tokens from one address, or `overall` from all of them (guesses spread
    over many addresses), a further wrong token is refused with 429. Only wrong tokens are counted
    and refused: the right one is checked first and always accepted, so staff behind one proxy are
    never locked out by someone else's guesses. Memory is bounded: each address keeps at most
    `per_client` + 1 times, and at most `max_clients` addresses are kept (the oldest are dropped
    first).
    """

    def __init__(self, per_client: int = 10, overall: int = 100, window_s: float = 300.0, max_clients: int = 10_000):
        self.per_client, self.overall, self.window_s, self.max_clients = per_client, overall, window_s, max_clients
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque(maxlen=overall + 1)

    def _over(self, times: deque[float] | None, limit: int, now: float) -> bool:
        return times is not None and len(times) > limit and now - times[-limit - 1] <= self.window_s

    def failed(self, client: str) -> bool:
        """Count one wrong token from `client`; returns True when it is over the limit (throttled).
        """
        now = time.monotonic()
        times = self._clients.pop(client, None) or deque(maxlen=self.per_client + 1)
        times.append(now)
        self._clients[client] = times  # re-inserted last: the dict stays ordered by latest failure
        self._all.append(now)
        while len(self._clients) > self.max_clients:
            del self._clients[next(iter(self._clients))]
        return self._over(times, self.per_client, now) or self._over(self._all, self.overall, now)

    @property
    def tracked(self) -> int:
        return len(self._clients)


def throttle_of(request: Request) -> TokenThrottle:
    """The gateway process's throttle (one per app)."""
    if not hasattr(request.app.state, "token_throttle"):
        request.app.state.token_throttle = TokenThrottle()
    return request.app.state.token_throttle


async def judge_token(request: Request, candidate: str) -> Literal["right", "wrong", "throttled"]:
    """Check a staff token: the right one always passes; a wrong one is counted, and past the limit
    it waits THROTTLED_DELAY_S and is 'throttled'."""
    if token_matches(request.app.state.settings, candidate):
        return "right"
    if throttle_of(request).failed(request.client.host if request.client else "unknown"):
        await asyncio.sleep(THROTTLED_DELAY_S)
        return "throttled"
    return "wrong"
