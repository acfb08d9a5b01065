"""`/admin`: staff pages (server-rendered) and, under /admin/api, the staff API; all refused without
the token.

Sign in at /admin/login with ADMIN_TOKEN: the browser then holds an HMAC-signed session cookie
(HttpOnly, SameSite=Strict) and every form carries a per-session CSRF token.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bot.routes import admin_api
from bot.routes.admin_api import JobDep, read_upload, unanswered_groups
from bot.routes.chat import RecordsDep, SettingsDep
from bot.settings import PLACEHOLDER_SECRETS
from bot.staff import auth, files, status
from bot.staff.auth import StaffDep
from bot.staff.jobs import RetrainBusy

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
MARKS = {"running": "…", "ok": "ok", "skipped": "skipped", "failed": "failed"}
MAX_GROUPS_SHOWN = 300

public = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)
# Not in the public OpenAPI schema (/docs): the staff API is documented in README.md, not to every
# visitor.
staff = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(auth.require_staff)], include_in_schema=False)
staff.include_router(admin_api.router)
router = APIRouter()


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200, csrf: str = "") -> HTMLResponse:
    """A page with its CSRF token, a CSP nonce for its inline script, and no caching or framing."""
    nonce = secrets.token_urlsafe(16)
    response = templates.TemplateResponse(request, f"admin/{name}", {**context, "csrf": csrf, "nonce": nonce},
                                          status_code=status_code)
    response.headers.update({
        "Content-Security-Policy": f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
                                   "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    })
    return response


def flash(kind: str, text: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "details": details or []}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- sign-in (public) -----------------------------------------------------------------------------

@public.get("/login", response_class=HTMLResponse)
async def get_login(request: Request, next: str = "/admin") -> Response:
    """The sign-in form (or straight on, when already signed in)."""
    if auth.current_session(request):
        return see_other(auth.safe_next(next))
    return render(request, "login.html", {"next": auth.safe_next(next)})


@public.post("/login", response_class=HTMLResponse)
async def post_login(request: Request, settings: SettingsDep, token: str = Form(""), next: str = Form("/admin")) -> Response:
    """Check the staff token (constant time; wrong ones throttled) and set the signed session
    cookie."""
    verdict = await auth.judge_token(request, token)
    if verdict == "throttled":
        return render(request, "login.html", {"next": auth.safe_next(next), "flash": flash(
            "bad", "Too many wrong tokens: wait five minutes and try again.")}, 429)
    if verdict == "wrong":
        return render(request, "login.html", {"next": auth.safe_next(next), "flash": flash(
            "bad", "That token is not right. Check it and try again.")}, 401)
    response = see_other(auth.safe_next(next))
    auth.set_session_cookie(response, request, settings)
    return response


# --- pages (staff only) ---------------------------------------------------------------------------

@staff.post("/logout")
async def post_logout(request: Request, records: RecordsDep) -> RedirectResponse:
    """End the session: revoked server-side (the cookie no longer works anywhere) and the cookie
    cleared."""
    session = auth.current_session(request)
    if session:
        records.revoke_session(session.sid, session.expires)
    response = see_other("/admin/login")
    auth.clear_session_cookie(response)
    return response


def _state_text(job: Any) -> str:
    snap = job.snapshot()
    return {"running": f"running… ({snap['seconds']} s)", "done": f"done in {snap['seconds']} s",
            "failed": "failed"}.get(job.state, "")


async def _overview(request: Request, settings: Any, who: auth.Staff, job: Any, message: dict | None = None,
                    status_code: int = 200) -> HTMLResponse:
    context = {"nav": "overview", "s": await status.overview(settings), "job": job.snapshot(), "marks": MARKS,
               "state_text": _state_text(job), "flash": message,
               "placeholder_token": settings.ADMIN_TOKEN in PLACEHOLDER_SECRETS}
    return render(request, "overview.html", context, status_code, who.csrf)


@staff.get("", response_class=HTMLResponse)
async def get_overview(request: Request, settings: SettingsDep, who: StaffDep, job: JobDep) -> HTMLResponse:
    """Knowledge status, index and model versions, and the Retrain button with live progress."""
    return await _overview(request, settings, who, job)


@staff.post("/retrain", response_class=HTMLResponse)
async def post_retrain_page(request: Request, settings: SettingsDep, who: StaffDep, job: JobDep) -> Response:
    """Start a retrain from the overview page."""
    try:
        job.start()
    except RetrainBusy as exc:
        return await _overview(request, settings, who, job, flash("warn", f"Not started: {exc}."), 409)
    return see_other("/admin#retrain")


@staff.get("/questions", response_class=HTMLResponse)
async def get_questions(request: Request, records: RecordsDep, who: StaffDep, include_handled: bool = False,
                        handled: int | None = None) -> HTMLResponse:
    """Unanswered questions grouped by similarity, with counts, newest first."""
    groups = unanswered_groups(records, include_handled)
    message = flash("ok", f"Marked {handled} question(s) as handled.") if handled is not None else None
    context = {"nav": "questions", "groups": groups, "shown": [g.to_dict() for g in groups[:MAX_GROUPS_SHOWN]],
               "total": sum(g.count for g in groups), "include_handled": include_handled, "flash": message}
    return render(request, "questions.html", context, csrf=who.csrf)


@staff.post("/questions/handled")
async def post_handled_page(records: RecordsDep, ids: str = Form("")) -> RedirectResponse:
    """Mark one group's questions as handled."""
    numbers = [int(i) for i in ids.split(",") if i.strip().isdigit()]
    return see_other(f"/admin/questions?handled={records.mark_handled(numbers) if numbers else 0}")


@staff.get("/feedback", response_class=HTMLResponse)
async def get_feedback_page(request: Request, records: RecordsDep, who: StaffDep) -> HTMLResponse:
    """👍/👎 with the answer that got it, newest first."""
    rows = records.feedback()
    shown = [{**r, "when": datetime.fromtimestamp(r["given_at"], UTC).strftime("%Y-%m-%d %H:%M UTC")}
             for r in rows[:500]]
    context = {"nav": "feedback", "rows": shown, "total": len(rows),
               "up": sum(1 for r in rows if r["rating"] > 0), "down": sum(1 for r in rows if r["rating"] < 0)}
    return render(request, "feedback.html", context, csrf=who.csrf)


def _knowledge_page(request: Request, settings: Any, who: auth.Staff, message: dict | None = None,
                    status_code: int = 200) -> HTMLResponse:
    listing = files.list_files(settings)
    root = Path(settings.KNOWLEDGE_DIR)
    folders = {"", "programmes", "guides"} | {p.relative_to(root).as_posix() for p in root.rglob("*")
                                              if p.is_dir() and not any(x.startswith(".") for x in p.relative_to(root).parts)}
    context = {"nav": "knowledge", "files": listing, "folders": sorted(folders),
               "history": {f.rel: files.history(settings, f.rel) for f in listing if f.versions},
               "flash": message, "max_bytes": files.MAX_FILE_BYTES}
    return render(request, "knowledge.html", context, status_code, who.csrf)


@staff.get("/knowledge", response_class=HTMLResponse)
async def get_knowledge_page(request: Request, settings: SettingsDep, who: StaffDep, saved: str | None = None,
                             restored: str | None = None) -> HTMLResponse:
    """Knowledge files, the upload form, and a restore action per file with history."""
    known = {f.rel for f in files.list_files(settings)}
    message = None
    if saved in known:
        message = flash("ok", f"Saved knowledge/{saved}. Press Retrain on the overview page to make the bot use it.")
    elif restored in known:
        message = flash("ok", f"Restored the earlier version of knowledge/{restored}. Press "
                              "Retrain to make the bot use it.")
    return _knowledge_page(request, settings, who, message)


@staff.post("/knowledge/upload", response_class=HTMLResponse)
async def post_upload_page(request: Request, settings: SettingsDep, who: StaffDep) -> Response:
    """Check an uploaded file and save it (keeping the version it replaces); errors are shown on the
    page."""
    try:
        folder, name, data = await read_upload(request)
        rel = files.resolve_target(settings.KNOWLEDGE_DIR, folder, name)
        files.save(settings, rel, data)
    except files.FileRefused as exc:
        text = exc.message if "not saved" in exc.message else f"Not saved: {exc.message}"
        return _knowledge_page(request, settings, who, flash("bad", text, exc.details), exc.status)
    return see_other(f"/admin/knowledge?saved={rel}")


@staff.post("/knowledge/restore", response_class=HTMLResponse)
async def post_restore_page(request: Request, settings: SettingsDep, who: StaffDep, path: str = Form(""),
                            version: str = Form("")) -> Response:
    """Put back an earlier version of one file."""
    try:
        files.restore(settings, path, version or None)
    except files.FileRefused as exc:
        text = exc.message if "not restored" in exc.message else f"Not restored: {exc.message}"
        return _knowledge_page(request, settings, who, flash("bad", text, exc.details), exc.status)
    return see_other(f"/admin/knowledge?restored={path}")


router.include_router(public)
router.include_router(staff)
