"""`sme-advisor telegram ...`: run the bot by long polling, or point Telegram's webhook at the
gateway."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.settings import Settings, get_settings

SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
TOKEN_REJECTED = "Telegram rejected TELEGRAM_TOKEN (check it with @BotFather)"


class TelegramCommandError(Exception):
    """A one-line reason a telegram command could not run."""


def _print(data: dict[str, Any], as_json: bool, text: str) -> None:
    print(json.dumps(data) if as_json else text, flush=True)


def _token(settings: Settings) -> str:
    if not settings.TELEGRAM_TOKEN:
        raise TelegramCommandError("TELEGRAM_TOKEN is not set: get one from @BotFather and put it in .env")
    return settings.TELEGRAM_TOKEN


def _bot(settings: Settings) -> Bot:
    """A bot for one-off Bot API calls (use it as `async with`)."""
    return Bot(_token(settings), base_url=settings.TELEGRAM_API_BASE)


def _run(coroutine: Any) -> Any:
    try:
        return asyncio.run(coroutine)
    except InvalidToken:  # its message contains the token
        raise TelegramCommandError(TOKEN_REJECTED) from None
    except TelegramError as exc:
        raise TelegramCommandError(f"the Telegram call failed: {exc}") from None


def cmd_set_webhook(args: argparse.Namespace) -> int:
    """Register the gateway's webhook URL with Telegram, with the secret token and the command menu.
    """
    from bot.telegram import COMMANDS

    settings = get_settings()
    _token(settings)
    url = args.url or settings.TELEGRAM_WEBHOOK_URL
    if not url:
        raise TelegramCommandError(
            "no webhook URL: pass --url https://HOST/telegram/webhook or set TELEGRAM_WEBHOOK_URL")
    if not url.startswith("https://"):
        raise TelegramCommandError(f"Telegram only calls https:// webhooks, not {url!r}")
    # set, or derived from the token as the gateway does
    secret = settings.TELEGRAM_SECRET_TOKEN or ""
    if not SECRET_PATTERN.match(secret):
        raise TelegramCommandError("TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and -")

    async def register() -> bool:
        async with _bot(settings) as bot:
            await bot.set_my_commands(COMMANDS)
            return await bot.set_webhook(
                url, secret_token=secret, drop_pending_updates=True,
                allowed_updates=["message", "callback_query"],
            )

    ok = _run(register())
    _print({"ok": ok, "url": url}, args.json, f"webhook set: {url} (pending updates dropped)" if ok else "not set")
    return 0 if ok else 1


def cmd_delete_webhook(args: argparse.Namespace) -> int:
    """Remove the webhook, e.g. before polling from a laptop."""
    settings = get_settings()

    async def delete() -> bool:
        async with _bot(settings) as bot:
            return await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)

    ok = _run(delete())
    _print({"ok": ok}, args.json, "webhook deleted" if ok else "webhook not deleted")
    return 0 if ok else 1


def cmd_poll(args: argparse.Namespace) -> int:
    """Run the bot by long polling until Ctrl-C (deletes any webhook first)."""
    from telegram import Update

    from bot.chat import ChatService
    from bot.records import Records
    from bot.telegram import COMMANDS, build_application

    settings = get_settings()
    _token(settings)
    chat = ChatService.from_settings(settings)
    application = build_application(settings, chat, Records(settings.db_path), polling=True)

    async def post_init(app: Any) -> None:
        await app.bot.set_my_commands(COMMANDS)
        print(f"polling as @{app.bot.username}; Rasa at {settings.rasa_url}; Ctrl-C to stop", file=sys.stderr)

    async def post_shutdown(_: Any) -> None:
        await chat.aclose()

    application.post_init = post_init
    application.post_shutdown = post_shutdown
    try:
        application.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY], drop_pending_updates=False)
    except InvalidToken:
        raise TelegramCommandError(TOKEN_REJECTED) from None
    except TelegramError as exc:
        raise TelegramCommandError(f"polling stopped: {exc}") from None
    return 0


def _guarded(func: Any) -> Any:
    """Turn a TelegramCommandError into one line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except TelegramCommandError as exc:
            print(f"sme-advisor telegram: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Add the `telegram` command group (poll, set-webhook, delete-webhook) to the CLI."""
    if common is None:
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--json", action="store_true", help="print JSON")
    telegram = subparsers.add_parser("telegram", help="the Telegram bot").add_subparsers(dest="action", required=True)

    p = telegram.add_parser("poll", parents=[common], help="run the bot by long polling (no public URL needed)")
    p.set_defaults(func=_guarded(cmd_poll))

    p = telegram.add_parser("set-webhook", parents=[common], help="point Telegram at POST /telegram/webhook")
    p.add_argument("--url", help="public https URL of /telegram/webhook (default TELEGRAM_WEBHOOK_URL)")
    p.set_defaults(func=_guarded(cmd_set_webhook))

    p = telegram.add_parser("delete-webhook", parents=[common], help="stop Telegram calling the webhook")
    p.add_argument("--drop-pending-updates", action="store_true", help="also discard updates not delivered yet")
    p.set_defaults(func=_guarded(cmd_delete_webhook))
