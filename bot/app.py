"""The gateway: wires the chat service, channels, widget, admin pages and health into one FastAPI
app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.chat import ChatService
from bot.limits import BodyLimitMiddleware, install_error_handlers
from bot.rate_limits import shared_limiter
from bot.records import Records
from bot.routes import admin, chat, health, telegram, widget
from bot.routes.telegram import start_telegram, stop_telegram
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway app for the given settings (the environment's by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.chat = ChatService.from_settings(settings)
        await start_telegram(app)
        try:
            yield
        finally:
            await stop_telegram(app)
            await app.state.chat.aclose()

    app = FastAPI(title="SME Advisor gateway", lifespan=lifespan)
    app.state.settings = settings
    app.state.records = Records(settings.db_path)
    # shared by every gateway on the same Redis (REDIS_URL) or STATE_DIR, so two gateways allow no
    # more than one
    app.state.rate_limiter = shared_limiter(settings, "chat", settings.RATE_LIMIT_PER_MINUTE)
    app.state.feedback_limiter = shared_limiter(settings, "feedback", settings.RATE_LIMIT_PER_MINUTE)
    app.state.feedback_ip_limiter = shared_limiter(settings, "feedback-ip", settings.FEEDBACK_PER_IP_PER_MINUTE)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limits={
        "/api/chat": chat.chat_body_limit(settings), "/api/feedback": chat.feedback_body_limit()})
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.CORS_ORIGINS, allow_methods=["GET", "POST"], allow_headers=["*"]
        )
    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(telegram.router)
    app.include_router(widget.router)
    app.include_router(admin.router)
    return app
