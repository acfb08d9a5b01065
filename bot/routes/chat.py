"""The chat API every web client uses: `POST /api/chat` (contract) and `POST /api/feedback`."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, field_validator

from bot.chat import ChatService, RasaUnavailable
from bot.records import Records
from bot.settings import Settings

router = APIRouter(prefix="/api", tags=["chat"])


class ChatRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=128)
    message: str
    metadata: dict[str, Any] | None = None  # e.g. {"latitude": .., "longitude": ..} from the widget

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is empty: type a question or pick a button")
        return value.strip()


class FeedbackRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=128)
    rating: int = Field(description="+1 for 👍, -1 for 👎")
    question: str = Field(default="", max_length=4000)
    answer: str = Field(default="", max_length=8000)


class RateLimiter:
    """At most `per_minute` messages per sender in any sliding 60-second window (in memory)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        hits = self._hits[key]
        while hits and now - hits[0] > 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        return True


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_chat(request: Request) -> ChatService:
    return request.app.state.chat


def get_records(request: Request) -> Records:
    return request.app.state.records


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
RecordsDep = Annotated[Records, Depends(get_records)]


@router.post("/chat")
async def post_chat(body: ChatRequest, request: Request, settings: SettingsDep, chat: ChatDep) -> dict[str, Any]:
    """Send one message to the assistant and return its replies."""
    if len(body.message) > settings.MAX_MESSAGE_CHARS:
        raise HTTPException(413, f"message is too long: at most {settings.MAX_MESSAGE_CHARS} characters")
    if not request.app.state.rate_limiter.allow(body.sender):
        raise HTTPException(429, "too many messages: please wait a minute and try again")
    try:
        messages = await chat.send(body.sender, body.message, body.metadata)
    except RasaUnavailable as exc:
        raise HTTPException(503, f"the assistant is not available right now ({exc}); please try again shortly")
    return {"messages": [m.to_dict() for m in messages]}


@router.post("/feedback", status_code=201)
async def post_feedback(body: FeedbackRequest, records: RecordsDep) -> dict[str, str]:
    """Store a 👍/👎 on an answer for staff."""
    if body.rating not in (1, -1):
        raise HTTPException(422, "rating must be 1 (👍) or -1 (👎)")
    records.add_feedback(body.sender, body.rating, body.question, body.answer)
    return {"status": "stored"}
