"""The Telegram channel: python-telegram-bot handlers that talk to Rasa only through `ChatService`.

Webhook mode (inside the gateway): `build_application(settings, chat, records)` builds an
Application without an Updater; `bot/routes/telegram.py` feeds it the updates Telegram posts.
Polling mode (a laptop, no public URL): `build_application(..., polling=True)` and `run_polling()`,
see `sme-advisor telegram poll`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import (
    BotCommand,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.button_store import button_store
from bot.chat import BotMessage, Button, ChatService, RasaUnavailable, location_message
from bot.rate_limits import allowed, shared_limiter
from bot.records import Records
from bot.settings import Settings
from bot.telegram_render import ButtonKeys, Outgoing, escape, inline_keyboard, render_message

logger = logging.getLogger(__name__)

WELCOME = (
    "👋 Hi! I'm <b>SME Advisor</b>. I help entrepreneurs find the ILO programme and training that fit "
    "their business.\n\n"
    "I can:\n"
    "• suggest a programme for your business, whether it is an idea or already growing\n"
    "• find a trainer near you\n"
    "• answer questions about the programmes (Start and Improve Your Business, SCORE, ...)\n\n"
    "Tap a button or just type your question."
)
WELCOME_BUTTONS = [
    Button("🔎 Find a programme for me", "/find_programme"),
    Button("📍 Find a trainer near me", "/find_trainer"),
    Button("💬 Ask a question", "/greet"),
]
HELP = (
    "Type your question in your own words, for example <i>How can I start a small bakery?</i>\n\n"
    "/start – what I can do\n"
    "/restart – start a new conversation\n"
    "/forget – delete our conversation and what I stored about you\n"
    "/help – this message\n\n"
    "To find a trainer near you, share your location (📎 → Location) or type your city."
)
COMMANDS = [
    BotCommand("start", "What I can do"),
    BotCommand("help", "How to use me"),
    BotCommand("restart", "Start a new conversation"),
    BotCommand("forget", "Delete our conversation"),
]
RESTARTED = "🔄 OK, let's start a new conversation. What would you like to know?"
FORGOTTEN = "🗑 Done: I deleted our conversation and everything I stored about you."
FORGET_FAILED = (
    "I deleted what I stored here, but I can't reach the conversation store right now. "
    "Please send /forget again in a minute."
)
NO_BRAIN = "😕 Sorry, I can't reach my brain right now, please try again in a minute."
APOLOGY = "😕 Sorry, something went wrong on my side. Please try again."
EXPIRED = "That button has expired, please type your question."
ONLY_TEXT = "Sorry, I can only read text and locations. Please type your question."
UNKNOWN_COMMAND = "I don't know that command. Send /help to see what I can do."
NO_ANSWER = "I have nothing to add to that. Type a question, or send /help."
TOO_LONG = "Your message is too long ({length} characters): please keep it under {limit} characters."
SLOW_DOWN = "⏳ That's a lot of messages at once! Please wait a minute, then send your question again."
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def sender_id(chat_id: int) -> str:
    """The Rasa sender id of a Telegram chat."""
    return f"telegram:{chat_id}"


def _chat(context: ContextTypes.DEFAULT_TYPE) -> ChatService:
    return context.bot_data["chat"]


def _keys(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> ButtonKeys:
    return context.bot_data["buttons"].for_sender(sender_id(chat_id))


async def send_html(context: ContextTypes.DEFAULT_TYPE, chat_id: int, outgoing: list[Outgoing]) -> None:
    """Send rendered messages, clearing a location keyboard left over from an earlier question."""
    # Only chats that were shown a location keyboard get an entry: the map stays small.
    with_keyboard = context.application.chat_data
    for item in outgoing:
        markup = item.reply_markup
        if markup is None and chat_id in with_keyboard and with_keyboard[chat_id].pop("location_keyboard", False):
            markup = ReplyKeyboardRemove()
        if isinstance(markup, ReplyKeyboardMarkup):
            with_keyboard[chat_id]["location_keyboard"] = True
        await context.bot.send_message(
            chat_id, item.html, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
        )


async def send_replies(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: list[BotMessage]) -> None:
    """Render the bot's replies for Telegram and send them in order."""
    chat = update.effective_chat
    private = chat.type == ChatType.PRIVATE
    keys = _keys(context, chat.id)
    # In a thread: a long button payload is written to the database.
    outgoing = await asyncio.to_thread(lambda: [item for r in replies for item in render_message(r, keys, private)])
    await send_html(context, chat.id, outgoing or [Outgoing(escape(NO_ANSWER))])


async def ask_rasa(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: str, metadata: dict[str, Any] | None = None
) -> None:
    """Show 'typing…', send one user message to Rasa and relay its replies."""
    chat_id = update.effective_chat.id
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:  # a missing indicator must not cost the answer
        logger.debug("typing indicator failed: %s", exc)
    if language := getattr(update.effective_user, "language_code", None):  # the bot answers in it until told otherwise
        metadata = {"language": language, **(metadata or {})}
    replies = await _chat(context).send(sender_id(chat_id), message, metadata)
    await send_replies(update, context, replies)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome the user, say what the bot can do and offer the main paths as buttons."""
    keyboard = inline_keyboard(WELCOME_BUTTONS, _keys(context, update.effective_chat.id))
    await send_html(context, update.effective_chat.id, [Outgoing(WELCOME, keyboard)])


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to use the bot and list the commands."""
    await send_html(context, update.effective_chat.id, [Outgoing(HELP)])


async def restart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a new conversation in Rasa and say so, offering the main paths again."""
    chat_id = update.effective_chat.id
    replies = await _chat(context).restart(sender_id(chat_id))
    keyboard = inline_keyboard(WELCOME_BUTTONS, _keys(context, chat_id))
    await send_html(context, chat_id, [Outgoing(escape(RESTARTED), keyboard)])
    if replies:
        await send_replies(update, context, replies)


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Erase the conversation in Rasa and the records stored about this chat, then confirm."""
    chat_id = update.effective_chat.id
    records: Records = context.bot_data["records"]
    await asyncio.to_thread(records.forget, sender_id(chat_id))
    # long button payloads kept in Redis
    if (buttons := context.bot_data["button_store"]) is not records:
        await asyncio.to_thread(buttons.forget, sender_id(chat_id))
    context.application.drop_chat_data(chat_id)
    try:
        await _chat(context).forget(sender_id(chat_id))
    except RasaUnavailable as exc:
        logger.warning("forget for a Telegram chat failed in Rasa: %s", exc)
        await send_html(context, chat_id, [Outgoing(escape(FORGET_FAILED))])
        return
    await send_html(context, chat_id, [Outgoing(escape(FORGOTTEN))])


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forward a text message to Rasa (refusing overly long ones) and relay the answer."""
    text = update.message.text.strip()
    limit = context.bot_data["max_chars"]
    if not text:
        return
    if len(text) > limit:
        message = TOO_LONG.format(length=len(text), limit=limit)
        await send_html(context, update.effective_chat.id, [Outgoing(escape(message))])
        return
    await ask_rasa(update, context, text)


async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forward a shared location to Rasa as the share_location intent, with the coordinates as
    metadata."""
    place = update.message.location
    metadata = {"latitude": place.latitude, "longitude": place.longitude}
    await ask_rasa(update, context, location_message(place.latitude, place.longitude), metadata)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a tapped inline button and send its payload to Rasa (unknown or forged data never is).
    """
    query = update.callback_query
    try:
        await query.answer()  # stops the button's spinner
    except TelegramError as exc:  # e.g. "query is too old" after downtime: still answer in the chat
        logger.info("could not answer a callback query: %s", exc)
    payload = await asyncio.to_thread(_keys(context, update.effective_chat.id).decode, query.data or "")
    if payload is None:
        logger.info("refused unknown callback data from a Telegram chat")
        await send_html(context, update.effective_chat.id, [Outgoing(escape(EXPIRED))])
        return
    await ask_rasa(update, context, payload)


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the user that stickers, photos, voice notes and files can't be read."""
    await send_html(context, update.effective_chat.id, [Outgoing(escape(ONLY_TEXT))])


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point the user to /help for a command the bot does not have."""
    await send_html(context, update.effective_chat.id, [Outgoing(escape(UNKNOWN_COMMAND))])


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let through only updates from a chat, at most RATE_LIMIT_PER_MINUTE a minute per chat (a chat
    over the limit is told once a minute to slow down; the rest is dropped)."""
    chat = update.effective_chat
    if chat is None:  # e.g. an inline query, or a button of an inline message: nothing to answer in
        raise ApplicationHandlerStop
    limits = context.bot_data["limits"]
    if await allowed(limits["messages"], sender_id(chat.id)):
        return
    logger.info("a Telegram chat is over the rate limit")
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError as exc:
            logger.debug("could not answer a callback query: %s", exc)
    if await allowed(limits["notices"], sender_id(chat.id)):
        await send_html(context, chat.id, [Outgoing(escape(SLOW_DOWN))])
    raise ApplicationHandlerStop


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and answer the user with a short apology."""
    if isinstance(context.error, RasaUnavailable):
        logger.warning("Telegram update not answered: %s", context.error)
        text = NO_BRAIN
    else:
        logger.error("Telegram update failed", exc_info=context.error)
        text = APOLOGY
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, escape(text), parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            logger.warning("could not send the apology to Telegram: %s", exc)


def add_handlers(application: Application) -> None:
    """Register every handler, in priority order."""
    new = filters.UpdateType.MESSAGE  # edited messages and channel posts are ignored
    application.add_handler(TypeHandler(Update, gate), group=-1)  # before every other handler
    application.add_handler(CommandHandler("start", start, filters=new))
    application.add_handler(CommandHandler("help", help_command, filters=new))
    application.add_handler(CommandHandler("restart", restart, filters=new))
    application.add_handler(CommandHandler("forget", forget, filters=new))
    application.add_handler(MessageHandler(new & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(new & filters.TEXT, text_message))
    application.add_handler(MessageHandler(new & filters.LOCATION, location))
    application.add_handler(MessageHandler(new & filters.ATTACHMENT, unsupported))
    application.add_handler(CallbackQueryHandler(button))
    application.add_error_handler(error_handler)


def build_application(
    settings: Settings, chat: ChatService, records: Records | None = None, *, polling: bool = False
) -> Application:
    """Build the PTB Application for the configured bot: webhook mode, or with an Updater for
    polling."""
    if not settings.TELEGRAM_TOKEN:
        raise ValueError("TELEGRAM_TOKEN is not set: Telegram is disabled")
    builder = Application.builder().token(settings.TELEGRAM_TOKEN).base_url(settings.TELEGRAM_API_BASE)
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    records = records or Records(settings.db_path)
    store = button_store(settings, records)
    application.bot_data.update(
        chat=chat,
        records=records,
        button_store=store,
        buttons=ButtonKeys(settings.TELEGRAM_SECRET_TOKEN or settings.TELEGRAM_TOKEN, store),
        max_chars=settings.MAX_MESSAGE_CHARS,
        # shared by every gateway (Redis or STATE_DIR), like the button payloads
        limits={"messages": shared_limiter(settings, "telegram", settings.RATE_LIMIT_PER_MINUTE),
                "notices": shared_limiter(settings, "telegram-notice", 1)},
    )
    add_handlers(application)
    return application
