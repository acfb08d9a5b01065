"""The rasa-webchat socket.io channel (rasa_addons/socketio_channel.py) on its own, in .venv-rasa.

The channel imports Rasa, which lives in its own venv, so the cases below run there, in one
subprocess, against a fake socket.io server that records every emit; the live test
(test_webchat_socketio_live.py) plays the real conversation. Checked: the shapes rasa-webchat 1.0.1
renders (`{text}`, `{text, quick_replies}`), a turn's quick replies on its last message, sources as
markdown links (http(s) only, titles escaped), the location request, unknown payloads passed as one
argument, and the channel as credentials.yml loads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

from bot.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
pytestmark = pytest.mark.skipif(not RASA_PYTHON.exists(), reason=".venv-rasa is missing: run `make setup`")

HARNESS = textwrap.dedent("""
    import asyncio, json, sys
    from rasa_addons.socketio_channel import WebchatSocketIOOutput

    class FakeSio:
        def __init__(self):
            self.emits = []
        async def emit(self, event, data=None, **kwargs):
            self.emits.append({"event": event, "data": data, "kwargs": sorted(kwargs), "room": kwargs.get("room")})

    async def play(steps, hold):
        sio = FakeSio()
        out = WebchatSocketIOOutput(sio, "bot_uttered", hold=hold)
        for step in steps:  # each as Rasa's processor sends a BotUttered's message
            await out.send_response("session-1", step)
        if hold:
            await out.flush()
        return sio.emits

    cases = json.loads(sys.stdin.read())
    print(json.dumps({name: asyncio.run(play(steps, hold)) for name, (steps, hold) in cases.items()}))
""")

BUTTONS = [{"title": "Find a programme for me", "payload": "/find_programme"},
           {"title": "Find a trainer for SIYB", "payload": '/find_trainer{"programme":"siyb"}'}]
QUICK = [{"content_type": "text", **b} for b in BUTTONS]
SYB = {"title": "Start and Improve Your Business (SIYB)", "url": "https://www.ilo.org/siyb", "programme": "siyb"}
SYB_LINE = "Source: [Start and Improve Your Business \\(SIYB\\)](https://www.ilo.org/siyb)"
WED = {"title": "Women's Entrepreneurship Development", "url": "https://www.ilo.org/wed", "programme": "wed"}
MORE_WED = [{"title": "Tell me more about GET Ahead", "payload": "What is GET Ahead?"}, BUTTONS[0]]
PLACE_QUESTION = "Which city or town are you in? You can also share your location."

# name -> (the bot messages of one turn, as Rasa's processor sends them; hold: inside a user turn)
CASES: dict[str, tuple[list[dict], bool]] = {
    "answer": ([{"text": "**SYB**\n\nStart Your Business (SYB) is ...", "buttons": BUTTONS},
                {"custom": {"sources": [SYB, SYB]}}], True),
    "finder": ([{"text": "Thanks! These programmes fit best:"},
                {"text": "1. SYB", "buttons": BUTTONS}, {"custom": {"sources": [SYB]}},
                {"text": "2. GET Ahead", "buttons": MORE_WED}, {"custom": {"sources": [WED]}}], True),
    "location": ([{"text": PLACE_QUESTION}, {"custom": {"request_location": True}}], True),
    "hostile": ([{"custom": {"sources": [
        {"title": "Evil](javascript:alert(1))", "url": "javascript:alert(1)", "programme": "siyb"},
        {"title": "No link", "url": None, "programme": "eese"},
        {"title": "Guide (2024)", "url": "https://example.org/a b(c)", "programme": "score"},
    ]}}], True),
    "unknown": ([{"text": "Pick one", "buttons": BUTTONS},
                 {"custom": {"room": "someone-else", "skip_sid": "x", "callback": 1}},
                 {"custom": {"data": {"text": "from data"}}},
                 {"custom": {"sources": [SYB], "widget": {"kind": "map"}}}], True),
    "lines": ([{"text": "Trainers near Kampala:\n\n**1. A**, Org\nKampala · 2 km away\nContact: phone 1",
                "buttons": BUTTONS[:1]}], True),
    "contacts": ([{"text": "**1. Sample Trainer 1**, Org\nContact: phone +000 000 0001 · email "
                           "sample.trainer01@example.org"
                            " · Telegram @sample_trainer_01"}], True),
    "outside a turn": ([{"text": "Reminder", "buttons": BUTTONS}, {"custom": {"sources": [SYB]}},
                        {"image": "https://example.org/x.png"}], False),
}


def run_rasa_python(script: str, stdin: str = "") -> str:
    result = subprocess.run([str(RASA_PYTHON), "-c", script], input=stdin, capture_output=True, text=True, check=False,
                            cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def emitted() -> dict[str, list]:
    """Every case's emitted messages (Rasa loads slowly: one process for all)."""
    played = json.loads(run_rasa_python(HARNESS, json.dumps(CASES)))
    for emits in played.values():
        for e in emits:  # one positional message, to the session's room, nothing else
            assert e["event"] == "bot_uttered" and e["kwargs"] == ["room"] and e["room"] == "session-1", e
    return {name: [e["data"] for e in emits] for name, emits in played.items()}


def test_an_answer_with_buttons_and_sources_ends_with_the_sources_and_its_quick_replies(emitted) -> None:
    assert emitted["answer"] == [
        {"text": "**SYB**"},
        {"text": "Start Your Business (SYB) is ..."},
        {"text": SYB_LINE, "quick_replies": QUICK},
    ]


def test_a_turns_quick_replies_are_merged_on_its_last_message(emitted) -> None:
    messages = emitted["finder"]
    assert [set(m) for m in messages[:-1]] == [{"text"}] * 4
    assert messages[-1]["text"].startswith("Source: [Women")
    assert [r["title"] for r in messages[-1]["quick_replies"]] == [
        "Find a programme for me", "Find a trainer for SIYB", "Tell me more about GET Ahead"]


def test_a_location_request_is_a_typed_city_prompt_with_a_cancel_reply(emitted) -> None:
    question, prompt = emitted["location"]
    assert question == {"text": PLACE_QUESTION}
    assert "type the name of your town or city" in prompt["text"]
    assert prompt["quick_replies"] == [{"content_type": "text", "title": "Cancel", "payload": "/stop"}]


def test_sources_link_only_http_urls_and_escape_titles(emitted) -> None:
    assert emitted["hostile"] == [{"text": "Sources: Evil\\]\\(javascript:alert\\(1\\)\\), No link, "
                                           "[Guide \\(2024\\)](https://example.org/a%20b%28c%29)"}]


def test_unknown_payloads_pass_through_as_custom_and_data_as_the_message(emitted) -> None:
    assert emitted["unknown"] == [
        {"text": "Pick one", "quick_replies": QUICK},
        # not emit()'s arguments
        {"custom": {"room": "someone-else", "skip_sid": "x", "callback": 1}},
        {"text": "from data"},
        {"text": SYB_LINE},
        {"custom": {"widget": {"kind": "map"}}},
    ]


def test_lines_inside_a_paragraph_stay_lines(emitted) -> None:
    assert emitted["lines"] == [
        {"text": "Trainers near Kampala:"},
        {"text": "**1. A**, Org  \nKampala · 2 km away  \nContact: phone 1", "quick_replies": QUICK[:1]},
    ]


def test_a_trainers_phone_email_and_telegram_are_links(emitted) -> None:
    assert emitted["contacts"] == [{"text": "**1. Sample Trainer 1**, Org  \nContact: phone [+000 "
                                            "000 0001](tel:+0000000001)"
                                            " · email [sample.trainer01@example.org](mailto:sample.trainer01@example.org)"
                                            " · Telegram [@sample\\_trainer\\_01](https://t.me/sample_trainer_01)"}]


def test_outside_a_turn_messages_go_at_once_in_rasas_shapes(emitted) -> None:
    assert emitted["outside a turn"] == [
        {"text": "Reminder", "quick_replies": QUICK},
        {"text": SYB_LINE},
        {"attachment": {"type": "image", "payload": {"src": "https://example.org/x.png"}}},
    ]


def test_credentials_yml_loads_the_channel_with_its_settings() -> None:
    script = textwrap.dedent("""
        import json
        from rasa.core.run import create_http_input_channels
        channels = create_http_input_channels(None, "credentials.yml")
        print(json.dumps([[type(c).__module__ + "." + type(c).__name__, c.name(), c.url_prefix(),
                           getattr(c, "session_persistence", None), getattr(c, "metadata_key", None),
                           getattr(c, "user_message_evt", None), getattr(c, "bot_message_evt", None)]
                          for c in channels]))
    """)
    channels = json.loads(run_rasa_python(script))
    assert ["rasa_addons.socketio_channel.WebchatSocketIOInput", "socketio", "socketio", True, "customData",
            "user_uttered", "bot_uttered"] in channels
    assert [c[1] for c in channels].count("socketio") == 1
