"""The programme finder's questions and their buttons (payloads such as `/inform{"stage":"idea"}`), worded
for what is known so far. No Rasa imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.vocabulary import STAGES

STAGE_LABELS = {
    "idea": "I need a business idea",
    "starting": "I have an idea, not started yet",
    "running": "My business is running",
    "growing": "My business is growing",
    "organisation": "We support businesses (organisation)",
}
NEED_LABELS = {
    "idea": "Find a business idea",
    "plan": "Write a business plan",
    "manage": "Manage better (costs, records, marketing)",
    "grow": "Grow the business",
    "formalise": "Register / formalise",
    "green": "Go green, save energy",
    "productivity": "Productivity & working conditions",
    "crisis": "Recover from a crisis",
    "policy": "Policy & business environment",
    "markets": "Market systems & value chains",
}
NEEDS_BY_STAGE = {
    "idea": ("idea", "green"),
    "starting": ("plan", "idea", "formalise", "green"),
    "running": ("manage", "grow", "formalise", "green", "productivity", "crisis"),
    "growing": ("grow", "productivity", "green", "markets", "crisis"),
    "organisation": ("policy", "markets", "productivity", "formalise", "green", "crisis"),
    None: ("idea", "plan", "manage", "grow", "formalise", "green", "productivity", "crisis"),
}
GROUP_LABELS = {"women": "I'm a woman", "refugees": "I'm a refugee", "informal": "My business is informal",
                "none": "None of these"}
ORG_GROUP_LABELS = {"women": "Women entrepreneurs", "refugees": "Refugees and host communities",
                    "informal": "Informal businesses", "none": "No particular group"}
SECTOR_LABELS = {"agriculture": "Farming & food", "manufacturing": "Manufacturing", "trade": "Trade & retail",
                 "services": "Services & tourism", "construction": "Construction", "other": "Other"}
SKIP_BUTTON = {"title": "Skip", "payload": "/skip"}
WHY_ASKING = ("Sorry, let me put it another way: I ask a few short questions so that I can point you to the programme "
              "or the trainers that fit you. Tap the answer that fits best, type it in your own words, or type “stop” "
              "to ask me something else.")
RESTART_HINT = ("Not quite right? Tell me in your own words (“I already run a shop”), or type “find a programme” "
                "to answer the questions once more.")


@dataclass
class Reply:
    """One bot message: text and buttons."""

    text: str
    buttons: list[dict] = field(default_factory=list)


def _button(slot: str, value: str, title: str) -> dict:
    return {"title": title, "payload": f'/inform{{"{slot}":"{value}"}}'}


INTRO = ("Let's find the ILO programme that fits you: a few quick questions (type “skip” to skip one, “stop” to "
         "stop).")


def question(slot: str, values: dict[str, str | None], first: bool = False) -> Reply:
    """The question for `slot`, worded for what is known so far, with a button per choice and Skip.

    The first question of a run starts with a short introduction (not repeated when re-asked).
    """
    reply = _question(slot, values)
    if first:
        reply.text = f"{INTRO}\n\n{reply.text}"
    return reply


def _question(slot: str, values: dict[str, str | None]) -> Reply:
    stage = values.get("stage") if values.get("stage") in STAGES else None
    if slot == "stage":
        text = "Where are you with your business?"
        buttons = [_button("stage", v, t) for v, t in STAGE_LABELS.items()]
    elif slot == "need":
        text = ("What does your organisation want to work on most?" if stage == "organisation"
                else "What do you need most right now?")
        buttons = [_button("need", v, NEED_LABELS[v]) for v in NEEDS_BY_STAGE[stage]]
    elif slot == "group":
        if stage == "organisation":
            text, labels = "Do you work mainly with one of these groups?", ORG_GROUP_LABELS
        else:
            text, labels = "Does one of these describe you (the business owner)?", GROUP_LABELS
        buttons = [_button("group", v, t) for v, t in labels.items()]
    elif slot == "sector":
        text = "Which sector do you work in?"
        buttons = [_button("sector", v, t) for v, t in SECTOR_LABELS.items()]
    else:
        raise ValueError(f"the finder has no question for slot '{slot}'")
    return Reply(text, buttons + [SKIP_BUTTON])
