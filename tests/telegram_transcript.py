"""A Telegram chat drawn from what the bot sent the Bot API, for screenshots (tests and the README).

The bot's messages are Telegram HTML made by bot/telegram_render.py (only <b>, <i> and <a href>,
everything else escaped), so they are shown as Telegram would: bold, links, line breaks, inline
keyboards under their message and the reply keyboard (e.g. "📍 Share my location") at the bottom. The
user's side is escaped text.
"""

from __future__ import annotations

import html
from typing import Any

_STYLE = """
body{margin:0;background:#c8d9b4;font:15px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#000}
.top{position:sticky;top:0;background:#517da2;color:#fff;padding:12px 16px;font-weight:600}
.top small{display:block;font-weight:400;opacity:.8}
.chat{display:flex;flex-direction:column;gap:6px;padding:10px 10px 70px}
.m{max-width:84%;padding:7px 10px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;box-shadow:0 1px 1px rgba(0,0,0,.15)}
.bot{align-self:flex-start;background:#fff;border-bottom-left-radius:3px}
.user{align-self:flex-end;background:#effedd;border-bottom-right-radius:3px}
.m a{color:#2a7ab8;text-decoration:none}
.kb{align-self:flex-start;max-width:84%;display:flex;flex-direction:column;gap:3px;margin-top:-3px}
.kb span{background:rgba(80,110,80,.55);color:#fff;border-radius:8px;padding:8px 12px;text-align:center}
.reply{position:fixed;bottom:0;left:0;right:0;background:#f0f0f0;padding:8px;border-top:1px solid #ccc}
.reply span{display:block;background:#fff;border-radius:6px;padding:10px;text-align:center;color:#2a7ab8}
"""


def transcript_html(shown: list[dict[str, Any]], title: str = "SME Advisor") -> str:
    """A page showing the chat: `shown` holds {"from": "user", "text"} and the bot's sendMessage
    params."""
    parts: list[str] = []
    reply_keyboard: list[str] = []
    for item in shown:
        if item["from"] == "user":
            parts.append(f'<div class="m user">{html.escape(item["text"])}</div>')
            continue
        parts.append(f'<div class="m bot">{item["text"]}</div>')  # the bot's own Telegram HTML
        markup = item.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        if rows:
            buttons = "".join(f"<span>{html.escape(b['text'])}</span>" for row in rows for b in row)
            parts.append(f'<div class="kb">{buttons}</div>')
        if "keyboard" in markup:
            reply_keyboard = [b["text"] for row in markup["keyboard"] for b in row]
        elif markup.get("remove_keyboard"):
            reply_keyboard = []
    bottom = "".join(f"<span>{html.escape(b)}</span>" for b in reply_keyboard)
    return (f"<!doctype html><html lang=en><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} on Telegram</title>"
            f"<style>{_STYLE}</style><div class=top>{html.escape(title)}<small>bot</small></div>"
            f"<div class=chat>{''.join(parts)}</div>" + (f"<div class=reply>{bottom}</div>" if bottom else ""))
