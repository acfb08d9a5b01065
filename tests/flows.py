"""One conversation script per flow, played on every channel (issue 13 item 2).

A flow is a list of `Step`s: what the user does (type, tap a button, share a location, start a new
conversation, forget) and what they must then see, whatever the channel. A channel driver
(tests/test_flows_live.py: the widget in Chromium, Telegram through the fake Bot API) performs the
step and reports what it shows as a `Seen`; `play()` checks it. Every flow starts by opening the
chat (the widget's greeting, Telegram's /start), whose buttons the next step may tap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

SYB = r"\bSYB\b|Start Your Business"
KAMPALA = (0.3476, 32.5825)  # a shared location in Kampala, Uganda
TRAINER_LIST = r"trainers nearest (Kampala|you)[\s\S]*Sample Trainer"
# the trainer cards' phone, e-mail and Telegram
CONTACT_LINKS = ("^tel:", "^mailto:", "^https://t.me/")


@dataclass
class Seen:
    """What the user sees of the bot's answer to one step."""

    text: str = ""  # the visible text of every message of the answer
    sources: list[str] = field(default_factory=list)  # link targets in the sources shown
    buttons: list[str] = field(default_factory=list)  # titles of the buttons that can be tapped now
    links: list[str] = field(default_factory=list)  # every link target, sources included
    location_request: bool = False  # a "share my location" control is offered


@dataclass(frozen=True)
class Step:
    """One user action and what its answer must show (regexes, case-insensitive)."""

    say: str = ""  # type this
    tap: str = ""  # or tap the first button whose title matches this
    share: tuple[float, float] | None = None  # or share this location
    # or "open", "restart" (New conversation, /restart) or "forget" (Forget me, /forget)
    command: str = ""
    expect: str = ""  # the answer's text matches this
    sources: bool = False  # the answer shows at least one source link
    buttons: tuple[str, ...] = ()  # each matches a button offered
    links: tuple[str, ...] = ()  # each matches a link target
    location_request: bool = False  # a "share my location" control is offered
    then: str = ""  # a check of the conversation in Rasa afterwards: "restarted" or "erased"


class Channel(Protocol):
    """A way in (widget, Telegram): performs steps, reports what the user sees."""

    name: str

    def sender(self) -> str: ...  # the Rasa sender id of this conversation

    def open(self) -> Seen: ...

    def say(self, text: str) -> Seen: ...

    def tap(self, title: str) -> Seen: ...

    def share(self, latitude: float, longitude: float) -> Seen: ...

    def restart(self) -> Seen: ...

    def forget(self) -> Seen: ...

    def screenshot(self, name: str) -> None: ...


OPEN = Step(command="open", buttons=("Find a programme", "Find a trainer"))
ASK_SYB = Step(say="What is Start Your Business?", expect=SYB, sources=True)
FIND_TRAINER = Step(tap="Find a trainer", expect=r"Which city or town are you in", location_request=True)

FLOWS: dict[str, list[Step]] = {
    "knowledge_answer": [OPEN, ASK_SYB],
    "follow_up": [  # "it" is SYB's programme: the fee leads; a longer answer is shortened and "Tell me more" goes on
        OPEN, ASK_SYB,
        Step(say="how much does it cost?", expect=r"SIYB[\s\S]*Each provider sets its own fee", sources=True),
        Step(say="where can I take it?", expect=r"SIYB[\s\S]*partner", sources=True, buttons=("Tell me more",)),
        Step(tap="Tell me more", expect=r"\bpaid\b|\bcost\b"),
    ],
    "programme_finder": [  # buttons, then free text (rich enough to recommend at once), then a button again
        OPEN,
        Step(tap="Find a programme", expect=r"Where are you with your business", buttons=("not started yet",)),
        Step(tap="not started yet", expect=r"What do you need", buttons=("business plan",)),
        Step(say="I want to open a small bakery and need help writing a business plan",
             expect=r"fits best[\s\S]*Start Your Business", sources=True, buttons=("Find a trainer",)),
        Step(tap="Find a trainer", expect=r"Which city or town are you in"),
    ],
    "trainer_by_city": [
        OPEN, FIND_TRAINER,
        Step(say="Kampala", expect=TRAINER_LIST, links=CONTACT_LINKS, buttons=("Show more trainers",)),
    ],
    "trainer_by_location": [
        OPEN, FIND_TRAINER,
        Step(share=KAMPALA, expect=TRAINER_LIST, links=CONTACT_LINKS, buttons=("Show more trainers",)),
    ],
    "restart": [OPEN, ASK_SYB, Step(command="restart", buttons=("Find a programme",), then="restarted")],
    "forget": [OPEN, ASK_SYB, Step(command="forget", expect=r"deleted", then="erased")],
}


def perform(channel: Channel, step: Step) -> Seen:
    """Do what the step says on the channel and return what it shows."""
    if step.say:
        return channel.say(step.say)
    if step.tap:
        return channel.tap(step.tap)
    if step.share:
        return channel.share(*step.share)
    return {"open": channel.open, "restart": channel.restart, "forget": channel.forget}[step.command]()


def check(step: Step, seen: Seen, where: str) -> None:
    """Assert that `seen` shows what `step` expects (the message names the flow, step and channel).
    """
    shown = f"{where} showed: {seen}"
    assert not step.expect or re.search(step.expect, seen.text, re.IGNORECASE), f"expected /{step.expect}/; {shown}"
    assert not step.sources or any(s.startswith(("http://", "https://")) for s in seen.sources), f"no sources; {shown}"
    for pattern in step.buttons:
        assert any(re.search(pattern, b, re.IGNORECASE) for b in seen.buttons), f"no button /{pattern}/; {shown}"
    for pattern in step.links:
        assert any(re.search(pattern, link) for link in seen.links), f"no link /{pattern}/; {shown}"
    assert not step.location_request or seen.location_request, f"no location request; {shown}"


def play(channel: Channel, flow: str, verify: Callable[[str, str], None]) -> list[Seen]:
    """Play one flow on a channel, checking every step; `verify(check, sender)` runs a step's `then`
    against Rasa with the sender the conversation had before the step. Screenshots after each step.
    """
    seen_all = []
    for number, step in enumerate(FLOWS[flow], 1):
        sender = channel.sender() if step.then else ""
        seen = perform(channel, step)
        channel.screenshot(f"flow-{channel.name}-{flow}-{number}")
        check(step, seen, f"{flow} step {number} on {channel.name}")
        if step.then:
            verify(step.then, sender)
        seen_all.append(seen)
    return seen_all
