"""The chat API every web client uses: `POST /api/chat` (contract), `/api/feedback`, `/api/forget`,
and `/api/session`, which issues the signed session id the widget sends as `sender`
(bot/sessions.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from bot.chat import ChatService, RasaUnavailable
from bot.limits import MAX_METADATA_BYTES, RateLimiter, metadata_problem, metadata_size, valid_text
from bot.rate_limits import allowed
from bot.records import Records
from bot.sessions import Resolved, SessionSigner
from bot.settings import Settings

__all__ = ["router", "ChatRequest", "FeedbackRequest", "RateLimiter"]

logger = logging.getLogger(__name__)
UNAVAILABLE = ("the assistant is not available right now: it may be restarting. Please try again in a minute; "
               "your conversation is kept.")
router = APIRouter(prefix="/api", tags=["chat"])

MAX_SENDER_CHARS = 128
MAX_FEEDBACK_QUESTION_CHARS = 4000
MAX_FEEDBACK_ANSWER_CHARS = 8000


# other channels' namespaces: nobody speaks as a Telegram chat through the web
RESERVED_SENDERS = ("telegram:",)


def _own_sender(value: str) -> str:
    if value.strip().lower().startswith(RESERVED_SENDERS):
        raise ValueError("sender ids starting with 'telegram:' belong to the Telegram channel: choose another id")
    return value


def _checked_text(value: Any, field: str) -> Any:
    """A text field checked before pydantic's own checks: no lone surrogates; a sender in our
    namespace."""
    if not isinstance(value, str):
        return value
    value = valid_text(value, field)
    return _own_sender(value) if field == "sender" else value


class ChatRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=MAX_SENDER_CHARS)
    message: str
    # e.g. {"language": "fr", "latitude": .., "longitude": ..} from the widget; shape limits in
    # bot/limits.py, size (MAX_METADATA_BYTES) checked by the route (413, like a too long message)
    metadata: dict[str, Any] | None = None

    @field_validator("sender", "message", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any, info: ValidationInfo) -> Any:  # before length checks, which fail on it
        return _checked_text(value, info.field_name or "text")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is empty: type a question or pick a button")
        return value.strip()

    @field_validator("metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and (problem := metadata_problem(value)):
            raise ValueError(problem)
        return value


class FeedbackRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=MAX_SENDER_CHARS)
    rating: int = Field(description="+1 for 👍, -1 for 👎")
    question: str = Field(default="", max_length=MAX_FEEDBACK_QUESTION_CHARS)
    answer: str = Field(default="", max_length=MAX_FEEDBACK_ANSWER_CHARS)

    @field_validator("sender", "question", "answer", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any, info: ValidationInfo) -> Any:  # before length checks, which fail on it
        return _checked_text(value, info.field_name or "text")


def chat_body_limit(settings: Settings) -> tuple[int, str]:
    """Largest `POST /api/chat` body (bytes) and the 413 detail naming it: room for the longest
    message (up to 8 bytes a character as JSON) and the largest metadata, never under 64 KiB."""
    limit = max(64 * 1024, 8 * settings.MAX_MESSAGE_CHARS + 2 * MAX_METADATA_BYTES + 4096)
    return limit, (f"request is too large: at most {limit} bytes (a message may have at most "
                   f"{settings.MAX_MESSAGE_CHARS} characters, metadata at most "
                   f"{MAX_METADATA_BYTES} bytes)")


def feedback_body_limit() -> tuple[int, str]:
    """Largest `POST /api/feedback` body (bytes) and the 413 detail naming it."""
    limit = 128 * 1024
    return limit, (f"feedback is too large: at most {limit} bytes (a question may have at most "
                   f"{MAX_FEEDBACK_QUESTION_CHARS} characters, an answer at most "
                   f"{MAX_FEEDBACK_ANSWER_CHARS})")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_chat(request: Request) -> ChatService:
    return request.app.state.chat


def get_records(request: Request) -> Records:
    return request.app.state.records


def get_sessions(request: Request) -> SessionSigner:
    return SessionSigner.from_settings(request.app.state.settings)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionsDep = Annotated[SessionSigner, Depends(get_sessions)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
RecordsDep = Annotated[Records, Depends(get_records)]


@router.post("/session")
async def post_session(sessions: SessionsDep) -> dict[str, str]:
    """Issue a new signed session id, to send as `sender` from then on."""
    return {"sender": sessions.issue()}


def _issued(resolved: Resolved) -> dict[str, str]:
    """The response field that hands a client its fresh session when its own id was refused."""
    return {"sender": resolved.issued} if resolved.issued else {}


@router.post("/chat")
async def post_chat(body: ChatRequest, request: Request, settings: SettingsDep, chat: ChatDep,
                    sessions: SessionsDep) -> dict[str, Any]:
    """Send one message to the assistant and return its replies (and `sender`, when a fresh session
    was issued because the given web session id does not verify)."""
    if len(body.message) > settings.MAX_MESSAGE_CHARS:
        raise HTTPException(413, f"message is too long: at most {settings.MAX_MESSAGE_CHARS} characters")
    if body.metadata and (size := metadata_size(body.metadata)) > MAX_METADATA_BYTES:
        raise HTTPException(413, f"metadata is too large: at most {MAX_METADATA_BYTES} bytes as JSON (got {size})")
    resolved = sessions.resolve(body.sender)
    if not await allowed(request.app.state.rate_limiter, resolved.sender):
        raise HTTPException(429, "too many messages: please wait a minute and try again")
    try:
        messages = await chat.send(resolved.sender, body.message, body.metadata)
    except RasaUnavailable as exc:
        logger.warning("chat unavailable for %s: %s", resolved.sender, exc)
        raise HTTPException(503, UNAVAILABLE)
    return {"messages": [m.to_dict() for m in messages], **_issued(resolved)}


class ForgetRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=MAX_SENDER_CHARS)

    @field_validator("sender", mode="before")
    @classmethod
    def _valid_unicode(cls, value: Any, info: ValidationInfo) -> Any:
        return _checked_text(value, info.field_name or "text")


@router.post("/forget")
async def post_forget(body: ForgetRequest, request: Request, chat: ChatDep, records: RecordsDep,
                      sessions: SessionsDep) -> dict[str, Any]:
    """Erase this sender's conversation (every tracker event) and everything stored about them (a
    web session id that does not verify erases nothing: it stands for a fresh session)."""
    resolved = sessions.resolve(body.sender)
    if not await allowed(request.app.state.rate_limiter, f"forget:{resolved.sender}"):
        raise HTTPException(429, "too many requests: please wait a minute and try again")
    stored = await asyncio.to_thread(records.forget, resolved.sender)
    try:
        events = await chat.forget(resolved.sender)
    except RasaUnavailable as exc:
        logger.warning("forget for %s failed: %s", resolved.sender, exc)
        raise HTTPException(503, "your conversation could not be erased right now: please try again in a minute")
    return {"forgotten": True, "events": events, "records": stored, **_issued(resolved)}


@router.post("/feedback", status_code=201)
async def post_feedback(body: FeedbackRequest, request: Request, records: RecordsDep,
                        sessions: SessionsDep) -> dict[str, str]:
    """Store a 👍/👎 on an answer for staff (rate limited per sender, like chat, and per client
    address)."""
    if body.rating not in (1, -1):
        raise HTTPException(422, "rating must be 1 (👍) or -1 (👎)")
    resolved = sessions.resolve(body.sender)
    state = request.app.state
    if not await allowed(state.feedback_limiter, resolved.sender) or not await allowed(
            state.feedback_ip_limiter, client_address(request)):
        raise HTTPException(429, "too much feedback: please wait a minute and try again")
    records.add_feedback(resolved.sender, body.rating, body.question, body.answer)
    return {"status": "stored", **_issued(resolved)}
