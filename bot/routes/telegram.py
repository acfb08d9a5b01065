"""`POST /telegram/webhook`: updates Telegram pushes to the gateway, plus the bot's start/stop
hooks."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.limits import unencodable
from bot.telegram import build_application

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/telegram", tags=["telegram"])

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1_000_000  # real updates are a few KB


async def _ensure_started(app: FastAPI) -> bool:
    """Initialize and start the bot once (retried on the next update if Telegram was unreachable).
    """
    application: Application = app.state.telegram
    if application.running:
        return True
    async with app.state.telegram_lock:
        if application.running:
            return True
        try:
            await application.initialize()  # asks Telegram who the bot is (getMe)
            await application.start()
        except InvalidToken:  # its message contains the token: keep it out of the logs
            logger.error("Telegram rejected TELEGRAM_TOKEN; the Telegram channel is not available")
            return False
        except TelegramError as exc:
            logger.error("Telegram is not reachable yet (%s); will retry on the next update", exc)
            return False
    logger.info("Telegram bot @%s is ready for webhook updates", application.bot.username)
    return True


async def start_telegram(app: FastAPI) -> None:
    """Create and start the Telegram bot when TELEGRAM_TOKEN is set (call it from the lifespan)."""
    settings = app.state.settings
    app.state.telegram = None
    app.state.telegram_lock = asyncio.Lock()
    if not settings.TELEGRAM_TOKEN:
        logger.info("Telegram is disabled: TELEGRAM_TOKEN is not set")
        return
    app.state.telegram = build_application(settings, app.state.chat, app.state.records)
    await _ensure_started(app)


async def stop_telegram(app: FastAPI) -> None:
    """Stop the Telegram bot and release its connections (call it from the lifespan)."""
    application: Application | None = getattr(app.state, "telegram", None)
    if application is None:
        return
    if application.running:
        await application.stop()
    await application.shutdown()
    # also when initialize() failed half-way (shutdown() skips the bot then)
    await application.bot.shutdown()
    app.state.telegram = None


@router.post("/webhook")
async def receive_update(request: Request) -> Response:
    """Check Telegram's secret token and let the bot handle one update."""
    settings = request.app.state.settings
    # None when Telegram is not configured at all
    expected: str | None = settings.TELEGRAM_SECRET_TOKEN
    given = request.headers.get(SECRET_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(403, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
    if getattr(request.app.state, "telegram", None) is None:
        raise HTTPException(404, "Telegram is not configured on this gateway (TELEGRAM_TOKEN is not set)")
    if not await _ensure_started(request.app):
        raise HTTPException(503, "the Telegram bot is not ready: Telegram could not be reached")
    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        raise HTTPException(413, "update is too large")
    try:
        data = json.loads(body)
        application: Application = request.app.state.telegram
        update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
    # bad/too deep JSON, not an update
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        logger.info("refused a webhook body: %s", exc.__class__.__name__)
        raise HTTPException(400, "body is not a valid Telegram update (JSON object)") from None
    if update is None:
        raise HTTPException(400, "body is not a valid Telegram update (JSON object)")
    # Telegram never sends these; they would fail on the way to Rasa
    if problem := unencodable(data):
        raise HTTPException(400, f"body is not a valid Telegram update: {problem}")
    if any(part is not None and (not isinstance(part.id, int) or isinstance(part.id, bool))
           for part in (update.effective_user, update.effective_chat)):
        raise HTTPException(400, "body is not a valid Telegram update: user and chat ids must be integers")
    # Handled inline: Telegram waits, and handler errors go to the bot's error handler (still 200).
    try:
        await application.process_update(update)
    # raised outside the handlers: by PTB itself, on an update Telegram would not send
    except Exception as exc:
        logger.warning("refused a webhook update that python-telegram-bot could not process: %r", exc)
        raise HTTPException(400, "body is not a valid Telegram update") from None
    return Response(status_code=200)
